#!/bin/sh
# installed_prefix: what a native user does after the build. `cmake --install` into a fresh
# prefix; a C program (installed_host.c) compiled with nothing but `pkg-config --cflags --libs
# reel` from that prefix, then run; the installed `reel` runs; and ldd shows that neither
# libreel.so nor reel needs anything of .NET.
#   installed_prefix_test.sh CMAKE CC BUILD_DIR WORK HOST_SOURCE SHARED_DATA
set -eu
cmake=$1 cc=$2 build=$3 work=$4 source=$5 data=$6
weights=$data/weights/kair_dncnn_25.pth
[ -e "$weights" ] || { echo "installed_prefix: missing $weights" >&2; exit 1; }
rm -rf "$work" && mkdir -p "$work"
"$cmake" --install "$build" --prefix "$work/prefix" >"$work/install.log"
pc=$(find "$work/prefix" -name reel.pc)
[ -n "$pc" ] || { echo "installed_prefix: no reel.pc under $work/prefix" >&2; exit 1; }
export PKG_CONFIG_PATH="${pc%/reel.pc}"
flags=$(pkg-config --cflags --libs reel)
libdir=$(pkg-config --variable=libdir reel)
echo "pkg-config --cflags --libs reel: $flags (version $(pkg-config --modversion reel))"
# shellcheck disable=SC2086 # the flags are words
"$cc" -std=c11 -Wall -Wextra -Werror -o "$work/host" "$source" $flags -lm
LD_LIBRARY_PATH="$libdir" "$work/host" "$weights"
"$work/prefix/bin/reel" --version
for binary in "$libdir/libreel.so" "$work/prefix/bin/reel"; do
  echo "ldd $binary:"
  ldd "$binary" | tee "$work/ldd.txt"
  if grep -Eiq "dotnet|hostfxr|hostpolicy|coreclr|clrjit|libSystem|not found" "$work/ldd.txt"; then
    echo "installed_prefix: $binary depends on .NET or on something missing" >&2; exit 1
  fi
done
echo "installed_prefix: ok"
