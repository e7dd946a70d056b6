"""bench/baseline/torch_sd15.py's networks (diffusers parameter names) for the reference and training scripts:
`torch_sd15()` loads that file with the attention below; `up_path()` is the decoder half every UNet here shares
(UNetSD15's, comfy_sampling/sdxl_unet.py's, the ControlNet and T2I-Adapter references'); `load_tiny_unet()` is
the tiny fixture model's UNet configured from test/fixtures/tiny-sd/unet/config.json, fp32 weights loaded strictly."""

import importlib.util
import json
import os

import torch
import torch.nn.functional as F

from . import safetensors_io

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def torch_sd15():
    """A fresh copy of bench/baseline/torch_sd15.py (that file is the benchmark's and stays unchanged) with its
    attention replaced by _attention."""
    path = os.path.join(ROOT, "bench", "baseline", "torch_sd15.py")
    spec = importlib.util.spec_from_file_location("torch_sd15", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.attention = _attention
    return module


def _attention(q, k, v, heads, mask=None):
    """The benchmark's attention with the scores from bmm: torch 1.13's CPU baddbmm(..., beta=0) lets NaNs of
    uninitialised memory through on small matrices (seen here as runs that came out NaN at random)."""
    batch, n_q, inner = q.shape
    d = inner // heads

    def split_heads(x):
        return x.reshape(batch, x.shape[1], heads, d).permute(0, 2, 1, 3).reshape(batch * heads, x.shape[1], d)

    q, k, v = split_heads(q), split_heads(k), split_heads(v)
    scores = torch.bmm(q, k.transpose(1, 2)) * d ** -0.5
    if mask is not None:
        scores = scores + mask
    out = torch.bmm(scores.softmax(dim=-1), v)
    return out.reshape(batch, heads, n_q, d).permute(0, 2, 1, 3).reshape(batch, n_q, inner)


def up_path(unet, x, skips, temb, context):
    """The up blocks, each on its skips taken from the end of `skips` (up-sampled to the next block's skip size, so
    sizes that are not multiples of 8 work), then conv_norm_out, SiLU, conv_out: UNetSD15.forward's second half, for
    any UNet with those attributes and up blocks called as block(x, skips, temb, context, size)."""
    for block in unet.up_blocks:
        n = len(block.resnets)
        block_skips, skips = skips[-n:], skips[:-n]
        size = tuple(skips[-1].shape[2:]) if skips else None
        x = block(x, block_skips, temb, context, size)
    return unet.conv_out(F.silu(unet.conv_norm_out(x)))


def load_tiny_unet():
    folder = os.path.join(ROOT, "test", "fixtures", "tiny-sd", "unet")
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    heads = config["num_attention_heads"] or config["attention_head_dim"]  # SD 1.x: attention_head_dim is the head count
    unet = torch_sd15().UNetSD15(block_out_channels=config["block_out_channels"], layers_per_block=config["layers_per_block"],
                                 heads=heads, context_dim=config["cross_attention_dim"], in_channels=config["in_channels"],
                                 out_channels=config["out_channels"], groups=config["norm_num_groups"], eps=config["norm_eps"])
    state = safetensors_io.read(os.path.join(folder, "diffusion_pytorch_model.safetensors"))
    unet.load_state_dict(state, strict=True)
    return unet.eval()
