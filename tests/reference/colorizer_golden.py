"""Golden tensors for the colour conversion, annealed mean and ECCV16 colorizer tests.

Writes, into --out:
  lab_rgb.npy, lab_lab.npy       100,000 random sRGB colours + the 8 cube corners, (1, 3, N, 1),
                                 and skimage.color.rgb2lab of them
  lab_back.npy                   skimage.color.lab2rgb of lab_lab (the inverse direction)
  am_<i>_{z,y}.npy, am_<i>.json  annealed mean cases: logits, NumPy float64 result, temperature
  resize_<i>_{x,y}.npy           PIL bicubic resizes of float images (the demo's 256×256 resize)
  eccv16.pth                     random weights in the official key layout (zip format, ~129 MB)
  eccv16_l.npy                   raw L in [0, 100], (1, 1, 48, 40): not 256, multiples of 8
  eccv16_t1.npy, eccv16_t038.npy the port's forward at T = 1 and the same with softmax(z / 0.38)
Run with Debian's python3: python3 colorizer_golden.py --out DIR --shared ../shared/data
"""
import argparse
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from skimage import color


class ECCVGenerator(nn.Module):
    """The layer structure of richzhang/colorization colorizers/eccv16.py, written from specs/models.md §2."""

    def __init__(self):
        super().__init__()

        def block(specs, bn):
            layers = []
            for cin, cout, stride, dil in specs:
                layers += [nn.Conv2d(cin, cout, 3, stride=stride, padding=dil, dilation=dil, bias=True), nn.ReLU(True)]
            layers.append(nn.BatchNorm2d(bn))
            return nn.Sequential(*layers)

        self.model1 = block([(1, 64, 1, 1), (64, 64, 2, 1)], 64)
        self.model2 = block([(64, 128, 1, 1), (128, 128, 2, 1)], 128)
        self.model3 = block([(128, 256, 1, 1), (256, 256, 1, 1), (256, 256, 2, 1)], 256)
        self.model4 = block([(256, 512, 1, 1), (512, 512, 1, 1), (512, 512, 1, 1)], 512)
        self.model5 = block([(512, 512, 1, 2)] * 3, 512)
        self.model6 = block([(512, 512, 1, 2)] * 3, 512)
        self.model7 = block([(512, 512, 1, 1)] * 3, 512)
        self.model8 = nn.Sequential(
            nn.ConvTranspose2d(512, 256, 4, stride=2, padding=1, bias=True), nn.ReLU(True),
            nn.Conv2d(256, 256, 3, padding=1, bias=True), nn.ReLU(True),
            nn.Conv2d(256, 256, 3, padding=1, bias=True), nn.ReLU(True),
            nn.Conv2d(256, 313, 1, bias=True))
        self.softmax = nn.Softmax(dim=1)
        self.model_out = nn.Conv2d(313, 2, 1, bias=False)
        self.upsample4 = nn.Upsample(scale_factor=4, mode="bilinear")

    def logits(self, l_raw):
        x = (l_raw - 50.0) / 100.0
        for m in (self.model1, self.model2, self.model3, self.model4, self.model5, self.model6, self.model7, self.model8):
            x = m(x)
        return x

    def forward(self, l_raw, temperature=1.0):
        z = self.logits(l_raw)
        return self.upsample4(self.model_out(self.softmax(z / temperature))) * 110.0


def randomize(net, centres, gen):
    with torch.no_grad():
        for name, m in net.named_modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) and name != "model_out":
                fan_in = m.weight.shape[1] * m.weight.shape[2] * m.weight.shape[3]
                if isinstance(m, nn.ConvTranspose2d):
                    fan_in = m.weight.shape[0] * 4  # each output sees Cin · (K/stride)² taps
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * (2.0 / fan_in) ** 0.5)
                m.bias.copy_(0.05 * torch.randn(m.bias.shape, generator=gen))
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(1 + 0.2 * torch.randn(m.weight.shape, generator=gen))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=gen))
                m.running_mean.copy_(0.3 * torch.rand(m.running_mean.shape, generator=gen))
                m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=gen))
        net.model_out.weight.copy_(torch.from_numpy(centres.T.copy()).view(2, 313, 1, 1) / 110.0)


