"""Golden tensors for the Deep Video Prior U-Net: forward, IRT loss, every gradient, Adam steps.

Writes, into --out:
  dvp_init.pth          the U-Net (width 32, 6 outputs, official key names) before training
  dvp_frames.npz-like   dvp_input.npy, dvp_processed.npy: one (1, 3, 32, 64) frame pair
  dvp_out.npy           the initial net's output on the input frame
  dvp_grads.pth         d(IRT loss)/d(every parameter) at the initial weights
  dvp_init_grads.pth    the same for the IRT-initialization loss
  dvp_after5.pth        the weights after 5 Adam steps (lr 1e-4) on the IRT loss
  dvp.json              the losses: irt, irt_init, and the 5-step trajectory
Run with Debian's python3: python3 dvp_golden.py --out DIR --shared ../shared/data
The case (SEED) keeps every ReLU, max-pool and IRT choice of the initial forward at least
MIN_MARGIN from its edge in float64 (see decision_margins), so the comparison tests arithmetic.
"""
import argparse
import json
import os
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn


def block(cin, cout, prefix):
    return nn.Sequential(OrderedDict([
        (prefix + "conv1", nn.Conv2d(cin, cout, 3, padding=1, bias=False)), (prefix + "relu1", nn.ReLU(inplace=True)),
        (prefix + "conv2", nn.Conv2d(cout, cout, 3, padding=1, bias=False)), (prefix + "relu2", nn.ReLU(inplace=True))]))


class UNet(nn.Module):
    """The official DVP network layout (models/network.py), from specs/models.md §3."""

    def __init__(self, out_channels=6, width=32):
        super().__init__()
        w = [width * 2 ** i for i in range(5)]
        self.encoder1, self.pool1 = block(3, w[0], "enc1"), nn.MaxPool2d(2, 2)
        self.encoder2, self.pool2 = block(w[0], w[1], "enc2"), nn.MaxPool2d(2, 2)
        self.encoder3, self.pool3 = block(w[1], w[2], "enc3"), nn.MaxPool2d(2, 2)
        self.encoder4, self.pool4 = block(w[2], w[3], "enc4"), nn.MaxPool2d(2, 2)
        self.bottleneck = block(w[3], w[4], "bottleneck")
        for i in (4, 3, 2, 1):
            setattr(self, f"upconv{i}", nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True),
                                                      nn.Conv2d(w[i], w[i - 1], 3, padding=1, bias=True)))
            setattr(self, f"decoder{i}", block(2 * w[i - 1], w[i - 1], f"dec{i}"))
        self.conv = nn.Conv2d(w[0], out_channels, 1)

    def forward(self, x):
        e1 = self.encoder1(x)
        e2 = self.encoder2(self.pool1(e1))
        e3 = self.encoder3(self.pool2(e2))
        e4 = self.encoder4(self.pool3(e3))
        h = self.bottleneck(self.pool4(e4))
        for i, skip in ((4, e4), (3, e3), (2, e2), (1, e1)):
            h = getattr(self, f"decoder{i}")(torch.cat((getattr(self, f"upconv{i}")(h), skip), dim=1))
        return self.conv(h)


def irt_loss(out, inp, processed):
    main, minor = out[:, :3], out[:, 3:]
    d_main, _ = torch.max(torch.abs(main - processed) / (inp + 0.1), dim=1, keepdim=True)
    d_minor, _ = torch.max(torch.abs(minor - processed) / (inp + 0.1), dim=1, keepdim=True)
    conf = torch.lt(d_main, d_minor).repeat(1, 3, 1, 1).float()
    return torch.mean(torch.abs(main - processed) * conf) + torch.mean(torch.abs(minor - processed) * (1 - conf))


def init_loss(out, processed):
    return torch.mean(torch.abs(out[:, :3] - processed)) + 0.9 * torch.mean(torch.abs(out[:, 3:] - processed))


# A float32 engine and the exact result can disagree on a discrete choice when its input lies
# within rounding of the edge: a ReLU whose pre-activation is ~1e-8 (seed 7 had one, 1.3e-8 in
# decoder2.dec2conv1), a max-pool window whose two largest values nearly tie, the IRT confidence
# map where d_main ~ d_minor, the L1 sign where an output ~ its target. Each engine's rounding then
# flips a coin, and the gradients differ by a whole term (1e-6 here) depending on the CPU's
# kernels, not on correctness. The case is therefore drawn from a seed whose every such margin,
# measured in float64, is far above float32 rounding (~1e-8 at these magnitudes), and the script
# refuses to write goldens if a PyTorch version draws it differently.
SEED = 38
MIN_MARGIN = 1e-7


