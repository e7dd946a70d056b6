#!/usr/bin/env python3
"""The module keys of an LCM-LoRA for SD 1.5 (latent-consistency/lcm-lora-sdv1-5), for a test that such a
file loads with every key matched (test/native/ts/lora.test.ts writes the LoRA itself, random small values
at the test model's shapes, from this list).

Run from the repository root with Debian's Python (python3-torch):

    /usr/bin/python3 scripts/reference/make_lcm_lora_keys.py

LCM-LoRA was distilled with diffusers' train_lcm_distill_lora_sd.py, whose LoRA targets these UNet
modules: to_q, to_k, to_v, to_out.0, proj_in, proj_out, ff.net.0.proj, ff.net.2, conv1, conv2,
conv_shortcut, downsamplers.0.conv, upsamplers.0.conv, time_emb_proj; the published file names each
module kohya-style (lora_unet_<diffusers module with '.' as '_'>, .lora_down.weight / .lora_up.weight /
.alpha). SD 1.5's module tree is enumerated here from bench/baseline/torch_sd15.py's UNetSD15 built with
SD 1.5's block layout at a tenth of its widths (32, 64, 128, 128: the same modules, conv_shortcut where
the width changes, as at 320, 640, 1280, 1280), so nothing of SD 1.5's size is allocated. 278 modules.
Writes test/fixtures/lcm-lora/keys.json: [{"module": diffusers name, "key": kohya key}, ...].
"""

import importlib.util
import json
import os

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "test", "fixtures", "lcm-lora", "keys.json")
TARGETS = ["to_q", "to_k", "to_v", "to_out.0", "proj_in", "proj_out", "ff.net.0.proj", "ff.net.2", "conv1", "conv2",
           "conv_shortcut", "downsamplers.0.conv", "upsamplers.0.conv", "time_emb_proj"]


def main():
    spec = importlib.util.spec_from_file_location("torch_sd15", os.path.join(ROOT, "bench", "baseline", "torch_sd15.py"))
    torch_sd15 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(torch_sd15)
    unet = torch_sd15.UNetSD15(block_out_channels=(32, 64, 128, 128), heads=8, context_dim=32)
    modules = [name for name, m in unet.named_modules()
               if len(list(m.children())) == 0 and any(name == t or name.endswith("." + t) for t in TARGETS)]
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump([{"module": m, "key": "lora_unet_" + m.replace(".", "_")} for m in modules], f, indent=1)
        f.write("\n")
    print(f"{len(modules)} modules -> {OUT}")


if __name__ == "__main__":
    main()
