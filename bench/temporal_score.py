#!/usr/bin/env python3
"""Temporal quality of a processed video, scored independently of Reel (OpenCV + NumPy).

The reference the engine's own `reel eval temporal` is held to, and the scorer of the
bench/ temporal experiments. Frames are folders of images sorted by name, compared in order.

  warp_error      mean |O_t - warp(O_{t-1})| over RGB in [0,1], where the warp follows optical
                  flow computed on the *input* frames (OpenCV DIS, medium preset, on gray), so the
                  score does not depend on the method judged; pixels failing the forward-backward
                  check (occlusions) are left out (one warped from outside the frame takes the
                  nearest edge pixel's value, as in Lai et al.'s resampling)
  warp_floor      the same on the input frames themselves: what the flow cannot explain
  cdc             colour distribution consistency (TCVC): Jensen-Shannon divergence (nats) of the
                  64-bin histograms of each RGB channel between frames t and t+d, d = 1, 2, 4,
                  averaged (TCVC bins 256; 64 bins reproduce the figures in shared/data/README)
  colorfulness    Hasler-Suesstrunk M on 0-255 RGB, mean over frames
  detail          Pearson correlation of the Laplacians of output and input luma, mean over frames
                  (blurring lowers the warp error, so a score needs this guard)
  psnr_processed  PSNR of the output to the processed frames (with --processed): of the mean over
                  frames of their MSE, not the mean of per-frame PSNRs
  warp_error_lai  Lai et al.'s warp error (ECCV 2018, their evaluate_WarpError.py, which the Deep
                  Video Prior paper reports): O_t warped back to t-1 along the flow t-1 -> t, mean
                  squared difference to O_{t-1} over the channels of the pixels that are neither
                  occluded (forward-backward check from t-1) nor on a motion boundary; 0 for a pair
                  with none; mean over pairs
  warp_floor_lai  the same on the input frames
  cdc_256         the CDC at 256 bins, TCVC's own count

Usage: temporal_score.py --input DIR --output DIR [--processed DIR] [--frames N] [--json]
With --json the last line is one JSON object with the keys above and `frames`.
"""
import argparse
import json
import os
import sys

import cv2
import numpy as np

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
CDC_BINS = 64


def load_frames(folder, limit):
    if not os.path.isdir(folder):
        sys.exit(f"temporal_score: not a folder: {folder}")
    names = sorted(n for n in os.listdir(folder) if n.lower().endswith(IMAGE_EXTENSIONS))
    if limit:
        names = names[:limit]
    if len(names) < 2:
        sys.exit(f"temporal_score: {folder} holds {len(names)} frame(s); at least 2 are needed")
    frames = []
    for n in names:
        bgr = cv2.imread(os.path.join(folder, n), cv2.IMREAD_COLOR)
        if bgr is None:
            sys.exit(f"temporal_score: cannot read {os.path.join(folder, n)}")
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).astype(np.float64) / 255.0)
    return frames


