#!/usr/bin/env python3
"""Writes test/fixtures/controlnet/: a ControlNet with random weights for the tiny-sd fixture's UNet, in both
checkpoint layouts, and its PyTorch outputs (the ControlNet's residuals, and the UNet with them added).

The ControlNet and the UNet with its residuals: comfy_sampling/controlnet.py (diffusers' ControlNetModel /
lllyasviel's cldm.ControlNet on the blocks of bench/baseline/torch_sd15.py, diffusers' parameter names; the
network scripts/train/train_controlnet.py trains). Several ControlNets stack as ComfyUI's control_merge:
strength_1 * r_1 + strength_2 * r_2 (a "global average pooling" ControlNet first replaces each map by its
per-channel mean).

Configuration: the tiny-sd UNet's encoder (channels 32/64/64/64, 2 layers per block, 8 heads, context 32)
with a small hint encoder (conditioning_embedding_out_channels 8, 16, 16, 32). Weights are f16 in the files
(the reference computes in f32 from the same f16 values): weights N(0, 1/fan_in), biases N(0, 0.05^2), norm
scales 1 + N(0, 0.1^2), seed 0.

Files:
  controlnet_ldm.safetensors        lllyasviel's layout under "control_model." (input_blocks.*, input_hint_block.*,
                                    zero_convs.*, middle_block_out.*), metadata {"format": "pt"}
  controlnet_diffusers.safetensors  diffusers' ControlNetModel names
  reference.safetensors             x [2, 4, 8, 8], t [2], context [2, 77, 32], hint [2, 3, 64, 64] -> down.k, mid;
                                    x16 [2, 4, 16, 16] with hint1 [1, 3, 128, 128] (one hint, broadcast) -> down1.k, mid1;
                                    x_odd [1, 4, 5, 7], hint_odd [1, 3, 40, 56], context_odd, t = 250 -> down_odd.k, mid_odd;
                                    the UNet on x16: eps_plain, eps_one (hint16 at 0.8), eps_two (+ hint1 at 0.5, pooled)

Run from the repository root with Debian's Python (python3-torch, python3-numpy):

    /usr/bin/python3 scripts/reference/make_controlnet.py
"""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from comfy_sampling import safetensors_io  # noqa: E402
from comfy_sampling.controlnet import ControlNet, unet_with_residuals  # noqa: E402
from comfy_sampling.unet import load_tiny_unet, torch_sd15  # noqa: E402

HINT_CHANNELS = (8, 16, 16, 32)


def init(module, generator):
    with torch.no_grad():
        for name, p in module.named_parameters():
            if p.dim() >= 2:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=generator) / fan_in ** 0.5)
            elif "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=generator))
            else:
                p.copy_(0.05 * torch.randn(p.shape, generator=generator))
            p.copy_(p.half().float())  # the files hold f16; compute from exactly those values


RESNET = {"norm1": "in_layers.0", "conv1": "in_layers.2", "time_emb_proj": "emb_layers.1", "norm2": "out_layers.0",
          "conv2": "out_layers.3", "conv_shortcut": "skip_connection"}


def ldm_name(name, layers_per_block, hint_blocks):
    """diffusers ControlNetModel name -> lllyasviel's (cldm) name."""
    parts = name.split(".")
    R = layers_per_block
    if parts[0] == "time_embedding":
        return f"time_embed.{0 if parts[1] == 'linear_1' else 2}.{parts[2]}"
    if parts[0] == "conv_in":
        return f"input_blocks.0.0.{parts[1]}"
    if parts[0] == "controlnet_cond_embedding":
        if parts[1] == "conv_in":
            return f"input_hint_block.0.{parts[2]}"
        if parts[1] == "conv_out":
            return f"input_hint_block.{2 * (hint_blocks + 1)}.{parts[2]}"
        return f"input_hint_block.{2 * (int(parts[2]) + 1)}.{parts[3]}"
    if parts[0] == "controlnet_down_blocks":
        return f"zero_convs.{parts[1]}.0.{parts[2]}"
    if parts[0] == "controlnet_mid_block":
        return f"middle_block_out.0.{parts[1]}"
    if parts[0] == "mid_block":
        index = {"resnets.0": 0, "attentions.0": 1, "resnets.1": 2}[f"{parts[1]}.{parts[2]}"]
        rest = parts[3:]
        if parts[1] == "resnets":
            rest = [RESNET[rest[0]]] + rest[1:]
        return ".".join([f"middle_block.{index}"] + rest)
    assert parts[0] == "down_blocks", name
    i = int(parts[1])
    if parts[2] == "downsamplers":
        return f"input_blocks.{(i + 1) * (R + 1)}.0.op.{parts[5]}"
    j = int(parts[3])
    block = 1 + i * (R + 1) + j
    if parts[2] == "resnets":
        return ".".join([f"input_blocks.{block}.0", RESNET[parts[4]]] + parts[5:])
    return ".".join([f"input_blocks.{block}.1"] + parts[4:])


