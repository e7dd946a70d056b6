#!/usr/bin/env python3
"""Trains a LoRA (LoCon: attention, feed-forward and convolution layers) for the demo model's UNet on the
latents of make-data.ts, and saves it in kohya / A1111 naming.

Run from the repository root with Debian's Python (python3-torch), after making the data with the engine:

    node --import tsx scripts/train/make-data.ts /tmp/lora-stripes stripes 2048
    /usr/bin/python3 scripts/train/train_lora.py /tmp/lora-stripes models/loras/shapes-stripes.safetensors [minutes] [rank] [resume.safetensors]

(resume: start from a LoRA this script saved, e.g. the output of an earlier run, to train it further.)

Every Linear and Conv2d of the UNet's down, mid and up blocks (attention projections, proj_in/proj_out,
the GEGLU and output layers of the feed-forward, the resnets' convolutions, time projections and 1x1
shortcuts, the down- and up-samplers) gets a pair: y = W x + (alpha / rank) up(down(x)), down [r, in]
(a conv kernel [r, cin, k, k] with the layer's stride and padding for convolutions), up [out, r] (1x1 for
convolutions), up starting at zero so training starts from the base model. The base weights and the text
encoder stay frozen (no lora_te_* pairs: the file changes the pictures, not the prompt's meaning).
Loss: SD's epsilon MSE at uniform timesteps on the demo's caption patterns (demo_model.caption), batch 32,
Adam 1e-3 with a cosine decay, for a wall-clock budget on one thread. Saved as f16:
lora_unet_<diffusers module name with '.' as '_'>.lora_down.weight / .lora_up.weight / .alpha.
"""

import math
import os
import random
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_model  # noqa: E402
from demo_model import safetensors_io  # noqa: E402


class LoRA(nn.Module):
    """A frozen Linear or Conv2d plus scale * up(down(x))."""

    def __init__(self, base, rank, alpha):
        super().__init__()
        self.base, self.scale = base, alpha / rank
        if isinstance(base, nn.Linear):
            self.down = nn.Linear(base.in_features, rank, bias=False)
            self.up = nn.Linear(rank, base.out_features, bias=False)
        else:
            self.down = nn.Conv2d(base.in_channels, rank, base.kernel_size, base.stride, base.padding, bias=False)
            self.up = nn.Conv2d(rank, base.out_channels, 1, bias=False)
        nn.init.kaiming_uniform_(self.down.weight, a=math.sqrt(5))
        nn.init.zeros_(self.up.weight)

    def forward(self, x):
        return self.base(x) + self.scale * self.up(self.down(x))


def add_loras(unet, rank, alpha):
    """Wraps every Linear / Conv2d of the down, mid and up blocks; returns {diffusers module name: LoRA}."""
    names = [n for n, m in unet.named_modules() if isinstance(m, (nn.Linear, nn.Conv2d)) and n.split(".")[0] in ("down_blocks", "mid_block", "up_blocks")]
    loras = {}
    for name in names:
        parent_name, _, child = name.rpartition(".")
        parent = unet.get_submodule(parent_name)
        loras[name] = LoRA(getattr(parent, child), rank, alpha)
        setattr(parent, child, loras[name])
    return loras


def save_kohya(loras, rank, alpha, path, metadata):
    tensors = {}
    for name, lora in loras.items():
        key = "lora_unet_" + name.replace(".", "_")
        tensors[key + ".lora_down.weight"] = lora.down.weight.detach().half()
        tensors[key + ".lora_up.weight"] = lora.up.weight.detach().half()
        tensors[key + ".alpha"] = torch.tensor(float(alpha)).half()
    safetensors_io.write(path, tensors, {"ss_network_module": "networks.lora", "ss_network_dim": rank, "ss_network_alpha": alpha,
                                         "ss_base_model_version": "sd_v1", **metadata})


def load_kohya(loras, path):
    tensors = safetensors_io.read(path)
    for name, lora in loras.items():
        key = "lora_unet_" + name.replace(".", "_")
        lora.down.weight.data.copy_(tensors[key + ".lora_down.weight"].float())
        lora.up.weight.data.copy_(tensors[key + ".lora_up.weight"].float())


def main():
    data_path, out = sys.argv[1], sys.argv[2]
    minutes = float(sys.argv[3]) if len(sys.argv) > 3 else 9.0
    rank = int(sys.argv[4]) if len(sys.argv) > 4 else 8
    alpha = float(rank)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    rng = random.Random(0)
    generator = torch.Generator().manual_seed(0)

    data, style = demo_model.read_data(data_path)
    latents, labels = data["latents"], data["labels"]
    unet, clip, words = demo_model.load_unet(), demo_model.load_text_encoder(), demo_model.Words()
    loras = add_loras(unet, rank, alpha)
    resumed = sys.argv[5] if len(sys.argv) > 5 else None
    if resumed:
        load_kohya(loras, resumed)
    params = [p for lora in loras.values() for p in (lora.down.weight, lora.up.weight)]
    print(f"{style}: {len(latents)} latents; {len(loras)} LoRA modules, rank {rank}, {sum(p.numel() for p in params)} parameters"
          f"{', resumed from ' + resumed if resumed else ''}", flush=True)
    optimizer = torch.optim.Adam(params, lr=1e-3)
    schedule = demo_model.alphas_cumprod()
    token_embedding = clip.text_model.embeddings.token_embedding

    batch, budget, start, step, running = 32, minutes * 60, time.time(), 0, None
    while time.time() - start < budget:
        for g in optimizer.param_groups:
            g["lr"] = 1e-3 * 0.5 * (1 + math.cos(math.pi * min(1.0, (time.time() - start) / budget)))
        index = torch.randint(0, len(latents), (batch,), generator=generator)
        ids = torch.tensor([words.ids(demo_model.caption(labels[i], rng)) for i in index.tolist()])
        with torch.no_grad():
            context = demo_model.encode_embeds(clip, token_embedding(ids))
        x_t, t, eps = demo_model.noisy(latents[index], generator, schedule)
        loss = torch.nn.functional.mse_loss(unet(x_t, t, context), eps)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        step += 1
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if step % 25 == 0:
            print(f"step {step}  {time.time() - start:.0f} s  loss {running:.4f}", flush=True)
    save_kohya(loras, rank, alpha, out, {"ss_training_comment": f"latentflow scripts/train/train_lora.py, style {style}, {step} steps x batch {batch}{' after ' + resumed if resumed else ''}"})
    print(f"saved {out}: {step} steps, final running loss {running:.4f}", flush=True)


if __name__ == "__main__":
    main()
