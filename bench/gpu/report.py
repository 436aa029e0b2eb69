"""The device check's bookkeeping (bench/gpu/device.sh), standard library only.

  report.py env REEL...            one JSON line: GPU, driver, CUDA runtime kind, the libraries Reel found
  report.py record STAGE STATUS SECONDS LOG   one JSON line for results.jsonl: the stage's key figures
  report.py table RESULTS.jsonl    the closing tables (markdown), from the recorded lines
  report.py curves LOSS.csv...     one JSON line: each loss curve's per-epoch means against the first's
A stage's figures come from the last JSON line its log holds (every command the script runs ends
with one), or, for the restore, from its `--progress json` lines.
"""
import json
import math
import re
import shutil
import subprocess
import sys


def last_json(text):
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{") or line.startswith("["):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return None


def sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def env(reel):
    smi = shutil.which("nvidia-smi")
    gpu = sh([smi, "--query-gpu=name,driver_version,memory.total,clocks.max.sm", "--format=csv,noheader"]) if smi else ""
    libs = last_json(sh(reel + ["kernels", "libraries", "--json"])) or {}
    found = {l["name"]: l["detail"] for l in libs.get("libraries", []) if l.get("found")}
    missing = [l["name"] for l in libs.get("libraries", []) if not l.get("found")]
    symbols = libs.get("symbols", [])
    print(json.dumps({"gpu": gpu or None, "runtime": "emulated" if not smi else "nvidia driver",
                      "libraries": found, "missing": missing,
                      "symbols_bound": sum(1 for s in symbols if s.get("exported")), "symbols": len(symbols),
                      "compute_sanitizer": shutil.which("compute-sanitizer")}))


def restore_figures(text):
    """Per-stage rates and the wall time from `reel restore --progress json` lines."""
    last, first_t, last_t = {}, None, None
    for line in text.splitlines():
        if not line.startswith("{"):
            continue
        try:
            j = json.loads(line)
        except ValueError:
            continue
        if "stage" not in j:
            continue
        last[j["stage"]] = j
        t = j.get("elapsed_s")
        if t is not None:
            first_t = t if first_t is None else first_t
            last_t = t
    frames = (last.get("encode") or {}).get("done")
    out = {"frames": frames, "elapsed_s": last_t,
           "stage_rate_fps": {k: v.get("rate") for k, v in last.items() if k in ("process", "stabilize", "encode")}}
    if frames and last_t:
        out["fps_end_to_end"] = round(frames / last_t, 3)
    m = re.search(r"device: (\w+)", text)
    out["device"] = m.group(1) if m else None
    m = re.search(r"gpu utilization: mean ([\d.]+)% over (\d+) samples.*up to (\d+) MiB", text)
    if m:
        out["gpu_busy_percent"], out["gpu_busy_samples"], out["gpu_memory_mib"] = float(m.group(1)), int(m.group(2)), int(m.group(3))
    return out


def figures(stage, text):
    if stage.startswith("restore"):
        return restore_figures(text)
    if stage.startswith("sanitizer"):
        m = re.search(r"ERROR SUMMARY: (\d+) error", text)
        return {"errors": int(m.group(1)) if m else None}
    j = last_json(text)
    if j is None:
        return {}
    if stage == "kernels":
        return {"kernels": len(j), "compiled": sum(1 for r in j if r.get("compiled")),
                "spilling": sum(1 for r in j if (r.get("spill_bytes") or 0) > 0),
                "max_registers": max((r.get("registers") or 0 for r in j), default=0)}
    if stage.startswith("selftest"):
        worst = max(j.get("cases", []), key=lambda c: (c.get("max_rel_err") or 0) / (c.get("tolerance") or 1), default={})
        return {"passed": j.get("passed"), "failed": j.get("failed"), "precision": j.get("precision"),
                "failed_cases": [c["name"] for c in j.get("cases", []) if not c.get("ok")],
                "tightest": worst.get("name"), "tightest_err": worst.get("max_rel_err"), "tightest_bound": worst.get("tolerance"),
                # How the convolutions took float operands (whole, TF32 rounded or truncated, bfloat16): cuDNN does not document TF32's.
                "operands": next((c.get("detail") for c in j.get("cases", []) if c.get("name") == "conv2d.operand_rounding"), None)}
    if stage.startswith("bench-reel"):
        # The memory-bound layers (no FLOPs counted: elementwise, pooling, resizes, Adam, the annealed mean),
        # longest first, with the GB/s of the least traffic they must move; device times only.
        layers = j.get("layers") or []
        memory = sorted((l for l in layers if not l.get("gflops") and l.get("gbps")), key=lambda l: -l["ms"])[:6]
        return {"model": j.get("model"), "size": j.get("size"), "median_ms": j.get("median_ms"), "device_median_ms": j.get("device_median_ms"),
                "restore_device_median_ms": j.get("restore_device_median_ms"),
                "memory_bound": [{"layer": l["name"], "input": l.get("input"), "ms": l["ms"], "gbps": l["gbps"]} for l in memory]
                if j.get("layers_on_device") else []}
    return j


def record(stage, status, seconds, log):
    with open(log, errors="replace") as f:
        text = f.read()
    row = {"stage": stage, "status": status, "seconds": float(seconds), **figures(stage, text)}
    if status != "ok":
        # What stopped it: reel's one-line error, else the log's last line.
        lines = [l.strip() for l in text.splitlines() if l.strip()]
        errors = [l for l in lines if l.startswith("reel: error:") or "Error" in l.split(":")[0]]
        row["error"] = ((errors or lines or ["(no output)"])[-1])[:300]
    print(json.dumps(row))


def fmt(v, digits=3):
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.{digits}g}"
    return str(v)


def summary(r):
    s = r["stage"]
    if r["status"] == "skipped":
        return r.get("why", "")
    if r["status"] != "ok" and not (r.get("passed") is not None or r.get("rows") or r.get("median_ms") or r.get("frames")):
        return r.get("error", "")[:160]
    if s == "env":
        return f"{r.get('gpu') or 'no GPU'}; found {', '.join(sorted(r.get('libraries', {})))}; {r.get('symbols_bound')}/{r.get('symbols')} bound symbols"
    if s == "kernels":
        return f"{r.get('compiled')}/{r.get('kernels')} compiled, {r.get('spilling')} spilling, ≤ {r.get('max_registers')} registers"
    if s.startswith("selftest"):
        return (f"{r.get('passed')} passed, {r.get('failed')} failed {r.get('failed_cases') or ''}; tightest {r.get('tightest')} "
                f"{fmt(r.get('tightest_err'))} (≤ {fmt(r.get('tightest_bound'))}); {r.get('operands') or 'operand rounding not seen'}")
    if s.startswith("bench-reel"):
        return (f"{r.get('model')} {r.get('size')}: device {fmt(r.get('restore_device_median_ms'), 4)} ms as a restore runs it, "
                f"{fmt(r.get('device_median_ms'), 4)} ms profiled op by op; host {fmt(r.get('median_ms'), 4)} ms")
    if s == "parity":
        bad = [x for x in r.get("rows", []) if x.get("rel_l2") is None]
        return f"{len(r.get('rows', []))} comparisons vs float64" + (f", {len(bad)} NaN/mismatch" if bad else "")
    if s == "bench-torch":
        return f"{len(r.get('rows', []))} timings; copy {fmt((r.get('copy') or {}).get('gb_s'), 4)} GB/s"
    if s.startswith("restore"):
        busy = (f"; GPU busy {fmt(r['gpu_busy_percent'])}% ({r['gpu_busy_samples']} samples), up to {r['gpu_memory_mib']} MiB"
                if r.get("gpu_busy_percent") is not None else "")
        return f"{r.get('frames')} frames in {fmt(r.get('elapsed_s'), 4)} s = {fmt(r.get('fps_end_to_end'))} fps; stage fps {r.get('stage_rate_fps')}{busy}"
    if s.startswith("sanitizer"):
        return f"{fmt(r.get('errors'))} errors"
    if s == "loss-curves":
        parts = [f"{c['run']}: {c.get('steps')} steps, final epoch mean {fmt((c.get('epoch_means') or [None])[-1], 4)}"
                 + (f", ≤ {100 * c['max_rel_gap']:.2g}% from {r.get('reference')} per epoch" if c.get("max_rel_gap") is not None else "")
                 for c in r.get("curves", [])]
        return "; ".join(parts)
    return ""


def reel_ms(r):
    """Reel's time for a bench row: the unprofiled run (graphs replayed), else the profiled one's device events, else the host clock."""
    return r.get("restore_device_median_ms") or r.get("device_median_ms") or r.get("median_ms")


def table(path):
    rows = [json.loads(l) for l in open(path) if l.strip()]
    print("| stage | status | s | result |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['stage']} | {r['status']} | {r['seconds']:.0f} | {summary(r)} |")

    parity = next((r for r in rows if r["stage"] == "parity" and r.get("rows")), None)
    if parity:
        print("\nrelative L2 vs float64 (same inputs, same random weights):\n")
        print("| model | engine | device | fp32 | tf32 | bf16 |")
        print("|---|---|---|---|---|---|")
        keys = sorted({(x["model"], x["engine"], x["device"]) for x in parity["rows"]}, key=lambda k: (k[0], k[1], k[2]))
        for k in keys:
            got = {x["precision"]: x["rel_l2"] for x in parity["rows"] if (x["model"], x["engine"], x["device"]) == k}
            print(f"| {k[0]} | {k[1]} | {k[2]} | {fmt(got.get('fp32'))} | {fmt(got.get('tf32'))} | {fmt(got.get('bf16'))} |")

    torch_rows = next((r.get("rows") for r in rows if r["stage"] == "bench-torch" and r.get("rows")), [])
    reel = [r for r in rows if r["stage"].startswith("bench-reel") and r.get("median_ms") is not None]
    if reel or torch_rows:
        print("\nthroughput, median ms (Reel: device events as a restore runs the net, graphs replayed; PyTorch: CUDA events, or the host clock on the CPU):\n")
        print("| network | precision | Reel | PyTorch | Reel / PyTorch |")
        print("|---|---|---|---|---|")
        names = {"dncnn": "dncnn", "colorizer": "colorizer", "unet": "unet_step"}
        for r in reel:
            prec = r["stage"].rsplit("-", 1)[-1]
            mine = reel_ms(r)
            theirs = next((t["median_ms"] for t in torch_rows if t["model"] == names.get(r.get("model")) and t["precision"] == prec), None)
            ratio = f"{mine / theirs:.2f}" if mine and theirs else "—"
            print(f"| {r.get('model')} {r.get('size')} | {prec} | {fmt(mine, 4)} | {fmt(theirs, 4)} | {ratio} |")
        for r in reel:
            if r.get("model") != "unet":
                continue
            ms = reel_ms(r)
            # Every frame takes one training step per epoch: 50 epochs bound a restore at 1000 / (50 · step) fps, whatever else runs.
            print(f"| restore bound by the prior, {r.get('size')}, 50 epochs | {r['stage'].rsplit('-', 1)[-1]} | ≤ {1000 / (50 * ms):.3g} fps | — | — |")
        for t in torch_rows:
            if t["precision"] == "bf16-graph":
                print(f"| {t['model']} {t['size']} | PyTorch bf16 channels-last, CUDA graph | — | {fmt(t['median_ms'], 4)} | — |")

    copy = next((r.get("copy") for r in rows if r["stage"] == "bench-torch" and r.get("copy")), None) or {}
    memory = [(r, l) for r in reel for l in r.get("memory_bound") or []]
    if memory:
        print("\nmemory-bound layers (device time per op; GB/s of the activations read and the output written once)"
              f" against the device-to-device copy's {fmt(copy.get('gb_s'), 4)} GB/s:\n")
        print("| network | precision | layer | input | ms | GB/s | % of copy |")
        print("|---|---|---|---|---|---|---|")
        for r, l in memory:
            share = f"{100 * l['gbps'] / copy['gb_s']:.0f}" if copy.get("gb_s") else "—"
            print(f"| {r.get('model')} {r.get('size')} | {r['stage'].rsplit('-', 1)[-1]} | {l['layer']} | {l.get('input') or ''} | {fmt(l['ms'], 3)} | {fmt(l['gbps'], 4)} | {share} |")


def curves(paths):
    """Per-epoch mean losses of each `reel stabilize --loss-log` file, and their largest relative gap to the first file's.
    Exits 1 when a log is missing or unreadable, or a curve is not comparable (no finite means, another length)."""
    runs = []
    for path in paths:
        epochs = {}
        try:
            with open(path) as f:
                next(f)
                for line in f:
                    shot, epoch, frame, loss = line.strip().split(",")
                    epochs.setdefault((int(shot), int(epoch)), []).append(float(loss))
        except (OSError, StopIteration, ValueError) as e:
            runs.append({"run": path.rsplit("/", 1)[-1], "error": str(e)[:200]})
            continue
        means = [sum(v) / len(v) for _, v in sorted(epochs.items())]
        # JSON has no NaN: a diverged epoch's mean is written as unknown.
        runs.append({"run": path.rsplit("/", 1)[-1].removeprefix("loss-").removesuffix(".csv"), "steps": sum(len(v) for v in epochs.values()),
                     "epoch_means": [round(m, 6) if math.isfinite(m) else None for m in means]})
    reference = runs[0].get("epoch_means") if runs else None
    comparable = bool(reference) and all(m is not None for m in reference)
    for r in runs[1:]:
        mine = r.get("epoch_means")
        if not (comparable and mine and len(mine) == len(reference)):
            comparable = False
            continue
        # A non-finite mean, or a reference of zeros, is no agreement.
        gaps = [abs(a - b) / abs(b) if b and a is not None else math.inf for a, b in zip(mine, reference)]
        gap = max(gaps)
        r["max_rel_gap"] = round(gap, 5) if math.isfinite(gap) else None
        r["within_5_percent"] = gap <= 0.05
    print(json.dumps({"reference": runs[0]["run"] if runs else None, "curves": runs}))
    if not comparable or any("error" in r for r in runs):
        sys.exit(1)


def main():
    cmd = sys.argv[1]
    if cmd == "env":
        env(sys.argv[2:])
    elif cmd == "record":
        record(*sys.argv[2:6])
    elif cmd == "table":
        table(sys.argv[2])
    elif cmd == "curves":
        curves(sys.argv[2:])
    else:
        raise SystemExit(f"unknown: {cmd}")


if __name__ == "__main__":
    main()
