#!/usr/bin/env python3
"""Distils a TAESD for the demo model (models/diffusers/shapes-sd) from its VAE.

Run from the repository root with Debian's Python (python3-torch), after making the data with the engine:

    node --import tsx scripts/taesd/make-data.ts /tmp/taesd-data 4096
    /usr/bin/python3 scripts/taesd/train_taesd.py /tmp/taesd-data models/vae_approx [minutes]

The network is SD 1.x's TAESD (scripts/reference/taesd/model.py: 64 channels, blocks 1-3-3-3 / 3-3-3-1),
so it loads with the default configuration, as madebyollin's files do. Decoder: model-space latents ->
the VAE's decode of them (in [0, 1]); the latents get a little Gaussian noise half of the time, so
step previews of partly denoised latents stay sensible. Encoder: pictures -> the VAE's latents (model
space). Both: MSE on random windows of 4x4 latent cells (32x32 pixels; the networks are convolutional,
and whole 64x64 pictures cost 4x more on two cores), batch 8, Adam with a cosine learning rate, each for
half of the time budget; the held-out error is on 256 whole pictures. Writes
taesd_decoder.safetensors and taesd_encoder.safetensors (f16) and prints the held-out errors.
"""

import math
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))

from comfy_sampling import safetensors_io, training_data  # noqa: E402
from taesd.model import decoder, encoder  # noqa: E402


def crop(x, y, gen, cells, factor):
    """The same random window of x (cells x cells) and y (factor times larger): y = factor * x's size or x = factor * y's."""
    small, large = (x, y) if x.shape[-1] < y.shape[-1] else (y, x)
    n = small.shape[-1]
    i, j = (int(v) for v in torch.randint(0, n - cells + 1, (2,), generator=gen))
    small_c = small[..., i:i + cells, j:j + cells]
    large_c = large[..., i * factor:(i + cells) * factor, j * factor:(j + cells) * factor]
    return (small_c, large_c) if small is x else (large_c, small_c)


def train(net, inputs, targets, seconds, augment=None, lr=1e-3, batch=8, cells=4):
    held = 256
    x_train, y_train, x_test, y_test = inputs[held:], targets[held:], inputs[:held], targets[:held]
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    start, step = time.time(), 0
    gen = torch.Generator().manual_seed(0)
    while time.time() - start < seconds:
        frac = (time.time() - start) / seconds
        for g in opt.param_groups:
            g["lr"] = lr * 0.5 * (1 + math.cos(math.pi * frac))
        idx = torch.randint(0, len(x_train), (batch,), generator=gen)
        x, y = crop(x_train[idx], y_train[idx], gen, cells, 8)
        if augment is not None:
            x = augment(x, gen)
        loss = torch.nn.functional.mse_loss(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if step % 200 == 0:
            print(f"  step {step}, {time.time() - start:.0f} s, train MSE {loss.item():.5f}", flush=True)
    with torch.no_grad():
        test = torch.nn.functional.mse_loss(net(x_test), y_test).item()
    return step, test


def noisy(x, gen):
    keep = torch.rand((x.shape[0], 1, 1, 1), generator=gen) < 0.5
    return torch.where(keep, x, x + 0.1 * torch.randn(x.shape, generator=gen) * x.std())


def main():
    data_file, out_dir = sys.argv[1], sys.argv[2]
    minutes = float(sys.argv[3]) if len(sys.argv) > 3 else 8.0
    torch.set_num_threads(2)
    torch.manual_seed(0)
    data, _ = training_data.read(data_file)
    images = (data["images"] * 0.5 + 0.5).clamp(0, 1)
    decoded = (data["decoded"] * 0.5 + 0.5).clamp(0, 1)
    latents = data["latents"]
    print(f"{len(latents)} pictures; latent std {latents.std():.3f}")

    dec = decoder()
    steps, test = train(dec, latents, decoded, minutes * 30, augment=noisy)
    print(f"decoder: {steps} steps, held-out MSE against the VAE's decodes {test:.5f} (pictures in [0, 1])")
    enc = encoder()
    steps, test_enc = train(enc, images, latents, minutes * 30)
    print(f"encoder: {steps} steps, held-out MSE against the VAE's latents {test_enc:.5f} (latent variance {latents.var():.3f})")

    os.makedirs(out_dir, exist_ok=True)
    meta = {"format": "pt", "latentflow": "TAESD distilled from models/diffusers/shapes-sd's VAE by scripts/taesd/train_taesd.py"}
    safetensors_io.write(os.path.join(out_dir, "taesd_decoder.safetensors"), {k: v.half() for k, v in dec.state_dict().items()}, meta)
    safetensors_io.write(os.path.join(out_dir, "taesd_encoder.safetensors"), {k: v.half() for k, v in enc.state_dict().items()}, meta)


if __name__ == "__main__":
    main()
