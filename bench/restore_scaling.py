#!/usr/bin/env python3
"""Throughput and peak memory of `reel restore` as the clip gets longer.

    bench/restore_scaling.py [--frames 20 200] [--size 160x96] [--colorizer W] [--epochs 2] [--max-shot-frames 300]

Makes noisy gray clips with sound of each length (ffmpeg test source), restores each with the
same settings, and prints frames, wall time, frames per second and reel's peak resident memory
(GNU time's maximum RSS of the reel process; the ffmpeg children are separate and constant).
Memory should stay flat as the clip grows: frames stream, shots are capped, waiting frames
spill to disk past --memory-mb. Without --colorizer the colorizer is off; give the official
checkpoint (or any ECCV16-layout file: the cost does not depend on the weights' values).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REEL = os.path.join(ROOT, "cli", "bin", "Release", "net10.0", "reel.dll")


def make_clip(path, frames, size, rate=10):
    secs = frames / rate
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}",
                    "-f", "lavfi", "-t", str(secs), "-i", f"sine=frequency=330:duration={secs}",
                    "-frames:v", str(frames), "-vf", "format=gray,noise=alls=25:allf=t",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", path], check=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, nargs="+", default=[20, 200])
    ap.add_argument("--size", default="160x96")
    ap.add_argument("--denoiser", default=os.path.join(ROOT, "..", "shared", "data", "weights", "kair_dncnn_25.pth"))
    ap.add_argument("--colorizer")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--memory-mb", type=int, default=64)
    ap.add_argument("--max-shot-frames", type=int, default=300)
    a = ap.parse_args()
    if not os.path.exists(REEL):
        sys.exit(f"build first: {REEL} is missing (dotnet build Engine.sln -c Release)")
    work = tempfile.mkdtemp(prefix="reel-scaling-")
    print(f"clip {a.size} gray + audio, DnCNN{' + ECCV16' if a.colorizer else ''} + prior {a.epochs} epochs (no IRT), "
          f"--memory-mb {a.memory_mb}, --max-shot-frames {a.max_shot_frames}, {os.cpu_count()} cores")
    print(f"{'frames':>7} {'seconds':>9} {'fps':>7} {'peak RSS MB':>12}")
    for n in a.frames:
        clip, out = os.path.join(work, f"in{n}.mp4"), os.path.join(work, f"out{n}.mp4")
        make_clip(clip, n, a.size)
        cmd = ["/usr/bin/time", "-f", "%M", "dotnet", REEL, "restore", clip, out, "--denoiser", a.denoiser,
               "--epochs", str(a.epochs), "--no-irt", "--no-progress", "--memory-mb", str(a.memory_mb),
               "--max-shot-frames", str(a.max_shot_frames)]
        cmd += ["--colorizer", a.colorizer] if a.colorizer else ["--no-colorize"]
        t = time.time()
        r = subprocess.run(cmd, capture_output=True, text=True)
        secs = time.time() - t
        if r.returncode != 0:
            sys.exit(r.stderr)
        rss_mb = int(r.stderr.strip().splitlines()[-1]) / 1024
        print(f"{n:>7} {secs:>9.1f} {n / secs:>7.2f} {rss_mb:>12.0f}")


if __name__ == "__main__":
    main()
