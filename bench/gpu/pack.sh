#!/usr/bin/env bash
# Builds what the device check carries to the GPU machine into bench/gpu/pack/ (git-ignored; the
# scripts themselves travel with the working tree): the NativeAOT reel (no .NET there; the CUDA
# kernels' sources are embedded in it and compiled by the machine's NVRTC), a 480p clip of a real
# scene, the colorizer's 313 ab centres, which the random ECCV16 weights are drawn around
# (the weights themselves are written there by parity.py: 129 MB would not fit the 64 MiB carried),
# and a trained DnCNN with a real image for the parity stage.
# Prints the folder's size; fails if it is over 60 MiB.
set -euo pipefail
cd "$(dirname "$0")/../.."
SHARED=${REEL_SHARED:-$PWD/../shared}
PACK=bench/gpu/pack
./build.sh publish >/dev/null
rm -rf "$PACK"
mkdir -p "$PACK"
cp out/publish/reel "$PACK/reel"
# 48 frames of bike-packing at 910×480, gray (the old-footage input reel restore expects), 24 fps.
ffmpeg -v error -y -framerate 24 -i "$SHARED/data/video/bike-packing-input/%05d.jpg" -frames:v 48 \
  -vf format=gray -c:v libx264 -crf 18 -pix_fmt yuv420p "$PACK/clip480.mp4"
cp "$SHARED/data/colorization/pts_in_hull.csv" "$PACK/"
# The parity stage's trained network and real image (parity.py --real): KAIR's DnCNN-25 and Set12's 01.png as raw gray.
cp "$SHARED/data/weights/kair_dncnn_25.pth" "$PACK/"
ffmpeg -v error -y -i "$SHARED/data/testsets/Set12/01.png" -f rawvideo -pix_fmt gray "$PACK/set12_01.u8"
git rev-parse HEAD >"$PACK/commit"
du -b "$PACK"/* | sort -n
bytes=$(du -sb "$PACK" | cut -f1)
echo "bench/gpu/pack: $((bytes / 1024 / 1024)) MiB ($bytes bytes)"
((bytes < 60 * 1024 * 1024)) || { echo "error: bench/gpu/pack is over 60 MiB; the device machine takes 64 MiB in all"; exit 1; }
