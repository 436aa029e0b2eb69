"""Model parity for the device check (bench/gpu/device.sh).

  parity.py prepare --work DIR --centres pts_in_hull.csv --dncnn HxW --colorizer S --unet HxW --real DIR [--real-size N]
      seeded random weights (nets.write_weights) and inputs: dncnn_x.npy, colorizer_l.npy,
      unet_x.npy, unet_p.npy (a processed frame for the training step); and from --real, a trained
      network on a real image: dncnn25.pth (KAIR's DnCNN-25 gray) and dncnn25_x.npy (Set12's 01.png,
      given as 256×256 raw gray bytes in set12_01.u8, its top-left N×N with --real-size, with seeded
      noise of σ = 25). A random DnCNN-B's
      error in TF32 or bf16 depends on its seed (on the emulated cuDNN 5e-4 to 3.5e-3 in TF32, 4e-3 to
      2.2e-2 in bf16) and straddles issue 17's targets; the trained one's is the film's case.
  parity.py compare --work DIR --device cuda|cpu
      every reel_<model>_<tag>.npy that `reel infer` wrote into DIR, and PyTorch's own forward on
      --device in fp32, TF32 and bf16 (autocast, channels-last), against a float64 reference
      (on --device); then one prior training step (IRT loss, backward, Adam) against float64 (loss,
      gradients, weights' change): PyTorch's at each precision and every reel_step_<tag>.safetensors
      that `reel infer --train-step` wrote. Last line: one JSON object.
The error is the relative L2 norm ‖a − e‖ / ‖e‖; NaN anywhere is reported as null and fails.
"""
import argparse
import contextlib
import glob
import json
import os
import shutil

import numpy as np
import torch

import nets

KINDS = {"dncnn": "dncnn_x.npy", "dncnn25": "dncnn25_x.npy", "colorizer": "colorizer_l.npy", "unet": "unet_x.npy"}


def size(s):
    h, w = s.lower().split("x")
    return int(h), int(w)


def rel_l2(a, e):
    a, e = np.asarray(a, dtype=np.float64), np.asarray(e, dtype=np.float64)
    if a.shape != e.shape or not np.isfinite(a).all():
        return None
    n = np.linalg.norm(e)
    d = np.linalg.norm(a - e)
    return float(d / n) if n > 0 else float(d)


def prepare(a):
    os.makedirs(a.work, exist_ok=True)
    nets.write_weights(a.work, a.centres)
    gen = torch.Generator().manual_seed(7)
    h, w = size(a.dncnn)
    np.save(os.path.join(a.work, "dncnn_x.npy"), torch.rand(1, 1, h, w, generator=gen).numpy())
    np.save(os.path.join(a.work, "colorizer_l.npy"), (100 * torch.rand(1, 1, a.colorizer, a.colorizer, generator=gen)).numpy())
    h, w = size(a.unet)
    x = torch.rand(1, 3, h, w, generator=gen)
    np.save(os.path.join(a.work, "unet_x.npy"), x.numpy())
    np.save(os.path.join(a.work, "unet_p.npy"), (0.8 * x + 0.1 + 0.05 * torch.randn(x.shape, generator=gen)).clamp(0, 1).numpy())
    shutil.copyfile(os.path.join(a.real, "kair_dncnn_25.pth"), os.path.join(a.work, "dncnn25.pth"))
    clean = torch.from_numpy(np.fromfile(os.path.join(a.real, "set12_01.u8"), dtype=np.uint8).astype(np.float32) / 255).reshape(1, 1, 256, 256)
    clean = clean[:, :, :a.real_size, :a.real_size].contiguous()
    np.save(os.path.join(a.work, "dncnn25_x.npy"), (clean + 25 / 255 * torch.randn(clean.shape, generator=gen)).numpy())
    print(json.dumps({"prepared": sorted(os.listdir(a.work))}))


