"""Golden tensors for the DnCNN and op parity tests (PyTorch is the oracle).

Writes, into --out:
  kair_gray17_{legacy,zip}.pth   KAIR layout: model.{2k}.weight/bias, BN merged, 17 layers, 1 channel
  saoyan_b20_legacy.pth          SaoYan layout: module.dncnn.N.*, no conv bias, BN eps 1e-5, 20 layers
  cszn_color17_zip.pth           cszn layout: dncnn.N.*, first conv biased, BN eps 1e-4, 3 channels
  <name>_x.npy, <name>_y.npy     input in [0, 1] and the model's output x - net(x) (eval mode)
  conv_<i>_{x,w,b,y}.npy         single conv2d cases (stride, padding, dilation, kernel sweeps)
  manual.safetensors, manual_*.npy  a safetensors file written by hand from the format spec
  metrics_{a,b}.npy, metrics.json   an image pair with its PSNR and SSIM from skimage
  real_{kair25,saoyan_b}_{x,y}.npy  the published checkpoints (from --shared) on one noisy input
  small_{zip,legacy}.pth          tiny checkpoints (float, half, long, strided view): fuzzer seeds
  evil_{zip,legacy}.pth          pickles whose load would run os.system('touch MARKER')
Run with Debian's python3 (python3-torch 1.13): python3 dncnn_golden.py --out DIR --marker PATH --shared ../shared/data
"""
import argparse
import json
import os
import struct
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn


def dncnn(channels, depth, width, conv_bias, first_bias, eps):
    layers = [nn.Conv2d(channels, width, 3, padding=1, bias=first_bias), nn.ReLU(inplace=True)]
    for _ in range(depth - 2):
        layers += [nn.Conv2d(width, width, 3, padding=1, bias=conv_bias), nn.BatchNorm2d(width, eps=eps), nn.ReLU(inplace=True)]
    layers.append(nn.Conv2d(width, channels, 3, padding=1, bias=conv_bias))
    return nn.Sequential(*layers)


def randomize(net, gen):
    """He-like random weights and non-trivial BN statistics, so folding errors show."""
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.in_channels * 9
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * (2.0 / fan_in) ** 0.5)
                if m.bias is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.05)
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(1 + 0.3 * torch.randn(m.weight.shape, generator=gen))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=gen))
                m.running_mean.copy_(0.2 * torch.randn(m.running_mean.shape, generator=gen))
                m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=gen))
                m.num_batches_tracked.fill_(1234)


def save_case(out, name, net, state, x, legacy):
    path = os.path.join(out, name + ".pth")
    torch.save(state, path, _use_new_zipfile_serialization=not legacy)
    with torch.no_grad():
        y = x - net(x)
    np.save(os.path.join(out, name + "_x.npy"), x.numpy())
    np.save(os.path.join(out, name + "_y.npy"), y.numpy())


def kair_state(net):
    """KAIR's release files keep only conv tensors, renamed model.{index}."""
    return OrderedDict((f"model.{k}", v.clone()) for k, v in net.state_dict().items())


def conv_cases(out, gen):
    cases = [  # (cin, cout, k, stride, pad, dil, bias, h, w)
        (1, 64, 3, 1, 1, 1, True, 13, 17),
        (3, 5, 3, 1, 1, 1, False, 9, 31),
        (64, 64, 3, 1, 1, 1, True, 11, 7),
        (4, 7, 3, 2, 1, 1, True, 15, 10),
        (8, 6, 3, 1, 2, 2, True, 12, 13),
        (5, 3, 1, 1, 0, 1, True, 6, 5),
        (2, 9, 4, 2, 1, 1, True, 8, 11),
        (3, 4, 3, 2, 0, 1, False, 16, 16),
        (6, 13, 3, 1, 0, 1, True, 5, 40),
    ]
    for i, (cin, cout, k, s, p, d, bias, h, w) in enumerate(cases):
        conv = nn.Conv2d(cin, cout, k, stride=s, padding=p, dilation=d, bias=bias)
        with torch.no_grad():
            conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen))
            b = torch.randn(cout, generator=gen) if bias else torch.zeros(cout)
            if bias:
                conv.bias.copy_(b)
            x = torch.randn(2, cin, h, w, generator=gen)
            y = conv(x)
        np.save(os.path.join(out, f"conv_{i}_x.npy"), x.numpy())
        np.save(os.path.join(out, f"conv_{i}_w.npy"), conv.weight.detach().numpy())
        np.save(os.path.join(out, f"conv_{i}_b.npy"), b.numpy())
        np.save(os.path.join(out, f"conv_{i}_y.npy"), y.numpy())
        with open(os.path.join(out, f"conv_{i}.json"), "w") as f:
            json.dump(dict(cin=cin, cout=cout, k=k, stride=s, pad=p, dil=d, bias=bias), f)


