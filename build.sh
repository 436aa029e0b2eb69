#!/usr/bin/env bash
# One entry point for newcomers and CI:
#   ./build.sh test      install what is missing, build everything, run every test (xunit + ctest,
#                        and the end-to-end restore tests again on the NativeAOT reel)
#   ./build.sh demo      install, build, and restore a few seconds of a real clip (reel restore; see README)
#   ./build.sh publish   the native artifacts, no .NET needed to run them: out/publish/reel,
#                        out/publish/libreel.so and out/publish/reel.h
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
SHARED=${REEL_SHARED:-$ROOT/../shared}

APT_PACKAGES=(ffmpeg python3-torch python3-numpy python3-skimage python3-opencv cmake g++ pkgconf)

install() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  install_cuda_compilers
  command -v dotnet >/dev/null || { echo "error: the .NET 10 SDK is required (https://dot.net)"; exit 1; }
  dotnet restore Engine.sln --nologo -v q
}

# The NVIDIA compilers the CUDA checks need, without a GPU (DESIGN §4): NVRTC from Debian
# non-free, and ptxas extracted from the nvidia-cuda-toolkit .deb into ~/.cache/reel/cuda
# (dpkg -x: its 1.5 GB of dependencies are not needed). Idempotent; `reel kernels check`
# finds ptxas there.
CUDA_DIR=${REEL_CUDA_DIR:-$HOME/.cache/reel/cuda}
install_cuda_compilers() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  local nvrtc_missing=0
  for p in libnvrtc11.2 libnvrtc-builtins11.8; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || nvrtc_missing=1
  done
  if ((nvrtc_missing)); then
    echo "installing NVRTC (Debian non-free)"
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
      sed 's/^Components: main$/Components: contrib non-free/' /etc/apt/sources.list.d/debian.sources \
        | $sudo tee /etc/apt/sources.list.d/reel-non-free.sources >/dev/null
    else
      echo "deb http://deb.debian.org/debian $(. /etc/os-release && echo "$VERSION_CODENAME") contrib non-free" \
        | $sudo tee /etc/apt/sources.list.d/reel-non-free.list >/dev/null
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends libnvrtc11.2 libnvrtc-builtins11.8 >/dev/null
  fi
  if [ ! -x "$CUDA_DIR/usr/bin/ptxas" ]; then
    echo "extracting ptxas from nvidia-cuda-toolkit into $CUDA_DIR"
    local tmp
    tmp=$(mktemp -d)
    chmod 777 "$tmp"
    (cd "$tmp" && apt-get download -qq nvidia-cuda-toolkit 2>/dev/null)
    mkdir -p "$CUDA_DIR"
    dpkg -x "$tmp"/nvidia-cuda-toolkit_*.deb "$CUDA_DIR"
    rm -rf "$tmp"
  fi
  "$CUDA_DIR/usr/bin/ptxas" --version >/dev/null
}

build_managed() {
  dotnet build Engine.sln -c Release --nologo -v q --no-restore
}

# CMake drives the NativeAOT builds (dotnet publish: build/publish/reel and libreel.so, a few
# minutes each the first time) and builds the C tests and the kernels' CPU emulation.
build_native() {
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build -j 2 >/dev/null
}

publish() {
  build_native
  mkdir -p out/publish
  cp build/publish/reel build/publish/libreel.so engine/native/include/reel.h out/publish/
  ls -l out/publish
}

# "Passed!  - Failed: 0, Passed: 12, Skipped: 0, …" of a dotnet test log → "passed failed skipped".
xunit_counts() {
  local summary
  summary=$(grep -E '(Passed|Failed)! +- +Failed:' "$1" | tail -1 || true)
  [ -n "$summary" ] || return 0
  echo "$(sed -n 's/.*Passed: *\([0-9]*\),.*/\1/p' <<<"$summary") $(sed -n 's/.*Failed: *\([0-9]*\),.*/\1/p' <<<"$summary") $(sed -n 's/.*Skipped: *\([0-9]*\),.*/\1/p' <<<"$summary")"
}

