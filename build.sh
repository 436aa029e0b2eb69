#!/usr/bin/env bash
# One entry point for newcomers and CI:
#   ./build.sh test   install what is missing, build everything, run every test (xunit + ctest)
#   ./build.sh demo   install, build, and run the main job on a demo input (see README)
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
SHARED=${REEL_SHARED:-$ROOT/../shared}

APT_PACKAGES=(ffmpeg python3-torch python3-numpy python3-skimage cmake g++)

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
  command -v dotnet >/dev/null || { echo "error: the .NET 10 SDK is required (https://dot.net)"; exit 1; }
  dotnet restore Engine.sln --nologo -v q
}

build() {
  dotnet build Engine.sln -c Release --nologo -v q --no-restore
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build -j 2 >/dev/null
}

run_tests() {
  local log
  log=$(mktemp)
  local status=0
  (cd build && ctest --output-on-failure) | tee "$log" || status=1
  local c_total c_failed
  c_failed=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of.*/\1/p' "$log")
  c_total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$log")
  c_failed=${c_failed:-0}
  c_total=${c_total:-0}
  dotnet test tests -c Release --no-build --nologo 2>&1 | tee "$log" || status=1
  local summary passed failed skipped
  summary=$(grep -E '(Passed|Failed)! +- +Failed:' "$log" | tail -1 || true)
  failed=$(sed -n 's/.*Failed: *\([0-9]*\),.*/\1/p' <<<"$summary")
  passed=$(sed -n 's/.*Passed: *\([0-9]*\),.*/\1/p' <<<"$summary")
  skipped=$(sed -n 's/.*Skipped: *\([0-9]*\),.*/\1/p' <<<"$summary")
  rm -f "$log"
  if [ -z "$passed" ]; then echo "error: no xunit summary found"; exit 1; fi
  echo "tests: $((passed + c_total - c_failed)) passed, $((failed + c_failed)) failed, ${skipped:-0} skipped"
  return $status
}

demo() {
  local weights="$SHARED/data/weights/kair_dncnn_25.pth" clean="$SHARED/data/testsets/Set12/05.png"
  for f in "$weights" "$clean"; do [ -f "$f" ] || { echo "error: demo input missing: $f"; exit 1; }; done
  mkdir -p out
  # A noisy demo input: the clean test image with Gaussian-like noise from ffmpeg.
  ffmpeg -v error -y -i "$clean" -vf "noise=alls=25:allf=t" -pix_fmt gray out/demo-noisy.png
  dotnet cli/bin/Release/net10.0/reel.dll denoise out/demo-noisy.png out/demo-denoised.png --weights "$weights"
  echo "wrote out/demo-noisy.png and out/demo-denoised.png"
}

case "${1:-}" in
  test) install; build; run_tests ;;
  demo) install; build; demo ;;
  *) echo "usage: ./build.sh test|demo"; exit 2 ;;
esac