def decision_margins(net, inp, processed):
    """The smallest distance to a discrete edge, in float64, of each kind of choice the forward makes."""
    pre, pool = [], []
    hooks = []
    for name, m in net.named_modules():
        if isinstance(m, nn.Conv2d) and name.split(".")[-1][-5:] in ("conv1", "conv2"):
            hooks.append(m.register_forward_hook(lambda m, i, o: pre.append(o.abs().min().item())))
        if isinstance(m, nn.MaxPool2d):
            def window_gap(m, i, o):
                x = i[0]
                n, c, h, w = x.shape
                wins = x.reshape(n, c, h // 2, 2, w // 2, 2).permute(0, 1, 2, 4, 3, 5).reshape(-1, 4)
                top = wins.sort(dim=1, descending=True).values
                gap = top[:, 0] - top[:, 1]
                # Exact ties (zeros from the ReLU) are settled by the same first-maximum rule in both engines.
                gap = gap[(top[:, 0] > 0) & (gap > 0)]
                pool.append(gap.min().item() if gap.numel() else float("inf"))
            hooks.append(m.register_forward_hook(window_gap))
    with torch.no_grad():
        out = net(inp)
    for h in hooks:
        h.remove()
    main, minor = out[:, :3], out[:, 3:]
    d_main, _ = torch.max(torch.abs(main - processed) / (inp + 0.1), dim=1)
    d_minor, _ = torch.max(torch.abs(minor - processed) / (inp + 0.1), dim=1)
    return {"relu": min(pre), "max_pool": min(pool), "irt_confidence": (d_main - d_minor).abs().min().item(),
            "l1_sign": (out - torch.cat((processed, processed), dim=1)).abs().min().item()}


def grads_of(net):
    return OrderedDict((k, p.grad.detach().clone()) for k, p in net.named_parameters())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--shared", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(2)
    torch.manual_seed(SEED)
    net = UNet(6, 32)
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.xavier_normal_(m.weight)
            if m.bias is not None:
                nn.init.normal_(m.bias, std=0.02)
    torch.save(net.state_dict(), os.path.join(a.out, "dvp_init.pth"))

    inp = torch.rand(1, 3, 32, 64)
    processed = (0.8 * inp + 0.1 + 0.05 * torch.randn(inp.shape)).clamp(0, 1)
    exact = UNet(6, 32).double()
    exact.load_state_dict({k: v.double() for k, v in net.state_dict().items()})
    margins = decision_margins(exact, inp.double(), processed.double())
    if min(margins.values()) < MIN_MARGIN:
        raise SystemExit(f"seed {SEED} puts a discrete choice within {MIN_MARGIN} of its edge ({margins}); "
                         "pick another seed so float32 rounding cannot flip it")
    np.save(os.path.join(a.out, "dvp_input.npy"), inp.numpy())
    np.save(os.path.join(a.out, "dvp_processed.npy"), processed.numpy())

    out = net(inp)
    np.save(os.path.join(a.out, "dvp_out.npy"), out.detach().numpy())
    loss = irt_loss(out, inp, processed)
    loss.backward()
    torch.save(grads_of(net), os.path.join(a.out, "dvp_grads.pth"))

    net.zero_grad()
    loss_init = init_loss(net(inp), processed)
    loss_init.backward()
    torch.save(grads_of(net), os.path.join(a.out, "dvp_init_grads.pth"))

    opt = torch.optim.Adam(net.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8)
    trajectory = []
    for _ in range(5):
        opt.zero_grad()
        step_loss = irt_loss(net(inp), inp, processed)
        step_loss.backward()
        opt.step()
        trajectory.append(step_loss.item())
    torch.save(net.state_dict(), os.path.join(a.out, "dvp_after5.pth"))
    with open(os.path.join(a.out, "dvp.json"), "w") as f:
        json.dump({"irt": loss.item(), "irt_init": loss_init.item(), "trajectory": trajectory}, f)


if __name__ == "__main__":
    main()
