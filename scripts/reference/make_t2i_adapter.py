#!/usr/bin/env python3
"""Writes test/fixtures/t2i-adapter/: T2I-Adapters with random weights for the tiny-sd fixture's UNet, in the
key layouts ComfyUI's ControlNetLoader recognises (comfy/controlnet.py load_t2i_adapter), and their PyTorch
outputs (the adapter's features, and the UNet with them added).

The adapters (TencentARC's T2I-Adapter as comfy/t2i_adapter/adapter.py defines it, written here from that
definition; parameter names are the original checkpoints'):

  full adapter (Adapter, sk=True, use_conv=False, nums_rb=2, as ComfyUI builds it for a "conv_in.weight" file):
    x = PixelUnshuffle(8)(hint)                                  [B, 64 Chint, H, W]   (H, W: the latent's)
    x = conv_in(x)                                               3x3 -> channels[0]
    per level i, per block j (body.{2i+j}):
        if i > 0 and j == 0: x = avg_pool2d(x, 2)                (Downsample, use_conv=False)
        if in != out: x = in_conv(x)                             (ksize x ksize; only where channels change)
        x = x + block2(relu(block1(x)))                          block1 3x3, block2 ksize x ksize
    feature i = x after level i                                  [B, channels[i], H / 2^i, W / 2^i]
  light adapter (Adapter_light, nums_rb=4, for a "body.0.in_conv.weight" file):
    per level i (body.i): (i > 0: avg_pool2d 2), in_conv 1x1 -> channels[i] / 4, 4 x (x + block2(relu(block1(x)))),
    out_conv 1x1 -> channels[i]; feature i = its output.
  diffusers' T2IAdapter (full_adapter): the full adapter's tensors under "adapter.": adapter.conv_in,
    adapter.body.{i}.resnets.{j}.block1/block2 (= body.{2i+j}), adapter.body.{i}.in_conv (= body.{2i}.in_conv).

ComfyUI adds the features as control "input": after every input block of the UNet it pops the next entry of
[f3, -, -, f2, -, -, f1, -, -, f0, -, -] (from the end) and adds it in place to h, so feature i is added to the
output of level i's last layer (before the level's downsampler), changing both that skip connection and the
rest of the down path. Strength multiplies the features (control_merge); the adapter does not see the
timestep, so ComfyUI runs it once per hint size.

Configuration: the tiny-sd UNet's channels (32/64/64/64), a 3-channel hint (cin 192), ksize 1 (the released
sd14v1 adapters' setting). Weights are f16 in the files (the reference computes in f32 from the same values):
weights N(0, 1/fan_in), biases N(0, 0.05^2) (make_controlnet.py's init; the adapters have no norm layers), seed 0
(full) and 1 (light).

Files:
  t2i_full.safetensors      TencentARC layout (conv_in.*, body.N.block1/block2/in_conv.*)
  t2i_diffusers.safetensors the same tensors in diffusers' layout (adapter.*)
  t2i_light.safetensors     a light adapter (body.i.in_conv/out_conv, body.i.body.k.block1/block2)
  reference.safetensors     hint [2, 3, 128, 128] -> full.i, light.i (i = 0..3); hint_odd [1, 3, 40, 56] -> full_odd.i;
                            x16 [2, 4, 16, 16], t [2], context [2, 77, 32]: the tiny-sd UNet's eps_plain, and
                            eps_full (full adapter features x 0.8 added as ComfyUI does)

Run from the repository root with Debian's Python (python3-torch, python3-numpy):

    /usr/bin/python3 scripts/reference/make_t2i_adapter.py
"""

import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from comfy_sampling import safetensors_io  # noqa: E402
from comfy_sampling.unet import load_tiny_unet, torch_sd15, up_path  # noqa: E402
from make_controlnet import init  # noqa: E402

CHANNELS = [32, 64, 64, 64]
HINT_CHANNELS = 3


def downsample(x):
    # comfy/t2i_adapter/adapter.py Downsample(use_conv=False): avg_pool2d(2, 2), padded by (H % 2, W % 2)
    return F.avg_pool2d(x, 2, 2, padding=(x.shape[2] % 2, x.shape[3] % 2))


