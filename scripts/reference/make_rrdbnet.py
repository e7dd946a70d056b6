#!/usr/bin/env python3
"""Writes test/fixtures/rrdbnet/: tiny RRDBNets (ESRGAN upscale models) with random weights, in both key
layouts, x2 and x4, and their PyTorch outputs.

Run from the repository root with Debian's Python (python3-torch, python3-numpy):

    /usr/bin/python3 scripts/reference/make_rrdbnet.py

Models (nf = 8 features, gc = 4 growth channels; the engine runs the same code at ESRGAN's 64 / 32):
  new_x4.safetensors  new layout (conv_first, body.N.rdbK.convJ, ...), 2 RRDBs, 2 up-samplings: x4
  new_x2.safetensors  new layout, Real-ESRGAN's x2: pixel-unshuffle by 2 (conv_first takes 12 channels), 1 RRDB, 2 up-samplings
  old_x2.safetensors  old layout (model.0, model.1.sub.N.RDBK.convJ.0, ...), 2 RRDBs, 1 up-sampling: x2
  old_x4.safetensors  old layout, 1 RRDB, 2 up-samplings: x4
Weights: Kaiming-normal convolutions for leaky ReLU (slope 0.2) with seeds 0..3, biases N(0, 0.05), so
activations stay O(1) and the output depends on the input. reference.safetensors: `image` [1, 3, 13, 10]
(uniform [0, 1], seed 10: odd sides, so the x2 model's reflect padding is exercised) and `<model>` each
model's raw output (unclamped) [1, 3, 13 s, 10 s].
"""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from comfy_sampling import safetensors_io  # noqa: E402
from rrdbnet.model import RRDBNet, to_old_layout  # noqa: E402

MODELS = {
    # name: (layout, blocks, up-samplings, pixel-unshuffle factor)
    "new_x4": ("new", 2, 2, 1),
    "new_x2": ("new", 1, 2, 2),
    "old_x2": ("old", 2, 1, 1),
    "old_x4": ("old", 1, 2, 1),
}


def init(module):
    for m in module.modules():
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(m.weight, a=0.2, nonlinearity="leaky_relu")
            torch.nn.init.normal_(m.bias, std=0.05)
    return module


def main():
    torch.set_num_threads(2)
    out_dir = os.path.join("test", "fixtures", "rrdbnet")
    os.makedirs(out_dir, exist_ok=True)
    image = torch.rand((1, 3, 13, 10), generator=torch.Generator().manual_seed(10))
    reference = {"image": image}
    for seed, (name, (layout, nb, ups, shuffle)) in enumerate(MODELS.items()):
        torch.manual_seed(seed)
        net = init(RRDBNet(nf=8, gc=4, nb=nb, upsamples=ups, shuffle=shuffle)).eval()
        with torch.no_grad():
            out = net(image)
            zero = net(torch.zeros_like(image))
        state = net.state_dict()
        if layout == "old":
            state = to_old_layout(state, nb, ups)
        safetensors_io.write(os.path.join(out_dir, f"{name}.safetensors"), state, {"format": "pt"})
        reference[name] = out
        print(f"{name}: {tuple(out.shape)}, mean {out.mean():.4f} std {out.std():.4f}, max |f(x) - f(0)| = {(out - zero).abs().max():.4f}")
    safetensors_io.write(os.path.join(out_dir, "reference.safetensors"), reference, {"torch": torch.__version__})


if __name__ == "__main__":
    main()
