// controlnet_file.h — an SD 1.x / 2.x / SDXL ControlNet .safetensors in either layout, as ComfyUI's load_controlnet
// reads it:
//
//   LDM (lllyasviel's control_v11*/control_sd15_* releases; ComfyUI's cldm names), under "control_model."
//   or bare: time_embed.*, input_blocks.*, middle_block.* (the UNet's encoder, LDM names as in
//   ldm_keys.h), input_hint_block.{0,2,..,2(N-1)} (the hint encoder's N convs), zero_convs.k.0 (1x1),
//   middle_block_out.0; SDXL's also label_emb.0.{0,2} (the added text/size conditioning);
//   diffusers' ControlNetModel: time_embedding.*, conv_in, down_blocks.*, mid_block.*,
//   controlnet_cond_embedding.{conv_in, blocks.j, conv_out}, controlnet_down_blocks.k, controlnet_mid_block;
//   SDXL's also add_embedding.linear_{1,2}.
//
// Both end in one WeightStore under diffusers' names (models/controlnet/controlnet.h). The configuration is
// the caller's (a ControlNetModel config.json) or inferred from the shapes (transformer depth per level,
// linear projections, the added conditioning's width), with SD 1.x's head count (8; width / 64 for SD 2.x,
// cross-attention width 1024, and for SDXL, a label_emb / add_embedding; SDXL's addition_time_embed_dim
// 256). The file must hold exactly the tensors that
// configuration calls for: a missing or extra one is an error naming it. Transformer depths of 0 are read as ComfyUI
// reads diffusers' controlnet-*-sdxl-1.0-mid / -small: a level of depth 0 has no attention (the norm and projections a
// diffusers file keeps for it are accepted and not read; an LDM file has none), the mid block's depth is the last
// level's (a mid block of another depth is refused), and a ControlNet without transformer blocks infers a
// cross_attention_dim of 0 (it reads no context).
//
// A Control-LoRA (a "lora_controlnet" tensor) is not a ControlNet file: see control_lora_file.h.
//
// A "diff" ControlNet (a tensor named "difference" in the file; ComfyUI's DiffControlNetLoader) stores
// the difference from its UNet: each encoder weight the UNet also has becomes file + UNet (owned f32, or
// f16 with f16 storage), so `diff_base` (the UNet's weights, diffusers names) is required for it.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "../models/config.h"
#include "ldm_keys.h"
#include "safetensors.h"
#include "weights.h"

namespace sdn {

struct ControlNetFile {
    std::string source;
    std::string layout; // "ldm" | "diffusers"
    bool difference = false;
    ControlNetConfig config;
    std::shared_ptr<WeightStore> weights;
};

ControlNetFile controlnet_file_load(const std::string & path, WeightStorage storage, const ControlNetConfig * config, const WeightStore * diff_base);

// Every tensor of a ControlNet with this configuration: (LDM name, diffusers name); the UNet encoder's, the hint
// encoder's (input_hint_block.2j), the zero convolutions (zero_convs.k.0) and middle_block_out.0.
std::vector<LdmName> controlnet_names(const ControlNetConfig & config);
// The hint encoder's configuration (conditioning_channels, conditioning_embedding_out_channels) from LDM
// input_hint_block.{0,2,..} tensors (names without `prefix`); BAD_FORMAT naming `where` when they do not fit.
void controlnet_hint_ldm(const std::string & where, const std::map<std::string, const SafetensorsEntry *> & entries, const std::string & prefix,
                         ControlNetConfig & config);

} // namespace sdn
