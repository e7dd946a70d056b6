"""A random LoRA for a network's weights, in kohya's and PEFT's layouts, and the weights with it merged offline
(float64 merge stored as float32): the LoRA fixture generators' shared part (make_lora_reference.py for the tiny
SD model, make_sdxl_lora_reference.py for the tiny SDXL)."""

import torch


def pair_for(weight, rank, generator):
    """down [r, in(, k, k)], up [out, r(, 1, 1)] for a weight [out, in(, k, k)]: LoCon's shapes for convolutions."""
    out_features, in_features = weight.shape[0], weight.shape[1]
    if weight.dim() == 4:
        k = weight.shape[2]
        down = torch.randn((rank, in_features, k, k), generator=generator) / (in_features * k * k) ** 0.5
        up = torch.randn((out_features, rank, 1, 1), generator=generator) * 0.5
    else:
        down = torch.randn((rank, in_features), generator=generator) / in_features ** 0.5
        up = torch.randn((out_features, rank), generator=generator) * 0.5
    return down.float(), up.float()


def merged(weight, down, up, strength, alpha, rank):
    """W + strength * alpha / rank * up @ down, in float64, as float32."""
    delta = up.double().flatten(1) @ down.double().flatten(1)
    return (weight.double() + strength * alpha / rank * delta.reshape(weight.shape)).float()


def random_lora(weights, modules, strength, kohya_prefix, peft_prefix, rank, alpha, generator):
    """A pair for each of `modules` ({diffusers module: kohya module}, drawn in that order) of one network's `weights`
    -> (kohya tensors: <kohya_prefix><kohya module with '_' for '.'>.lora_down.weight / .lora_up.weight / .alpha;
    PEFT tensors: <peft_prefix><module>.lora_A.weight / .lora_B.weight with alpha / rank folded into B;
    the merged weights {<module>.weight} at `strength`)."""
    kohya, peft, merged_weights = {}, {}, {}
    for module, kohya_module in modules.items():
        weight = weights[module + ".weight"]
        down, up = pair_for(weight, rank, generator)
        key = kohya_prefix + kohya_module.replace(".", "_")
        kohya[key + ".lora_down.weight"] = down
        kohya[key + ".lora_up.weight"] = up
        kohya[key + ".alpha"] = torch.tensor(alpha)
        peft[peft_prefix + module + ".lora_A.weight"] = down
        peft[peft_prefix + module + ".lora_B.weight"] = (up.double() * (alpha / rank)).float()
        merged_weights[module + ".weight"] = merged(weight, down, up, strength, alpha, rank)
    return kohya, peft, merged_weights
