// control_lora_file.h — a Control-LoRA (Stability AI's control-lora-*-rank128/256.safetensors for SDXL; a file with
// a tensor named "lora_controlnet"), as ComfyUI's ControlLora reads it.
//
// The file is not a whole ControlNet: it is resolved against the model being sampled (ComfyUI's
// ControlLora.pre_run). The ControlNet gets the MODEL's UNet configuration (its encoder: levels, transformer
// depths, heads, the SDXL added conditioning) with the file's hint encoder, and its weights are, in LDM names
// (time_embed.*, label_emb.*, input_blocks.*, middle_block.*, input_hint_block.*, zero_convs.*, middle_block_out.0):
//
//   W = file's "<layer>.weight" / ".bias" where the file has it (a replaced norm, bias, the hint encoder, ...),
//       else the model's own (its diffusion model's tensor of that name);
//   W += up.flatten(1) @ down.flatten(1), reshaped to W's shape, where the file has "<layer>.up" and "<layer>.down"
//       (up [out, r(, 1, 1)], down [r, in(, kh, kw)]): no alpha, no scale.
//
// Every tensor the ControlNet needs must come from one of the two (the hint encoder, the zero convolutions and
// middle_block_out.0 from the file); a file tensor the ControlNet has no place for is an error naming it (ComfyUI
// fails on it too). Keys that are neither ".weight", ".bias", ".up" nor ".down", or that hold "__", are skipped, as
// ComfyUI does. Weights the model gives and the file leaves alone are shared with the model (no copy); the
// others are stored as the model's UNet stores its weights (f16 or f32), as ComfyUI casts them to the model's dtype.
//
// The model's LoRAs (LoraLoader) are part of the weights taken from the model, as ComfyUI's pre_run reads the
// patched weights of a loaded model: W = W_model + sum_i s_i up_i down_i (a merged LoRA's copy as it is) before a
// pair is added; a weight the file replaces takes no LoRA. Those layers are owned copies in the resolved ControlNet.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "../models/common/lora_adapter.h"
#include "controlnet_file.h"

namespace sdn {

struct ControlLoraFile {
    std::string source;
    std::shared_ptr<SafetensorsFile> file;
    std::map<std::string, const SafetensorsEntry *> tensors; // the file's tensors that count (see the header)
    ControlNetConfig hint;                                   // conditioning_channels and conditioning_embedding_out_channels only
    int rank = 0;                                            // the largest up/down rank
    int pairs = 0;                                           // up/down pairs
    uint64_t bytes = 0;                                      // the counted tensors' bytes in the file
};

// Whether a file with these tensor names is a Control-LoRA (it has "lora_controlnet").
bool control_lora_names(const std::vector<std::string> & names);

// Reads and checks the file: the hint encoder, zero convolutions and middle_block_out.0 present, every ".up" with
// its ".down" (rank agreeing), float dtypes. Errors name the file and the tensor.
ControlLoraFile control_lora_file_load(const std::string & path);

// The ControlNet of `lora` on a model whose UNet has configuration `unet` and weights `unet_weights` (diffusers
// names). `where` names the model in errors. BAD_SHAPE when a file tensor does not fit the model's (a Control-LoRA
// made for another model), MISSING_TENSOR when neither has a tensor the ControlNet needs.
// `resolved_bytes` of the result: the bytes of its weights not shared with the model.
struct ResolvedControlLora {
    ControlNetFile net;
    uint64_t resolved_bytes = 0;
};
// `loras`: the model's LoRA layers (diffusers layer names), or null.
ResolvedControlLora control_lora_resolve(const ControlLoraFile & lora, const UNetConfig & unet, const WeightStore & unet_weights, const LayerLoras * loras,
                                         const std::string & where);

} // namespace sdn
