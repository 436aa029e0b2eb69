#!/usr/bin/env bash
# The device check of issue 18, run on the GPU machine from the repository root (see README.md):
#   bash bench/gpu/device.sh            on an H200 (bench/gpu/pack/ carried: reel, the clip)
#   bash bench/gpu/device.sh --dry-run  here: the same stages on the emulated device and CPU PyTorch, tiny sizes
# Each stage runs under its own `timeout` inside an overall budget (BUDGET_S, default 450 s); a stage
# that fails or times out does not stop the others, and one whose budget is gone is recorded as
# skipped. Written under $OUT as it goes (at most 8 files come back from the device machine):
#   $OUT/all.log        every stage's output, in order
#   $OUT/results.jsonl  one JSON line per stage: status, seconds, key figures (bench/gpu/report.py)
#   $OUT/table.md       the closing tables, also printed last
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
DRY=0
# Anything but --dry-run (a --help, a typo) ran the GPU check, and first emptied the last run's results.
case "$#:${1:-}" in
  0:) ;;
  1:--dry-run) DRY=1 ;;
  *) echo "usage: bash bench/gpu/device.sh [--dry-run]   (settings in the environment: OUT, WORK, BUDGET_S, REEL, PY; see bench/gpu/README.md)" >&2; exit 2 ;;
esac
SHARED=${REEL_SHARED:-$ROOT/../shared}
OUT=${OUT:-$ROOT/out/gpu-check}
mkdir -p "$OUT"
: >"$OUT/all.log"
: >"$OUT/results.jsonl"
# Scratch (the clip's pieces, checkpoints, caches): a folder given in WORK is kept; one made here goes at exit.
if [ -z "${WORK:-}" ]; then
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK"
PACK=$ROOT/bench/gpu/pack
START=$(date +%s)
BUDGET_S=${BUDGET_S:-450}

if ((DRY)); then
  DEV=emu
  PY=${PY:-/usr/bin/python3}
  TORCH_DEV=cpu
  # The reel under test: the packed one, else the NativeAOT build, else the JIT build.
  if [ -z "${REEL:-}" ]; then
    if [ -x "$PACK/reel" ]; then REEL=$PACK/reel
    elif [ -x build/publish/reel ]; then REEL=$ROOT/build/publish/reel
    else REEL="dotnet $ROOT/cli/bin/Release/net10.0/reel.dll"; fi
  fi
  export REEL_KERNELS_EMU=${REEL_KERNELS_EMU:-$ROOT/build/libreel_kernels_emu.so}
  DNCNN=24x32; COLOR=32; UNET=32x64; RUNS=1; WARMUP=1; COPY_MIB=16
  CLIP_ARGS=(--epochs 1 --no-irt)
  CURVE_EPOCHS=2
  CURVE_S=40
  CURVES=("cpu fp32" "emu fp32" "emu tf32")   # the emulated device's curves against the CPU's (bf16's: 30 s emulated, its layout kernels a fiber per thread)
  PRECISIONS=(fp32)          # parity and benches (Reel's and PyTorch's) at fp32 here; tf32 and bf16 reach the emulated cuDNN in their selftests (tf32 in a curve too)
  SELFTEST_ARGS=(--small)
  SANITIZER_TIMEOUT=60
else
  DEV=cuda
  PY=${PY:-/opt/torch/.venv/bin/python}
  [ -x "$PY" ] || PY=python3
  TORCH_DEV=cuda
  REEL=${REEL:-$PACK/reel}
  DNCNN=1080x1920; COLOR=256; UNET=480x864; RUNS=20; WARMUP=3; COPY_MIB=2048
  CLIP_ARGS=(--epochs 50)
  CURVE_EPOCHS=25
  CURVE_S=40
  CURVES=("cuda fp32" "cuda tf32" "cuda bf16")
  PRECISIONS=(fp32 tf32 bf16)
  SELFTEST_ARGS=()
  SANITIZER_TIMEOUT=90
  # NVRTC, cuDNN and cuBLASLt from the PyTorch venv's NVIDIA wheels when the system has none of its own.
  REEL_CUDA_LIBS=${REEL_CUDA_LIBS:-}
  for d in $("$PY" -c 'import glob, site; print(" ".join(sorted(glob.glob(site.getsitepackages()[0] + "/nvidia/*/lib"))))' 2>/dev/null); do
    REEL_CUDA_LIBS=${REEL_CUDA_LIBS:+$REEL_CUDA_LIBS:}$d
  done
  export REEL_CUDA_LIBS
  # cuDNN 9 opens its engine libraries by name, so the loader's path must hold the wheel folders too;
  # ptxas (registers and spills) and compute-sanitizer sit in the toolkit's bin folders.
  [ -z "$REEL_CUDA_LIBS" ] || export LD_LIBRARY_PATH=$REEL_CUDA_LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export PATH=$PATH:/usr/local/cuda/bin:/usr/local/cuda/compute-sanitizer
  export REEL_KERNEL_CACHE=$WORK/kernel-cache
  chmod +x "$REEL" 2>/dev/null
  [ -x "$REEL" ] || { echo "error: $REEL is missing: run bench/gpu/pack.sh here and carry bench/gpu/pack"; exit 2; }