def manual_safetensors(out, gen):
    tensors = {"a.weight": torch.randn(3, 2, generator=gen).numpy(), "b": torch.randn(5, generator=gen).numpy().astype(np.float16)}
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, arr in tensors.items():
        data = arr.tobytes()
        header[name] = {"dtype": "F32" if arr.dtype == np.float32 else "F16", "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(os.path.join(out, "manual.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    for name, arr in tensors.items():
        np.save(os.path.join(out, f"manual_{name}.npy"), arr.astype(np.float32))


def metrics_case(out, gen):
    """PSNR and SSIM of a noisy pair, by skimage (Gaussian window σ 1.5, valid region, 255 scale)."""
    from skimage.metrics import structural_similarity
    a = torch.rand(1, 1, 40, 53, generator=gen).numpy()
    b = np.clip(a + 0.1 * torch.randn(a.shape, generator=gen).numpy(), 0, 1).astype(np.float32)
    np.save(os.path.join(out, "metrics_a.npy"), a)
    np.save(os.path.join(out, "metrics_b.npy"), b)
    ssim = structural_similarity(a[0, 0].astype(np.float64) * 255, b[0, 0].astype(np.float64) * 255, data_range=255,
                                 gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
    psnr = 10 * np.log10(1 / np.mean((a.astype(np.float64) - b) ** 2))
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump(dict(psnr=psnr, ssim=ssim), f)


def real_checkpoint_cases(out, shared, gen):
    """The published checkpoints themselves, run by PyTorch on one noisy input (σ = 50)."""
    x = torch.linspace(0, 1, 48).view(1, 1, 1, 48) * torch.linspace(1, 0.2, 40).view(1, 1, 40, 1)
    x = x + 50 / 255 * torch.randn(x.shape, generator=gen)
    for name, path in (("real_kair25", "weights/kair_dncnn_25.pth"), ("real_saoyan_b", "weights/saoyan/DnCNN-B.pth")):
        state = torch.load(os.path.join(shared, path), map_location="cpu")
        state = OrderedDict((k[len("module."):] if k.startswith("module.") else k, v) for k, v in state.items())
        if name == "real_kair25":
            layers = []
            for i in range(17):
                w = state[f"model.{2 * i}.weight"]
                conv = nn.Conv2d(w.shape[1], w.shape[0], 3, padding=1)
                conv.load_state_dict({"weight": w, "bias": state[f"model.{2 * i}.bias"]})
                layers += [conv, nn.ReLU()] if i < 16 else [conv]
            net = nn.Sequential(*layers)
        else:
            net = dncnn(1, 20, 64, conv_bias=False, first_bias=False, eps=1e-5)
            net.load_state_dict({k[len("dncnn."):]: v for k, v in state.items()})
        net.eval()
        with torch.no_grad():
            y = x - net(x)
        np.save(os.path.join(out, name + "_x.npy"), x.numpy())
        np.save(os.path.join(out, name + "_y.npy"), y.numpy())


def fuzz_seeds(out, gen):
    """Small checkpoints in both formats: seeds for the mutation fuzzer (float, half, long, a view)."""
    base = torch.randn(4, 3, generator=gen)
    state = OrderedDict([("a.weight", base), ("a.bias", torch.randn(4, generator=gen).half()),
                         ("bn.num_batches_tracked", torch.tensor(7)), ("view", base[1:, ::2])])
    torch.save(state, os.path.join(out, "small_zip.pth"))
    torch.save(state, os.path.join(out, "small_legacy.pth"), _use_new_zipfile_serialization=False)


class Evil:
    marker = None

    def __reduce__(self):
        return (os.system, (f"touch {Evil.marker}",))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--marker", required=True)
    ap.add_argument("--shared", required=True, help="the shared/data folder with the published checkpoints")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(1234)

    kair = dncnn(1, 17, 64, conv_bias=True, first_bias=True, eps=1e-5).eval()
    randomize(kair, gen)
    x = torch.rand(1, 1, 29, 37, generator=gen)
    # KAIR's files hold the merged convs only; build an equivalent plain-conv net by keeping BN neutral.
    for m in kair.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
            m.eps = 0.0
    plain = nn.Sequential(*[m for m in kair if not isinstance(m, nn.BatchNorm2d)]).eval()
    save_case(a.out, "kair_gray17_legacy", plain, kair_state(plain), x, legacy=True)
    save_case(a.out, "kair_gray17_zip", plain, kair_state(plain), x, legacy=False)

    saoyan = dncnn(1, 20, 64, conv_bias=False, first_bias=False, eps=1e-5).eval()
    randomize(saoyan, gen)
    state = OrderedDict((f"module.dncnn.{k}", v) for k, v in saoyan.state_dict().items())
    save_case(a.out, "saoyan_b20_legacy", saoyan, state, torch.rand(2, 1, 23, 18, generator=gen), legacy=True)

    cszn = dncnn(3, 17, 64, conv_bias=False, first_bias=True, eps=1e-4).eval()
    randomize(cszn, gen)
    state = OrderedDict((f"dncnn.{k}", v) for k, v in cszn.state_dict().items())
    save_case(a.out, "cszn_color17_zip", cszn, state, torch.rand(1, 3, 19, 26, generator=gen), legacy=False)

    conv_cases(a.out, gen)
    manual_safetensors(a.out, gen)
    metrics_case(a.out, gen)
    real_checkpoint_cases(a.out, a.shared, gen)
    fuzz_seeds(a.out, gen)

    Evil.marker = a.marker
    torch.save({"w": Evil()}, os.path.join(a.out, "evil_zip.pth"))
    torch.save({"w": Evil()}, os.path.join(a.out, "evil_legacy.pth"), _use_new_zipfile_serialization=False)


if __name__ == "__main__":
    main()
