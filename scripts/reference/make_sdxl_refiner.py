#!/usr/bin/env python3
"""A tiny SDXL refiner with random weights and its reference outputs, in PyTorch without diffusers or
latentflow's code (the UNet is comfy_sampling/sdxl_unet.py's: bench/baseline/torch_sd15.py's blocks arranged as
SDXL's UNet2DConditionModel, configured here with the refiner's 5 time ids; checked here against the
diffusers-made SDXL fixture before anything is written).

Run from the repository root with Debian's Python (python3-torch):

    /usr/bin/python3 scripts/reference/make_sdxl_refiner.py

Writes test/fixtures/sdxl-refiner/ (README.md there says what each file is):
  tiny-sdxl-refiner/              a diffusers folder as StableDiffusionXLImg2ImgPipeline saves a refiner:
                                  text_encoder_2 + tokenizer_2 only (no text_encoder), unet, vae, scheduler,
                                  model_index.json with requires_aesthetics_score
  tiny-sdxl-refiner.safetensors   the same weights as one fp32 file in the original (SGM) layout:
                                  model.diffusion_model.*, first_stage_model.*, conditioner.embedders.0.model.*
                                  (OpenCLIP names: fused in_proj q/k/v, text_projection [D, P])
  tiny-sdxl-refiner.json          what the weights cannot show (head counts, activation, VAE scale)
  expected/refiner.safetensors    the text encoding, the added conditioning (adm) and one UNet call
The folder's README.md is kept.
"""

import json
import math
import os
import shutil
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__)))
from comfy_sampling import safetensors_io  # noqa: E402
from comfy_sampling.sdxl_unet import SDXLUNet, load_tiny_sdxl_unet, tiny_sdxl_config  # noqa: E402
from comfy_sampling.unet import torch_sd15  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BASE = os.path.join(ROOT, "test", "fixtures", "sdxl")
OUT = os.path.join(ROOT, "test", "fixtures", "sdxl-refiner")
SEED = 4004

# The refiner's layout (SDXL refiner 1.0: block_out_channels (384, 768, 1536, 1536), DownBlock2D, CrossAttn x2,
# DownBlock2D, 4 transformer layers, heads = width / 64, context 1280 = bigG only, addition_time_embed_dim 256,
# adm 2560 = pooled 1280 + 5 x 256) at toy widths. Its text encoder is the SDXL fixture's bigG (text_encoder_2),
# as the real refiner's is the base model's.
UNET_CONFIG = {
    "block_out_channels": [32, 32, 64, 64],
    "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
    "layers_per_block": 2,
    "transformer_layers_per_block": [2, 2, 2, 2],
    "attention_head_dim": [2, 2, 4, 4],
    "cross_attention_dim": 48,
    "addition_time_embed_dim": 8,
    "projection_class_embeddings_input_dim": 40 + 5 * 8,
}


T = torch_sd15()  # bigG's layers, the Fourier features


# ---- bigG (transformers' CLIPTextModelWithProjection, gelu) ----------------------------------------------------

