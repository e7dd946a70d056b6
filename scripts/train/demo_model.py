"""The demo model (models/diffusers/shapes-sd) in PyTorch, for training a LoRA or an embedding for it.

The networks are bench/baseline/torch_sd15.py's as scripts/reference/comfy_sampling/unet.py loads them (plain
torch.nn with diffusers' and transformers' parameter names, so the shipped fp16 weights load strictly, widened to
fp32; attention scores from bmm); the captions are the demo model's own patterns (its README); the noise schedule
is SD 1.5's (scaled_linear 0.00085 .. 0.012, 1000 steps).
Only Debian's python3-torch is needed.
"""

import json
import os
import sys

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODEL = os.path.join(ROOT, "models", "diffusers", "shapes-sd")
sys.path.insert(0, os.path.join(ROOT, "scripts", "reference"))

from comfy_sampling import safetensors_io, training_data  # noqa: E402
from comfy_sampling.unet import torch_sd15  # noqa: E402

COLOURS = ["red", "green", "blue", "yellow", "purple", "orange", "white", "black"]  # pictures.ts's order
SHAPES = ["circle", "square", "triangle"]
BOS, EOS, TOKENS = 49406, 49407, 77


def _config(part):
    with open(os.path.join(MODEL, part, "config.json")) as f:
        return json.load(f)


def _weights(path, keep):
    state = safetensors_io.read(path)
    return {k: v.float() for k, v in state.items() if k in keep}


def load_unet():
    """UNet2DConditionModel of the demo model, fp32, eval mode, weights frozen."""
    c = _config("unet")
    unet = torch_sd15().UNetSD15(block_out_channels=c["block_out_channels"], layers_per_block=c["layers_per_block"],
                                 heads=c["attention_head_dim"], context_dim=c["cross_attention_dim"], in_channels=c["in_channels"],
                                 out_channels=c["out_channels"], groups=c["norm_num_groups"], eps=c["norm_eps"])
    keys = set(unet.state_dict())
    unet.load_state_dict(_weights(os.path.join(MODEL, "unet", "diffusion_pytorch_model.fp16.safetensors"), keys), strict=True)
    return unet.eval().requires_grad_(False)


def load_text_encoder():
    """CLIPTextModel of the demo model, fp32, eval mode, weights frozen: forward_embeds(embeds) -> last hidden state."""
    c = _config("text_encoder")
    clip = torch_sd15().CLIPTextSD15(hidden=c["hidden_size"], layers=c["num_hidden_layers"], heads=c["num_attention_heads"],
                                     intermediate=c["intermediate_size"], vocab=c["vocab_size"], positions=c["max_position_embeddings"],
                                     eps=c["layer_norm_eps"])
    keys = set(clip.state_dict())
    clip.load_state_dict(_weights(os.path.join(MODEL, "text_encoder", "model.fp16.safetensors"), keys), strict=True)
    return clip.eval().requires_grad_(False)


def encode_embeds(clip, embeds):
    """The text encoder from token vectors [B, 77, D] (token embedding looked up, or injected, as an
    `embedding:` word is): + positions, causal layers, final LayerNorm -> [B, 77, D]."""
    tm = clip.text_model
    x = embeds + tm.embeddings.position_embedding.weight[None, : embeds.shape[1]]
    n = embeds.shape[1]
    causal = torch.full((n, n), torch.finfo(x.dtype).min, dtype=x.dtype).triu(1)
    for layer in tm.encoder.layers:
        x = layer(x, causal)
    return tm.final_layer_norm(x)


class Words:
    """CLIP's BPE for the demo's captions: every word of them is one token ('word</w>' in vocab.json)."""

    def __init__(self):
        with open(os.path.join(MODEL, "tokenizer", "vocab.json")) as f:
            self.vocab = json.load(f)

    def ids(self, caption, injected=()):
        """77 ids: bos, the words' ids (a word in `injected` -> the ids given for it), eos, eos padding (SD 1.x)."""
        out = [BOS]
        for word in caption.split():
            if word in dict(injected):
                out += dict(injected)[word]
                continue
            token = self.vocab.get(word + "</w>")
            if token is None:
                raise ValueError(f"'{word}' is not one token of CLIP's vocabulary")
            out.append(token)
        out.append(EOS)
        return out + [EOS] * (TOKENS - len(out))


def caption(label, rng):
    """A caption drawn as the demo model's training drew them (its README): label = (background, colour, shape, large)."""
    background, colour, shape, large = (int(v) for v in label)

    def art(word):
        return "an" if word == "orange" else "a"

    c, b, s, size = COLOURS[colour], COLOURS[background], SHAPES[shape], "large" if large else "small"
    u = rng.random()
    if u < 0.1:
        return ""
    if u < 0.5:
        return f"a {size} {c} {s} on {art(b)} {b} background"
    if u < 0.7:
        return f"{art(c)} {c} {s} on {art(b)} {b} background"
    return rng.choice([f"{art(c)} {c} {s}", f"{c} {s}", f"a {size} {c} {s}", f"a {s} on {art(b)} {b} background", f"{size} {c} {s} on {b}"])


def alphas_cumprod():
    """SD 1.5's schedule: betas = linspace(sqrt(0.00085), sqrt(0.012), 1000)^2, cumulative product of 1 - beta."""
    betas = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, 1000, dtype=torch.float64) ** 2
    return torch.cumprod(1 - betas, 0).float()


def read_data(base):
    """make-data.ts's output: {name: tensor} (latents [n, 4, 8, 8], labels [n, 4]) and the style."""
    tensors, fields = training_data.read(base)
    return tensors, fields["style"]


def noisy(latents, generator, schedule):
    """x_t = sqrt(a_t) x_0 + sqrt(1 - a_t) eps with t uniform in [0, 1000): (x_t, t, eps)."""
    t = torch.randint(0, 1000, (latents.shape[0],), generator=generator)
    eps = torch.randn(latents.shape, generator=generator)
    a = schedule[t][:, None, None, None]
    return a.sqrt() * latents + (1 - a).sqrt() * eps, t, eps
