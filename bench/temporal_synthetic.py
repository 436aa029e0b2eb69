#!/usr/bin/env python3
"""Synthetic clips for the temporal experiments, with what per-frame processing does to them.

A smooth coloured texture slides under the camera (1.3 px right, 0.6 px down per frame); the
input is its 8-bit gray. Two kinds of processed frames:

  unimodal    the truth with a per-frame colour cast (±0.05 per channel) and a wandering colour
              blotch: flicker *around* the truth, which a temporal stage should average away
              (score: PSNR to truth, next to the processed frames')
  multimodal  the input's lightness with one of two colours per region (three bands of the
              texture, moving with it), the winner drawn anew each frame (green 70%, red 30%),
              as a colorizer jumping between modes does: a
              temporal stage should keep one colour, not average them into brown (score:
              colourfulness next to the processed frames')

Writes DIR/unimodal/{input,processed,truth}/ and DIR/multimodal/{input,processed}/ as PNG.
Hasler-Suesstrunk colourfulness rewards a frame holding both red and green, so on the multimodal
clip wash-out is measured by the mean CIELAB chroma instead (pure green is 64, red 72, brown ~20).
Usage: temporal_synthetic.py --out DIR [--width 214 --height 120 --frames 24]
       temporal_synthetic.py --psnr OUTPUT_DIR TRUTH_DIR   (mean-MSE PSNR of one folder to another)
       temporal_synthetic.py --chroma DIR                  (mean CIELAB chroma of a folder)
"""
import argparse
import os

import cv2
import numpy as np
from skimage import color


def truth(t, w, h):
    ys, xs = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij")
    x, y = xs - 1.3 * t, ys - 0.6 * t
    v = 0.5 + 0.22 * np.sin(x * 0.21) * np.cos(y * 0.17) + 0.12 * np.sin(x * 0.05 + y * 0.07)
    tint = 0.5 + 0.5 * np.sin(x * 0.013 + y * 0.02)
    rgb = np.stack([v * (0.8 + 0.3 * tint), v * (1.0 - 0.1 * tint), v * (0.7 + 0.2 * (1 - tint))], axis=2)
    return quantize(rgb)


def quantize(rgb):
    return np.round(np.clip(rgb, 0, 1) * 255) / 255


def gray(rgb):
    y = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
    return quantize(np.repeat(y[..., None], 3, axis=2))


def unimodal(rgb, rng):
    h, w, _ = rgb.shape
    cy, cx = rng.random() * h, rng.random() * w
    ys, xs = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    blob = np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (0.1 * w * w))
    out = rgb.copy()
    for c in range(3):
        out[..., c] += (rng.random() - 0.5) * 0.1 + (rng.random() - 0.5) * 0.12 * blob
    return quantize(out)


GREEN, RED = (-40.0, 50.0), (60.0, 40.0)


def multimodal(g, t, w, h, rng):
    """Lightness of the gray input, ab of green or red per band of the moving texture, drawn per frame."""
    lab = color.rgb2lab(g)
    xs = np.arange(w) - 1.3 * t
    band = (np.mod(xs, w) // (w / 3)).astype(int)
    for k in range(3):
        a, b = RED if rng.random() < 0.3 else GREEN
        lab[:, band == k, 1], lab[:, band == k, 2] = a, b
    return quantize(color.lab2rgb(lab))


def save(folder, t, rgb):
    os.makedirs(folder, exist_ok=True)
    cv2.imwrite(os.path.join(folder, f"{t:05d}.png"), cv2.cvtColor((rgb * 255 + 0.5).astype(np.uint8), cv2.COLOR_RGB2BGR))


def psnr(output, truth_dir):
    names = sorted(n for n in os.listdir(truth_dir) if n.endswith(".png"))
    mse = np.mean([np.mean((cv2.imread(os.path.join(output, n)).astype(np.float64) / 255 -
                            cv2.imread(os.path.join(truth_dir, n)).astype(np.float64) / 255) ** 2) for n in names])
    return 10 * np.log10(1 / mse)


def chroma(folder):
    names = sorted(n for n in os.listdir(folder) if n.endswith(".png"))
    return np.mean([np.hypot(*color.rgb2lab(cv2.cvtColor(cv2.imread(os.path.join(folder, n)), cv2.COLOR_BGR2RGB) / 255.0)[..., 1:].transpose(2, 0, 1)).mean()
                    for n in names])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out")
    ap.add_argument("--width", type=int, default=214)
    ap.add_argument("--height", type=int, default=120)
    ap.add_argument("--frames", type=int, default=24)
    ap.add_argument("--psnr", nargs=2, metavar=("OUTPUT", "TRUTH"))
    ap.add_argument("--chroma", metavar="DIR")
    a = ap.parse_args()
    if a.psnr:
        print(f"{psnr(*a.psnr):.3f}")
        return
    if a.chroma:
        print(f"{chroma(a.chroma):.2f}")
        return
    rng = np.random.default_rng(20)
    for t in range(a.frames):
        tr = truth(t, a.width, a.height)
        g = gray(tr)
        save(os.path.join(a.out, "unimodal", "truth"), t, tr)
        save(os.path.join(a.out, "unimodal", "input"), t, g)
        save(os.path.join(a.out, "unimodal", "processed"), t, unimodal(tr, rng))
        save(os.path.join(a.out, "multimodal", "input"), t, g)
        save(os.path.join(a.out, "multimodal", "processed"), t, multimodal(g, t, a.width, a.height, rng))


if __name__ == "__main__":
    main()
