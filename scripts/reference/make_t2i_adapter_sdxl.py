#!/usr/bin/env python3
"""Writes test/fixtures/t2i-adapter-sdxl/: an SDXL T2I-Adapter with random weights for the tiny SDXL fixture's UNet
(test/fixtures/sdxl/tiny-sdxl/unet), in TencentARC's layout and in diffusers' (the layout the released
t2i-adapter-*-sdxl-1.0 files use), and its PyTorch outputs (the features, and the tiny SDXL UNet with them added).

The adapter is make_t2i_adapter.py's full adapter with xl: what ComfyUI's Adapter(xl=True) changes (ComfyUI's
load_t2i_adapter picks it for a conv_in taking 768 or 256 channels; diffusers calls it full_adapter_xl):
    x = PixelUnshuffle(16)(hint)                           [B, 256 Chint, H / 2, W / 2]   (H, W: the latent's)
    x = conv_in(x)                                         3x3 -> channels[0]
    level 1's first block changes the channels without down-sampling; level 2's first block down-samples
    (avg_pool2d 2) and changes them; levels 0 and 3 keep both
    feature i = x after level i
and where ComfyUI adds the features (its control "input" list, popped after every input block, then "middle"):
feature 0 to the output of level 0's down-sampler, features 1 and 2 to the output of level 1's and level 2's last
layer, feature 3 to the mid block's output (SDXL's UNet has three levels).

Configuration: the tiny SDXL UNet's channels 32/64/96 (adapter channels 32, 64, 96, 96), a 3-channel hint
(cin 768), ksize 1, 2 blocks per level, as the released SDXL adapters. Weights f16 in the files (the reference
computes in f32 from the same values), drawn as make_t2i_adapter.py's (make_controlnet.py's init), seed 31. Inputs: x, t, context,
text_embeds, time_ids and hint from test/fixtures/controlnet-sdxl/reference.safetensors.

Files:
  t2i_xl_full.safetensors       TencentARC layout (conv_in.*, body.N.block1/block2/in_conv.*)
  t2i_xl_diffusers.safetensors  diffusers' T2IAdapter layout (adapter.*), which ComfyUI renames back to the above
  reference.safetensors         hint [2, 3, 128, 128] -> xl.i (i = 0..3); the tiny SDXL UNet on x: eps_plain,
                                eps_xl (features x 0.8 added as ComfyUI does)

Run from the repository root with Debian's Python (python3-torch):

    /usr/bin/python3 scripts/reference/make_t2i_adapter_sdxl.py
"""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from comfy_sampling import safetensors_io  # noqa: E402
from comfy_sampling.sdxl_unet import load_tiny_sdxl_unet  # noqa: E402
from make_controlnet import init  # noqa: E402
from make_t2i_adapter import Adapter, comfy_from_diffusers, diffusers_name, unet_with_adapter  # noqa: E402

CHANNELS = [32, 64, 96, 96]
HINT_CHANNELS = 3
SEED = 31
OUT = os.path.join("test", "fixtures", "t2i-adapter-sdxl")


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    unet = load_tiny_sdxl_unet()
    adapter = Adapter(CHANNELS, 2, HINT_CHANNELS * 256, 1, xl=True).eval()
    init(adapter, torch.Generator().manual_seed(SEED))

    state = adapter.state_dict()
    safetensors_io.write(os.path.join(OUT, "t2i_xl_full.safetensors"), {k: v.half() for k, v in state.items()}, {"format": "pt"})
    diffusers = {diffusers_name(k, 2): v.half() for k, v in state.items()}
    assert len(diffusers) == len(state)
    assert {comfy_from_diffusers(k): v for k, v in diffusers.items()}.keys() == state.keys()  # ComfyUI reads it back
    safetensors_io.write(os.path.join(OUT, "t2i_xl_diffusers.safetensors"), diffusers, {"format": "pt"})

    inputs = safetensors_io.read(os.path.join("test", "fixtures", "controlnet-sdxl", "reference.safetensors"))
    x, t, context, text_embeds, time_ids, hint = (inputs[k] for k in ("x", "t", "context", "text_embeds", "time_ids", "hint"))
    out = {}
    with torch.no_grad():
        feats = adapter(hint)
        for i, f in enumerate(feats):
            out[f"xl.{i}"] = f
        out["eps_plain"] = unet(x, t, context, text_embeds, time_ids)
        assert torch.equal(out["eps_plain"], inputs["eps_plain"])
        zeros = [torch.zeros_like(f) for f in feats]
        temb = unet.embedding(t, text_embeds, time_ids)
        assert torch.allclose(unet_with_adapter(unet, x, temb, context, zeros, xl=True), out["eps_plain"], atol=1e-5)
        out["eps_xl"] = unet_with_adapter(unet, x, temb, context, [f * 0.8 for f in feats], xl=True)
    safetensors_io.write(os.path.join(OUT, "reference.safetensors"), out, {"torch": torch.__version__})
    print("features:", [tuple(f.shape) for f in feats], "; max |xl.0|", float(feats[0].abs().max()))
    print("max |eps_xl - eps_plain| =", float((out["eps_xl"] - out["eps_plain"]).abs().max()),
          "; max |eps_plain| =", float(out["eps_plain"].abs().max()))


if __name__ == "__main__":
    main()
