#!/usr/bin/env python3
"""Writes new files into test/fixtures/controlnet-sdxl/ (make_controlnet_sdxl.py's files stay as they are): a tiny
Control-LoRA for the tiny SDXL UNet, and tiny zero-depth SDXL ControlNets in both layouts, with their PyTorch outputs.
The model code is make_controlnet_sdxl.py's (ControlNetSDXL on comfy_sampling/sdxl_unet.py's encoder).

Control-LoRA (ComfyUI's ControlLora; Stability AI's control-lora-*-rank128 files): a file with a tensor named
"lora_controlnet" whose ControlNet is built with the MODEL's UNet configuration. Every encoder weight is the model's
(the tiny SDXL UNet's), then each tensor of the file is set on it: "<layer>.weight" / ".bias" replace the model's,
"<layer>.up" / "<layer>.down" make W + up.flatten(1) @ down.flatten(1) (reshaped to W; no alpha, no scale). Here:
rank 4 pairs on every conv / linear of levels 1 and 2, the mid block and the embeddings (level 0 and conv_in keep
the model's weights untouched), the mid block's norms and a few biases replaced, one weight both replaced and given a
pair, and a new hint encoder and zero convolutions (seed 31). LDM names, f16 in the file.

Zero-depth ControlNets (diffusers/controlnet-*-sdxl-1.0-mid and -small): transformer_layers_per_block with 0
entries. As ComfyUI reads them (model_detection's SDXL_mid_cnet / SDXL_small_cnet, cldm.ControlNet): a level of
depth 0 has no attention at all (the norm and projections diffusers keeps for it are left over, not read); the mid
block's depth is the last level's, and a depth-0 mid block keeps its norm, projections and residual (a
Transformer2D without transformer blocks). "mid": depths [0, 0, 1] (level 1 CrossAttnDownBlock2D of depth 0);
"small": [0, 0, 0] (no cross-attention anywhere: the context is not read). Seeds 41 / 42.

Files (new):
  control_lora_sdxl.safetensors            the Control-LoRA (LDM names, "lora_controlnet")
  controlnet_sdxl_{mid,small}_diffusers.safetensors / .json   diffusers' names, with the depth-0 levels' attention
                                            norm / proj_in / proj_out (random: they must not be read), and config.json
  controlnet_sdxl_{mid,small}_ldm.safetensors / .json         LDM names (no attention at depth-0 levels), same config
  reference_variants.safetensors           make_controlnet_sdxl.py's inputs (x, t, context, text_embeds, time_ids, hint)
                                            -> lora.down.k, lora.mid, lora.eps (the tiny SDXL UNet with the Control-LoRA's
                                            residuals at strength 0.8); mid.down.k, mid.mid; small.down.k, small.mid

Run from the repository root with Debian's Python (python3-torch):

    /usr/bin/python3 scripts/reference/make_controlnet_sdxl_variants.py
"""

import copy
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from comfy_sampling import safetensors_io  # noqa: E402
from comfy_sampling.sdxl_unet import Transformer2D, load_tiny_sdxl_unet, tiny_sdxl_config  # noqa: E402
from comfy_sampling.unet import torch_sd15  # noqa: E402
from make_controlnet import init  # noqa: E402
from make_controlnet_sdxl import OUT, ControlNetSDXL, controlnet_config, sgm_name  # noqa: E402

RANK = 4


def inputs():
    """make_controlnet_sdxl.py's call (the same seeds and values)."""
    g = lambda seed: torch.Generator().manual_seed(seed)  # noqa: E731
    return {
        "x": torch.randn((2, 4, 16, 16), generator=g(1)),
        "t": torch.tensor([981.0, 137.0]),
        "context": torch.randn((2, 77, 80), generator=g(2)),
        "text_embeds": torch.randn((2, 40), generator=g(3)),
        "time_ids": torch.tensor([[128.0, 128.0, 0.0, 0.0, 128.0, 128.0], [96.0, 112.0, 8.0, 16.0, 128.0, 128.0]]),
        "hint": torch.rand((2, 3, 128, 128), generator=g(4)),
    }


def run(net, i):
    with torch.no_grad():
        return net(i["x"], i["t"], i["context"], i["hint"], i["text_embeds"], i["time_ids"])


def ldm(state, config, net):
    return {sgm_name(k, config["layers_per_block"], len(net.controlnet_cond_embedding.blocks)): v for k, v in state.items()}


def half(t):
    return t.half().float()


