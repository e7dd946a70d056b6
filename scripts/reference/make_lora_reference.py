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
from comfy_sampling.lora import random_lora  # noqa: E402

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


def main():
    generator = torch.Generator().manual_seed(SEED)
    unet = safetensors_io.read(os.path.join(MODEL, "unet/diffusion_pytorch_model.safetensors"))
    text_encoder = safetensors_io.read(os.path.join(MODEL, "text_encoder/model.safetensors"))
    kohya, peft, merged_unet = random_lora(unet, {m: m for m in UNET_MODULES}, STRENGTH_UNET, "lora_unet_", "unet.", RANK, ALPHA, generator)
    kohya_te, peft_te, merged_text_encoder = random_lora(text_encoder, {m: m for m in TEXT_ENCODER_MODULES}, STRENGTH_TEXT_ENCODER,
                                                         "lora_te_", "text_encoder.", RANK, ALPHA, generator)
    kohya.update(kohya_te)
    peft.update(peft_te)
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