fi
read -r -a REEL_CMD <<<"$REEL"
# Parity runs at sizes where the float64 reference stays quick; throughput at the real ones.
if ((DRY)); then DNCNN_PARITY=$DNCNN; UNET_PARITY=$UNET; REAL_SIZE=32; else DNCNN_PARITY=512x512; UNET_PARITY=256x256; REAL_SIZE=256; fi
if ((DRY)); then
  # Three 64×48 gray frames of a real clip: the emulator runs the colorizer's 256² net on the host.
  CLIP=${CLIP:-$WORK/tiny.mp4}
  # Without its inputs every stage after would fail: said once, here, with the path (REEL_SHARED moves shared/).
  [ -f "$CLIP" ] || ffmpeg -v error -y -framerate 10 -i "$SHARED/data/video/goat-colorization-input/%05d.jpg" \
    -frames:v 3 -vf scale=64:48,format=gray -c:v libx264 -pix_fmt yuv420p "$CLIP" \
    || { echo "error: could not make the dry run's clip from $SHARED/data/video/goat-colorization-input (REEL_SHARED)" >&2; exit 2; }
  CENTRES=${CENTRES:-$SHARED/data/colorization/pts_in_hull.csv}
  [ -f "$CENTRES" ] || { echo "error: no colorizer bin centres at $CENTRES (REEL_SHARED)" >&2; exit 2; }
  # The trained DnCNN and the real image of the parity stage, as pack.sh packs them.
  REAL=$WORK/real
  mkdir -p "$REAL"
  cp "$SHARED/data/weights/kair_dncnn_25.pth" "$REAL/" \
    && ffmpeg -v error -y -i "$SHARED/data/testsets/Set12/01.png" -f rawvideo -pix_fmt gray "$REAL/set12_01.u8" \
    || { echo "error: $SHARED/data lacks weights/kair_dncnn_25.pth or testsets/Set12/01.png (REEL_SHARED)" >&2; exit 2; }
else
  CLIP=${CLIP:-$PACK/clip480.mp4}
  CENTRES=${CENTRES:-$PACK/pts_in_hull.csv}
  REAL=$PACK
fi
export PYTHONUNBUFFERED=1
echo "device check: $([ $DRY = 1 ] && echo "DRY RUN on the emulated device" || echo GPU), reel = $REEL, python = $PY, out = $OUT, work = $WORK" | tee -a "$OUT/all.log"

# stage NAME SECONDS COMMAND...: runs it under timeout (cut to the budget left), logs it, records it.
stage() {
  local name=$1 limit=$2
  shift 2
  local left=$((BUDGET_S - ($(date +%s) - START)))
  local log=$WORK/$name.log
  if ((left < 10)); then
    echo "== $name: skipped (budget spent)" | tee -a "$OUT/all.log"
    echo "{\"stage\": \"$name\", \"status\": \"skipped\", \"seconds\": 0, \"why\": \"budget spent\"}" >>"$OUT/results.jsonl"
    return
  fi
  ((limit > left)) && limit=$left
  echo "== $name (timeout ${limit}s): $*" | tee -a "$OUT/all.log"
  local t0 status rc
  t0=$(date +%s%N)
  if declare -F "$1" >/dev/null; then
    # A stage written as a function of this script runs in a child bash that is given it and the settings.
    timeout --kill-after=5 "$limit" bash -c "$(declare -p ROOT WORK DEV PY TORCH_DEV REEL_CMD PRECISIONS CLIP CLIP_ARGS CENTRES REAL REAL_SIZE DNCNN_PARITY COLOR UNET_PARITY CURVES CURVE_EPOCHS CURVE_S); $(declare -f "$1"); $1" >"$log" 2>&1
  else
    timeout --kill-after=5 "$limit" "$@" >"$log" 2>&1
  fi
  rc=$?
  case $rc in 0) status=ok ;; 124|137) status=timeout ;; *) status="failed($rc)" ;; esac
  cat "$log" >>"$OUT/all.log"
  echo "== $name: $status" | tee -a "$OUT/all.log"
  "$PY" bench/gpu/report.py record "$name" "$status" "$(awk "BEGIN { print ($(date +%s%N) - $t0) / 1e9 }")" "$log" >>"$OUT/results.jsonl" \
    || echo "{\"stage\": \"$name\", \"status\": \"$status\", \"seconds\": 0, \"why\": \"report.py failed\"}" >>"$OUT/results.jsonl"
}

