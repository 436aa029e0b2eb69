"""Side by side on this machine: PyTorch (oneDNN) and `reel bench`, same shapes, same thread count.

Models: DnCNN-B gray (20 convs, 256×256 forward), the ECCV16 colorizer (256×256 forward, through
softmax, the 313→2 projection and ×4 upsampling), and one Deep Video Prior U-Net training step
(width 32, 6 outputs, 256×256: forward, IRT loss, backward, Adam). Both sides use random weights of
the same architecture. Rounds alternate PyTorch and Reel so load from other processes hits both;
each side's median is over all its timed runs. Prints the table: model, torch ms, reel ms, ratio.

PyTorch is timed twice per round, each time in a fresh process: as installed, and with glibc's
mmap threshold fixed high (torch*). As installed, glibc maps every freed-and-reallocated
activation of 16 MiB or more anew, and the page faults of clearing those pages cost PyTorch up
to 3× on these models here; a user who sets MALLOC_MMAP_THRESHOLD_ (or preloads jemalloc) does
not pay them, so torch* is the figure to beat.

Run from the repository root after `dotnet build -c Release`:
    /usr/bin/python3 bench/compare.py [--rounds 3] [--runs 5] [--models dncnn,colorizer,unet] [--size 256]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REEL = os.path.join(ROOT, "cli", "bin", "Release", "net10.0", "reel.dll")
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
from dvp_golden import UNet, irt_loss  # noqa: E402  (the official DVP layout, as the goldens use)


def dncnn_b():
    layers = []
    for i in range(20):
        conv = nn.Conv2d(1 if i == 0 else 64, 1 if i == 19 else 64, 3, padding=1)
        layers += [conv] if i == 19 else [conv, nn.ReLU(inplace=True)]
    net = nn.Sequential(*layers).eval()
    return lambda x: x - net(x), (1, 1)


class Eccv16(nn.Module):
    """colorizers/eccv16.py: BN after ReLU at the end of blocks 1–7, dilated 5–6, transposed conv in 8."""

    def __init__(self):
        super().__init__()

        def block(cin, width, n, last_stride=1, dil=1):
            mods = []
            for i in range(n):
                stride = last_stride if i == n - 1 else 1
                mods += [nn.Conv2d(cin if i == 0 else width, width, 3, stride, dil, dil), nn.ReLU(True)]
            return nn.Sequential(*mods, nn.BatchNorm2d(width))

        self.model1 = block(1, 64, 2, 2)
        self.model2 = block(64, 128, 2, 2)
        self.model3 = block(128, 256, 3, 2)
        self.model4 = block(256, 512, 3)
        self.model5 = block(512, 512, 3, 1, 2)
        self.model6 = block(512, 512, 3, 1, 2)
        self.model7 = block(512, 512, 3)
        self.model8 = nn.Sequential(nn.ConvTranspose2d(512, 256, 4, 2, 1), nn.ReLU(True),
                                    nn.Conv2d(256, 256, 3, 1, 1), nn.ReLU(True),
                                    nn.Conv2d(256, 256, 3, 1, 1), nn.ReLU(True),
                                    nn.Conv2d(256, 313, 1))
        self.model_out = nn.Conv2d(313, 2, 1, bias=False)

    def forward(self, l):
        h = (l - 50) / 100
        for m in (self.model1, self.model2, self.model3, self.model4, self.model5, self.model6, self.model7, self.model8):
            h = m(h)
        ab = self.model_out(F.softmax(h, dim=1))
        return F.interpolate(ab, scale_factor=4, mode="bilinear", align_corners=False) * 110


def eccv16():
    net = Eccv16().eval()
    return net, (1, 1)


def time_forward(fn, shape, runs):
    x = torch.rand(*shape) * (100 if fn.__class__ is Eccv16 else 1)
    times = []
    with torch.no_grad():
        fn(x)
        for _ in range(runs):
            t = time.perf_counter()
            fn(x)
            times.append((time.perf_counter() - t) * 1000)
    return times


def time_unet_step(size, runs):
    torch.manual_seed(0)
    net = UNet(out_channels=6, width=32)
    opt = torch.optim.Adam(net.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8)
    inp, processed = torch.rand(1, 3, size, size), torch.rand(1, 3, size, size)

    def step():
        opt.zero_grad()
        loss = irt_loss(net(inp), inp, processed)
        loss.backward()
        opt.step()

    step()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        step()
        times.append((time.perf_counter() - t) * 1000)
    return times


def torch_times(model, size, runs):
    if model == "unet":
        return time_unet_step(size, runs)
    fn, (n, c) = dncnn_b() if model == "dncnn" else eccv16()
    return time_forward(fn, (n, c, size, size), runs)


# Above this, glibc serves an allocation by mmap and returns it to the system when freed, so the
# next one faults its pages in again; 1 GB keeps every activation on the heap, reused.
STEADY_MALLOC = {"MALLOC_MMAP_THRESHOLD_": str(1 << 30), "MALLOC_TRIM_THRESHOLD_": str(1 << 34)}


def torch_times_in_child(model, size, runs, threads, steady):
    """One round of PyTorch in a fresh interpreter, so the allocator setting (read at start) applies."""
    env = dict(os.environ, **STEADY_MALLOC) if steady else {k: v for k, v in os.environ.items() if k not in STEADY_MALLOC}
    r = subprocess.run([sys.executable, os.path.abspath(__file__), "--torch-child", model, "--size", str(size),
                        "--runs", str(runs), "--threads", str(threads)], capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f"PyTorch run failed: {r.stderr.strip()}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def reel_times(model, size, runs, threads):
    # .NET's Environment.ProcessorCount, which sizes Reel's parallel loops: --threads 1 compared 1-thread PyTorch with Reel on every core.
    r = subprocess.run(["dotnet", REEL, "bench", "--model", model, "--size", f"{size}x{size}", "--runs", str(runs),
                        "--warmup", "2", "--json"], capture_output=True, text=True, env=dict(os.environ, DOTNET_PROCESSOR_COUNT=str(threads)))
    if r.returncode != 0:
        sys.exit(f"reel bench failed: {r.stderr.strip()}")
    result = json.loads(r.stdout.strip().splitlines()[-1])
    if result["threads"] != threads:
        sys.exit(f"reel bench ran on {result['threads']} threads, not the {threads} PyTorch has")
    return result["times_ms"], result


def load():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--models", default="dncnn,colorizer,unet")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--torch-child", metavar="MODEL", help=argparse.SUPPRESS)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.torch_child:
        print(json.dumps(torch_times(args.torch_child, args.size, args.runs)))
        return
    print(f"PyTorch {torch.__version__} (mkldnn {torch.backends.mkldnn.is_available()}), {args.threads} threads; "
          f"Reel {REEL}; load before: {load()}")
    rows = []
    for model in args.models.split(","):
        t_all, s_all, r_all, loads, ratios, steady_ratios = [], [], [], [], [], []
        for _ in range(args.rounds):
            loads.append(os.getloadavg()[0])
            t = torch_times_in_child(model, args.size, args.runs, args.threads, steady=False)
            st = torch_times_in_child(model, args.size, args.runs, args.threads, steady=True)
            r, info = reel_times(model, args.size, args.runs, args.threads)
            t_all += t
            s_all += st
            r_all += r
            # Adjacent in time, so load from other processes hits both sides of this ratio alike.
            ratios.append(statistics.median(r) / statistics.median(t))
            steady_ratios.append(statistics.median(r) / statistics.median(st))
        tm, sm, rm = statistics.median(t_all), statistics.median(s_all), statistics.median(r_all)
        rows.append((model, tm, sm, rm, statistics.median(ratios), statistics.median(steady_ratios), min(loads), max(loads)))
        print(f"  {model}: torch {[round(t) for t in t_all]} torch* {[round(t) for t in s_all]} reel {[round(t) for t in r_all]} "
              f"per-round reel/torch {[round(x, 2) for x in ratios]} reel/torch* {[round(x, 2) for x in steady_ratios]}", flush=True)
    what = {"dncnn": "DnCNN-B gray fwd", "colorizer": "ECCV16 fwd", "unet": "U-Net train step"}
    print(f"\n{'model':<18} {'size':>9} {'torch ms':>9} {'torch* ms':>9} {'reel ms':>9} {'reel/torch':>10} {'reel/torch*':>11} {'load':>10}")
    for model, tm, sm, rm, ratio, steady_ratio, lo, hi in rows:
        print(f"{what.get(model, model):<18} {f'{args.size}x{args.size}':>9} {tm:9.1f} {sm:9.1f} {rm:9.1f} {ratio:10.2f} "
              f"{steady_ratio:11.2f} {lo:4.1f}–{hi:4.1f}")
    print("ms: medians of all timed runs; torch: PyTorch as installed; torch*: with glibc's mmap threshold at 1 GiB "
          "(activations reused, not faulted in anew); ratios: medians of the per-round ratios (each round times torch, "
          "torch* and reel back to back, so load drifting during the run hits all three); load: 1-minute load average "
          "at each round's start")
    print(f"load after: {load()}")


if __name__ == "__main__":
    main()