def lab_cases(out, gen):
    rgb = torch.rand(100_000, 3, generator=gen, dtype=torch.float64).numpy()
    corners = np.array([[r, g, b] for r in (0, 1) for g in (0, 1) for b in (0, 1)], dtype=np.float64)
    rgb = np.concatenate([rgb, corners]).astype(np.float32)
    lab = color.rgb2lab(rgb.astype(np.float64)[None])[0]
    back = color.lab2rgb(lab[None])[0]
    to_nchw = lambda a: np.ascontiguousarray(a.T[None, :, :, None]).astype(np.float32)
    np.save(os.path.join(out, "lab_rgb.npy"), to_nchw(rgb))
    np.save(os.path.join(out, "lab_lab.npy"), to_nchw(lab))
    np.save(os.path.join(out, "lab_back.npy"), to_nchw(back))


def annealed_mean_cases(out, centres, gen):
    cases = [(1.0, 3.0, 0.0), (0.38, 3.0, 0.0), (0.01, 3.0, 0.0), (1.0, 300.0, 1000.0), (0.38, 50.0, -1000.0), (1e-3, 1.0, 0.0)]
    for i, (t, scale, shift) in enumerate(cases):
        z = (torch.randn(1, 313, 7, 9, generator=gen, dtype=torch.float64) * scale + shift).numpy().astype(np.float32)
        zz = z.astype(np.float64) / t
        e = np.exp(zz - zz.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        y = np.einsum("nqhw,qc->nchw", p, centres)
        np.save(os.path.join(out, f"am_{i}_z.npy"), z)
        np.save(os.path.join(out, f"am_{i}_y.npy"), y.astype(np.float32))
        with open(os.path.join(out, f"am_{i}.json"), "w") as f:
            json.dump({"temperature": t}, f)


def resize_cases(out, gen):
    """PIL's antialiased bicubic on float ('F') images: no u8 rounding, so it is the exact reference."""
    from PIL import Image
    for i, (h, w, oh, ow) in enumerate([(41, 73, 256, 256), (500, 300, 256, 256), (256, 256, 256, 256), (7, 5, 16, 9)]):
        x = torch.rand(h, w, generator=gen).numpy().astype(np.float32)
        y = np.asarray(Image.fromarray(x, mode="F").resize((ow, oh), Image.BICUBIC), dtype=np.float32)
        np.save(os.path.join(out, f"resize_{i}_x.npy"), x[None, None])
        np.save(os.path.join(out, f"resize_{i}_y.npy"), np.clip(y, 0, 1)[None, None])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--shared", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(2)
    gen = torch.Generator().manual_seed(4321)
    centres = np.loadtxt(os.path.join(a.shared, "colorization", "pts_in_hull.csv"), delimiter=",", dtype=np.float64)
    assert centres.shape == (313, 2), centres.shape

    lab_cases(a.out, gen)
    annealed_mean_cases(a.out, centres, gen)
    resize_cases(a.out, gen)

    net = ECCVGenerator().eval()
    randomize(net, centres, gen)
    torch.save(net.state_dict(), os.path.join(a.out, "eccv16.pth"))
    l_raw = 100 * torch.rand(1, 1, 48, 40, generator=gen)
    with torch.no_grad():
        np.save(os.path.join(a.out, "eccv16_l.npy"), l_raw.numpy())
        np.save(os.path.join(a.out, "eccv16_t1.npy"), net(l_raw).numpy())
        np.save(os.path.join(a.out, "eccv16_t038.npy"), net(l_raw, 0.38).numpy())


if __name__ == "__main__":
    main()
