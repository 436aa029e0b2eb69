"""The NativeAOT `reel` against the JIT one: `reel bench` ratios, same machine, same shapes.

Models as bench/compare.py: DnCNN-B gray forward, the ECCV16 colorizer forward, one Deep Video
Prior U-Net training step, at 256×256 on random weights. Rounds alternate the two builds (and
which goes first) so load from other processes hits both; each build's median is over all its
timed runs, and its minimum, which other processes disturb least on a shared machine. The JIT
runs twice per round where the CPU has AVX-512: as it comes (AVX-512 kernels) and with
DOTNET_EnableAVX512F=0 (the AVX2 kernels, the ones the x86-64-v3 AOT build runs). Prints per
model the JIT and AOT medians and minima and AOT/JIT of each.

Run from the repository root after `dotnet build Engine.sln -c Release` and `cmake --build build`:
    python3 bench/aot_vs_jit.py [--rounds 3] [--runs 5] [--models dncnn,colorizer,unet] [--size 256]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JIT = ["dotnet", os.path.join(ROOT, "cli", "bin", "Release", "net10.0", "reel.dll")]
AOT = [os.path.join(ROOT, "build", "publish", "reel")]


def bench(command, model, size, runs, env=None):
    r = subprocess.run(command + ["bench", "--model", model, "--size", f"{size}x{size}", "--runs", str(runs), "--warmup", "2", "--json"],
                       capture_output=True, text=True, env={**os.environ, **(env or {})})
    # One line, as compare.py says it, where a traceback of CalledProcessError hid reel's own error line.
    if r.returncode != 0:
        sys.exit(f"{' '.join(command)} bench failed: {r.stderr.strip()}")
    return json.loads(r.stdout.strip().splitlines()[-1])["times_ms"]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--models", default="dncnn,colorizer,unet")
    p.add_argument("--size", type=int, default=256)
    a = p.parse_args()
    for path in (JIT[1], AOT[0]):
        if not os.path.exists(path):
            sys.exit(f"aot_vs_jit: {path} is missing: build first (dotnet build Engine.sln -c Release; cmake --build build)")
    avx512 = "avx512f" in open("/proc/cpuinfo").read()
    builds = {"jit": (JIT, None), "aot": (AOT, None)}
    if avx512:
        builds["jit-avx2"] = (JIT, {"DOTNET_EnableAVX512F": "0"})
    else:
        print("this CPU has no AVX-512: the JIT runs the AVX2 kernels, as the x86-64-v3 AOT build does; AVX-512 not measured")
    rows = []
    for model in a.models.split(","):
        times = {name: [] for name in builds}
        for r in range(a.rounds):
            order = list(builds) if r % 2 == 0 else list(reversed(builds))
            for name in order:
                command, env = builds[name]
                times[name] += bench(command, model, a.size, a.runs, env)
        stats = {name: (statistics.median(t), min(t)) for name, t in times.items()}
        rows.append((model, stats))
        print(f"{model}: " + ", ".join(f"{n} median {m:.1f} ms, min {lo:.1f} ms" for n, (m, lo) in stats.items()), flush=True)
    print()
    others = [n for n in builds if n != "aot"]
    print("| model | " + " | ".join(f"{n.upper()} ms (median / min)" for n in builds) + " | "
          + " | ".join(f"AOT/{n.upper()} (median / min)" for n in others) + " |")
    print("|---|" + "---|" * (len(builds) + len(others)))
    for model, m in rows:
        cells = [f"{m[n][0]:.0f} / {m[n][1]:.0f}" for n in builds]
        cells += [f"{m['aot'][0] / m[n][0]:.2f} / {m['aot'][1] / m[n][1]:.2f}" for n in others]
        print(f"| {model} {a.size}² | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
