// lora_set.h — LoRA files matched to a loaded model's layers: what a call runs with (lora_adapter.h).
//
// Each module of each file is looked up among the network's layers (Linear and Conv2d weights) by
// its name in any layout lora_file.h reads: diffusers / transformers names with '.' (PEFT) or '_'
// (kohya), the original LDM UNet names ('_', as A1111 and ComfyUI save them), diffusers' attention
// processor names (attn1.processor.to_q_lora -> attn1.to_q). Its shapes are checked against the
// layer's weight (BAD_SHAPE naming the file, the module and both shapes). Modules that match no layer
// are not dropped silently: they are listed in `unmatched` for the caller to report.
//
// SDXL: kohya's lora_te1_ / lora_te2_ and PEFT's text_encoder. / text_encoder_2. name the first and
// the second text encoder (Model::clip, Model::clip2; transformers' names in both); the UNet's modules
// come in diffusers' or SGM's names (input_blocks_4_1_transformer_blocks_0_attn1_to_q). A module
// whose prefix names no network is tried on the UNet, then the first text encoder, then the second.
//
// Several files stack (their terms add up). Runtime mode keeps the terms (the files' own bytes, plus
// the [tokens, rank] intermediates of a call); merge mode makes an owned f32 copy W + sum s up down of
// each patched weight (faster per step, one f32 copy of every patched layer: `extra_bytes`).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "../io/lora_file.h"
#include "common/lora_adapter.h"
#include "model.h"

namespace sdn {

struct LoraApply {
    std::shared_ptr<const LoraFile> file;
    float strength_unet = 1.0f;
    float strength_text_encoder = 1.0f; // both text encoders of SDXL (ComfyUI's strength_clip scales the whole CLIP)
};

enum class LoraMode { Runtime, Merge };

struct LoraSet {
    LayerLoras unet, text_encoder, text_encoder_2;      // text_encoder_2: SDXL's second text encoder (Model::clip2)
    std::vector<std::shared_ptr<const LoraFile>> files; // the terms point into them
    LoraMode mode = LoraMode::Runtime;
    int64_t matched_unet = 0, matched_text_encoder = 0, matched_text_encoder_2 = 0; // modules matched (strength 0 included)
    std::vector<std::vector<std::string>> unmatched;    // per file: keys of modules and stray tensors no layer took
    uint64_t extra_bytes = 0;                           // the files' tensors, plus the merged copies in merge mode

    const LayerLoras * for_part(ModelPart part) const;
};

std::shared_ptr<const LoraSet> lora_set_build(const Model & model, const std::vector<LoraApply> & loras, LoraMode mode);

} // namespace sdn