def control_lora(sd, config, unet, i, out):
    net = ControlNetSDXL(sd, config).eval()
    init(net, torch.Generator().manual_seed(31))  # the hint encoder and zero convolutions keep these
    missing, unexpected = net.load_state_dict(unet.state_dict(), strict=False)
    assert not [k for k in missing if not k.startswith("controlnet_")], missing
    assert all(k.startswith(("up_blocks.", "conv_norm_out.", "conv_out.")) for k in unexpected), unexpected
    g = torch.Generator().manual_seed(32)
    state = net.state_dict()
    file = {}
    for k in state:
        if k.startswith("controlnet_"):
            file[k] = half(state[k])  # the file's own: hint encoder, zero convolutions
    replaced = [k for k in state if k.startswith("mid_block.") and ".norm" in k and "transformer_blocks" not in k]
    replaced += ["down_blocks.1.resnets.0.conv1.bias", "down_blocks.2.attentions.0.proj_out.bias", "time_embedding.linear_1.bias",
                 "down_blocks.2.attentions.0.proj_in.weight"]
    for k in replaced:
        file[k] = half(state[k] + 0.1 * torch.randn(state[k].shape, generator=g))
    paired = [k for k, v in state.items() if v.dim() >= 2 and not k.startswith("controlnet_")
              and not k.startswith(("down_blocks.0.", "conv_in."))]
    pairs = {}
    for k in paired:
        w = file.get(k, state[k])
        rows, cols = w.shape[0], w[0].numel()
        up = half(0.2 * torch.randn((rows, RANK) + (1, 1) * (w.dim() == 4), generator=g))
        down = half(torch.randn((RANK, ) + tuple(w.shape[1:]), generator=g) / cols ** 0.5)
        pairs[k] = (up, down)
    resolved = {k: file.get(k, v) for k, v in state.items()}
    for k, (up, down) in pairs.items():
        resolved[k] = resolved[k] + (up.flatten(1) @ down.flatten(1)).reshape(resolved[k].shape)
    net.load_state_dict(resolved, strict=True)
    names = ldm(file, config, net)
    for k, (up, down) in pairs.items():
        layer = sgm_name(k, config["layers_per_block"], len(net.controlnet_cond_embedding.blocks))[: -len(".weight")]
        names[layer + ".up"] = up
        names[layer + ".down"] = down
    names = {k: v.half() for k, v in names.items()}
    names["lora_controlnet"] = torch.zeros(1)
    safetensors_io.write(os.path.join(OUT, "control_lora_sdxl.safetensors"), names, {"format": "pt"})
    down, mid = run(net, i)
    for k, r in enumerate(down):
        out[f"lora.down.{k}"] = r
    out["lora.mid"] = mid
    with torch.no_grad():
        out["lora.eps"] = unet(i["x"], i["t"], i["context"], i["text_embeds"], i["time_ids"], [r * 0.8 for r in down], mid * 0.8)
    print(f"Control-LoRA: {len(pairs)} pairs, {len(replaced)} replaced; max |mid| {float(mid.abs().max()):.3g}")


def zero_depth(sd, base_config, name, depths, seed, i, out):
    config = copy.deepcopy(base_config)
    config["transformer_layers_per_block"] = depths
    # ComfyUI's meaning: a level of depth 0 builds no attention; the mid block keeps the last level's depth.
    model_config = copy.deepcopy(config)
    model_config["down_block_types"] = ["DownBlock2D" if d == 0 else t for t, d in zip(config["down_block_types"], depths)]
    net = ControlNetSDXL(sd, model_config).eval()
    init(net, torch.Generator().manual_seed(seed))
    state = net.state_dict()
    # What diffusers stores for a CrossAttnDownBlock2D of depth 0: a Transformer2D without blocks (never read).
    extra = {}
    g = torch.Generator().manual_seed(seed + 100)
    chs, heads = config["block_out_channels"], config["num_attention_heads"] or config["attention_head_dim"]
    for level, (kind, d) in enumerate(zip(config["down_block_types"], depths)):
        if kind != "CrossAttnDownBlock2D" or d != 0:
            continue
        for j in range(config["layers_per_block"]):
            t = Transformer2D(sd, chs[level], heads[level], config["cross_attention_dim"], config["norm_num_groups"], 0, config["use_linear_projection"])
            init(t, g)
            for k, v in t.state_dict().items():
                extra[f"down_blocks.{level}.attentions.{j}.{k}"] = v
    assert extra or name == "none"
    meta = {"format": "pt"}
    safetensors_io.write(os.path.join(OUT, f"controlnet_sdxl_{name}_diffusers.safetensors"), {k: v.half() for k, v in {**state, **extra}.items()}, meta)
    safetensors_io.write(os.path.join(OUT, f"controlnet_sdxl_{name}_ldm.safetensors"), {k: v.half() for k, v in ldm(state, config, net).items()}, meta)
    for layout in ("diffusers", "ldm"):
        with open(os.path.join(OUT, f"controlnet_sdxl_{name}_{layout}.json"), "w") as f:
            json.dump(controlnet_config(config), f, indent=2)
            f.write("\n")
    down, mid = run(net, i)
    for k, r in enumerate(down):
        out[f"{name}.down.{k}"] = r
    out[f"{name}.mid"] = mid
    print(f"zero-depth {name} {depths}: {len(extra)} unread diffusers tensors; max |mid| {float(mid.abs().max()):.3g}")


def main():
    torch.set_num_threads(1)
    sd = torch_sd15()
    unet = load_tiny_sdxl_unet()
    config = tiny_sdxl_config()
    i = inputs()
    out = dict(i)
    control_lora(sd, config, unet, i, out)
    zero_depth(sd, config, "mid", [0, 0, 1], 41, i, out)
    zero_depth(sd, config, "small", [0, 0, 0], 42, i, out)
    safetensors_io.write(os.path.join(OUT, "reference_variants.safetensors"), out, {"torch": torch.__version__})


if __name__ == "__main__":
    main()