@contextlib.contextmanager
def precision(mode, device):
    """fp32: no TF32 anywhere; tf32: TF32 for convolutions and matrix products; bf16: autocast to bfloat16."""
    old = (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = mode == "tf32"
    try:
        if mode == "bf16":
            with torch.autocast(device_type=device, dtype=torch.bfloat16):
                yield
        else:
            yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = old


def layout(t, mode):
    return t.contiguous(memory_format=torch.channels_last) if mode == "bf16" else t


def forward_rows(a, dev):
    rows = []
    for kind, name in KINDS.items():
        x = torch.from_numpy(np.load(os.path.join(a.work, name)))
        net = nets.load(kind, a.work)
        with torch.no_grad():
            ref = nets.run(kind, net.double().to(dev), x.double().to(dev)).cpu().numpy()
            net = net.float()
            for mode in a.precisions:
                m = net.to(dev, memory_format=torch.channels_last) if mode == "bf16" else net.to(dev)
                with precision(mode, dev.type):
                    y = nets.run(kind, m, layout(x.to(dev), mode)).float().cpu().numpy()
                rows.append({"model": kind, "engine": "torch", "device": dev.type, "precision": mode, "rel_l2": rel_l2(y, ref)})
        for path in sorted(glob.glob(os.path.join(a.work, f"reel_{kind}_*.npy"))):
            tag = os.path.basename(path)[len(f"reel_{kind}_"):-4]
            device, _, mode = tag.partition("-")
            rows.append({"model": kind, "engine": "reel", "device": device, "precision": mode or "fp32", "rel_l2": rel_l2(np.load(path), ref)})
    return rows


def step(net, x, p, dev, mode):
    """One prior training step (IRT loss, backward, Adam lr 1e-4): the loss, and every gradient and weight change by name."""
    before = {k: q.detach().clone() for k, q in net.named_parameters()}
    opt = torch.optim.Adam(net.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8)
    opt.zero_grad()
    with precision(mode, dev.type):
        out = net(layout(x, mode))
    loss = nets.irt_loss(out.float() if mode == "bf16" else out, x, p)
    loss.backward()
    grads = {k: q.grad.double().cpu().numpy() for k, q in net.named_parameters()}
    opt.step()
    change = {k: (q.detach() - before[k]).double().cpu().numpy() for k, q in net.named_parameters()}
    return loss.item(), grads, change


def flat(by_name):
    return np.concatenate([np.asarray(by_name[k], dtype=np.float64).ravel() for k in sorted(by_name)])


def read_safetensors(path):
    """name → float32 array (the little format: 8-byte header length, a JSON header, raw little-endian data)."""
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        assert v["dtype"] == "F32", (k, v["dtype"])
        a, b = v["data_offsets"]
        out[k] = np.frombuffer(data[a:b], dtype="<f4").reshape(v["shape"])
    return out


def step_row(engine, device, mode, loss, grads, change, ref):
    ref_loss, ref_grads, ref_change = ref
    if set(grads) != set(ref_grads):
        return {"model": "prior_step", "engine": engine, "device": device, "precision": mode, "rel_l2": None,
                "error": f"parameter names differ: {sorted(set(grads) ^ set(ref_grads))[:4]}"}
    return {"model": "prior_step", "engine": engine, "device": device, "precision": mode,
            "loss_rel": abs(loss - ref_loss) / abs(ref_loss) if np.isfinite(loss) else None,
            "rel_l2": rel_l2(flat(grads), flat(ref_grads)), "adam_change_rel_l2": rel_l2(flat(change), flat(ref_change))}


def training_rows(a, dev):
    """The gradients of one step (and Adam's change of the weights) against float64: PyTorch's at each precision, and Reel's from `reel infer --train-step`."""
    x = torch.from_numpy(np.load(os.path.join(a.work, "unet_x.npy"))).to(dev)
    p = torch.from_numpy(np.load(os.path.join(a.work, "unet_p.npy"))).to(dev)
    ref = step(nets.load("unet", a.work).double().to(dev), x.double(), p.double(), dev, "fp64")
    rows = []
    for mode in a.precisions:
        net = nets.load("unet", a.work).to(dev)
        if mode == "bf16":
            net = net.to(memory_format=torch.channels_last)
        rows.append(step_row("torch", dev.type, mode, *step(net, x, p, dev, mode), ref))
    initial = {k: v.double().numpy() for k, v in nets.load("unet", a.work).state_dict().items()}
    for path in sorted(glob.glob(os.path.join(a.work, "reel_step_*.safetensors"))):
        device, _, mode = os.path.basename(path)[len("reel_step_"):-len(".safetensors")].partition("-")
        t = read_safetensors(path)
        grads = {k[len("grad."):]: v for k, v in t.items() if k.startswith("grad.")}
        change = {k[len("weight."):]: v.astype(np.float64) - initial[k[len("weight."):]] for k, v in t.items() if k.startswith("weight.")}
        rows.append(step_row("reel", device, mode or "fp32", float(t["loss"][0]), grads, change, ref))
    return rows


def compare(a):
    a.precisions = nets.precisions(a)
    dev = torch.device(a.device)
    torch.manual_seed(0)
    rows = forward_rows(a, dev) + training_rows(a, dev)
    for r in rows:
        print(f"{r['model']:<11} {r['engine']:<6} {r['device']:<5} {r['precision']:<5} rel. L2 vs float64 "
              + ("NaN/shape mismatch" if r["rel_l2"] is None else f"{r['rel_l2']:.3g}"))
    print(json.dumps({"device": dev.type, "torch": torch.__version__,
                      "gpu": torch.cuda.get_device_name() if dev.type == "cuda" else None, "rows": rows}))
    return 0 if all(r["rel_l2"] is not None for r in rows) else 1


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--work", required=True)
    p.add_argument("--centres", required=True)
    p.add_argument("--dncnn", default="256x256")
    p.add_argument("--colorizer", type=int, default=256)
    p.add_argument("--unet", default="256x256")
    p.add_argument("--real", required=True, help="a folder with kair_dncnn_25.pth and set12_01.u8")
    # A CPU without AVX-512 runs the float64 reference and autocast bfloat16 convolutions slowly:
    # at 256² they took 30 s and 53 s of the dry run's parity stage on an AVX2 EPYC.
    p.add_argument("--real-size", type=int, default=256, choices=range(1, 257), metavar="N", help="the top-left N×N of the image (default all 256)")
    c = sub.add_parser("compare")
    c.add_argument("--work", required=True)
    c.add_argument("--device", default="cuda")
    nets.add_precisions(c, help="PyTorch's rows at these (the dry run's CPU PyTorch: fp32 only, its bfloat16 autocast being slow and unlike CUDA's)")
    a = ap.parse_args()
    return prepare(a) if a.cmd == "prepare" else compare(a)


if __name__ == "__main__":
    raise SystemExit(main() or 0)
