// checkpoint.h — loading an SD 1.x model: a diffusers folder or a single-file original (LDM) checkpoint.
//
// Either way the result is the three networks' configurations and weights under diffusers /
// transformers names without a component prefix (e.g. "down_blocks.0.resnets.0.conv1.weight" in
// `unet`, "decoder.mid_block.attentions.0.to_q.weight" in `vae`,
// "text_model.encoder.layers.0.self_attn.q_proj.weight" in `clip`), so the models never see the layout.
#pragma once

#include <memory>
#include <string>

#include "../models/config.h"
#include "weights.h"

namespace sdn {

struct Checkpoint {
    std::string source; // the folder or file loaded
    std::string layout; // "diffusers" | "single-file"
    CLIPConfig clip_config;
    UNetConfig unet_config;
    VAEConfig vae_config;
    std::shared_ptr<WeightStore> clip, unet, vae;
    std::string tokenizer_dir; // diffusers folder's tokenizer/ ("" for single files: use the default)
    std::string scheduler_config_json; // text of scheduler/scheduler_config.json ("" when absent)
};

// A folder with model_index.json is loaded as diffusers; a *.safetensors file as a single-file checkpoint.
Checkpoint checkpoint_load(const std::string & path, WeightStorage storage);

// model_index.json, {unet,vae,text_encoder}/config.json and weights from *.safetensors or
// *.fp16.safetensors (storage F16 prefers the fp16 variant, F32 the full-precision file; either falls
// back to the other).
Checkpoint checkpoint_load_diffusers(const std::string & dir, WeightStorage storage);

// Original-layout keys (model.diffusion_model.*, first_stage_model.*, cond_stage_model.transformer.*)
// mapped to diffusers names (ldm_keys.h); configurations inferred from the tensor shapes, with an
// optional sidecar beside the file for what shapes cannot show: "<base>.yaml" (an LDM config as A1111
// reads it: num_heads / num_head_channels, scale_factor, image_size, the noise schedule) and/or
// "<base>.json" ({"unet": {...}, "vae": {...}, "text_encoder": {...}, "scheduler": {...}} with
// config.json keys). Without one: 8 UNet heads, scaling 0.18215, 64/512 sample sizes, CLIP heads =
// max(4, hidden / 64). A sidecar that contradicts the weights, a missing or extra tensor, or a non-SD
// 1.x layout throws an error naming the file and the tensor or field (checkpoint_single_file.cc).
Checkpoint checkpoint_load_single_file(const std::string & path, WeightStorage storage);

// Reads a whole small text file (configs); throws IO_ERROR naming it.
std::string read_text_file(const std::string & path, size_t max_bytes = 16u << 20);

} // namespace sdn
