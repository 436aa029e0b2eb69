"""OpenCV's DIS optical flow on synthetic motions with a known truth, for the engine's flow tests.

Writes, into --out, for each case (translate, rotate_zoom, object):
  <case>_a.npy, <case>_b.npy   the two gray frames as float32 (1, 1, H, W), whole 8-bit levels / 255
  <case>_cv.npy                cv2.DISOpticalFlow (PRESET_MEDIUM) from a to b, float32 (1, 2, H, W)
  <case>_truth.npy             the true flow a → b, float32 (1, 2, H, W)
  <case>_valid.npy             float32 (1, 1, H, W): 1 where the truth is defined (not occluded,
                               not leaving the frame, not on the moving object's rim)
Frames are textures of smoothed noise at two scales (H × W = 144 × 192) moved with bicubic remap.
Run with Debian's python3: python3 flow_golden.py --out DIR --shared ../shared/data
"""
import argparse
import os

import cv2
import numpy as np

H, W = 144, 192


def texture(rng, h, w):
    fine = cv2.GaussianBlur(rng.standard_normal((h, w)), (0, 0), 1.5)
    coarse = cv2.GaussianBlur(rng.standard_normal((h, w)), (0, 0), 6.0)
    t = fine / fine.std() + 0.7 * coarse / coarse.std()
    return ((t - t.min()) / (t.max() - t.min()) * 220 + 18).astype(np.float32)


def u8(img):
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def remap(img, mx, my):
    return cv2.remap(img, mx.astype(np.float32), my.astype(np.float32), cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)


def translate(rng):
    a = texture(rng, H, W)
    d = np.array([3.3, -1.7])
    xs, ys = np.meshgrid(np.arange(W, dtype=np.float64), np.arange(H, dtype=np.float64))
    b = remap(a, xs - d[0], ys - d[1])
    truth = np.stack([np.full((H, W), d[0]), np.full((H, W), d[1])])
    return a, b, truth, inside(xs + truth[0], ys + truth[1])


def rotate_zoom(rng):
    a = texture(rng, H, W)
    angle, zoom = np.deg2rad(2.5), 1.04
    c, s = np.cos(angle) * zoom, np.sin(angle) * zoom
    cx, cy = (W - 1) / 2, (H - 1) / 2
    xs, ys = np.meshgrid(np.arange(W, dtype=np.float64), np.arange(H, dtype=np.float64))
    # A point p of frame a moves to M(p) = R·(p − c) + c in frame b; b samples a at M⁻¹(q).
    fx, fy = c * (xs - cx) - s * (ys - cy) + cx, s * (xs - cx) + c * (ys - cy) + cy
    det = c * c + s * s
    qx, qy = xs - cx, ys - cy
    b = remap(a, (c * qx + s * qy) / det + cx, (-s * qx + c * qy) / det + cy)
    truth = np.stack([fx - xs, fy - ys])
    return a, b, truth, inside(fx, fy)


def moving_object(rng):
    background = texture(rng, H, W)
    obj = texture(rng, H, W)
    d = np.array([4.2, 2.6])
    r, cx, cy = 30.0, 80.0, 66.0
    xs, ys = np.meshgrid(np.arange(W, dtype=np.float64), np.arange(H, dtype=np.float64))
    dist_a = np.hypot(xs - cx, ys - cy)
    dist_b = np.hypot(xs - cx - d[0], ys - cy - d[1])
    disc_a, disc_b = dist_a <= r, dist_b <= r
    a = np.where(disc_a, obj, background)
    moved = remap(obj, xs - d[0], ys - d[1])
    b = np.where(disc_b, moved, background)
    truth = np.stack([np.where(disc_a, d[0], 0.0), np.where(disc_a, d[1], 0.0)])
    rim = (np.abs(dist_a - r) <= 2) | (np.abs(dist_b - r) <= 2)
    covered = disc_b & ~disc_a
    return a, b, truth, inside(xs + truth[0], ys + truth[1]) & ~rim & ~covered


def inside(x, y, margin=2):
    return (x >= margin) & (x <= W - 1 - margin) & (y >= margin) & (y <= H - 1 - margin)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--shared", required=False)
    a = ap.parse_args()
    rng = np.random.default_rng(19)
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    for name, make in (("translate", translate), ("rotate_zoom", rotate_zoom), ("object", moving_object)):
        fa, fb, truth, valid = make(rng)
        ga, gb = u8(fa), u8(fb)
        flow = dis.calc(ga, gb, None)
        np.save(os.path.join(a.out, f"{name}_a.npy"), (ga.astype(np.float32) / 255)[None, None])
        np.save(os.path.join(a.out, f"{name}_b.npy"), (gb.astype(np.float32) / 255)[None, None])
        np.save(os.path.join(a.out, f"{name}_cv.npy"), flow.transpose(2, 0, 1)[None].astype(np.float32))
        np.save(os.path.join(a.out, f"{name}_truth.npy"), truth[None].astype(np.float32))
        np.save(os.path.join(a.out, f"{name}_valid.npy"), valid.astype(np.float32)[None, None])
        epe = np.hypot(flow[..., 0] - truth[0], flow[..., 1] - truth[1])[valid].mean()
        print(f"{name}: OpenCV DIS mean EPE to truth {epe:.4f} px over {valid.sum()} pixels")


if __name__ == "__main__":
    main()
