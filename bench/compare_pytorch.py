"""Side-by-side CPU speed: DnCNN-17 (KAIR dncnn_25.pth) on a 256×256 gray frame, PyTorch vs Reel.

PyTorch 1.13 (oneDNN) runs with the same thread count as Reel (all cores). Reel's time is the
forward alone, as `reel eval denoise` reports it per image (the first image, which pays for JIT
compilation, is dropped). Prints both medians and the ratio.
Run from the repository root after a Release build: /usr/bin/python3 bench/compare_pytorch.py
"""
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time

import torch
import torch.nn as nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WEIGHTS = os.path.join(ROOT, "..", "shared", "data", "weights", "kair_dncnn_25.pth")
IMAGE = os.path.join(ROOT, "..", "shared", "data", "testsets", "Set12", "01.png")
REEL = os.path.join(ROOT, "cli", "bin", "Release", "net10.0", "reel.dll")
RUNS = 6


def pytorch_ms():
    state = torch.load(WEIGHTS, map_location="cpu")
    layers = []
    for i in range(17):
        w = state[f"model.{2 * i}.weight"]
        conv = nn.Conv2d(w.shape[1], w.shape[0], 3, padding=1)
        conv.load_state_dict({"weight": w, "bias": state[f"model.{2 * i}.bias"]})
        layers += [conv, nn.ReLU()] if i < 16 else [conv]
    net = nn.Sequential(*layers).eval()
    x = torch.rand(1, 1, 256, 256)
    times = []
    with torch.no_grad():
        net(x)
        for _ in range(RUNS):
            t = time.perf_counter()
            net(x)
            times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def reel_ms():
    with tempfile.TemporaryDirectory() as d:
        for i in range(RUNS + 1):
            shutil.copy(IMAGE, os.path.join(d, f"{i:02d}.png"))
        r = subprocess.run(["dotnet", REEL, "eval", "denoise", "--weights", WEIGHTS, "--dataset", d, "--sigma", "25"],
                           capture_output=True, text=True, check=True)
    times = [float(m) for m in re.findall(r"\((\d+) ms\)", r.stderr)]
    return statistics.median(times[1:])


if __name__ == "__main__":
    threads = os.cpu_count()
    torch.set_num_threads(threads)
    p = pytorch_ms()
    r = reel_ms()
    gflop = 2 * 555_137 * 256 * 256 / 1e9
    print(f"DnCNN-17 256×256, {threads} threads: PyTorch {torch.__version__} {p:.0f} ms ({gflop / p * 1000:.0f} GFLOP/s), "
          f"Reel {r:.0f} ms ({gflop / r * 1000:.0f} GFLOP/s); Reel/PyTorch time ratio {r / p:.2f}")
