#!/usr/bin/env python3
"""The SDXL LoRA reference: a random LoRA for the tiny SDXL fixture model (test/fixtures/sdxl/tiny-sdxl) in
kohya's SDXL naming and in PEFT / diffusers naming, and the model with it merged offline, written without
any of latentflow's code.

Run from the repository root with Debian's Python (python3-torch):

    /usr/bin/python3 scripts/reference/make_sdxl_lora_reference.py

Writes test/fixtures/sdxl-lora/:
  tiny-sdxl-lora.kohya.safetensors  kohya / A1111 names as kohya's sd-scripts write them for SDXL: the UNet's
                                    modules under their original (SGM) names, lora_unet_input_blocks_4_1_...,
                                    lora_unet_middle_block_1_..., lora_unet_output_blocks_3_0_in_layers_2,
                                    lora_unet_label_emb_0_0; the text encoders as lora_te1_<module> (CLIP-L)
                                    and lora_te2_<module> (OpenCLIP bigG, transformers' names); each with
                                    .lora_down.weight / .lora_up.weight / .alpha
  tiny-sdxl-lora.peft.safetensors   the same pairs in PEFT / diffusers names: unet.<diffusers module>,
                                    text_encoder.<module>, text_encoder_2.<module> .lora_A.weight /
                                    .lora_B.weight; no alpha (alpha / rank folded into B)
  merged.unet.safetensors, merged.text_encoder.safetensors, merged.text_encoder_2.safetensors
                                    every patched weight W + strength * alpha / rank * up @ down (diffusers
                                    names; float64 merge stored as float32); strength STRENGTH_UNET for the
                                    UNet, STRENGTH_TEXT_ENCODER for both text encoders (ComfyUI's
                                    strength_clip scales the whole CLIP)
  reference.json                    the seed, rank, alpha, strengths and the modules in both namings

The diffusers -> SGM names below follow the block arithmetic of the original UNet (input_blocks.0 is conv_in;
down block b, layer l is input_blocks.(1 + b * (layers + 1) + l), its down-sampler the block's last index,
`.0.op`; up block b, layer l is output_blocks.(b * (layers + 1) + l), resnet `.0`, attention `.1`, the
up-sampler `.2.conv` after an attention, and resnet parts in_layers.2 = conv1, emb_layers.1 = time_emb_proj,
skip_connection = conv_shortcut; add_embedding.linear_1 = label_emb.0.0), written out per module so a
reader can check each one against the SDXL checkpoint's own keys.
"""

import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__)))
from comfy_sampling import safetensors_io  # noqa: E402
from comfy_sampling.lora import random_lora  # noqa: E402

SEED = 2222
RANK = 4
ALPHA = 3.0
STRENGTH_UNET = 0.7
STRENGTH_TEXT_ENCODER = 0.9
MODEL = "test/fixtures/sdxl/tiny-sdxl"
OUT = "test/fixtures/sdxl-lora"

# diffusers module -> the SGM (original) module, for the tiny SDXL: layers_per_block 2, down blocks
# (DownBlock2D, CrossAttnDownBlock2D x 2), transformer_layers_per_block (1, 2, 3), linear proj_in / proj_out.
UNET_MODULES = {
    "down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q": "input_blocks.4.1.transformer_blocks.0.attn1.to_q",
    "down_blocks.1.attentions.1.proj_in": "input_blocks.5.1.proj_in",
    "down_blocks.2.attentions.1.transformer_blocks.2.attn2.to_k": "input_blocks.8.1.transformer_blocks.2.attn2.to_k",
    "down_blocks.2.attentions.0.transformer_blocks.1.attn2.to_v": "input_blocks.7.1.transformer_blocks.1.attn2.to_v",
    "mid_block.attentions.0.transformer_blocks.0.ff.net.0.proj": "middle_block.1.transformer_blocks.0.ff.net.0.proj",
    "mid_block.resnets.1.conv2": "middle_block.2.out_layers.3",
    "up_blocks.0.attentions.2.transformer_blocks.1.attn1.to_out.0": "output_blocks.2.1.transformer_blocks.1.attn1.to_out.0",
    "up_blocks.0.attentions.0.proj_out": "output_blocks.0.1.proj_out",
    "up_blocks.1.resnets.0.conv1": "output_blocks.3.0.in_layers.2",
    "up_blocks.1.resnets.0.conv_shortcut": "output_blocks.3.0.skip_connection",
    "down_blocks.0.resnets.1.time_emb_proj": "input_blocks.2.0.emb_layers.1",
    "down_blocks.0.downsamplers.0.conv": "input_blocks.3.0.op",
    "up_blocks.0.upsamplers.0.conv": "output_blocks.2.2.conv",
    "add_embedding.linear_1": "label_emb.0.0",
}
TEXT_ENCODER_MODULES = [
    "text_model.encoder.layers.0.self_attn.q_proj",
    "text_model.encoder.layers.1.mlp.fc2",
]
TEXT_ENCODER_2_MODULES = [
    "text_model.encoder.layers.0.self_attn.k_proj",
    "text_model.encoder.layers.1.self_attn.v_proj",
    "text_model.encoder.layers.1.self_attn.out_proj",
    "text_model.encoder.layers.2.mlp.fc1",
]


def main():
    generator = torch.Generator().manual_seed(SEED)
    networks = [
        # (diffusers folder, file, {diffusers module: kohya module}, strength, kohya prefix, PEFT prefix)
        ("unet", "diffusion_pytorch_model.safetensors", UNET_MODULES, STRENGTH_UNET, "lora_unet_", "unet."),
        ("text_encoder", "model.safetensors", {m: m for m in TEXT_ENCODER_MODULES}, STRENGTH_TEXT_ENCODER, "lora_te1_", "text_encoder."),
        ("text_encoder_2", "model.safetensors", {m: m for m in TEXT_ENCODER_2_MODULES}, STRENGTH_TEXT_ENCODER, "lora_te2_", "text_encoder_2."),
    ]
    kohya, peft = {}, {}
    os.makedirs(OUT, exist_ok=True)
    for folder, file, modules, strength, kohya_prefix, peft_prefix in networks:
        weights = safetensors_io.read(os.path.join(MODEL, folder, file))
        kohya_part, peft_part, merged_out = random_lora(weights, modules, strength, kohya_prefix, peft_prefix, RANK, ALPHA, generator)
        kohya.update(kohya_part)
        peft.update(peft_part)
        safetensors_io.write(os.path.join(OUT, f"merged.{folder}.safetensors"), merged_out)
    safetensors_io.write(os.path.join(OUT, "tiny-sdxl-lora.kohya.safetensors"), kohya,
                         {"ss_network_dim": RANK, "ss_network_alpha": ALPHA, "ss_base_model_version": "sdxl_base_v1-0"})
    safetensors_io.write(os.path.join(OUT, "tiny-sdxl-lora.peft.safetensors"), peft, {"format": "pt"})
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump({"seed": SEED, "rank": RANK, "alpha": ALPHA, "strength_unet": STRENGTH_UNET,
                   "strength_text_encoder": STRENGTH_TEXT_ENCODER, "torch": torch.__version__,
                   "unet_modules": UNET_MODULES, "text_encoder_modules": TEXT_ENCODER_MODULES,
                   "text_encoder_2_modules": TEXT_ENCODER_2_MODULES}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