class ResnetBlock(nn.Module):
    def __init__(self, in_c, out_c, down, ksize):
        super().__init__()
        self.in_conv = nn.Conv2d(in_c, out_c, ksize, 1, ksize // 2) if in_c != out_c else None
        self.block1 = nn.Conv2d(out_c, out_c, 3, 1, 1)
        self.block2 = nn.Conv2d(out_c, out_c, ksize, 1, ksize // 2)
        self.down = down

    def forward(self, x):
        if self.down:
            x = downsample(x)
        if self.in_conv is not None:
            x = self.in_conv(x)
        return self.block2(F.relu(self.block1(x))) + x


class Adapter(nn.Module):
    """The full adapter; with xl, ComfyUI's Adapter(xl=True) (SDXL's): PixelUnshuffle 16, level 1 widens without
    down-sampling, level 2 widens and down-samples, levels 0 and 3 keep both."""

    def __init__(self, channels, nums_rb, cin, ksize, xl=False):
        super().__init__()
        self.unshuffle = nn.PixelUnshuffle(16 if xl else 8)
        self.channels, self.nums_rb = channels, nums_rb
        body = []
        for i in range(len(channels)):
            for j in range(nums_rb):
                first = j == 0 and i > 0 and (not xl or i in (1, 2))  # the block that changes the channels
                down = first and (i == 2 or not xl)
                body.append(ResnetBlock(channels[i - 1] if first else channels[i], channels[i], down, ksize))
        self.body = nn.ModuleList(body)
        self.conv_in = nn.Conv2d(cin, channels[0], 3, 1, 1)

    def forward(self, hint):
        x = self.conv_in(self.unshuffle(hint))
        features = []
        for i in range(len(self.channels)):
            for j in range(self.nums_rb):
                x = self.body[i * self.nums_rb + j](x)
            features.append(x)
        return features


class LightResnet(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.block1 = nn.Conv2d(c, c, 3, 1, 1)
        self.block2 = nn.Conv2d(c, c, 3, 1, 1)

    def forward(self, x):
        return self.block2(F.relu(self.block1(x))) + x


class Extractor(nn.Module):
    def __init__(self, in_c, inter_c, out_c, nums_rb, down):
        super().__init__()
        self.in_conv = nn.Conv2d(in_c, inter_c, 1, 1, 0)
        self.body = nn.Sequential(*[LightResnet(inter_c) for _ in range(nums_rb)])
        self.out_conv = nn.Conv2d(inter_c, out_c, 1, 1, 0)
        self.down = down

    def forward(self, x):
        if self.down:
            x = downsample(x)
        return self.out_conv(self.body(self.in_conv(x)))


class AdapterLight(nn.Module):
    def __init__(self, channels, nums_rb, cin):
        super().__init__()
        self.unshuffle = nn.PixelUnshuffle(8)
        self.body = nn.ModuleList([Extractor(cin if i == 0 else channels[i - 1], channels[i] // 4, channels[i], nums_rb, i > 0)
                                   for i in range(len(channels))])

    def forward(self, hint):
        x = self.unshuffle(hint)
        features = []
        for block in self.body:
            x = block(x)
            features.append(x)
        return features


def diffusers_name(name, nums_rb):
    """TencentARC full-adapter name -> diffusers' T2IAdapter name (the inverse of ComfyUI's prefix_replace)."""
    parts = name.split(".")
    if parts[0] == "conv_in":
        return "adapter." + name
    n = int(parts[1])
    i, j = divmod(n, nums_rb)
    if parts[2] == "in_conv":
        assert j == 0, name
        return f"adapter.body.{i}.in_conv.{parts[3]}"
    return f"adapter.body.{i}.resnets.{j}.{'.'.join(parts[2:])}"


def comfy_from_diffusers(name):
    """ComfyUI's load_t2i_adapter renaming of a diffusers file (state_dict_prefix_replace, first match wins)."""
    replace = {}
    for i in range(4):
        for j in range(2):
            replace[f"adapter.body.{i}.resnets.{j}."] = f"body.{i * 2 + j}."
        replace[f"adapter.body.{i}."] = f"body.{i * 2}."
    replace["adapter."] = ""
    for old, new in replace.items():
        if name.startswith(old):
            return new + name[len(old):]
    return name


def unet_with_adapter(unet, sample, temb, context, features, xl=False):
    """The UNet (SD 1.x's; SDXL's with xl) given its time embedding temb, with the adapter's features added where
    ComfyUI adds them (its control "input", then "middle"): feature i to level i's last layer output; for an SDXL
    adapter feature 0 to level 0's down-sampler output instead, and the last feature to the mid block's output."""
    x = unet.conv_in(sample)
    skips = [x]
    for i, block in enumerate(unet.down_blocks):
        for j, resnet in enumerate(block.resnets):
            x = resnet(x, temb)
            if block.attentions is not None:
                x = block.attentions[j](x, context)
            if j == len(block.resnets) - 1 and not (xl and i == 0):
                x = x + features[i]
            skips.append(x)
        if block.downsamplers is not None:
            x = block.downsamplers[0](x)
            if xl and i == 0:
                x = x + features[0]
            skips.append(x)
    x = unet.mid_block(x, temb, context)
    if xl:
        x = x + features[len(unet.down_blocks)]
    return up_path(unet, x, skips, temb, context)


def main():
    torch.set_num_threads(1)
    out_dir = os.path.join("test", "fixtures", "t2i-adapter")
    os.makedirs(out_dir, exist_ok=True)
    sd = torch_sd15()
    unet = load_tiny_unet()
    cin = HINT_CHANNELS * 64
    full = Adapter(CHANNELS, 2, cin, 1).eval()
    init(full, torch.Generator().manual_seed(0))
    light = AdapterLight(CHANNELS, 4, cin).eval()
    init(light, torch.Generator().manual_seed(1))

    state = full.state_dict()
    safetensors_io.write(os.path.join(out_dir, "t2i_full.safetensors"), {k: v.half() for k, v in state.items()}, {"format": "pt"})
    diffusers = {diffusers_name(k, 2): v.half() for k, v in state.items()}
    assert len(diffusers) == len(state)
    assert {comfy_from_diffusers(k): v for k, v in diffusers.items()}.keys() == state.keys()  # ComfyUI reads it back
    safetensors_io.write(os.path.join(out_dir, "t2i_diffusers.safetensors"), diffusers, {"format": "pt"})
    safetensors_io.write(os.path.join(out_dir, "t2i_light.safetensors"), {k: v.half() for k, v in light.state_dict().items()}, {"format": "pt"})

    g = lambda seed: torch.Generator().manual_seed(seed)  # noqa: E731
    hint = torch.rand((2, HINT_CHANNELS, 128, 128), generator=g(3))
    hint_odd = torch.rand((1, HINT_CHANNELS, 40, 56), generator=g(6))
    x16 = torch.randn((2, 4, 16, 16), generator=g(8))
    t = torch.tensor([999.0, 431.5])
    context = torch.randn((2, 77, 32), generator=g(2))
    out = {"hint": hint, "hint_odd": hint_odd, "x16": x16, "t": t, "context": context}
    with torch.no_grad():
        feats = full(hint)
        for i, f in enumerate(feats):
            out[f"full.{i}"] = f
        for i, f in enumerate(light(hint)):
            out[f"light.{i}"] = f
        for i, f in enumerate(full(hint_odd)):
            out[f"full_odd.{i}"] = f
        out["eps_plain"] = unet(x16, t, context)
        zeros = [torch.zeros_like(f) for f in feats]
        temb = unet.time_embedding(sd.timestep_sinusoid(t, unet.sinusoid_dim))
        assert torch.allclose(unet_with_adapter(unet, x16, temb, context, zeros), out["eps_plain"], atol=1e-5)
        out["eps_full"] = unet_with_adapter(unet, x16, temb, context, [f * 0.8 for f in feats])
    safetensors_io.write(os.path.join(out_dir, "reference.safetensors"), out, {"torch": torch.__version__})
    print("features:", [tuple(f.shape) for f in feats], "; max |full.0|", float(feats[0].abs().max()))
    print("max |eps_full - eps_plain| =", float((out["eps_full"] - out["eps_plain"]).abs().max()),
          "; max |eps_plain| =", float(out["eps_plain"].abs().max()))


if __name__ == "__main__":
    main()