class BigG(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.text_model = T.CLIPTransformer(cfg["vocab_size"], cfg["max_position_embeddings"], cfg["hidden_size"], cfg["num_hidden_layers"],
                                            cfg["num_attention_heads"], cfg["intermediate_size"], cfg["layer_norm_eps"])
        for layer in self.text_model.encoder.layers:
            layer.mlp.forward = (lambda mlp: lambda x: mlp.fc2(F.gelu(mlp.fc1(x))))(layer.mlp)
        self.text_projection = nn.Linear(cfg["hidden_size"], cfg["projection_dim"], bias=False)

    def forward(self, ids):
        """-> (every hidden state [embeddings, layer 1, ...], text_embeds): pooled at the first eos (the highest id)."""
        tm = self.text_model
        x = tm.embeddings(ids)
        n = ids.shape[1]
        causal = torch.full((n, n), torch.finfo(x.dtype).min).triu(1)
        states = [x]
        for layer in tm.encoder.layers:
            x = layer(x, causal)
            states.append(x)
        last = tm.final_layer_norm(x)
        pooled = last[torch.arange(ids.shape[0]), ids.argmax(dim=-1)]
        return states, last, self.text_projection(pooled)


def fourier(values, dim):
    return T.timestep_sinusoid(torch.as_tensor(values, dtype=torch.float32), dim)


# ---- the original (SGM) layout -----------------------------------------------------------------------------

RESNET = {"norm1": "in_layers.0", "conv1": "in_layers.2", "time_emb_proj": "emb_layers.1", "norm2": "out_layers.0",
          "conv2": "out_layers.3", "conv_shortcut": "skip_connection"}


def sgm_unet_name(name, cfg):
    """A diffusers UNet parameter name -> its name under model.diffusion_model. in the original layout."""
    R = cfg["layers_per_block"]
    p = name.split(".")
    fixed = {"time_embedding.linear_1": "time_embed.0", "time_embedding.linear_2": "time_embed.2",
             "add_embedding.linear_1": "label_emb.0.0", "add_embedding.linear_2": "label_emb.0.2",
             "conv_in": "input_blocks.0.0", "conv_norm_out": "out.0", "conv_out": "out.2"}
    head = ".".join(p[:2])
    if head in fixed:
        return fixed[head] + "." + ".".join(p[2:])
    if p[0] == "conv_in" or p[0] == "conv_norm_out" or p[0] == "conv_out":
        return fixed[p[0]] + "." + ".".join(p[1:])

    def resnet(rest):
        return RESNET[rest[0]] + "." + ".".join(rest[1:])

    if p[0] == "down_blocks":
        i, kind, j, rest = int(p[1]), p[2], int(p[3]), p[4:]
        if kind == "downsamplers":
            return f"input_blocks.{(i + 1) * (R + 1)}.0.op." + ".".join(rest[1:])
        n = 1 + i * (R + 1) + j
        return f"input_blocks.{n}.0.{resnet(rest)}" if kind == "resnets" else f"input_blocks.{n}.1." + ".".join(rest)
    if p[0] == "mid_block":
        kind, j, rest = p[1], int(p[2]), p[3:]
        return f"middle_block.{2 * j}.{resnet(rest)}" if kind == "resnets" else "middle_block.1." + ".".join(rest)
    if p[0] == "up_blocks":
        i, kind, j, rest = int(p[1]), p[2], int(p[3]), p[4:]
        if kind == "upsamplers":
            attention = cfg["up_block_types"][i].startswith("CrossAttn")
            return f"output_blocks.{i * (R + 1) + R}.{2 if attention else 1}.conv." + ".".join(rest[1:])
        n = i * (R + 1) + j
        return f"output_blocks.{n}.0.{resnet(rest)}" if kind == "resnets" else f"output_blocks.{n}.1." + ".".join(rest)
    raise ValueError(f"no SGM name for {name}")


def openclip_state(state, layers):
    """transformers' CLIPTextModelWithProjection names -> open_clip's (fused in_proj, text_projection [D, P])."""
    out = {"token_embedding.weight": state["text_model.embeddings.token_embedding.weight"],
           "positional_embedding": state["text_model.embeddings.position_embedding.weight"],
           "ln_final.weight": state["text_model.final_layer_norm.weight"],
           "ln_final.bias": state["text_model.final_layer_norm.bias"],
           "text_projection": state["text_projection.weight"].t().contiguous()}
    for l in range(layers):
        d, o = f"text_model.encoder.layers.{l}.", f"transformer.resblocks.{l}."
        for x in ("weight", "bias"):
            out[o + "ln_1." + x] = state[d + "layer_norm1." + x]
            out[o + "ln_2." + x] = state[d + "layer_norm2." + x]
            out[o + "attn.out_proj." + x] = state[d + "self_attn.out_proj." + x]
            out[o + "mlp.c_fc." + x] = state[d + "mlp.fc1." + x]
            out[o + "mlp.c_proj." + x] = state[d + "mlp.fc2." + x]
            out[o + "attn.in_proj_" + x] = torch.cat([state[d + f"self_attn.{q}_proj." + x] for q in ("q", "k", "v")])
    return out


def te_state_of(base):
    state = safetensors_io.read(os.path.join(base, "tiny-sdxl", "text_encoder_2", "model.safetensors"))
    state.pop("text_model.embeddings.position_ids", None)
    return state


def unet_diffusers_config(cfg):
    config = tiny_sdxl_config()  # the SDXL fixture's, for every field the refiner shares
    config.update(cfg)
    config["mid_block_type"] = "UNetMidBlock2DCrossAttn"
    config["sample_size"] = 16
    return config


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    base_expected = safetensors_io.read(os.path.join(BASE, "expected", "sdxl.safetensors"))

    # 1. The UNet code against diffusers: the SDXL fixture's UNet and its reference call.
    base_cfg = tiny_sdxl_config()
    base_unet = load_tiny_sdxl_unet()
    with torch.no_grad():
        got = base_unet(base_expected["unet.sample"], base_expected["unet.timesteps"], base_expected["unet.encoder_hidden_states"],
                        base_expected["unet.text_embeds"], base_expected["unet.time_ids"])
    ref = base_expected["unet.noise_pred"]
    err = ((got - ref).abs().max() / ref.abs().max()).item()
    print(f"SDXL fixture UNet: relative max error {err:.2e} against diffusers")
    assert err < 1e-5, "the torch SDXL UNet does not reproduce diffusers' output"

    # The SGM names against diffusers' conversion script: the SDXL fixture's single file has the same tensors.
    base_single = safetensors_io.read(os.path.join(BASE, "tiny-sdxl", "tiny-sdxl.safetensors"))
    mapped = {"model.diffusion_model." + sgm_unet_name(k, base_cfg): v for k, v in base_unet.state_dict().items()}
    assert set(mapped) == {k for k in base_single if k.startswith("model.diffusion_model.")}, "SGM UNet names differ"
    assert all(torch.equal(v.half(), base_single[k]) for k, v in mapped.items()), "SGM UNet tensors differ"
    openclip = {"conditioner.embedders.1.model." + k: v for k, v in openclip_state(te_state_of(BASE), 3).items()}
    assert all(torch.equal(v.half(), base_single[k].half()) for k, v in openclip.items()), "OpenCLIP tensors differ"
    print("SGM names and OpenCLIP fusing: the SDXL fixture's single file has the same tensors")

    # 2. bigG against transformers (the SDXL fixture's text_encoder_2, which the refiner shares).
    with open(os.path.join(BASE, "tiny-sdxl", "text_encoder_2", "config.json")) as f:
        te_cfg = json.load(f)
    te = BigG(te_cfg).eval()
    te_state = te_state_of(BASE)
    te.load_state_dict(te_state, strict=True)
    ids = base_expected["te2.input_ids"].long()
    with torch.no_grad():
        states, last, text_embeds = te(ids)
    for got, key in ((states[-2], "te2.penultimate"), (last, "te2.last_hidden_state"), (text_embeds, "te2.text_embeds")):
        ref = base_expected[key]
        err = ((got - ref).abs().max() / ref.abs().max()).item()
        print(f"bigG {key}: relative max error {err:.2e} against transformers")
        assert err < 1e-5, key

    # 3. The refiner: random UNet weights (scaled so activations stay O(1)), the fixture's bigG and VAE.
    cfg = UNET_CONFIG
    unet = SDXLUNet(T, unet_diffusers_config(cfg)).eval()
    with torch.no_grad():
        for name, p in unet.named_parameters():
            if name.endswith("bias"):
                p.copy_(torch.randn_like(p) * 0.02)
            elif "norm" in name.split(".")[-2]:
                p.copy_(1 + torch.randn_like(p) * 0.1)
            else:
                fan_in = p[0].numel()
                p.copy_(torch.randn_like(p) / math.sqrt(fan_in))
    state = {k: v.contiguous() for k, v in unet.state_dict().items()}

    folder = os.path.join(OUT, "tiny-sdxl-refiner")
    for old in (folder, os.path.join(OUT, "expected")):  # README.md stays
        if os.path.isdir(old):
            shutil.rmtree(old)
    os.makedirs(os.path.join(folder, "unet"))
    for part in ("text_encoder_2", "tokenizer_2", "vae", "scheduler"):
        shutil.copytree(os.path.join(BASE, "tiny-sdxl", part), os.path.join(folder, part))
    safetensors_io.write(os.path.join(folder, "unet", "diffusion_pytorch_model.safetensors"), state)
    with open(os.path.join(folder, "unet", "config.json"), "w") as f:
        json.dump(unet_diffusers_config(cfg), f, indent=2)
    with open(os.path.join(BASE, "tiny-sdxl", "model_index.json")) as f:
        index = json.load(f)
    index["_class_name"] = "StableDiffusionXLImg2ImgPipeline"
    index["text_encoder"] = [None, None]
    index["tokenizer"] = [None, None]
    index["requires_aesthetics_score"] = True
    index["force_zeros_for_empty_prompt"] = False
    with open(os.path.join(folder, "model_index.json"), "w") as f:
        json.dump(index, f, indent=2)

    # The single file: SGM names, fp32; the VAE from the SDXL fixture's single file (its fp16 values, widened).
    single = {"model.diffusion_model." + sgm_unet_name(k, cfg): v for k, v in state.items()}
    for k, v in openclip_state(te_state, te_cfg["num_hidden_layers"]).items():
        single["conditioner.embedders.0.model." + k] = v.float().contiguous()
    for k, v in safetensors_io.read(os.path.join(BASE, "tiny-sdxl", "tiny-sdxl.safetensors")).items():
        if k.startswith("first_stage_model."):
            single[k] = v.float()
    safetensors_io.write(os.path.join(OUT, "tiny-sdxl-refiner.safetensors"), single)
    with open(os.path.join(OUT, "tiny-sdxl-refiner.json"), "w") as f:
        json.dump({"note": "what the weights cannot show", "unet_num_attention_heads": cfg["attention_head_dim"],
                   "text_encoder_2_heads": te_cfg["num_attention_heads"], "text_encoder_2_act": "gelu", "vae_scaling_factor": 0.13025}, f, indent=1)

    # 4. Reference outputs. Text: the SDXL fixture's prompt ids through bigG; context = penultimate states.
    context = states[-2]                                     # [1, 77, 48]
    # ComfyUI's SDXLRefiner.encode_adm: pooled | Fourier(height, width, crop_h, crop_w, aesthetic score).
    height, width, crop_h, crop_w = 1024, 768, 0, 0  # what CLIPTextEncodeSDXLRefiner gives (ComfyUI: no crop)
    adm = {}
    for name, ascore in (("positive", 6.0), ("negative", 2.5)):
        adm[name] = torch.cat([text_embeds[0], fourier([height, width, crop_h, crop_w, ascore], cfg["addition_time_embed_dim"]).flatten()])
    # One UNet call, batch 2 (negative ascore 2.5, positive 6.0) at timesteps 500 and 60.
    sample = torch.randn(2, 4, 16, 16)
    timesteps = torch.tensor([500.0, 60.0])
    time_ids = torch.tensor([[height, width, crop_h, crop_w, 2.5], [height, width, crop_h, crop_w, 6.0]])
    with torch.no_grad():
        noise = unet(sample, timesteps, context.repeat(2, 1, 1), text_embeds.repeat(2, 1), time_ids)
    expected = {
        "te.input_ids": ids.float(), "te.penultimate": context, "te.text_embeds": text_embeds,
        "adm.positive": adm["positive"][None], "adm.negative": adm["negative"][None],
        "unet.sample": sample, "unet.timesteps": timesteps, "unet.encoder_hidden_states": context.repeat(2, 1, 1),
        "unet.text_embeds": text_embeds.repeat(2, 1), "unet.time_ids": time_ids, "unet.noise_pred": noise,
    }
    os.makedirs(os.path.join(OUT, "expected"))
    safetensors_io.write(os.path.join(OUT, "expected", "refiner.safetensors"), {k: v.float().contiguous() for k, v in expected.items()})
    with open(os.path.join(OUT, "expected", "refiner.json"), "w") as f:
        json.dump({"seed": SEED, "prompt": "a watercolor lighthouse on a cliff, stormy sea", "height": height, "width": width,
                   "crop_h": crop_h, "crop_w": crop_w, "ascore": {"positive": 6.0, "negative": 2.5}, "torch": torch.__version__}, f, indent=1)
    print("noise_pred max", noise.abs().max().item(), "written to", OUT)


if __name__ == "__main__":
    main()
