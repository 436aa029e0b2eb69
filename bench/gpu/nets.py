"""The three networks of the device check in PyTorch, with seeded random weights in the official
layouts Reel loads (DnCNN-B gray in KAIR's, ECCV16 in the official port's, the DVP U-Net in the
official repository's), reusing the golden scripts' definitions in tests/reference."""
import os
import sys
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "reference"))
from colorizer_golden import ECCVGenerator, randomize as randomize_eccv16  # noqa: E402
from dvp_golden import UNet, irt_loss  # noqa: E402


PRECISIONS = ("fp32", "tf32", "bf16")


def add_precisions(parser, help=None):
    """The --precisions option of parity.py compare and torch_bench.py: PyTorch's rows at these, each once, in the order given."""
    parser.add_argument("--precisions", nargs="+", choices=PRECISIONS, default=list(PRECISIONS), help=help)


def precisions(a):
    """The precisions asked for, each once, in the order given."""
    return list(dict.fromkeys(a.precisions))


def dncnn(depth=20):
    """DnCNN gray as KAIR releases it (BatchNorm folded): depth convs 1→64→…→64→1 with bias, ReLU between (DnCNN-B: 20)."""
    layers = []
    for i in range(depth):
        cin, cout = (1 if i == 0 else 64), (1 if i == depth - 1 else 64)
        layers.append(nn.Conv2d(cin, cout, 3, padding=1, bias=True))
        if i < depth - 1:
            layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def eccv16(centres, gen):
    net = ECCVGenerator().eval()
    randomize_eccv16(net, centres, gen)
    return net


def unet(gen):
    net = UNet(6, 32)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.Conv2d):
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * (2.0 / (m.weight[0].numel())) ** 0.5)
                if m.bias is not None:
                    m.bias.copy_(0.02 * torch.randn(m.bias.shape, generator=gen))
    return net


def write_weights(work, centres_csv, seed=2026):
    """dncnn.pth, eccv16.pth, unet.pth under work (the same bytes for the same seed and PyTorch)."""
    gen = torch.Generator().manual_seed(seed)
    d = dncnn()
    with torch.no_grad():
        for m in d.modules():
            if isinstance(m, nn.Conv2d):
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * (2.0 / (m.in_channels * 9)) ** 0.5)
                m.bias.copy_(0.01 * torch.randn(m.bias.shape, generator=gen))
    torch.save(OrderedDict((f"model.{k}", v) for k, v in d.state_dict().items()), os.path.join(work, "dncnn.pth"))
    centres = np.loadtxt(centres_csv, delimiter=",", dtype=np.float64)
    torch.save(eccv16(centres, gen).state_dict(), os.path.join(work, "eccv16.pth"))
    torch.save(unet(gen).state_dict(), os.path.join(work, "unet.pth"))


def load(kind, work):
    """The network of kind ('dncnn', 'dncnn25', 'colorizer', 'unet') with the weights write_weights (or parity.py's --real) left in work."""
    files = {"dncnn": "dncnn.pth", "dncnn25": "dncnn25.pth", "colorizer": "eccv16.pth", "unet": "unet.pth"}
    state = torch.load(os.path.join(work, files[kind]), map_location="cpu")
    if kind in ("dncnn", "dncnn25"):
        net = dncnn(sum(1 for k in state if k.endswith(".weight")))
        net.load_state_dict(OrderedDict((k[len("model."):], v) for k, v in state.items()))
    elif kind == "colorizer":
        net = ECCVGenerator().eval()
        net.load_state_dict(state)
    else:
        net = UNet(6, 32)
        net.load_state_dict(state)
    return net


def run(kind, net, x):
    """The tensor semantics of `reel infer --model kind`: DnCNN x − net(x), ECCV16 ab at T = 1, the U-Net's 6 outputs."""
    return x - net(x) if kind in ("dncnn", "dncnn25") else net(x)
