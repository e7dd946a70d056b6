#!/usr/bin/env python3
"""Writes test/fixtures/controlnet-sdxl/: an SDXL ControlNet with random weights for the tiny SDXL fixture's UNet
(test/fixtures/sdxl/tiny-sdxl/unet), in both checkpoint layouts, and its PyTorch outputs (the residuals, and the
tiny SDXL UNet with them added).

The ControlNet is diffusers' ControlNetModel with SDXL's configuration (as diffusers/controlnet-canny-sdxl-1.0;
ComfyUI's cldm.ControlNet with adm_in_channels): the SD 1.x ControlNet of comfy_sampling/controlnet.py (hint
encoder, zero convolutions) on the SDXL UNet's encoder (comfy_sampling/sdxl_unet.py: per-level transformer depth,
linear projections, DownBlock2D first), whose time embedding takes SDXL's added conditioning as the UNet's does:

    temb = time_embedding(sinusoid(t)) + add_embedding(concat(text_embeds, sinusoid(time_ids) as [B, 6 D]))

Configuration: the tiny SDXL UNet's encoder (channels 32/64/96, 2 layers per block, transformer depth 1/2/3,
heads 2/4/6, context 80, addition_time_embed_dim 8, projection_class_embeddings_input_dim 88) with the hint
encoder (8, 16, 16, 32). Weights f16 in the files (the reference computes in f32 from the same values), drawn
as make_controlnet.py's init, seed 21.

Files:
  controlnet_sdxl_diffusers.safetensors  diffusers' ControlNetModel names (add_embedding.*, controlnet_cond_embedding.*, ...)
  controlnet_sdxl_diffusers.json         its ControlNetModel config.json (what the weights cannot show: the heads)
  controlnet_sdxl_ldm.safetensors        the LDM layout with plain keys, as ComfyUI loads SDXL ControlNets: label_emb.0.{0,2},
                                         time_embed.*, input_blocks.*, middle_block.*, input_hint_block.*, zero_convs.*,
                                         middle_block_out.0
  controlnet_sdxl_ldm.json               the same config.json (the LDM file's sidecar)
  reference.safetensors                  x [2, 4, 16, 16], t [2], context [2, 77, 80], text_embeds [2, 40], time_ids [2, 6],
                                         hint [2, 3, 128, 128] -> down.k, mid; x_odd [1, 4, 5, 7], hint_odd [1, 3, 40, 56]
                                         (t_odd, context_odd, text_embeds_odd, time_ids_odd) -> down_odd.k, mid_odd;
                                         the tiny SDXL UNet on x: eps_plain, eps_one (residuals at strength 0.8)

Run from the repository root with Debian's Python (python3-torch):

    /usr/bin/python3 scripts/reference/make_controlnet_sdxl.py
"""

import json
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from comfy_sampling import safetensors_io  # noqa: E402
from comfy_sampling.controlnet import CondEmbedding, residuals  # noqa: E402
from comfy_sampling.sdxl_unet import Encoder, load_tiny_sdxl_unet, tiny_sdxl_config  # noqa: E402
from comfy_sampling.unet import torch_sd15  # noqa: E402
from make_controlnet import init, ldm_name  # noqa: E402

HINT_CHANNELS = (8, 16, 16, 32)
SEED = 21
OUT = os.path.join("test", "fixtures", "controlnet-sdxl")


class ControlNetSDXL(Encoder):
    def __init__(self, sd, config):
        super().__init__(sd, config)
        chs = config["block_out_channels"]
        self.controlnet_cond_embedding = CondEmbedding(3, HINT_CHANNELS, chs[0])
        self.controlnet_down_blocks = nn.ModuleList([nn.Conv2d(c, c, 1) for c in self.skip_chs])
        self.controlnet_mid_block = nn.Conv2d(chs[-1], chs[-1], 1)

    def forward(self, x, t, context, hint, text_embeds, time_ids):
        temb = self.embedding(t, text_embeds, time_ids)  # a batch-1 hint broadcasts in the sum below
        return residuals(self, self.conv_in(x) + self.controlnet_cond_embedding(hint), temb, context)


def sgm_name(name, layers_per_block, hint_blocks):
    """diffusers name -> the LDM / SGM one (make_controlnet.ldm_name, plus SDXL's label embedding)."""
    if name.startswith("add_embedding."):
        parts = name.split(".")
        return f"label_emb.0.{0 if parts[1] == 'linear_1' else 2}.{parts[2]}"
    return ldm_name(name, layers_per_block, hint_blocks)


