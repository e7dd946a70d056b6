// lora_adapter.h — the low-rank terms a LoRA adds to a layer, applied while a network runs.
//
// A LayerLora belongs to one Linear or Conv2d (by its checkpoint name) and holds either
//   runtime terms: y = W x (+ b) + sum_i s_i * up_i(down_i(x)), two small products per term and no copy
//                  of W (the term's intermediate [M, r] is an arena tensor, so a measure pass counts it);
//   or a merged weight: W' = W + sum_i s_i * up_i down_i, an owned f32 copy used instead of W.
// Layers look their name up in the set of the running call, made current by a LoraScope on the
// calling thread (as PrecisionScope does for precision): the loaded model itself is never changed, so
// calls with and without LoRAs (or with other strengths) can share one model.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "../../core/tensor.h"
#include "../../ops/gemm.h"

namespace sdn {

struct LoraTerm {
    const Tensor * down = nullptr; // [r, in] or [r, cin, k, k], f32
    const Tensor * up = nullptr;   // [out, r] or [out, r, 1, 1], f32
    float scale = 0.0f;            // strength * alpha / r
};

struct LayerLora {
    std::vector<LoraTerm> terms; // runtime
    Tensor merged;               // merged (data non-null); same shape as the layer's weight
    bool is_merged() const { return merged.data != nullptr; }
};

using LayerLoras = std::unordered_map<std::string, LayerLora>; // by layer name ("down_blocks.0.attentions.0.proj_in")

// The LoRAs of the current network call on this thread, or null.
const LayerLora * lora_for(const std::string & layer);
struct LoraScope {
    explicit LoraScope(const LayerLoras * loras);
    ~LoraScope();
    LoraScope(const LoraScope &) = delete;
    LoraScope & operator=(const LoraScope &) = delete;
    const LayerLoras * previous;
};

// y[M, out] += sum of the terms applied to x[M, in] (a Linear's input rows).
void lora_linear_add(const LayerLora & lora, const float * x, int64_t M, int64_t in, int64_t out, float * y, Precision precision);

// y [B, cout, Ho, Wo] (the convolution's output) += the terms applied to x [B, cin, H, W], each term a
// convolution down (the layer's kernel, stride, padding and up-sampling) then a 1x1 convolution up.
// Returns the new output (an arena tensor); `y` is its residual.
struct Conv2dShape;
Tensor lora_conv_add(const LayerLora & lora, const Conv2dShape & s, const Tensor & x, const Tensor & y);

} // namespace sdn
