#!/usr/bin/env python3
"""Synthetic flicker clips with a known truth, for judging the temporal stage.

    bench/synthetic_flicker.py --out DIR [--frames 40] [--size 228x120] [--seed 0]

The truth is the first frames of the real bike-packing clip (shared/data/video/bike-packing-input,
a colour video), resized. Writes five folders of PNG frames into DIR:

  input       the truth's lightness only (Lab a = b = 0): a black-and-white film
  truth       the colour frames themselves
  unimodal    every frame graded on its own, around the truth: a per-frame gain and shift of the
              chroma (as a frame-by-frame colorizer wobbles) and of the lightness (as a per-frame
              filter does). One mode: the truth is the centre of what the frames show.
  chroma-unimodal  the same chroma wobble, the lightness left as it is: what a per-frame
              colorizer does to a black-and-white film (its L is the film's), the flicker that
              chroma mode is for.
  multimodal  the hue of each of four colour groups (the truth's hue quadrant) turned by +60 or
              -60 degrees, drawn per frame and group, saturation kept: two equally likely modes,
              as a colorizer jumps between green and red. Their mean is the truth at half its
              chroma, so an average of the modes shows as lost colourfulness.

Colour conversion is skimage's sRGB/Lab (D65), as the engine's. Same seed, same clips.
"""
import argparse
import os
import sys

import numpy as np
from PIL import Image
from skimage import color

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(ROOT, "..", "shared", "data", "video", "bike-packing-input")
HUE_TURN = np.deg2rad(60.0)


def truth_frames(frames, width, height):
    if not os.path.isdir(SOURCE):
        sys.exit(f"synthetic_flicker: the source clip is missing: {SOURCE}")
    names = sorted(n for n in os.listdir(SOURCE) if n.endswith(".jpg"))[:frames]
    if len(names) < frames:
        sys.exit(f"synthetic_flicker: {SOURCE} has {len(names)} frames, {frames} asked")
    for n in names:
        img = Image.open(os.path.join(SOURCE, n)).convert("RGB").resize((width, height), Image.BICUBIC)
        yield np.asarray(img, dtype=np.float64) / 255.0


def to_rgb(lab):
    return np.clip(color.lab2rgb(lab), 0.0, 1.0)


def make(out, frames, width, height, seed):
    rng = np.random.default_rng(seed)
    folders = {k: os.path.join(out, k) for k in ("input", "truth", "unimodal", "chroma-unimodal", "multimodal")}
    for f in folders.values():
        os.makedirs(f, exist_ok=True)
    for t, rgb in enumerate(truth_frames(frames, width, height)):
        lab = color.rgb2lab(rgb)
        gray = lab.copy()
        gray[..., 1:] = 0.0

        uni = lab.copy()
        gain, da, db = 1 + 0.25 * rng.standard_normal(), 6 * rng.standard_normal(), 6 * rng.standard_normal()
        uni[..., 1] = lab[..., 1] * gain + da
        uni[..., 2] = lab[..., 2] * gain + db
        chroma_uni = uni.copy()
        chroma_uni[..., 0] = lab[..., 0]
        uni[..., 0] = np.clip(lab[..., 0] * (1 + 0.04 * rng.standard_normal()) + 2 * rng.standard_normal(), 0, 100)

        multi = lab.copy()
        hue = np.arctan2(lab[..., 2], lab[..., 1])
        group = np.floor((hue + np.pi) / (np.pi / 2)).astype(int).clip(0, 3)
        turn = np.where(rng.random(4) < 0.5, HUE_TURN, -HUE_TURN)[group]
        c, s = np.cos(turn), np.sin(turn)
        multi[..., 1] = c * lab[..., 1] - s * lab[..., 2]
        multi[..., 2] = s * lab[..., 1] + c * lab[..., 2]

        for key, img in (("input", to_rgb(gray)), ("truth", rgb), ("unimodal", to_rgb(uni)), ("chroma-unimodal", to_rgb(chroma_uni)),
                         ("multimodal", to_rgb(multi))):
            Image.fromarray((img * 255.0 + 0.5).astype(np.uint8)).save(os.path.join(folders[key], f"{t:05d}.png"))
    return folders


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--size", default="228x120", help="WxH")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    w, h = (int(v) for v in a.size.split("x"))
    make(a.out, a.frames, w, h, a.seed)
    print(f"wrote {a.frames} frames {w}x{h} of input, truth, unimodal, chroma-unimodal, multimodal into {a.out}")


if __name__ == "__main__":
    main()
