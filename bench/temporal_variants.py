#!/usr/bin/env python3
"""Deep Video Prior variants side by side: the official recipes in PyTorch and Reel's, scored alike.

    bench/temporal_variants.py --clip goat|unimodal|chroma-unimodal|multimodal [--frames 40] [--size 428x240]
                               [--variants NAME ...] [--seed N] [--work DIR] [--threads 1] [--list]

Every variant trains on the clip, writes its frames, and is scored by bench/temporal_score.py
(warp error on the input's optical flow, its floor, CDC, colourfulness, detail, PSNR to the
processed frames) and, on the synthetic clips (bench/synthetic_flicker.py, made on demand), PSNR
to the truth. One table row per variant, with training seconds per frame; a JSON line per row
goes to DIR/results.jsonl so a table can be rebuilt without rerunning.

Variant names (see VARIANTS below): `torch-…` are PyTorch runs of the U-Net of specs/models.md
§3 with the recipe named, `reel-…` run `reel stabilize` (build first; chroma mode without its mode hold and chroma match
unless the name says `-hold`, `-match`, `-warm`); `…-oracle` train on the
truth (synthetic clips), a bound on what any recipe keeps at that size and length; `truth-chroma…`
train nothing (the truth's chroma at 1/scale and back), the ceiling the chroma's size alone sets.
The torch runs print, per epoch, what explains a wash-out: the share of pixels the main head wins,
the share of those decisions the lightness channel makes (chroma space), and the colourfulness of
both heads.

Recipes (specs/models.md §3):
  l1        one head, mean |O - P|, one Adam (dvp_video_consistency.py with --loss l1)
  irt-dvpc  dvp_video_consistency.py with IRT: one Adam on |O_main - P| + 0.9 |O_minor - P|,
            frame 0 only for the first 5 epochs, the confidence map never used
  irt-main  main_IRT.py: that loss and Adam for the 5 initialization epochs on frame 0, then a
            second, fresh Adam on the confidence-map loss over all frames
  irt-one   the confidence-map loss after initialization but one Adam throughout (Reel until now)
  cauchy    one head: mean |O - P| on frame 0 for 5 epochs, then the mode-seeking Cauchy loss
            mean log(1 + ((O - P)/c)^2) over all frames (-noinit: the Cauchy loss from the start)
Spaces: rgb (the processed RGB frames) or chroma (Reel's chroma mode: normalized Lab, L/100, a/256 (or a/ab)
and b/256, at 1/scale of the size; the output's a, b upsampled and joined with the
processed frame's own L).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from skimage import color

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, BENCH)
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
import synthetic_flicker  # noqa: E402
import temporal_score  # noqa: E402
from dvp_golden import UNet  # noqa: E402

GOAT = os.path.join(ROOT, "..", "shared", "data", "video")
REEL = os.path.join(ROOT, "cli", "bin", "Release", "net10.0", "reel.dll")
INIT_EPOCHS = 5


@dataclass(frozen=True)
class Torch:
    recipe: str = "l1"
    space: str = "chroma"
    scale: int = 2
    epochs: int = 25
    width: int = 32
    lr: float = 1e-4
    multiple: int = 32
    conf: str = "all"  # which channels decide the IRT confidence map: all, or ab (chroma only)
    cauchy: float = 0.03  # the scale c of the Cauchy loss log(1 + (e/c)^2)
    seed: int = 0
    ab: float = 256.0  # chroma space: a, b are coded as a/ab (the engine's 256); the resize clamps a/ab + ½ to [0, 1]
    lw: float = 1.0  # chroma space: the weight of the L channel in the L1 loss


@dataclass(frozen=True)
class Reel:
    args: tuple = ()
    # Train on the truth instead of the processed frames (synthetic clips): no flicker to remove, so
    # what the output lacks of the truth's colour is what the recipe cannot fit, a bound on every recipe.
    oracle: bool = False
    # Chroma mode's mode hold and chroma match (both on in reel since 2026-12-05): off unless a variant
    # asks, so the names measured before them keep their meaning. The hold gained its colour table for
    # pixels the flow loses later that day (docs/temporal.md): `-hold` rows before it used the plain hold.
    hold: bool = False
    match: bool = False
    # Chroma mode's warm-up on each shot's first frame, 10 epochs (reel's default from later that day
    # until 2026-12-06): off unless a variant asks. The warm-up rows in README ran with it on.
    warm: bool = False


@dataclass(frozen=True)
class Bound:
    """No training: the truth's own chroma taken to chroma space at 1/scale and back (synthetic
    clips). What a chroma-mode prior at that scale could keep at best, however well it fits."""
    scale: int = 4


VARIANTS = {
    # The ceilings the chroma size alone sets.
    "truth-chroma2": Bound(2),
    "truth-chroma3": Bound(3),
    "truth-chroma4": Bound(4),
    # The official recipes, RGB at the clip's size.
    "torch-rgb-irt-main-25": Torch("irt-main", "rgb", 1, 25),
    "torch-rgb-irt-dvpc-25": Torch("irt-dvpc", "rgb", 1, 25),
    "torch-rgb-irt-one-25": Torch("irt-one", "rgb", 1, 25),
    "torch-rgb-l1-25": Torch("l1", "rgb", 1, 25),
    # The same recipes in Reel's chroma space.
    "torch-chroma-irt-main-25": Torch("irt-main", "chroma", 2, 25),
    "torch-chroma-irt-dvpc-25": Torch("irt-dvpc", "chroma", 2, 25),
    "torch-chroma-irt-one-25": Torch("irt-one", "chroma", 2, 25),
    "torch-chroma-irt-one-ab-25": Torch("irt-one", "chroma", 2, 25, conf="ab"),
    "torch-chroma-l1-25": Torch("l1", "chroma", 2, 25),
    "torch-chroma4-l1-25": Torch("l1", "chroma", 4, 25, multiple=16),
    "torch-chroma4-irt-one-25": Torch("irt-one", "chroma", 4, 25, multiple=16),
    "torch-chroma4-irt-main-25": Torch("irt-main", "chroma", 4, 25, multiple=16),
    "torch-chroma4-irt-dvpc-25": Torch("irt-dvpc", "chroma", 4, 25, multiple=16),
    "torch-chroma4-cauchy-25": Torch("cauchy", "chroma", 4, 25, multiple=16),
    "torch-chroma4-cauchy-noinit-25": Torch("cauchy-noinit", "chroma", 4, 25, multiple=16),
    "torch-chroma4-irt-one-ab-25": Torch("irt-one", "chroma", 4, 25, multiple=16, conf="ab"),
    # Whether the colour's spatial structure is learned faster with a larger step.
    "torch-chroma4-l1-25-lr3e-4": Torch("l1", "chroma", 4, 25, multiple=16, lr=3e-4),
    # Whether the chroma's small amplitude in the net's space (a/256) or the L channel's share of
    # the loss is what keeps the colour's amplitude from being learned.
    "torch-chroma4-l1-25-ab128": Torch("l1", "chroma", 4, 25, multiple=16, ab=128.0),
    "torch-chroma4-l1-25-ab512": Torch("l1", "chroma", 4, 25, multiple=16, ab=512.0),
    "torch-chroma4-l1-25-lw0": Torch("l1", "chroma", 4, 25, multiple=16, lw=0.0),
    # Reel as built.
    "reel-chroma-irt-50": Reel(("--mode", "chroma", "--chroma-scale", "2", "--epochs", "50", "--irt")),
    "reel-chroma-irt-25": Reel(("--mode", "chroma", "--chroma-scale", "2", "--epochs", "25", "--irt")),
    "reel-chroma-l1-25": Reel(("--mode", "chroma", "--chroma-scale", "2", "--epochs", "25", "--no-irt")),
    "reel-chroma4-l1-25": Reel(("--mode", "chroma", "--chroma-scale", "4", "--epochs", "25", "--no-irt")),
    "reel-chroma4-irt-25": Reel(("--mode", "chroma", "--chroma-scale", "4", "--epochs", "25", "--irt")),
    "reel-chroma4-l1-50": Reel(("--mode", "chroma", "--chroma-scale", "4", "--epochs", "50", "--no-irt")),
    # The targets' colour modes held along the input's motion first (reel's default now).
    "reel-chroma4-l1-25-hold": Reel(("--mode", "chroma", "--chroma-scale", "4", "--epochs", "25", "--no-irt"), hold=True),
    "reel-chroma4-l1-50-hold": Reel(("--mode", "chroma", "--chroma-scale", "4", "--epochs", "50", "--no-irt"), hold=True),
    "reel-chroma4-irt-25-hold": Reel(("--mode", "chroma", "--chroma-scale", "4", "--epochs", "25", "--irt"), hold=True),
    # And the shot's chroma matched to the targets' by one gain (their energy since 2026-12-06, their magnitude before).
    "reel-chroma4-l1-25-hold-match": Reel(("--mode", "chroma", "--chroma-scale", "4", "--epochs", "25", "--no-irt"), hold=True, match=True),
    # A third of the size: (4/3)² the chroma/4 net's pixels, still under a quarter of chroma/2 at 50 epochs.
    "reel-chroma3-l1-25-hold-match": Reel(("--mode", "chroma", "--chroma-scale", "3", "--epochs", "25", "--no-irt"), hold=True, match=True),
    "reel-chroma3-l1-28-hold-match": Reel(("--mode", "chroma", "--chroma-scale", "3", "--epochs", "28", "--no-irt"), hold=True, match=True),
    "reel-chroma3-l1-25-hold-match-lr2e-4": Reel(("--mode", "chroma", "--chroma-scale", "3", "--epochs", "25", "--no-irt", "--learning-rate", "2e-4"),
                                                  hold=True, match=True),
    # What the fit alone loses at chroma/3 once matched: trained on the truth, no flicker to hold.
    "reel-chroma3-l1-25-oracle-match": Reel(("--mode", "chroma", "--chroma-scale", "3", "--epochs", "25", "--no-irt"), oracle=True, match=True),
    "reel-chroma4-l1-35-hold-match": Reel(("--mode", "chroma", "--chroma-scale", "4", "--epochs", "35", "--no-irt"), hold=True, match=True),
    # Whether held targets, having no modes left to average, take a larger step without losing colour.
    "reel-chroma4-l1-25-hold-match-lr3e-4": Reel(("--mode", "chroma", "--chroma-scale", "4", "--epochs", "25", "--no-irt", "--learning-rate", "3e-4"),
                                                 hold=True, match=True),
    # And its first 10 epochs on each shot's first frame alone at 5e-4 (reel's default now).
    "reel-chroma4-l1-25-hold-match-warm": Reel(("--mode", "chroma", "--chroma-scale", "4", "--epochs", "25", "--no-irt"), hold=True, match=True, warm=True),
    # The same at a third of the size: (4/3)² the pixels, within #19's quarter of the old default's compute.
    "reel-chroma3-l1-25-hold-match-warm": Reel(("--mode", "chroma", "--chroma-scale", "3", "--epochs", "25", "--no-irt"), hold=True, match=True, warm=True),
    "reel-chroma4-l1-25-hold-match-lr1e-3": Reel(("--mode", "chroma", "--chroma-scale", "4", "--epochs", "25", "--no-irt", "--learning-rate", "1e-3"),
                                                 hold=True, match=True),
    "reel-chroma4-l1-25-oracle": Reel(("--mode", "chroma", "--chroma-scale", "4", "--epochs", "25", "--no-irt"), oracle=True),
    "reel-chroma4-l1-50-oracle": Reel(("--mode", "chroma", "--chroma-scale", "4", "--epochs", "50", "--no-irt"), oracle=True),
    # Whether a larger step fits the colour's amplitude sooner (the oracle keeps 0.55-0.72 at 1e-4).
    "reel-chroma4-l1-25-oracle-lr3e-4": Reel(("--mode", "chroma", "--chroma-scale", "4", "--epochs", "25", "--no-irt", "--learning-rate", "3e-4"), oracle=True),
    "reel-chroma4-l1-25-oracle-lr1e-3": Reel(("--mode", "chroma", "--chroma-scale", "4", "--epochs", "25", "--no-irt", "--learning-rate", "1e-3"), oracle=True),
    "reel-chroma4-l1-25-lr3e-4": Reel(("--mode", "chroma", "--chroma-scale", "4", "--epochs", "25", "--no-irt", "--learning-rate", "3e-4")),
    "reel-chroma4-irt-25-lr3e-4": Reel(("--mode", "chroma", "--chroma-scale", "4", "--epochs", "25", "--irt", "--learning-rate", "3e-4")),
    "reel-chroma4-irt-25-lr1e-3": Reel(("--mode", "chroma", "--chroma-scale", "4", "--epochs", "25", "--irt", "--learning-rate", "1e-3")),
    # A quarter of the default's training compute per frame (chroma/2, 50 epochs: 45 over every
    # frame after IRT's 5 on frame 0), three ways: a quarter of the pixels; 4/5 of the epochs at a
    # quarter of the pixels (30 epochs in all); a quarter of the epochs over every frame (16 in all).
    "reel-chroma4-irt-50": Reel(("--mode", "chroma", "--chroma-scale", "4", "--epochs", "50", "--irt")),
    "reel-chroma-irt-c2f-30": Reel(("--mode", "chroma", "--chroma-scale", "2", "--epochs", "30", "--coarse-to-fine", "--irt")),
    "reel-chroma-irt-16": Reel(("--mode", "chroma", "--chroma-scale", "2", "--epochs", "16", "--irt")),
    "reel-rgb-irt-25": Reel(("--mode", "rgb", "--epochs", "25")),
    "reel-rgb-l1-25": Reel(("--mode", "rgb", "--epochs", "25", "--no-irt")),
    # The flow-guided stage (no training), for comparison.
    "reel-flow-chroma": Reel(("--mode", "chroma", "--temporal", "flow")),
    "reel-flow-rgb": Reel(("--mode", "rgb", "--temporal", "flow")),
}


# ---------------------------------------------------------------- clips

def clip_folders(clip, work, frames, size):
    """(input, processed, truth or None) folders of the clip at the asked size and length."""
    w, h = size
    if clip == "goat":
        src_in, src_pr = (os.path.join(GOAT, f"goat-colorization-{k}") for k in ("input", "processed"))
        dst = os.path.join(work, f"goat-{frames}-{w}x{h}")
        if not os.path.isdir(dst):
            for src, key in ((src_in, "input"), (src_pr, "processed")):
                if not os.path.isdir(src):
                    sys.exit(f"temporal_variants: the goat clip is missing: {src}")
                os.makedirs(os.path.join(dst, key))
                for n in sorted(os.listdir(src))[:frames]:
                    img = Image.open(os.path.join(src, n)).convert("RGB")
                    if img.size != (w, h):
                        img = img.resize((w, h), Image.BICUBIC)
                    img.save(os.path.join(dst, key, os.path.splitext(n)[0] + ".png"))
        return os.path.join(dst, "input"), os.path.join(dst, "processed"), None
    dst = os.path.join(work, f"synthetic-{frames}-{w}x{h}")
    if not os.path.isdir(os.path.join(dst, clip)):
        synthetic_flicker.make(dst, frames, w, h, seed=0)
    return os.path.join(dst, "input"), os.path.join(dst, clip), os.path.join(dst, "truth")


def read(folder):
    return [np.asarray(Image.open(os.path.join(folder, n)).convert("RGB"), dtype=np.float32) / 255.0
            for n in sorted(os.listdir(folder))]


def write(folder, frames):
    os.makedirs(folder)
    for t, f in enumerate(frames):
        Image.fromarray((np.clip(f, 0, 1) * 255.0 + 0.5).astype(np.uint8)).save(os.path.join(folder, f"{t:05d}.png"))


# ---------------------------------------------------------------- PyTorch runs

def resize_planes(x, h, w):
    """PIL bicubic per plane (as the engine's Resample.Bicubic), clamped to [0, 1]."""
    planes = [np.asarray(Image.fromarray(x[..., c]).resize((w, h), Image.BICUBIC)) for c in range(x.shape[2])]
    return np.clip(np.stack(planes, axis=2), 0, 1)


def to_space(rgb, v):
    if v.space == "rgb":
        return rgb
    lab = color.rgb2lab(rgb).astype(np.float32)
    # Offset by ½ for the resize, which clamps to [0, 1], then centred on 0 as the engine does.
    norm = np.stack([lab[..., 0] / 100.0, lab[..., 1] / v.ab + 0.5, lab[..., 2] / v.ab + 0.5], axis=2)
    h, w = rgb.shape[:2]
    if v.scale != 1:
        norm = resize_planes(norm, max(1, h // v.scale), max(1, w // v.scale))
    return norm - np.array([0.0, 0.5, 0.5], dtype=np.float32)


def from_space(out, processed_rgb, v):
    """The net's 3 channels (H, W, 3) back to an RGB frame of the processed frame's size."""
    if v.space == "rgb":
        return np.clip(out, 0, 1)
    h, w = processed_rgb.shape[:2]
    ab = torch.from_numpy(np.ascontiguousarray(out[..., 1:] * v.ab).transpose(2, 0, 1))[None]
    ab = F.interpolate(ab, size=(h, w), mode="bilinear", align_corners=False)[0].numpy().transpose(1, 2, 0)
    lab = color.rgb2lab(processed_rgb)
    lab[..., 1:] = ab
    return np.clip(color.lab2rgb(lab), 0, 1)


def tensor(x, multiple):
    """(H, W, 3) → reflect-padded (1, 3, H', W') and the valid size."""
    t = torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))[None].float()
    h, w = t.shape[2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph or pw:
        t = F.pad(t, (0, pw, 0, ph), mode="reflect") if ph < h and pw < w else F.pad(t, (0, pw, 0, ph), mode="replicate")
    return t, h, w


def colorfulness(frames):
    return temporal_score.colorfulness([f.astype(np.float64) for f in frames])


def run_torch(v, inputs, processed, log):
    torch.manual_seed(v.seed)
    heads = 6 if v.recipe.startswith("irt") else 3
    net = UNet(heads, v.width)
    for m in net.modules():
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.xavier_normal_(m.weight)
            if m.bias is not None:
                torch.nn.init.zeros_(m.bias)
    xs = [tensor(to_space(f, v), v.multiple) for f in inputs]
    ps = [tensor(to_space(f, v), v.multiple)[0] for f in processed]
    opt = torch.optim.Adam(net.parameters(), lr=v.lr)
    opt_irt = torch.optim.Adam(net.parameters(), lr=v.lr) if v.recipe == "irt-main" else opt
    probe = sorted({0, len(inputs) // 4, len(inputs) // 2, 3 * len(inputs) // 4})
    # Where the processed colours flicker: the top quarter of the pixels by the temporal spread of
    # the target's channels 1-2 (a, b in chroma space; G, B in RGB), and the steady bottom quarter.
    (_, h0, w0), spread = xs[0], torch.stack([p[0, 1:, :xs[0][1], :xs[0][2]] for p in ps]).std(dim=0).amax(dim=0)
    changing, steady = spread >= spread.quantile(0.75), spread <= spread.quantile(0.25)
    lw = torch.tensor([v.lw, 1.0, 1.0]).view(1, 3, 1, 1)
    clock = time.time()
    for epoch in range(1, v.epochs + 1):
        init = v.recipe not in ("l1", "cauchy-noinit") and epoch <= INIT_EPOCHS
        wins = lightness = pixels = 0.0
        win_map = torch.zeros(h0, w0)
        for t in range(len(inputs)):
            (x, h, w), p = xs[0 if init else t], ps[0 if init else t]
            out = net(x)[:, :, :h, :w]
            x, p = x[:, :, :h, :w], p[:, :, :h, :w]
            main = out[:, :3]
            if v.recipe == "l1" or (init and v.recipe == "cauchy"):
                loss = ((main - p).abs() * lw).mean()
            elif v.recipe.startswith("cauchy"):
                loss = torch.log1p(((main - p) / v.cauchy) ** 2).mean()
            else:
                minor = out[:, 3:]
                total = (main - p).abs().mean() + 0.9 * (minor - p).abs().mean()
                ch = slice(1, 3) if v.conf == "ab" else slice(0, 3)
                d_main, arg = torch.max(((main - p).abs() / (x + 0.1))[:, ch], dim=1, keepdim=True)
                d_minor, _ = torch.max(((minor - p).abs() / (x + 0.1))[:, ch], dim=1, keepdim=True)
                conf = torch.lt(d_main, d_minor).float().repeat(1, 3, 1, 1)
                wins += conf[:, 0].sum().item()
                if not init and conf.shape[2:] == win_map.shape:
                    win_map += conf[0, 0]
                lightness += ((arg == 0) & (ch.start == 0)).float().sum().item()
                pixels += conf[:, 0].numel()
                if init or v.recipe == "irt-dvpc":
                    loss = total
                else:
                    loss = (main - p).abs().mul(conf).mean() + (minor - p).abs().mul(1 - conf).mean()
            (opt if init or v.recipe != "irt-main" else opt_irt).zero_grad()
            loss.backward()
            (opt if init or v.recipe != "irt-main" else opt_irt).step()
        if epoch % 5 == 0 or epoch == v.epochs:
            line = f"  epoch {epoch:2d} loss {loss.item():.4f}"
            if heads == 6:
                with torch.no_grad():
                    outs = [net(xs[t][0])[0, :, :xs[t][1], :xs[t][2]].numpy().transpose(1, 2, 0) for t in probe]
                c_main = colorfulness([from_space(o[..., :3], processed[t], v) for o, t in zip(outs, probe)])
                c_minor = colorfulness([from_space(o[..., 3:], processed[t], v) for o, t in zip(outs, probe)])
                line += f" main wins {wins / pixels:.2f}, by L {lightness / pixels:.2f}; colourfulness main {c_main:.1f} minor {c_minor:.1f}"
                if not init:
                    line += (f"; main wins where colours flicker {win_map[changing].mean().item() / len(inputs):.2f},"
                             f" where steady {win_map[steady].mean().item() / len(inputs):.2f}")
            log(line)
    seconds = time.time() - clock
    with torch.no_grad():
        outs = [from_space(net(x)[0, :3, :h, :w].numpy().transpose(1, 2, 0), processed[t], v) for t, (x, h, w) in enumerate(xs)]
    return outs, seconds


# ---------------------------------------------------------------- Reel runs

def run_reel(v, in_dir, pr_dir, out_dir, threads, reel):
    if not os.path.isfile(reel):
        sys.exit(f"temporal_variants: build reel first ({reel} is missing)")
    env = dict(os.environ, DOTNET_PROCESSOR_COUNT=str(threads)) if threads else None
    cmd = ["dotnet", reel, "stabilize", "--input", in_dir, "--processed", pr_dir, "--output", out_dir, "--no-progress", "--no-shots", *v.args]
    if "chroma" in v.args and "flow" not in v.args:
        cmd += ([] if v.hold else ["--no-mode-hold"]) + ([] if v.match else ["--no-chroma-match"]) + ["--warm-epochs", "10" if v.warm else "0"]
    elapsed = None
    with subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=env) as p:
        for line in p.stderr:
            print("  " + line.rstrip(), flush=True)
            # The training time alone, as reel reports it after the last epoch (start-up and writing excluded).
            if " elapsed " in line:
                h, m, sec = (int(x) for x in line.split(" elapsed ")[1].split()[0].rstrip(",").split(":"))
                elapsed = 3600 * h + 60 * m + sec
    if p.returncode != 0 or elapsed is None:
        sys.exit(f"temporal_variants: reel failed (exit {p.returncode})")
    return elapsed


# ---------------------------------------------------------------- table

COLUMNS = "| variant | warp error | ÷ floor | CDC | colourfulness % | detail % | PSNR processed dB | PSNR truth dB (processed) | s/frame |"


def row(name, s, base, truth_psnr, base_truth, per_frame):
    truth = "—" if truth_psnr is None else f"{truth_psnr:.2f} ({base_truth:.2f})"
    return (f"| {name} | {s['warp_error']:.4f} | {s['warp_error'] / s['warp_floor']:.2f} | {s['cdc']:.5f} | "
            f"{100 * s['colorfulness'] / base['colorfulness']:.0f} | {100 * s['detail'] / base['detail']:.1f} | "
            f"{s['psnr_processed']:.2f} | {truth} | {per_frame:.2f} |")


def score(in_dir, out_dir, pr_dir):
    inputs, outputs = temporal_score.load_frames(in_dir, 0), temporal_score.load_frames(out_dir, 0)
    maps = temporal_score.warp_maps(inputs)
    s = {"warp_error": temporal_score.warp_error(outputs, maps), "warp_floor": temporal_score.warp_error(inputs, maps),
         "cdc": temporal_score.cdc(outputs), "colorfulness": temporal_score.colorfulness(outputs),
         "detail": temporal_score.detail(outputs, inputs)}
    s["psnr_processed"] = temporal_score.psnr(outputs, temporal_score.load_frames(pr_dir, 0)) if pr_dir != out_dir else float("inf")
    return s


def chroma_vs_truth(out_frames, truth_frames, floor=15.0):
    """Where the truth has colour (|a, b| > floor): the output's chroma over the truth's, as a
    complex ratio per pixel. Its median magnitude says how much of the colour's amplitude was kept
    (the modes' mean on the multimodal clip keeps cos 60° = 0.5); the share of pixels turned by more
    than 30° of hue says how many show one of the two modes (±60°) rather than their mean (0°)."""
    amplitude, turned = [], []
    for o, t in zip(out_frames, truth_frames):
        lo, lt = color.rgb2lab(o), color.rgb2lab(t)
        zt, zo = lt[..., 1] + 1j * lt[..., 2], lo[..., 1] + 1j * lo[..., 2]
        m = np.abs(zt) > floor
        r = zo[m] / zt[m]
        amplitude.append(np.abs(r))
        turned.append(np.abs(np.angle(r)) > np.deg2rad(30))
    return float(np.median(np.concatenate(amplitude))), float(np.mean(np.concatenate(turned)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", default="goat", choices=("goat", "unimodal", "chroma-unimodal", "multimodal"))
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--size", default="", help="WxH (goat: 428x240, synthetic: 228x120)")
    ap.add_argument("--variants", nargs="*", default=[])
    ap.add_argument("--epochs", type=int, default=0, help="override every variant's epochs")
    ap.add_argument("--seed", type=int, default=0, help="every variant's seed (PyTorch's, reel's --seed)")
    ap.add_argument("--work", default=os.path.join("/tmp", "reel-temporal-variants"))
    ap.add_argument("--threads", type=int, default=1, help="torch threads; reel's DOTNET_PROCESSOR_COUNT (0: all)")
    ap.add_argument("--reel", default=REEL, help="the reel.dll to run (a copy keeps a rebuild from replacing it mid-run)")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    if a.list:
        for k, v in VARIANTS.items():
            print(k, v)
        return
    unknown = [n for n in a.variants if n not in VARIANTS]
    if unknown:
        sys.exit(f"temporal_variants: unknown variant(s) {unknown}; --list shows them")
    # Refused before any frame is read or scored: only the synthetic clips have a truth.
    truthful = [n for n in a.variants if isinstance(VARIANTS[n], Bound) or (isinstance(VARIANTS[n], Reel) and VARIANTS[n].oracle)]
    if truthful and a.clip == "goat":
        sys.exit(f"temporal_variants: {', '.join(truthful)} need(s) the truth, which only the synthetic clips have")
    size = tuple(int(x) for x in (a.size or ("428x240" if a.clip == "goat" else "228x120")).split("x"))
    torch.set_num_threads(max(1, a.threads))
    os.makedirs(a.work, exist_ok=True)
    in_dir, pr_dir, truth_dir = clip_folders(a.clip, a.work, a.frames, size)
    truth = read(truth_dir) if truth_dir else None
    base = score(in_dir, pr_dir, pr_dir)
    base_truth = temporal_score.psnr(read(pr_dir), truth) if truth else None
    print(f"{a.clip}, {a.frames} frames {size[0]}x{size[1]}; processed: warp {base['warp_error']:.4f}, floor "
          f"{base['warp_floor']:.4f}, CDC {base['cdc']:.5f}, colourfulness {base['colorfulness']:.1f}, detail {base['detail']:.3f}", flush=True)
    rows = []
    for name in a.variants:
        v = VARIANTS[name]
        if a.epochs:
            v = replace(v, epochs=a.epochs) if isinstance(v, Torch) else v
        # A bound trains nothing, so it has no seed.
        seeded = a.seed and not isinstance(v, Bound)
        if seeded:
            v = replace(v, seed=a.seed) if isinstance(v, Torch) else replace(v, args=v.args + ("--seed", str(a.seed)))
        tag = name + (f"@{a.epochs}" if a.epochs and isinstance(v, Torch) else "") + (f"-seed{a.seed}" if seeded else "")
        out_dir = os.path.join(a.work, f"{a.clip}-{a.frames}-{size[0]}x{size[1]}-{tag}")
        shutil.rmtree(out_dir, ignore_errors=True)
        print(f"{tag}:", flush=True)
        if isinstance(v, Torch):
            outs, seconds = run_torch(v, read(in_dir), read(pr_dir), lambda s: print(s, flush=True))
            write(out_dir, outs)
        elif isinstance(v, Bound):
            chroma = Torch(space="chroma", scale=v.scale)
            # Joined with the truth's own L, so only the chroma's size is measured (the unimodal clip's processed L wobbles).
            write(out_dir, [from_space(to_space(t, chroma), t, chroma) for t in truth])
            seconds = 0.0
        else:
            seconds = run_reel(v, in_dir, truth_dir if v.oracle else pr_dir, out_dir, a.threads, a.reel)
        s = score(in_dir, out_dir, pr_dir)
        t_psnr = amplitude = turned = None
        if truth:
            written = read(out_dir)
            t_psnr = temporal_score.psnr(written, truth)
            amplitude, turned = chroma_vs_truth(written, truth)
        rows.append(row(tag, s, base, t_psnr, base_truth, seconds / a.frames))
        with open(os.path.join(a.work, "results.jsonl"), "a") as f:
            f.write(json.dumps({"clip": a.clip, "frames": a.frames, "size": size, "variant": tag, "score": s, "base": base,
                                "psnr_truth": t_psnr, "psnr_truth_processed": base_truth, "seconds": seconds,
                                "chroma_amplitude": amplitude, "hue_turned": turned}) + "\n")
        print(rows[-1], flush=True)
        if truth:
            print(f"  chroma against the truth's: amplitude kept {amplitude:.2f} (median), hue turned > 30° at {100 * turned:.0f}% of the coloured pixels", flush=True)
    print(COLUMNS)
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
