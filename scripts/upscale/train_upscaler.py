#!/usr/bin/env python3
"""Trains a small 2x RRDBNet (ESRGAN's generator) for the demo model's pictures.

Run from the repository root with Debian's Python (python3-torch), after making the data with the engine:

    node --import tsx scripts/upscale/make-data.ts /tmp/upscale-data 1024
    /usr/bin/python3 scripts/upscale/train_upscaler.py /tmp/upscale-data models/upscale_models [minutes]

The network is scripts/reference/rrdbnet/model.py's RRDBNet (the one the engine is tested against) with
32 features, 16 growth channels, 1 RRDB and one nearest-2x up-sampling (the original ESRGAN's x2 shape,
saved under Real-ESRGAN's names: conv_first, body.N.rdbK.convJ, conv_body, conv_up1, conv_hr, conv_last).
Input: the demo VAE's 64x64 pictures; target: the same scenes drawn at 128x128 (make-data.ts). MSE loss
(what PSNR measures) on random 32x32 windows with flips, batch 8, Adam 1e-3 with a cosine
schedule, one thread, for the time budget; the RDB convolutions start at a tenth of Kaiming's scale, as
ESRGAN's. The first 128 pairs are held out: their PSNR against the 128x128 drawings is printed for the
network (its f16 weights, as shipped), bicubic and nearest-neighbour up-sampling. Writes
shapes-esrgan-2x.safetensors (f16).
"""

import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))

from comfy_sampling import safetensors_io, training_data  # noqa: E402
from rrdbnet.model import RRDBNet  # noqa: E402

HELD = 128


def psnr(x, y):
    """Mean over pictures of 10 log10(1 / MSE), pictures in [0, 1]."""
    mse = ((x.clamp(0, 1) - y) ** 2).flatten(1).mean(1)
    return (10 * torch.log10(1 / mse)).mean().item()


def main():
    data_file, out_dir = sys.argv[1], sys.argv[2]
    minutes = float(sys.argv[3]) if len(sys.argv) > 3 else 9.0
    torch.set_num_threads(1)
    torch.manual_seed(0)
    data, _ = training_data.read(data_file)
    low, high = data["low"] * 0.5 + 0.5, data["high"] * 0.5 + 0.5
    x_train, y_train, x_test, y_test = low[HELD:], high[HELD:], low[:HELD], high[:HELD]
    print(f"{len(low)} pairs, {HELD} held out")

    net = RRDBNet(nf=32, gc=16, nb=1, upsamples=1, shuffle=1)
    with torch.no_grad():
        for name, p in net.named_parameters():
            if name.startswith("body.") and name.endswith(".weight"):
                p.mul_(0.1)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(0)
    start, step, seconds, batch, cells = time.time(), 0, minutes * 60, 8, 32
    while time.time() - start < seconds:
        for g in opt.param_groups:
            g["lr"] = 1e-3 * 0.5 * (1 + math.cos(math.pi * min(1.0, (time.time() - start) / seconds)))
        idx = torch.randint(0, len(x_train), (batch,), generator=gen)
        i, j = (int(v) for v in torch.randint(0, 64 - cells + 1, (2,), generator=gen))
        x = x_train[idx, :, i:i + cells, j:j + cells]
        y = y_train[idx, :, 2 * i:2 * (i + cells), 2 * j:2 * (j + cells)]
        if torch.rand((), generator=gen) < 0.5:
            x, y = x.flip(-1), y.flip(-1)
        if torch.rand((), generator=gen) < 0.5:
            x, y = x.flip(-2), y.flip(-2)
        loss = F.mse_loss(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if step % 100 == 0:
            print(f"  step {step}, {time.time() - start:.0f} s, train MSE {loss.item():.5f}", flush=True)

    state = {k: v.half() for k, v in net.state_dict().items()}
    net.load_state_dict({k: v.float() for k, v in state.items()})  # evaluate what is shipped
    with torch.no_grad():
        ours = torch.cat([net(x_test[k:k + 16]) for k in range(0, HELD, 16)])
    bicubic = F.interpolate(x_test, scale_factor=2, mode="bicubic", align_corners=False)
    nearest = F.interpolate(x_test, scale_factor=2, mode="nearest")
    print(f"{step} steps in {time.time() - start:.0f} s; held-out PSNR against the 128x128 drawings ({HELD} pictures): "
          f"RRDBNet {psnr(ours, y_test):.2f} dB, bicubic {psnr(bicubic, y_test):.2f} dB, nearest {psnr(nearest, y_test):.2f} dB")
    os.makedirs(out_dir, exist_ok=True)
    meta = {"format": "pt", "latentflow": "2x RRDBNet for the demo model's pictures, by scripts/upscale/train_upscaler.py"}
    safetensors_io.write(os.path.join(out_dir, "shapes-esrgan-2x.safetensors"), state, meta)


if __name__ == "__main__":
    main()
