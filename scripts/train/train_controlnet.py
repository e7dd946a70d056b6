#!/usr/bin/env python3
"""Trains a ControlNet for the demo model (models/diffusers/shapes-sd) conditioned on Canny edge maps, and saves
it in diffusers' ControlNetModel naming (what ControlNetLoader reads, native/src/io/controlnet_file.cc).

Run from the repository root with Debian's Python (python3-torch), after making the data with the engine:

    node --import tsx scripts/train/make-data.ts /tmp/cn-data plain 1024 37 hints 0.1 0.2
    /usr/bin/python3 scripts/train/train_controlnet.py /tmp/cn-data models/controlnet/shapes-canny.safetensors [minutes] [resume.safetensors|-] [lr]

(models/controlnet/README.md lists the runs that made the shipped file.)

The ControlNet is ControlNet's own recipe (Zhang et al. 2023) at the demo's size: a trainable copy of the demo
UNet's encoder (conv_in, time embedding, the 4 down blocks, the mid block: same shapes, same starting weights),
a hint encoder (controlnet_cond_embedding: 3x3 convolutions 3 -> 16, 16 -> 16, 16 -> 32 stride 2, 32 -> 32,
32 -> 32 stride 2, 32 -> 32, 32 -> 64 stride 2, SiLU between, then conv_out 64 -> 64: the 64x64 edge map to the
8x8 latent grid) added after conv_in, and 1x1 zero convolutions (controlnet_down_blocks.0-11, controlnet_mid_block)
whose outputs are added to the frozen UNet's 12 skips and its mid-block output. conv_out and the zero convolutions
start at zero, so training starts from the demo model exactly. The demo UNet and text encoder stay frozen.
Loss: SD's epsilon MSE at uniform timesteps with the demo's captions (demo_model.caption), the hint the picture's
Canny edge map (make-data.ts's `hints`, as the Canny node makes it, in all three channels), batch 16, Adam (lr 5e-4
unless given) with a cosine decay, for a wall-clock budget on one thread. Saved as f16 every 50 steps and at the end.
"""

import copy
import math
import os
import random
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_model  # noqa: E402
from demo_model import safetensors_io  # noqa: E402

HINT_CHANNELS = (16, 32, 32, 64)


def timestep_sinusoid(t, dim):
    """diffusers' Timesteps(flip_sin_to_cos=True, freq_shift=0), as bench/baseline/torch_sd15.py's."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    angles = t.float()[:, None] * freqs[None, :]
    return torch.cat([torch.cos(angles), torch.sin(angles)], dim=-1)


class HintEncoder(nn.Module):
    """diffusers' ControlNetConditioningEmbedding: conv_in, blocks (pairs: same width, then stride 2), conv_out (zero)."""

    def __init__(self, channels, out_channels):
        super().__init__()
        self.conv_in = nn.Conv2d(3, channels[0], 3, padding=1)
        self.blocks = nn.ModuleList()
        for a, b in zip(channels[:-1], channels[1:]):
            self.blocks.append(nn.Conv2d(a, a, 3, padding=1))
            self.blocks.append(nn.Conv2d(a, b, 3, padding=1, stride=2))
        self.conv_out = nn.Conv2d(channels[-1], out_channels, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)

    def forward(self, x):
        x = F.silu(self.conv_in(x))
        for block in self.blocks:
            x = F.silu(block(x))
        return self.conv_out(x)


def zero_conv(ch):
    conv = nn.Conv2d(ch, ch, 1)
    nn.init.zeros_(conv.weight)
    nn.init.zeros_(conv.bias)
    return conv


class ControlNet(nn.Module):
    """The demo UNet's encoder (copied) + hint encoder + zero convolutions, diffusers' parameter names."""

    def __init__(self, unet):
        super().__init__()
        ch = unet.conv_in.out_channels
        self.sinusoid_dim = unet.sinusoid_dim
        self.conv_in = copy.deepcopy(unet.conv_in)
        self.time_embedding = copy.deepcopy(unet.time_embedding)
        self.down_blocks = copy.deepcopy(unet.down_blocks)
        self.mid_block = copy.deepcopy(unet.mid_block)
        self.controlnet_cond_embedding = HintEncoder(HINT_CHANNELS, ch)
        skips = 1 + sum(len(b.resnets) + (1 if b.downsamplers is not None else 0) for b in unet.down_blocks)
        self.controlnet_down_blocks = nn.ModuleList([zero_conv(b.resnets[-1].conv2.out_channels if i else ch) for i, b in
                                                     zip(range(skips), [unet.down_blocks[0]] * skips)])
        self.controlnet_mid_block = zero_conv(unet.mid_block.resnets[-1].conv2.out_channels)
        self.requires_grad_(True)

    def forward(self, sample, t, context, hint):
        temb = self.time_embedding(timestep_sinusoid(t, self.sinusoid_dim))
        x = self.conv_in(sample) + self.controlnet_cond_embedding(hint)
        skips = [x]
        for block in self.down_blocks:
            x, block_skips = block(x, temb, context)
            skips += block_skips
        x = self.mid_block(x, temb, context)
        return [conv(s) for conv, s in zip(self.controlnet_down_blocks, skips)], self.controlnet_mid_block(x)