skip() {
  echo "== $1: skipped ($2)" | tee -a "$OUT/all.log"
  echo "{\"stage\": \"$1\", \"status\": \"skipped\", \"seconds\": 0, \"why\": \"$2\"}" >>"$OUT/results.jsonl"
}

# The parity stage: weights and inputs, reel infer on the CPU and on the device at each precision, then PyTorch and the comparison.
parity() {
  "$PY" bench/gpu/parity.py prepare --work "$WORK/parity" --centres "$CENTRES" --dncnn "$DNCNN_PARITY" --colorizer "$COLOR" --unet "$UNET_PARITY" \
    --real "$REAL" --real-size $REAL_SIZE || return 1
  local kind model weights input
  for kind in dncnn dncnn25 colorizer unet; do
    case $kind in
      dncnn) model=dncnn weights=dncnn.pth input=dncnn_x.npy ;;
      dncnn25) model=dncnn weights=dncnn25.pth input=dncnn25_x.npy ;;
      colorizer) model=colorizer weights=eccv16.pth input=colorizer_l.npy ;;
      unet) model=unet weights=unet.pth input=unet_x.npy ;;
    esac
    "${REEL_CMD[@]}" infer --model $model --weights "$WORK/parity/$weights" --input "$WORK/parity/$input" \
      --output "$WORK/parity/reel_${kind}_cpu.npy" --device cpu || echo "reel infer $kind cpu failed"
    for p in "${PRECISIONS[@]}"; do
      "${REEL_CMD[@]}" infer --model $model --weights "$WORK/parity/$weights" --input "$WORK/parity/$input" \
        --output "$WORK/parity/reel_${kind}_$DEV-$p.npy" --device $DEV --precision $p || echo "reel infer $kind $DEV $p failed"
    done
  done
  local step=(infer --model unet --weights "$WORK/parity/unet.pth" --input "$WORK/parity/unet_x.npy" --train-step "$WORK/parity/unet_p.npy")
  "${REEL_CMD[@]}" "${step[@]}" --output "$WORK/parity/reel_step_cpu.safetensors" --device cpu || echo "reel train step cpu failed"
  for p in "${PRECISIONS[@]}"; do
    "${REEL_CMD[@]}" "${step[@]}" --output "$WORK/parity/reel_step_$DEV-$p.safetensors" --device $DEV --precision $p || echo "reel train step $DEV $p failed"
  done
  (cd bench/gpu && "$PY" parity.py compare --work "$WORK/parity" --device $TORCH_DEV --precisions "${PRECISIONS[@]}")
}

# The restore stage: the clip through denoise → colorize → prior on the device, progress as JSON. Where
# nvidia-smi exists it samples the GPU's utilization (the share of time a kernel was running) every
# 200 ms meanwhile: the GPU busy fraction, printed as one line that report.py reads.
restore() {
  local sampler="" rc
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader,nounits -lms 200 >"$WORK/gpu-util.csv" 2>/dev/null &
    sampler=$!
  fi
  "${REEL_CMD[@]}" restore "$CLIP" "$WORK/restored.mp4" --device $DEV --denoiser "$WORK/parity/dncnn.pth" \
    --colorizer "$WORK/parity/eccv16.pth" "${CLIP_ARGS[@]}" --progress json
  rc=$?
  if [ -n "$sampler" ]; then
    kill "$sampler" 2>/dev/null
    wait "$sampler" 2>/dev/null
    awk -F', *' '$1 ~ /^[0-9]+$/ { s += $1; n++; if ($2 > m) m = $2 }
      END { if (n) printf "gpu utilization: mean %.1f%% over %d samples of 200 ms; memory used up to %d MiB\n", s / n, n, m }' "$WORK/gpu-util.csv"
  fi
  return $rc
}

# The prior's loss over one shot (the clip, colorized by the restore stage, in chroma mode: restore's
# default) at each precision, every step from --loss-log; report.py compares each curve's per-epoch
# means with the first's (issue 17: a bf16 curve within 5% of fp32's).
# Each run gets its share of the stage's time (CURVE_S), so one slow run still leaves the others
# theirs and the comparison is printed; a failed run fails the stage after the rest have run.
curves() {
  [ -f "$WORK/restored.mp4" ] || { echo "no $WORK/restored.mp4: the restore stage did not finish"; return 1; }
  local run device precision logs=() failed=0
  for run in "${CURVES[@]}"; do
    read -r device precision <<<"$run"
    local log="$WORK/loss-$device-$precision.csv" extra=()
    [ "$device" = cpu ] || extra=(--precision "$precision")
    if ! timeout --kill-after=5 "$CURVE_S" "${REEL_CMD[@]}" stabilize --input "$CLIP" --processed "$WORK/restored.mp4" \
      --output "$WORK/stabilized-$device-$precision.mp4" --mode chroma --epochs "$CURVE_EPOCHS" --device "$device" "${extra[@]}" \
      --progress plain --loss-log "$log"; then
      echo "stabilize on $device $precision failed or ran past ${CURVE_S} s"
      failed=1
    fi
    logs+=("$log")
  done
  "$PY" bench/gpu/report.py curves "${logs[@]}" || failed=1
  return $failed
}