def main():
    torch.set_num_threads(1)
    out_dir = os.path.join("test", "fixtures", "controlnet")
    os.makedirs(out_dir, exist_ok=True)
    sd = torch_sd15()
    unet = load_tiny_unet()
    net = ControlNet(sd, unet, HINT_CHANNELS).eval()  # the UNet's encoder layout; init() draws every weight anew
    init(net, torch.Generator().manual_seed(0))

    state = net.state_dict()
    hint_blocks = len(net.controlnet_cond_embedding.blocks)
    safetensors_io.write(os.path.join(out_dir, "controlnet_diffusers.safetensors"), {k: v.half() for k, v in state.items()}, {"format": "pt"})
    ldm = {"control_model." + ldm_name(k, 2, hint_blocks): v.half() for k, v in state.items()}
    assert len(ldm) == len(state)
    safetensors_io.write(os.path.join(out_dir, "controlnet_ldm.safetensors"), ldm, {"format": "pt"})

    g = lambda seed: torch.Generator().manual_seed(seed)  # noqa: E731
    x = torch.randn((2, 4, 8, 8), generator=g(1))
    t = torch.tensor([999.0, 431.5])
    context = torch.randn((2, 77, 32), generator=g(2))
    hint = torch.rand((2, 3, 64, 64), generator=g(3))
    # The broadcast and UNet cases run at 16x16: at 8x8 the mid block works on 1x1 maps, where each group norm
    # normalises 2 values and amplifies rounding (torch itself moves the mid residual by ~1e-4 x max between a
    # broadcast batch-1 hint and the same hint repeated), too ill-conditioned to compare at 1e-4.
    x16 = torch.randn((2, 4, 16, 16), generator=g(8))
    hint16 = torch.rand((2, 3, 128, 128), generator=g(9))
    hint1 = torch.rand((1, 3, 128, 128), generator=g(4))
    x_odd = torch.randn((1, 4, 5, 7), generator=g(5))
    hint_odd = torch.rand((1, 3, 40, 56), generator=g(6))
    context_odd = torch.randn((1, 77, 32), generator=g(7))
    out = {"x": x, "t": t, "context": context, "hint": hint, "hint1": hint1, "x_odd": x_odd, "hint_odd": hint_odd,
           "context_odd": context_odd, "x16": x16, "hint16": hint16}
    with torch.no_grad():
        down, mid = net(x, t, context, hint)
        for k, r in enumerate(down):
            out[f"down.{k}"] = r
        out["mid"] = mid
        down1, mid1 = net(x16, t, context, hint1)  # one hint for the whole batch
        for k, r in enumerate(down1):
            out[f"down1.{k}"] = r
        out["mid1"] = mid1
        down_odd, mid_odd = net(x_odd, torch.tensor([250.0]), context_odd, hint_odd)
        for k, r in enumerate(down_odd):
            out[f"down_odd.{k}"] = r
        out["mid_odd"] = mid_odd
        # on x16: one ControlNet at strength 0.8 on (hint16); two stacked: that, plus strength 0.5 with global
        # average pooling on (hint1)
        down16, mid16 = net(x16, t, context, hint16)
        pool = lambda r: r.mean(dim=(2, 3), keepdim=True).expand_as(r)  # noqa: E731
        stacked_down = [a * 0.8 + pool(b) * 0.5 for a, b in zip(down16, down1)]
        stacked_mid = mid16 * 0.8 + pool(mid1) * 0.5
        out["eps_plain"] = unet(x16, t, context)
        out["eps_one"] = unet_with_residuals(sd, unet, x16, t, context, [r * 0.8 for r in down16], mid16 * 0.8)
        out["eps_two"] = unet_with_residuals(sd, unet, x16, t, context, stacked_down, stacked_mid)
    safetensors_io.write(os.path.join(out_dir, "reference.safetensors"), out, {"torch": torch.__version__})
    print("residuals:", len(down), "; max |down.0|", float(down[0].abs().max()), "; max |mid|", float(mid.abs().max()))
    print("max |eps_one - eps_plain| =", float((out["eps_one"] - out["eps_plain"]).abs().max()),
          "; max |eps_plain| =", float(out["eps_plain"].abs().max()))


if __name__ == "__main__":
    main()
