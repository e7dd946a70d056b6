"""SDXL's UNet (diffusers' UNet2DConditionModel with addition_embed_type "text_time") in PyTorch, on the blocks of
bench/baseline/torch_sd15.py (diffusers parameter names), plus what SDXL adds to them:

- transformer_layers_per_block: a Transformer2D holds `depth` transformer blocks;
- use_linear_projection: proj_in / proj_out are Linear layers applied to the [B, HW, C] tokens;
- a head count per level, and levels without attention (DownBlock2D / UpBlock2D) anywhere;
- the added conditioning: temb += add_embedding(concat(text_embeds, sinusoid(time_ids) as [B, N D])), N time ids
  of D = addition_time_embed_dim each: 6 for the base model (original size, crop, target size), 5 for the refiner
  (original size, crop, aesthetic score); add_embedding's width is projection_class_embeddings_input_dim.

Configured from a diffusers UNet config.json. `load_tiny_sdxl_unet()` loads test/fixtures/sdxl/tiny-sdxl/unet
strictly; make_controlnet_sdxl.py and make_sdxl_refiner.py check it against the fixture's diffusers output
(unet.noise_pred) before using it; make_sdxl_refiner.py builds the tiny refiner on it.
"""

import json
import os

import torch
import torch.nn as nn

from . import safetensors_io
from .unet import ROOT, torch_sd15, up_path

_SD15 = torch_sd15()  # the blocks' passes are SD 1.x's (they read only the attributes below)


class Transformer2D(nn.Module):
    """diffusers' Transformer2DModel: GroupNorm (eps 1e-6), proj_in (1x1 conv, or Linear on the tokens), `depth`
    transformer blocks, proj_out, residual."""

    def __init__(self, sd, ch, heads, context_dim, groups, depth, linear):
        super().__init__()
        self.linear = linear
        self.norm = nn.GroupNorm(groups, ch, eps=1e-6)
        self.proj_in = nn.Linear(ch, ch) if linear else nn.Conv2d(ch, ch, 1)
        self.transformer_blocks = nn.ModuleList([sd.TransformerBlock(ch, heads, context_dim) for _ in range(depth)])
        self.proj_out = nn.Linear(ch, ch) if linear else nn.Conv2d(ch, ch, 1)

    def forward(self, x, context):
        b, c, h, w = x.shape
        t = self.norm(x)
        if self.linear:
            t = self.proj_in(t.permute(0, 2, 3, 1).reshape(b, h * w, c))
        else:
            t = self.proj_in(t).permute(0, 2, 3, 1).reshape(b, h * w, c)
        for block in self.transformer_blocks:
            t = block(t, context)
        if self.linear:
            t = self.proj_out(t)
        t = t.reshape(b, h, w, c).permute(0, 3, 1, 2).contiguous()
        return (t if self.linear else self.proj_out(t)) + x


class DownBlock(nn.Module):
    """torch_sd15.py's UNetDownBlock with Transformer2D attentions (or none)."""

    def __init__(self, sd, in_ch, out_ch, temb_ch, layers, attention, heads, context_dim, groups, eps, depth, linear, downsample):
        super().__init__()
        self.resnets = nn.ModuleList([sd.ResnetBlock(in_ch if i == 0 else out_ch, out_ch, temb_ch, groups, eps) for i in range(layers)])
        self.attentions = nn.ModuleList([Transformer2D(sd, out_ch, heads, context_dim, groups, depth, linear) for _ in range(layers)]) if attention else None
        self.downsamplers = nn.ModuleList([sd.Downsample(out_ch)]) if downsample else None

    forward = _SD15.UNetDownBlock.forward


class MidBlock(nn.Module):
    """torch_sd15.py's UNetMidBlock with a Transformer2D attention."""

    def __init__(self, sd, ch, temb_ch, heads, context_dim, groups, eps, depth, linear):
        super().__init__()
        self.resnets = nn.ModuleList([sd.ResnetBlock(ch, ch, temb_ch, groups, eps) for _ in range(2)])
        self.attentions = nn.ModuleList([Transformer2D(sd, ch, heads, context_dim, groups, depth, linear)])

    forward = _SD15.UNetMidBlock.forward


class UpBlock(nn.Module):
    """torch_sd15.py's UNetUpBlock with Transformer2D attentions (or none)."""

    def __init__(self, sd, prev_ch, out_ch, skip_chs, temb_ch, attention, heads, context_dim, groups, eps, depth, linear, upsample):
        super().__init__()
        self.resnets = nn.ModuleList([sd.ResnetBlock((prev_ch if i == 0 else out_ch) + s, out_ch, temb_ch, groups, eps) for i, s in enumerate(skip_chs)])
        self.attentions = nn.ModuleList([Transformer2D(sd, out_ch, heads, context_dim, groups, depth, linear) for _ in skip_chs]) if attention else None
        self.upsamplers = nn.ModuleList([sd.Upsample(out_ch)]) if upsample else None

    forward = _SD15.UNetUpBlock.forward


