#!/usr/bin/env python3
"""Wall-clock scaling of a sharded restore on this machine: one worker against W workers in parallel.

    bench/shard_scaling.py [--workers 2] [--shots 6] [--rounds 2] [--size 160x96] [--epochs 3]
                           [--reel "dotnet cli/bin/Release/net10.0/reel.dll"]

Makes a clip of --shots shots (different test patterns, 8 frames each, gray), plans it once
(`reel restore plan`), then per round times `reel restore run` over the whole plan as one worker
(shard 0/1) and as W workers started together (shards 0/W … W−1/W), each in a fresh copy of the
plan's work folder; the order of the two alternates between rounds so load from other processes
hits both. The job is the prior alone (no networks to load), the part that dominates a restore.
Prints the median seconds of each and the speed-up. On a machine whose cores one worker already
keeps busy (the CPU backend is multi-threaded) the speed-up says what sharding adds there: little;
the point of shards is separate GPUs and hosts.
"""
import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import tempfile
import time

PATTERNS = ["testsrc2", "smptebars", "mandelbrot", "rgbtestsrc", "testsrc", "smptehdbars", "life", "cellauto"]


def make_clip(path, shots, size):
    w, h = size.split("x")
    inputs, labels = [], []
    for i in range(shots):
        source = PATTERNS[i % len(PATTERNS)]
        inputs += ["-f", "lavfi", "-i", f"{source}=size={w}x{h}:rate=8"]
        labels.append(f"[{i}]trim=end_frame=8,setpts=PTS-STARTPTS,format=gray[s{i}]")
    graph = ";".join(labels) + ";" + "".join(f"[s{i}]" for i in range(shots)) + f"concat=n={shots}:v=1:a=0[v]"
    subprocess.run(["ffmpeg", "-v", "error", "-y", *inputs, "-filter_complex", graph, "-map", "[v]",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", path], check=True)


def timed_run(reel, plan_dir, scratch, workers):
    work = os.path.join(scratch, f"work-{workers}")
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(plan_dir, work)
    start = time.monotonic()
    procs = [subprocess.Popen(reel + ["restore", "run", work, "--shard", f"{i}/{workers}", "--progress", "plain"],
                              stderr=subprocess.DEVNULL) for i in range(workers)]
    codes = [p.wait() for p in procs]
    elapsed = time.monotonic() - start
    if any(codes):
        raise SystemExit(f"a worker failed ({codes}) in {work}")
    return elapsed


def main():
    a = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("--workers", type=int, default=2)
    a.add_argument("--shots", type=int, default=6)
    a.add_argument("--rounds", type=int, default=2)
    a.add_argument("--size", default="160x96")
    a.add_argument("--epochs", type=int, default=3)
    a.add_argument("--reel", default="dotnet cli/bin/Release/net10.0/reel.dll")
    args = a.parse_args()
    reel = shlex.split(args.reel)
    with tempfile.TemporaryDirectory() as scratch:
        clip = os.path.join(scratch, "clip.mp4")
        make_clip(clip, args.shots, args.size)
        plan = os.path.join(scratch, "plan")
        subprocess.run(reel + ["restore", "plan", clip, plan, "--no-denoise", "--no-colorize", "--epochs", str(args.epochs),
                               "--no-irt", "--progress", "plain"], check=True, stderr=subprocess.DEVNULL)
        times = {1: [], args.workers: []}
        for r in range(args.rounds):
            for w in ([1, args.workers] if r % 2 == 0 else [args.workers, 1]):
                t = timed_run(reel, plan, scratch, w)
                times[w].append(t)
                print(f"round {r + 1}: {w} worker(s) {t:.1f} s", flush=True)
    one, many = statistics.median(times[1]), statistics.median(times[args.workers])
    print(f"| workers | seconds (median of {args.rounds}) | speed-up |")
    print("|---|---|---|")
    print(f"| 1 | {one:.1f} | 1.00 |")
    print(f"| {args.workers} | {many:.1f} | {one / many:.2f} |")


if __name__ == "__main__":
    main()