def controlled_unet(unet, sample, t, context, down, mid, strength=1.0):
    """bench/baseline/torch_sd15.py's UNetSD15.forward with the ControlNet's residuals added (diffusers' way)."""
    temb = unet.time_embedding(timestep_sinusoid(t, unet.sinusoid_dim))
    x = unet.conv_in(sample)
    skips = [x]
    for block in unet.down_blocks:
        x, block_skips = block(x, temb, context)
        skips += block_skips
    skips = [s + strength * d for s, d in zip(skips, down)]
    x = unet.mid_block(x, temb, context) + strength * mid
    for block in unet.up_blocks:
        n = len(block.resnets)
        block_skips, skips = skips[-n:], skips[:-n]
        size = tuple(skips[-1].shape[2:]) if skips else None
        x = block(x, block_skips, temb, context, size)
    return unet.conv_out(F.silu(unet.conv_norm_out(x)))


def save(net, path, comment):
    tensors = {k: v.detach().half().contiguous() for k, v in net.state_dict().items()}
    safetensors_io.write(path, tensors, {"latentflow_training": comment})


def main():
    data_path, out = sys.argv[1], sys.argv[2]
    minutes = float(sys.argv[3]) if len(sys.argv) > 3 else 14.0
    resumed = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] != "-" else None
    lr = float(sys.argv[5]) if len(sys.argv) > 5 else 5e-4
    torch.set_num_threads(1)
    torch.manual_seed(0)
    rng = random.Random(0)
    generator = torch.Generator().manual_seed(0)

    data, style = demo_model.read_data(data_path)
    latents, labels, hints = data["latents"], data["labels"], data["hints"]
    unet, clip, words = demo_model.load_unet(), demo_model.load_text_encoder(), demo_model.Words()
    net = ControlNet(unet)
    if resumed:
        net.load_state_dict({k: v.float() for k, v in safetensors_io.read(resumed).items()}, strict=True)
    params = list(net.parameters())
    print(f"{style}: {len(latents)} latents with edge maps; ControlNet {sum(p.numel() for p in params)} parameters"
          f"{', resumed from ' + resumed if resumed else ''}, lr {lr}", flush=True)
    optimizer = torch.optim.Adam(params, lr=lr)
    schedule = demo_model.alphas_cumprod()
    token_embedding = clip.text_model.embeddings.token_embedding

    batch, budget, start, step, running = 16, minutes * 60, time.time(), 0, None
    while time.time() - start < budget:
        for g in optimizer.param_groups:
            g["lr"] = lr * 0.5 * (1 + math.cos(math.pi * min(1.0, (time.time() - start) / budget)))
        index = torch.randint(0, len(latents), (batch,), generator=generator)
        ids = torch.tensor([words.ids(demo_model.caption(labels[i], rng)) for i in index.tolist()])
        with torch.no_grad():
            context = demo_model.encode_embeds(clip, token_embedding(ids))
        x_t, t, eps = demo_model.noisy(latents[index], generator, schedule)
        hint = hints[index].expand(-1, 3, -1, -1)
        down, mid = net(x_t, t, context, hint)
        loss = F.mse_loss(controlled_unet(unet, x_t, t, context, down, mid), eps)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        step += 1
        running = loss.item() if running is None else 0.95 * running + 0.05 * loss.item()
        if step % 10 == 0:
            print(f"step {step}  {time.time() - start:.0f} s  loss {running:.4f}", flush=True)
        if step % 50 == 0:
            save(net, out, f"scripts/train/train_controlnet.py, {step} steps x batch {batch}, running loss {running:.4f}")
    save(net, out, f"scripts/train/train_controlnet.py, {step} steps x batch {batch}{' after ' + resumed if resumed else ''}, running loss {running:.4f}")
    print(f"saved {out}: {step} steps, final running loss {running:.4f}", flush=True)


if __name__ == "__main__":
    main()
