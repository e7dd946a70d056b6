#!/usr/bin/env python3
"""Trains a ControlNet for the demo model (models/diffusers/shapes-sd) conditioned on Canny edge maps, and saves
it in diffusers' ControlNetModel naming (what ControlNetLoader reads, native/src/io/controlnet_file.cc).

Run from the repository root with Debian's Python (python3-torch), after making the data with the engine:

    node --import tsx scripts/train/make-data.ts /tmp/cn-data plain 1024 37 hints 0.1 0.2
    /usr/bin/python3 scripts/train/train_controlnet.py /tmp/cn-data models/controlnet/shapes-canny.safetensors [minutes] [resume.safetensors|-] [lr]

(models/controlnet/README.md lists the runs that made the shipped file.)

The ControlNet (scripts/reference/comfy_sampling/controlnet.py, the network of the controlnet test fixtures) is
ControlNet's own recipe (Zhang et al. 2023) at the demo's size: a trainable copy of the demo UNet's encoder
(conv_in, time embedding, the 4 down blocks, the mid block: same shapes, same starting weights), a hint encoder
(controlnet_cond_embedding: 3x3 convolutions 3 -> 16, 16 -> 16, 16 -> 32 stride 2, 32 -> 32, 32 -> 32 stride 2,
32 -> 32, 32 -> 64 stride 2, SiLU between, then conv_out 64 -> 64: the 64x64 edge map to the 8x8 latent grid) added
after conv_in, and 1x1 zero convolutions (controlnet_down_blocks.0-11, controlnet_mid_block) whose outputs are
added to the frozen UNet's 12 skips and its mid-block output. conv_out and the zero convolutions start at zero, so
training starts from the demo model exactly. The demo UNet and text encoder stay frozen. Loss: SD's epsilon MSE at
uniform timesteps with the demo's captions (demo_model.caption), the hint the picture's Canny edge map
(make-data.ts's `hints`, as the Canny node makes it, in all three channels), batch 16, Adam (lr 5e-4 unless given)
with a cosine decay, for a wall-clock budget on one thread. Saved as f16 every 50 steps and at the end.
"""

import math
import os
import random
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_model  # noqa: E402
from comfy_sampling.controlnet import ControlNet, unet_with_residuals  # noqa: E402
from comfy_sampling.unet import torch_sd15  # noqa: E402
from demo_model import safetensors_io  # noqa: E402

HINT_CHANNELS = (16, 32, 32, 64)


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
    sd = torch_sd15()
    net = ControlNet(sd, unet, HINT_CHANNELS, zero=True).requires_grad_(True)  # the frozen UNet's copy trains
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
        loss = F.mse_loss(unet_with_residuals(sd, unet, x_t, t, context, down, mid), eps)
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
