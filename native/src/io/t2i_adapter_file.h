// t2i_adapter_file.h — reads a T2I-Adapter .safetensors in the layouts ComfyUI's ControlNetLoader recognises
// (comfy/controlnet.py load_t2i_adapter):
//   TencentARC's full adapter: conv_in.*, body.N.block1 / block2 (/ in_conv).*; 2 blocks per level, block2's
//       kernel (1 or 3) from its shape, channels per level from the shapes
//   TencentARC's light adapter: body.i.in_conv / out_conv.*, body.i.body.k.block1 / block2.*
//   diffusers' T2IAdapter (full_adapter): adapter.conv_in.*, adapter.body.i.resnets.j.* (= body.{2i+j}.*),
//       adapter.body.i.in_conv.* (= body.{2i}.in_conv.*); an outer "adapter." as in a .pth is stripped too
//   SDXL's (full_adapter_xl, e.g. TencentARC's t2i-adapter-*-sdxl-1.0, distributed in diffusers' layout): a full
//       adapter whose conv_in takes 768 or 256 channels (PixelUnshuffle 16 of a 3- or 1-channel hint), as ComfyUI
//       decides (T2IAdapterConfig::xl)
// Refused with a message: convolutional down-sampling (down_opt.op.*), which ComfyUI supports but latentflow
// does not yet.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "../models/t2i_adapter/t2i_adapter.h"
#include "weights.h"

namespace sdn {

// Whether tensor names look like a T2I-Adapter's (conv_in + body.*, body.0.in_conv, or adapter.body.*).
bool t2i_adapter_names(const std::vector<std::string> & names);

struct T2IAdapterFile {
    std::string source;
    std::string layout; // "full", "light" or "diffusers"
    T2IAdapterConfig config;
    std::shared_ptr<WeightStore> weights; // under the TencentARC names
};

T2IAdapterFile t2i_adapter_file_load(const std::string & path, WeightStorage storage);

} // namespace sdn