class Encoder(nn.Module):
    """What a UNet and its ControlNet share: time and added embeddings, conv_in, the down blocks, the mid block."""

    def __init__(self, sd, config):
        super().__init__()
        self.sd = sd
        chs = list(config["block_out_channels"])
        temb_ch = 4 * chs[0]
        heads = config["num_attention_heads"] or config["attention_head_dim"]  # diffusers' SDXL configs put the head count there
        depth = config["transformer_layers_per_block"]
        linear = config["use_linear_projection"]
        groups, eps, ctx, R = config["norm_num_groups"], config["norm_eps"], config["cross_attention_dim"], config["layers_per_block"]
        self.sinusoid_dim = chs[0]
        self.time_dim = config["addition_time_embed_dim"]
        self.adm_width = config["projection_class_embeddings_input_dim"]
        self.conv_in = nn.Conv2d(config["in_channels"], chs[0], 3, padding=1)
        self.time_embedding = sd.TimestepEmbedding(chs[0], temb_ch)
        self.add_embedding = sd.TimestepEmbedding(self.adm_width, temb_ch)
        self.down_blocks = nn.ModuleList()
        self.skip_chs = [chs[0]]
        for i, out_ch in enumerate(chs):
            last = i == len(chs) - 1
            attention = config["down_block_types"][i] == "CrossAttnDownBlock2D"
            self.down_blocks.append(DownBlock(sd, chs[0] if i == 0 else chs[i - 1], out_ch, temb_ch, R, attention, heads[i], ctx, groups, eps,
                                             depth[i], linear, not last))
            self.skip_chs += [out_ch] * R + ([] if last else [out_ch])
        self.mid_block = MidBlock(sd, chs[-1], temb_ch, heads[-1], ctx, groups, eps, depth[-1], linear)

    def embedding(self, t, text_embeds, time_ids):
        """temb + aug_emb: [B, 4 c0]; text_embeds [B, P], time_ids [B, N] with P + N D = the config's adm width."""
        b, n = time_ids.shape
        if text_embeds.shape[-1] + n * self.time_dim != self.adm_width:
            raise ValueError(f"SDXL UNet: text_embeds width {text_embeds.shape[-1]} + {n} time ids x {self.time_dim} is not "
                             f"projection_class_embeddings_input_dim {self.adm_width}: pass as many time ids as the config expects")
        temb = self.time_embedding(self.sd.timestep_sinusoid(t, self.sinusoid_dim))
        time = self.sd.timestep_sinusoid(time_ids.reshape(-1), self.time_dim).reshape(b, -1)
        return temb + self.add_embedding(torch.cat([text_embeds, time], dim=-1))

    def encode(self, x, temb, context):
        """-> (mid block output, every down-path map kept, conv_in's first)."""
        x = self.conv_in(x)
        skips = [x]
        for block in self.down_blocks:
            x, block_skips = block(x, temb, context)
            skips += block_skips
        return self.mid_block(x, temb, context), skips


class SDXLUNet(Encoder):
    def __init__(self, sd, config):
        super().__init__(sd, config)
        chs = list(config["block_out_channels"])
        temb_ch = 4 * chs[0]
        heads = config["num_attention_heads"] or config["attention_head_dim"]
        depth = config["transformer_layers_per_block"]
        skip_chs = list(self.skip_chs)
        self.up_blocks = nn.ModuleList()
        prev = chs[-1]
        n = len(chs)
        for i, out_ch in enumerate(reversed(chs)):
            block_skips = [skip_chs.pop() for _ in range(config["layers_per_block"] + 1)]
            attention = config["up_block_types"][i] == "CrossAttnUpBlock2D"
            self.up_blocks.append(UpBlock(sd, prev, out_ch, block_skips, temb_ch, attention, heads[n - 1 - i], config["cross_attention_dim"],
                                          config["norm_num_groups"], config["norm_eps"], depth[n - 1 - i], config["use_linear_projection"], i < n - 1))
            prev = out_ch
        self.conv_norm_out = nn.GroupNorm(config["norm_num_groups"], chs[0], eps=config["norm_eps"])
        self.conv_out = nn.Conv2d(chs[0], config["out_channels"], 3, padding=1)

    def forward(self, sample, t, context, text_embeds, time_ids, down=None, mid=None):
        """The noise prediction; `down` / `mid`: ControlNet residuals added to the skips and the mid block's output
        (diffusers' down_block_additional_residuals / mid_block_additional_residual)."""
        temb = self.embedding(t, text_embeds, time_ids)
        x, skips = self.encode(sample, temb, context)
        if mid is not None:
            x = x + mid
            skips = [s + r for s, r in zip(skips, down)]
        return up_path(self, x, skips, temb, context)


def tiny_sdxl_config():
    with open(os.path.join(ROOT, "test", "fixtures", "sdxl", "tiny-sdxl", "unet", "config.json")) as f:
        return json.load(f)


def load_tiny_sdxl_unet():
    unet = SDXLUNet(torch_sd15(), tiny_sdxl_config())
    state = safetensors_io.read(os.path.join(ROOT, "test", "fixtures", "sdxl", "tiny-sdxl", "unet", "diffusion_pytorch_model.safetensors"))
    unet.load_state_dict(state, strict=True)
    return unet.eval()
