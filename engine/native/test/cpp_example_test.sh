#!/bin/sh
# cpp_example: Set12/01.png with noise through the C++ example (examples/denoise_pgm.cpp) gives
# the very bytes `reel denoise` writes for it, and a checkpoint that is missing gives the
# library's message naming it.
#   cpp_example_test.sh EXAMPLE REEL SHARED_DATA WORK
set -eu
example=$1 reel=$2 data=$3 work=$4
weights=$data/weights/kair_dncnn_25.pth
image=$data/testsets/Set12/01.png
for f in "$example" "$reel" "$weights" "$image"; do
  [ -e "$f" ] || { echo "cpp_example: missing $f" >&2; exit 1; }
done
rm -rf "$work" && mkdir -p "$work"
ffmpeg -v error -nostdin -i "$image" -vf "noise=alls=25:all_seed=7" -pix_fmt gray -frames:v 1 -update 1 "$work/noisy.pgm"
"$example" "$weights" "$work/noisy.pgm" "$work/example.pgm"
"$reel" denoise "$work/noisy.pgm" "$work/cli.png" --weights "$weights" 2>"$work/cli.log"
ffmpeg -v error -nostdin -i "$work/cli.png" -pix_fmt gray -frames:v 1 -update 1 "$work/cli.pgm"
cmp "$work/example.pgm" "$work/cli.pgm" || { echo "cpp_example: the example and reel denoise differ" >&2; exit 1; }
if cmp -s "$work/noisy.pgm" "$work/example.pgm"; then echo "cpp_example: the output is the noisy input" >&2; exit 1; fi
if "$example" "$work/none.pth" "$work/noisy.pgm" "$work/none.pgm" 2>"$work/missing.log"; then
  echo "cpp_example: a missing checkpoint did not fail" >&2; exit 1
fi
grep -q "REEL_E_CHECKPOINT.*$work/none.pth" "$work/missing.log" || { echo "cpp_example: unexpected error: $(cat "$work/missing.log")" >&2; exit 1; }
[ ! -e "$work/none.pgm" ] || { echo "cpp_example: wrote an output after a failure" >&2; exit 1; }
echo "cpp_example: the example's pixels equal reel denoise's; a missing checkpoint says: $(cat "$work/missing.log")"
