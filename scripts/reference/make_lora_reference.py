#!/usr/bin/env python3
"""The LoRA reference: a random LoRA for the tiny fixture model in two layouts, and the model with it
merged offline, written without any of latentflow's code.

Run from the repository root with Debian's Python (python3-torch):

    /usr/bin/python3 scripts/reference/make_lora_reference.py

Writes test/fixtures/lora/:
  tiny-lora.kohya.safetensors   kohya / A1111 names: lora_unet_<module>.lora_down.weight / .lora_up.weight /
                                .alpha, lora_te_<module>... (module = diffusers name with '.' as '_')
  tiny-lora.peft.safetensors    the same pairs in PEFT / diffusers names: unet.<module>.lora_A.weight /
                                .lora_B.weight, text_encoder.<module>...; no alpha (alpha / rank folded into B)
  merged.unet.safetensors       every patched UNet weight W + STRENGTH_UNET * alpha / rank * up @ down
  merged.text_encoder.safetensors  the same for the text encoder with STRENGTH_TEXT_ENCODER
  reference.json                the seed, rank, alpha, strengths and the modules

The modules cover each kind of layer a LoRA touches: attention projections (self and cross), a 1x1
convolution used as a linear layer (proj_in), the GEGLU projection, LoCon 3x3 convolutions (a resnet's
conv1, a stride-2 down-sampler and an up-sampler that convolves the up-sampled map), a 1x1 conv_shortcut,
and text encoder q_proj / fc1 / out_proj. The merge is computed in float64 and stored as float32.
"""

import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__)))
from comfy_sampling import safetensors_io  # noqa: E402

SEED = 1919
RANK = 4
ALPHA = 2.0
STRENGTH_UNET = 0.8
STRENGTH_TEXT_ENCODER = 0.6
MODEL = "test/fixtures/tiny-sd"
OUT = "test/fixtures/lora"

UNET_MODULES = [
    "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q",
    "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_k",
    "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_v",
    "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0",
    "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k",
    "down_blocks.0.attentions.0.proj_in",
    "mid_block.attentions.0.transformer_blocks.0.ff.net.0.proj",
    "up_blocks.1.attentions.2.proj_out",
    "down_blocks.1.resnets.0.conv1",
    "down_blocks.1.resnets.0.conv_shortcut",
    "down_blocks.0.downsamplers.0.conv",
    "up_blocks.0.upsamplers.0.conv",
]
TEXT_ENCODER_MODULES = [
    "text_model.encoder.layers.0.self_attn.q_proj",
    "text_model.encoder.layers.1.mlp.fc1",
    "text_model.encoder.layers.1.self_attn.out_proj",
]


def pair_for(weight, generator):
    """down [r, in(, k, k)], up [out, r(, 1, 1)] for a weight [out, in(, k, k)]: LoCon's shapes for convolutions."""
    out_features, in_features = weight.shape[0], weight.shape[1]
    if weight.dim() == 4:
        k = weight.shape[2]
        down = torch.randn((RANK, in_features, k, k), generator=generator) / (in_features * k * k) ** 0.5
        up = torch.randn((out_features, RANK, 1, 1), generator=generator) * 0.5
    else:
        down = torch.randn((RANK, in_features), generator=generator) / in_features ** 0.5
        up = torch.randn((out_features, RANK), generator=generator) * 0.5
    return down.float(), up.float()


def merged(weight, down, up, strength):
    delta = up.double().flatten(1) @ down.double().flatten(1)
    return (weight.double() + strength * ALPHA / RANK * delta.reshape(weight.shape)).float()


def main():
    generator = torch.Generator().manual_seed(SEED)
    unet = safetensors_io.read(os.path.join(MODEL, "unet/diffusion_pytorch_model.safetensors"))
    text_encoder = safetensors_io.read(os.path.join(MODEL, "text_encoder/model.safetensors"))
    kohya, peft, merged_unet, merged_text_encoder = {}, {}, {}, {}
    for network, modules, weights, strength, merged_out, kohya_prefix, peft_prefix in [
        ("unet", UNET_MODULES, unet, STRENGTH_UNET, merged_unet, "lora_unet_", "unet."),
        ("text_encoder", TEXT_ENCODER_MODULES, text_encoder, STRENGTH_TEXT_ENCODER, merged_text_encoder, "lora_te_", "text_encoder."),
    ]:
        for module in modules:
            weight = weights[module + ".weight"]
            down, up = pair_for(weight, generator)
            key = kohya_prefix + module.replace(".", "_")
            kohya[key + ".lora_down.weight"] = down
            kohya[key + ".lora_up.weight"] = up
            kohya[key + ".alpha"] = torch.tensor(ALPHA)
            peft[peft_prefix + module + ".lora_A.weight"] = down
            peft[peft_prefix + module + ".lora_B.weight"] = (up.double() * (ALPHA / RANK)).float()
            merged_out[module + ".weight"] = merged(weight, down, up, strength)
    os.makedirs(OUT, exist_ok=True)
    safetensors_io.write(os.path.join(OUT, "tiny-lora.kohya.safetensors"), kohya, {"ss_network_dim": RANK, "ss_network_alpha": ALPHA})
    safetensors_io.write(os.path.join(OUT, "tiny-lora.peft.safetensors"), peft, {"format": "pt"})
    safetensors_io.write(os.path.join(OUT, "merged.unet.safetensors"), merged_unet)
    safetensors_io.write(os.path.join(OUT, "merged.text_encoder.safetensors"), merged_text_encoder)
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump({"seed": SEED, "rank": RANK, "alpha": ALPHA, "strength_unet": STRENGTH_UNET,
                   "strength_text_encoder": STRENGTH_TEXT_ENCODER, "torch": torch.__version__,
                   "unet_modules": UNET_MODULES, "text_encoder_modules": TEXT_ENCODER_MODULES}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