run_tests() {
  local log
  log=$(mktemp)
  local status=0
  # Two at a time: c_api and python_binding each wait on reel processes much of their half minute.
  # (Every kernel's compile, `reel kernels check`, is an xunit test: CudaCliTests.)
  (cd build && ctest -j 2 --output-on-failure) | tee "$log" || status=1
  local c_total c_failed
  c_failed=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of.*/\1/p' "$log")
  c_total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$log")
  c_failed=${c_failed:-0}
  c_total=${c_total:-0}
  dotnet test tests -c Release --no-build --nologo 2>&1 | tee "$log" || status=1
  local passed failed skipped
  read -r passed failed skipped < <(xunit_counts "$log") || true
  if [ -z "$passed" ]; then echo "error: no xunit summary found"; exit 1; fi
  # The end-to-end restore tests (and the bound-function listing, which reflects over the bindings) once more, on the NativeAOT executable (REEL_CLI, see tests/Support/ReelProcess.cs).
  echo "end-to-end restore tests on the NativeAOT reel (build/publish/reel):"
  REEL_CLI="$ROOT/build/publish/reel" dotnet test tests -c Release --no-build --nologo \
    --filter "FullyQualifiedName~Reel.Tests.Cli.RestoreTests|FullyQualifiedName~Reel.Tests.Cli.SideBySideTests|FullyQualifiedName~Reel.Tests.Cuda.CudaCliTests.LibrariesAreFound" 2>&1 | tee "$log" || status=1
  local aot_passed aot_failed aot_skipped
  read -r aot_passed aot_failed aot_skipped < <(xunit_counts "$log") || true
  if [ -z "$aot_passed" ]; then echo "error: no xunit summary found for the NativeAOT run"; exit 1; fi
  rm -f "$log"
  echo "tests: $((passed + aot_passed + c_total - c_failed)) passed, $((failed + aot_failed + c_failed)) failed, $((skipped + aot_skipped)) skipped"
  return $status
}

demo() {
  local reel="dotnet cli/bin/Release/net10.0/reel.dll"
  local clip="$SHARED/data/video/goat-colorization-input"
  [ -d "$clip" ] || { echo "error: $clip is missing: the shared/ folder must sit beside the repository"; exit 1; }
  mkdir -p out
  # Three seconds of a real clip (90 gray frames of a goat, 428×240) made into old footage: every
  # third frame (10 fps), 256 pixels wide, gray, with film-like grain, and a tone for sound.
  ffmpeg -v error -y -framerate 10 -i "$clip/%05d.jpg" -f lavfi -i "sine=frequency=330:duration=3" \
    -vf "select='not(mod(n\,3))',setpts=N/(10*TB),scale=256:-2,format=gray,noise=alls=20:allf=t,format=gray" \
    -t 3 -c:v libx264 -pix_fmt yuv420p -c:a aac out/demo-in.mp4
  local args=()
  # Official weights come from the cache (REEL_WEIGHTS or ~/.cache/reel/weights), fetched when missing.
  if ! $reel weights fetch dncnn_gray_blind; then
    if [ -f "$SHARED/data/weights/kair_dncnn_25.pth" ]; then
      echo "offline: denoising with the project's copy of KAIR dncnn_25.pth instead"
      args+=(--denoiser "$SHARED/data/weights/kair_dncnn_25.pth")
    else
      args+=(--no-denoise)
    fi
  fi
  if ! $reel weights fetch colorizer; then
    echo "offline: no colorizer weights, so the demo stays gray. For colour, put colorization_release_v2-9b330a0b.pth"
    echo "         (see 'reel weights list' for its URL) into $($reel weights list | awk -F'\t' '$1=="colorizer"{print $3}' | xargs dirname)"
    args+=(--no-colorize)
  fi
  # A few plain-L1 epochs keep the demo to a few minutes on two cores; real runs use the defaults.
  $reel restore out/demo-in.mp4 out/demo-restored.mp4 --epochs 8 --no-irt --no-progress \
    --side-by-side out/demo-side-by-side.mp4 "${args[@]}"
  echo "wrote out/demo-in.mp4 (noisy gray input), out/demo-restored.mp4 and out/demo-side-by-side.mp4 (input | restored)"
}

case "${1:-}" in
  test) install; build_managed; build_native; run_tests ;;
  demo) install; build_managed; demo ;;
  publish) install; publish ;;
  *) echo "usage: ./build.sh test|demo|publish"; exit 2 ;;
esac