def controlnet_config(unet):
    keep = ["act_fn", "addition_embed_type", "addition_time_embed_dim", "attention_head_dim", "block_out_channels", "cross_attention_dim",
            "down_block_types", "flip_sin_to_cos", "freq_shift", "in_channels", "layers_per_block", "norm_eps", "norm_num_groups",
            "num_attention_heads", "projection_class_embeddings_input_dim", "transformer_layers_per_block", "use_linear_projection"]
    c = {"_class_name": "ControlNetModel"}
    c.update({k: unet[k] for k in keep})
    c.update({"conditioning_channels": 3, "conditioning_embedding_out_channels": list(HINT_CHANNELS), "global_pool_conditions": False,
              "controlnet_conditioning_channel_order": "rgb"})
    return c


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    sd = torch_sd15()
    unet = load_tiny_sdxl_unet()
    config = tiny_sdxl_config()

    # The torch SDXL UNet against diffusers' own output in the SDXL fixture: the reference is only as good as this.
    fixture = safetensors_io.read(os.path.join("test", "fixtures", "sdxl", "expected", "sdxl.safetensors"))
    with torch.no_grad():
        eps = unet(fixture["unet.sample"], fixture["unet.timesteps"], fixture["unet.encoder_hidden_states"], fixture["unet.text_embeds"],
                   fixture["unet.time_ids"])
    err = float((eps - fixture["unet.noise_pred"]).abs().max())
    print("torch SDXL UNet vs diffusers (fixture): max |diff| =", err)
    assert err < 1e-4, err

    net = ControlNetSDXL(sd, config).eval()
    init(net, torch.Generator().manual_seed(SEED))
    state = net.state_dict()
    hint_blocks = len(net.controlnet_cond_embedding.blocks)
    meta = {"format": "pt"}
    safetensors_io.write(os.path.join(OUT, "controlnet_sdxl_diffusers.safetensors"), {k: v.half() for k, v in state.items()}, meta)
    ldm = {sgm_name(k, config["layers_per_block"], hint_blocks): v.half() for k, v in state.items()}
    assert len(ldm) == len(state)
    safetensors_io.write(os.path.join(OUT, "controlnet_sdxl_ldm.safetensors"), ldm, meta)
    for name in ("controlnet_sdxl_diffusers.json", "controlnet_sdxl_ldm.json"):
        with open(os.path.join(OUT, name), "w") as f:
            json.dump(controlnet_config(config), f, indent=2)
            f.write("\n")

    g = lambda seed: torch.Generator().manual_seed(seed)  # noqa: E731
    x = torch.randn((2, 4, 16, 16), generator=g(1))
    t = torch.tensor([981.0, 137.0])
    context = torch.randn((2, 77, 80), generator=g(2))
    text_embeds = torch.randn((2, 40), generator=g(3))
    time_ids = torch.tensor([[128.0, 128.0, 0.0, 0.0, 128.0, 128.0], [96.0, 112.0, 8.0, 16.0, 128.0, 128.0]])
    hint = torch.rand((2, 3, 128, 128), generator=g(4))
    x_odd = torch.randn((1, 4, 5, 7), generator=g(5))
    hint_odd = torch.rand((1, 3, 40, 56), generator=g(6))
    context_odd = torch.randn((1, 77, 80), generator=g(7))
    text_embeds_odd = torch.randn((1, 40), generator=g(8))
    time_ids_odd = torch.tensor([[40.0, 56.0, 0.0, 0.0, 40.0, 56.0]])
    t_odd = torch.tensor([250.0])
    out = {"x": x, "t": t, "context": context, "text_embeds": text_embeds, "time_ids": time_ids, "hint": hint, "x_odd": x_odd,
           "hint_odd": hint_odd, "context_odd": context_odd, "text_embeds_odd": text_embeds_odd, "time_ids_odd": time_ids_odd, "t_odd": t_odd}
    with torch.no_grad():
        down, mid = net(x, t, context, hint, text_embeds, time_ids)
        for k, r in enumerate(down):
            out[f"down.{k}"] = r
        out["mid"] = mid
        down_odd, mid_odd = net(x_odd, t_odd, context_odd, hint_odd, text_embeds_odd, time_ids_odd)
        for k, r in enumerate(down_odd):
            out[f"down_odd.{k}"] = r
        out["mid_odd"] = mid_odd
        out["eps_plain"] = unet(x, t, context, text_embeds, time_ids)
        out["eps_one"] = unet(x, t, context, text_embeds, time_ids, [r * 0.8 for r in down], mid * 0.8)
    safetensors_io.write(os.path.join(OUT, "reference.safetensors"), out, {"torch": torch.__version__})
    print("residuals:", len(down), "; max |down.0|", float(down[0].abs().max()), "; max |mid|", float(mid.abs().max()))
    print("max |eps_one - eps_plain| =", float((out["eps_one"] - out["eps_plain"]).abs().max()),
          "; max |eps_plain| =", float(out["eps_plain"].abs().max()))


if __name__ == "__main__":
    main()
