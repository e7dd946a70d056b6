// lora_file.h — a LoRA safetensors file read into its low-rank pairs, whatever layout wrote it.
//
// A LoRA adds to a layer y = W x the term s * up(down(x)), down [r, in] (or a conv kernel [r, cin, k, k]),
// up [out, r] (or [out, r, 1, 1]), s = strength * alpha / r (alpha absent: s = strength).
// Layouts read, by the suffixes of their tensor names (each pair is a "module"):
//   kohya / A1111 / ComfyUI:  lora_unet_<module>.lora_down.weight, .lora_up.weight, .alpha;
//                             lora_te_<module>... (text encoder; lora_te1_ too), lora_te2_<module>...
//                             (SDXL's second text encoder). Module names are diffusers' (or the
//                             original LDM / SGM ones: input_blocks_4_1_...) with '.' written '_'. LoCon
//                             (1x1 and 3x3 convolutions) is the same layout with conv-shaped tensors.
//   PEFT / diffusers:         unet.<module>.lora_A.weight, .lora_B.weight (text_encoder.<module>...,
//                             text_encoder_2.<module>... for SDXL),
//                             an optional ".default" adapter name, an optional .alpha;
//   older diffusers:          unet.<...>.processor.to_q_lora.down.weight / .up.weight (attention processors).
// Other LyCORIS kinds (LoHa, LoKr, Tucker LoCon, DoRA, OFT, GLoRA, full diffs) are refused up front
// with BAD_FORMAT naming the kind and a tensor. Tensors that are part of no module are kept by name
// (`stray`) so the caller can report them with the keys no layer matched.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "../core/tensor.h"

namespace sdn {

enum class LoraNetwork { UNet, TextEncoder, TextEncoder2, Unknown };

struct LoraModule {
    std::string key;            // as written, without the pair's suffix: "lora_unet_mid_block_attentions_0_proj_in"
    LoraNetwork network;        // from the key's prefix
    std::string module;         // the key without its network prefix: "mid_block_attentions_0_proj_in"
    bool dotted = false;        // module names written with '.' (PEFT / diffusers) rather than '_' (kohya)
    Tensor down, up;            // owned f32 copies (counted as weights): [r, in...] and [out, r(, 1, 1)]
    int64_t rank = 0;           // r = down.shape[0]
    float alpha = 0.0f;         // as stored; r when the file has none
};

struct LoraFile {
    std::string path;
    std::string format;         // "kohya" | "peft" | "diffusers" (the first pair's layout)
    std::vector<LoraModule> modules;
    std::vector<std::string> stray; // tensor names that belong to no pair (an .alpha alone, unknown suffixes)
    uint64_t bytes = 0;         // of the f32 copies
};

// Reads and validates `path` (safetensors). Throws IO_ERROR / BAD_FORMAT naming the file and tensor:
// a pair missing its other half, ranks that disagree, a refused LyCORIS kind.
std::shared_ptr<const LoraFile> lora_file_load(const std::string & path);

} // namespace sdn
