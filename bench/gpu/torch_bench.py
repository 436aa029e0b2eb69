"""PyTorch's side of the device check's throughput (bench/gpu/device.sh): the same three networks
as `reel bench` (DnCNN-B forward, ECCV16 forward, one prior training step), eager fp32 (no TF32),
eager TF32, bf16 autocast channels-last, and the bf16 forward replayed as a CUDA graph; then a large
device-to-device copy, the memory-bandwidth ceiling (bytes read + written over the time).
cuDNN's algorithms are timed (cudnn.benchmark), as Reel's plans time theirs: both sides run the
fastest algorithm cuDNN has for each shape on this GPU, the search falling in the warm-up.
On a GPU each run is timed with CUDA events around it; on the CPU (the dry run) with the host clock.
The median of --runs after --warmup is reported. Last line: one JSON object.
"""
import argparse
import json
import statistics
import time

import torch

import nets
from parity import precision, size


def timer(dev):
    if dev.type == "cuda":
        def timed(fn):
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            fn()
            b.record()
            b.synchronize()
            return a.elapsed_time(b)
    else:
        def timed(fn):
            t = time.perf_counter()
            fn()
            return (time.perf_counter() - t) * 1e3
    return timed


def median_ms(fn, dev, runs, warmup):
    timed = timer(dev)
    for _ in range(warmup):
        timed(fn)
    return statistics.median(timed(fn) for _ in range(runs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True, help="where parity.py prepare wrote the weights")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--dncnn", default="1080x1920")
    ap.add_argument("--colorizer", type=int, default=256)
    ap.add_argument("--unet", default="480x864")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--copy-mib", type=int, default=2048)
    nets.add_precisions(ap)
    a = ap.parse_args()
    a.precisions = nets.precisions(a)
    dev = torch.device(a.device)
    torch.backends.cudnn.benchmark = True
    gen = torch.Generator().manual_seed(11)
    rows = []
    h, w = size(a.dncnn)
    inputs = {"dncnn": torch.rand(1, 1, h, w, generator=gen), "colorizer": 100 * torch.rand(1, 1, a.colorizer, a.colorizer, generator=gen)}
    for kind, x in inputs.items():
        modes = a.precisions + (["bf16-graph"] if dev.type == "cuda" and "bf16" in a.precisions else [])
        for mode in modes:
            base = mode.split("-")[0]
            net = nets.load(kind, a.work).to(dev).eval()
            xd = x.to(dev)
            if base == "bf16":
                net = net.to(memory_format=torch.channels_last)
                xd = xd.contiguous(memory_format=torch.channels_last)

            def fwd():
                with torch.no_grad(), precision(base, dev.type):
                    return nets.run(kind, net, xd)
            try:
                if mode.endswith("graph"):
                    s = torch.cuda.Stream()
                    s.wait_stream(torch.cuda.current_stream())
                    with torch.cuda.stream(s):
                        for _ in range(3):
                            fwd()
                    torch.cuda.current_stream().wait_stream(s)
                    g = torch.cuda.CUDAGraph()
                    with torch.cuda.graph(g):
                        fwd()
                    ms = median_ms(g.replay, dev, a.runs, a.warmup)
                else:
                    ms = median_ms(fwd, dev, a.runs, a.warmup)
                rows.append({"model": kind, "size": f"{x.shape[2]}x{x.shape[3]}", "precision": mode, "median_ms": round(ms, 4)})
            except Exception as e:  # a mode this PyTorch cannot run is reported, the others still are
                rows.append({"model": kind, "size": f"{x.shape[2]}x{x.shape[3]}", "precision": mode, "median_ms": None, "error": str(e)[:200]})
            del net

    h, w = size(a.unet)
    x = torch.rand(1, 3, h, w, generator=gen).to(dev)
    p = (0.8 * x + 0.1).clamp(0, 1)
    for mode in a.precisions:
        net = nets.load("unet", a.work).to(dev)
        xd = x
        if mode == "bf16":
            net = net.to(memory_format=torch.channels_last)
            xd = x.contiguous(memory_format=torch.channels_last)
        opt = torch.optim.Adam(net.parameters(), lr=1e-4)

        def train_step():
            opt.zero_grad(set_to_none=True)
            with precision(mode, dev.type):
                out = net(xd)
            nets.irt_loss(out.float(), x, p).backward()
            opt.step()
        rows.append({"model": "unet_step", "size": f"{h}x{w}", "precision": mode, "median_ms": round(median_ms(train_step, dev, a.runs, a.warmup), 4)})
        del net, opt

    n = a.copy_mib * 1024 * 1024 // 4
    src = torch.rand(n, device=dev)
    dst = torch.empty_like(src)
    ms = median_ms(lambda: dst.copy_(src), dev, a.runs, a.warmup)
    copy = {"bytes": 2 * 4 * n, "median_ms": round(ms, 4), "gb_s": round(2 * 4 * n / ms / 1e6, 1)}
    for r in rows:
        print(f"{r['model']:<10} {r['size']:<10} {r['precision']:<10} " + (f"{r['median_ms']:.3f} ms" if r["median_ms"] else "failed: " + r.get("error", "")))
    print(f"copy {a.copy_mib} MiB device to device: {copy['median_ms']:.3f} ms, {copy['gb_s']} GB/s (read + write)")
    print(json.dumps({"device": dev.type, "torch": torch.__version__, "runs": a.runs, "warmup": a.warmup, "rows": rows, "copy": copy}))


if __name__ == "__main__":
    main()