def gray_u8(rgb):
    return cv2.cvtColor((rgb * 255.0 + 0.5).clip(0, 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)


def warp_maps(inputs):
    """For each t >= 1: the sampling grid into frame t-1 and the mask of pixels the flow explains."""
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    grays = [gray_u8(f) for f in inputs]
    h, w = grays[0].shape
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    maps = []
    for t in range(1, len(grays)):
        back = dis.calc(grays[t], grays[t - 1], None)  # frame t -> frame t-1
        fwd = dis.calc(grays[t - 1], grays[t], None)  # frame t-1 -> frame t
        mx, my = xs + back[..., 0], ys + back[..., 1]
        fwd_at = cv2.remap(fwd, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        # Forward-backward check (Sundaram, Brox, Keutzer 2010): a pixel whose round trip does not
        # come back is occluded in one of the frames.
        loop = np.sum((back + fwd_at) ** 2, axis=2)
        bound = 0.01 * (np.sum(back ** 2, axis=2) + np.sum(fwd_at ** 2, axis=2)) + 0.5
        maps.append((mx, my, loop <= bound))
    return maps


def warp_error(frames, maps):
    errors = []
    for t, (mx, my, mask) in enumerate(maps, start=1):
        warped = cv2.remap(frames[t - 1], mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        diff = np.abs(frames[t] - warped).mean(axis=2)
        if mask.any():
            errors.append(diff[mask].mean())
    return float(np.mean(errors))


def lai_warp_errors(inputs, frame_sets):
    """Lai et al.'s warp error of each sequence in frame_sets, the flow and masks from the input frames."""
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    grays = [gray_u8(f) for f in inputs]
    h, w = grays[0].shape
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    sums = [0.0] * len(frame_sets)
    for t in range(1, len(grays)):
        fw = dis.calc(grays[t - 1], grays[t], None)  # frame t-1 -> frame t
        bw = dis.calc(grays[t], grays[t - 1], None)  # frame t -> frame t-1
        mx, my = xs + fw[..., 0], ys + fw[..., 1]
        bw_at = cv2.remap(bw, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        fw_mag = np.sum(fw.astype(np.float64) ** 2, axis=2)
        occluded = np.sum((fw + bw_at).astype(np.float64) ** 2, axis=2) > 0.01 * (np.sum(bw_at.astype(np.float64) ** 2, axis=2) + fw_mag) + 0.5
        # Motion boundaries: forward differences of u and v to the next column and row, 0 past the last.
        grad = np.zeros((h, w))
        for c in range(2):
            f = fw[..., c].astype(np.float64)
            du = np.zeros((h, w))
            dv = np.zeros((h, w))
            du[:, :-1] = f[:, :-1] - f[:, 1:]
            dv[:-1, :] = f[:-1, :] - f[1:, :]
            grad += du ** 2 + dv ** 2
        occluded |= grad > 0.01 * fw_mag + 0.002
        kept = np.repeat((~occluded)[..., None], 3, axis=2)
        n = kept.sum()
        for k, frames in enumerate(frame_sets):
            warped = cv2.remap(frames[t], mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            diff = (warped - frames[t - 1]) * kept
            sums[k] += np.sum(diff ** 2) / (n if n > 0 else diff.size)
    return [float(s / (len(grays) - 1)) for s in sums]


def js_divergence(p, q):
    m = 0.5 * (p + q)

    def kl(a, b):
        nz = a > 0
        return np.sum(a[nz] * np.log(a[nz] / b[nz]))

    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


def cdc(frames, bins_per_channel=CDC_BINS):
    def hists(f):
        bins = (f * 255.0 + 0.5).clip(0, 255).astype(np.uint8) // (256 // bins_per_channel)
        return [np.bincount(bins[..., c].ravel(), minlength=bins_per_channel) / bins[..., c].size for c in range(3)]

    hs = [hists(f) for f in frames]
    per_dilation = []
    for d in (1, 2, 4):
        pairs = [np.mean([js_divergence(hs[t][c], hs[t + d][c]) for c in range(3)]) for t in range(len(hs) - d)]
        if pairs:
            per_dilation.append(np.mean(pairs))
    return float(np.mean(per_dilation))


def colorfulness(frames):
    scores = []
    for f in frames:
        r, g, b = (f[..., c] * 255.0 for c in range(3))
        rg, yb = r - g, 0.5 * (r + g) - b
        scores.append(np.sqrt(rg.std() ** 2 + yb.std() ** 2) + 0.3 * np.sqrt(rg.mean() ** 2 + yb.mean() ** 2))
    return float(np.mean(scores))


def luma(f):
    return 0.299 * f[..., 0] + 0.587 * f[..., 1] + 0.114 * f[..., 2]


def detail(outputs, inputs):
    scores = []
    for o, i in zip(outputs, inputs):
        lo = cv2.Laplacian(luma(o), cv2.CV_64F).ravel()
        li = cv2.Laplacian(luma(i), cv2.CV_64F).ravel()
        if lo.std() == 0 or li.std() == 0:
            scores.append(1.0 if np.array_equal(lo, li) else 0.0)
        else:
            scores.append(float(np.corrcoef(lo, li)[0, 1]))
    return float(np.mean(scores))


def psnr(outputs, references):
    mse = np.mean([np.mean((o - r) ** 2) for o, r in zip(outputs, references)])
    return float("inf") if mse == 0 else float(10 * np.log10(1.0 / mse))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", required=True, help="the original (gray) frames the flow is computed on")
    ap.add_argument("--output", required=True, help="the frames to score")
    ap.add_argument("--processed", help="the per-frame processed frames (for psnr_processed)")
    ap.add_argument("--frames", type=int, default=0, help="score only the first N frames")
    ap.add_argument("--json", action="store_true", help="last line: one JSON object")
    a = ap.parse_args()

    inputs = load_frames(a.input, a.frames)
    outputs = load_frames(a.output, a.frames)
    if len(outputs) != len(inputs):
        sys.exit(f"temporal_score: {len(inputs)} input frames but {len(outputs)} output frames")
    if outputs[0].shape != inputs[0].shape:
        sys.exit(f"temporal_score: input frames are {inputs[0].shape[1]}x{inputs[0].shape[0]}, "
                 f"output frames {outputs[0].shape[1]}x{outputs[0].shape[0]}")
    maps = warp_maps(inputs)
    lai_error, lai_floor = lai_warp_errors(inputs, [outputs, inputs])
    result = {
        "warp_error": warp_error(outputs, maps),
        "warp_floor": warp_error(inputs, maps),
        "cdc": cdc(outputs),
        "colorfulness": colorfulness(outputs),
        "detail": detail(outputs, inputs),
        "psnr_processed": None,
        "frames": len(outputs),
        "warp_error_lai": lai_error,
        "warp_floor_lai": lai_floor,
        "cdc_256": cdc(outputs, 256),
    }
    if a.processed:
        processed = load_frames(a.processed, a.frames)
        if len(processed) != len(outputs):
            sys.exit(f"temporal_score: {len(outputs)} output frames but {len(processed)} processed frames")
        result["psnr_processed"] = psnr(outputs, processed)
    for k, v in result.items():
        print(f"{k:15s} {v:.6g}" if isinstance(v, float) else f"{k:15s} {v}")
    if a.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
