#!/usr/bin/env python3
"""Writes test/fixtures/taesd/: a TAESD with random weights and its PyTorch outputs.

SD 1.x's TAESD layout (4 levels, blocks 1-3-3-3 / 3-3-3-1, 4 latent channels) at 16 channels instead of
64 (config {"encoder_block_out_channels": [16, 16, 16, 16], "decoder_block_out_channels": [16, 16, 16, 16]}),
so the files stay small; the engine runs the same code at 64.

Run from the repository root with Debian's Python (python3-torch, python3-numpy):

    /usr/bin/python3 scripts/reference/make_taesd.py

Files: taesd_encoder.safetensors, taesd_decoder.safetensors (madebyollin's tensor names, f32, random
weights with seed 0 and 1: Kaiming-normal convs for ReLU, the last conv of each Block scaled by 0.5,
biases N(0, 0.1), so activations stay O(1) through the depth and the output depends on the input), reference.safetensors:
  latent [1, 4, 8, 8] (randn, seed 2, times 2: model-space latents are of that size) and decoded [1, 3, 64, 64]
  (the decoder's raw output), image [1, 3, 64, 64] (uniform [0, 1], seed 3) and encoded [1, 4, 8, 8].
"""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from comfy_sampling import safetensors_io  # noqa: E402
from taesd.model import decoder, encoder  # noqa: E402


CHANNELS = 16


def init(module):
    for m in module.modules():
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            if m.bias is not None:
                torch.nn.init.normal_(m.bias, std=0.1)
    for m in module.modules():
        if hasattr(m, "conv") and isinstance(m.conv, torch.nn.Sequential):
            with torch.no_grad():
                m.conv[4].weight.mul_(0.5)
    return module


def main():
    torch.set_num_threads(2)
    out_dir = os.path.join("test", "fixtures", "taesd")
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    enc = init(encoder(channels=CHANNELS)).eval()
    torch.manual_seed(1)
    dec = init(decoder(channels=CHANNELS)).eval()
    latent = torch.randn((1, 4, 8, 8), generator=torch.Generator().manual_seed(2)) * 2
    image = torch.rand((1, 3, 64, 64), generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        decoded = dec(latent)
        encoded = enc(image)
        decoded_zero = dec(torch.zeros_like(latent))
    print(f"max |decode(latent) - decode(0)| = {(decoded - decoded_zero).abs().max():.4f}")
    safetensors_io.write(os.path.join(out_dir, "taesd_encoder.safetensors"), enc.state_dict(), {"format": "pt"})
    safetensors_io.write(os.path.join(out_dir, "taesd_decoder.safetensors"), dec.state_dict(), {"format": "pt"})
    safetensors_io.write(os.path.join(out_dir, "reference.safetensors"),
                         {"latent": latent, "decoded": decoded, "image": image, "encoded": encoded},
                         {"torch": torch.__version__})
    print(f"decoded: mean {decoded.mean():.4f} std {decoded.std():.4f}; encoded: mean {encoded.mean():.4f} std {encoded.std():.4f}")


if __name__ == "__main__":
    main()