stage env 30 bash -c 'nvidia-smi 2>&1 | head -20; "$0" bench/gpu/report.py env "$@"' "$PY" "${REEL_CMD[@]}"
stage kernels 60 "${REEL_CMD[@]}" kernels check --arch 90 --json
stage selftest-fp32 120 "${REEL_CMD[@]}" selftest --device $DEV --precision fp32 --json "${SELFTEST_ARGS[@]}"
stage parity 120 parity
for p in "${PRECISIONS[@]}"; do
  stage bench-reel-dncnn-$p 40 "${REEL_CMD[@]}" bench --device $DEV --precision $p --model dncnn --size $DNCNN --runs $RUNS --warmup $WARMUP --json
  stage bench-reel-colorizer-$p 40 "${REEL_CMD[@]}" bench --device $DEV --precision $p --model colorizer --size ${COLOR}x$COLOR --runs $RUNS --warmup $WARMUP --json
  stage bench-reel-unet-$p 40 "${REEL_CMD[@]}" bench --device $DEV --precision $p --model unet --size $UNET --runs $RUNS --warmup $WARMUP --json
done
stage bench-torch 120 bash -c 'cd bench/gpu && "$0" torch_bench.py "$@"' "$PY" --work "$WORK/parity" --device $TORCH_DEV \
  --dncnn $DNCNN --colorizer $COLOR --unet $UNET --runs $RUNS --warmup $WARMUP --copy-mib $COPY_MIB --precisions "${PRECISIONS[@]}"
FFMPEG_HERE=0
command -v "${REEL_FFMPEG:-ffmpeg}" >/dev/null && command -v "${REEL_FFPROBE:-ffprobe}" >/dev/null && FFMPEG_HERE=1
if ((FFMPEG_HERE)); then
  stage restore 120 restore
else
  skip restore "no ffmpeg/ffprobe on this machine (reel decodes and encodes through them; REEL_FFMPEG, REEL_FFPROBE)"
fi
stage selftest-tf32 90 "${REEL_CMD[@]}" selftest --device $DEV --precision tf32 --json "${SELFTEST_ARGS[@]}"
stage selftest-bf16 90 "${REEL_CMD[@]}" selftest --device $DEV --precision bf16 --json "${SELFTEST_ARGS[@]}"
# After the precision selftests, so a long curve cannot starve them of the budget.
if ((FFMPEG_HERE)); then
  stage loss-curves 130 curves
else
  skip loss-curves "no ffmpeg/ffprobe on this machine (the curves train on the restored clip)"
fi
SANITIZER=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null || true)
if [ -n "$SANITIZER" ] && ((!DRY)); then
  stage sanitizer-memcheck $SANITIZER_TIMEOUT "$SANITIZER" --tool memcheck --error-exitcode 3 "${REEL_CMD[@]}" selftest --device $DEV --precision fp32 --small --json
  stage sanitizer-racecheck $SANITIZER_TIMEOUT "$SANITIZER" --tool racecheck --error-exitcode 3 "${REEL_CMD[@]}" selftest --device $DEV --precision fp32 --small --json
else
  for tool in memcheck racecheck; do
    skip sanitizer-$tool "$([ $DRY = 1 ] && echo "dry run: no GPU" || echo "compute-sanitizer not found")"
  done
fi

"$PY" bench/gpu/report.py table "$OUT/results.jsonl" >"$OUT/table.md" 2>>"$OUT/all.log"
echo "device check done in $(($(date +%s) - START)) s ($([ $DRY = 1 ] && echo "DRY RUN: emulated device and CPU PyTorch, not GPU figures" || echo GPU))"
cat "$OUT/table.md"
# Exit 1 when a stage failed, timed out or found its budget spent (the rest still ran and are in the table), so a caller
# need not parse it; a stage skipped for a reason (no GPU, no ffmpeg) is not a failure.
BAD=$(grep -cE '"status": "(failed|timeout)|"why": "budget spent"' "$OUT/results.jsonl")
((BAD == 0)) || { echo "$BAD stage(s) failed, timed out or ran out of budget: see $OUT/all.log" >&2; exit 1; }
