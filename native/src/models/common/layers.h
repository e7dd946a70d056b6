// layers.h — the building blocks every network is made of (Linear, Conv2d, GroupNorm, LayerNorm),
// bound to their weights once, when a model is constructed.
//
// `load` looks each weight up by its checkpoint name and checks its shape against the configuration,
// so a wrong or truncated checkpoint fails while loading (MISSING_TENSOR / BAD_SHAPE naming the tensor),
// never in the middle of a forward pass. The layers keep pointers into the WeightStore: the store must
// outlive them (the model classes hold a shared_ptr to it).
//
// Memory: every `forward` returns a new activation from the arena (Tensor::empty) and frees nothing
// itself; callers drop their inputs as soon as they are dead, so the arena's peak is the working set.
// Under an ArenaMeasure (core/arena.h) a forward allocates as always but runs no kernel: it reports the
// kernel's own arena buffers instead (arena_workspace), so the same code is its memory estimate. Every
// layer keeps its checkpoint name (`name`, the weights' prefix) and opens an ArenaScope with it, which
// names the place of a measured peak.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "../../core/tensor.h"
#include "../../io/weights.h"
#include "../../ops/conv2d.h"
#include "../../ops/gemm.h"

namespace sdn {

// The precision the layers' products run in (Linear and Conv2d: gemm.h's Precision), per thread, as
// torch.autocast: a network call sets it for its duration (the model's precision, chosen when it was
// loaded, or the call's own), and every layer that thread runs reads it. FP32 unless a scope says so.
Precision compute_precision();
struct PrecisionScope {
    explicit PrecisionScope(Precision precision);
    ~PrecisionScope();
    PrecisionScope(const PrecisionScope &) = delete;
    PrecisionScope & operator=(const PrecisionScope &) = delete;
    Precision previous;
};

// Throws SDN_STATUS_CANCELLED when the caller's flag (may be null) is set. `where` names the step.
void check_cancelled(const std::atomic<bool> * cancel, const std::string & where);

// y = x W^T + b, a PyTorch nn.Linear. The weight is [out, in] (f32 or f16, converted in the GEMM
// packing: widened to f32, or rounded to bf16 in bf16 precision); a 1x1 convolution's [out, in, 1, 1]
// weight is accepted too (same bytes).
//
// In bf16 precision a weight that is a view of a mapped f16 file is packed once, on first use, into the
// kernels' layout and kept by its WeightStore (WeightStore::derived; packing it on every call cost as much
// as the products at batch 1), and its file pages are released: the same resident bytes, in the form the
// kernels read. Conv2d does the same where its convolution is an implicit GEMM (not Winograd, which
// transforms the weight itself). A merged LoRA's patched copy is packed per call.
struct Linear {
    std::string name; // e.g. "down_blocks.0.attentions.0.proj_in"
    const WeightStore * store = nullptr; // where `weight` lives (its packed forms too); null: pack per call
    const Tensor * weight = nullptr;
    const float * bias = nullptr; // [out] or null
    int64_t in = 0, out = 0;
    bool keep_fp32 = false; // f32 whatever compute_precision() says (a cheap layer every later one depends on)

    static Linear load(const WeightStore & ws, const std::string & prefix, int64_t in, int64_t out, bool has_bias);

    // x: [M, in] -> y: [M, out]; accumulate = true adds to y (a fused residual add).
    void forward(const float * x, int64_t M, float * y, bool accumulate = false) const;
    // x: [..., in] -> [..., out]
    Tensor forward(const Tensor & x) const;
};

// A PyTorch nn.Conv2d (square kernel, groups 1): weight [cout, cin, k, k], bias [cout].
struct Conv2d {
    std::string name;
    const WeightStore * store = nullptr; // as Linear::store
    const Tensor * weight = nullptr;
    const float * bias = nullptr;
    int64_t cin = 0, cout = 0, kernel = 1, stride = 1, pad = 0;
    bool keep_fp32 = false; // as Linear::keep_fp32

    static Conv2d load(const WeightStore & ws, const std::string & prefix, int64_t cin, int64_t cout, int64_t kernel,
                       int64_t stride, int64_t pad, bool has_bias = true);

    // x: [B, cin, H, W] -> [B, cout, Ho, Wo]; `residual` (shape of the output, may be null) is added.
    // With upsample = f, the convolution of x up-sampled f times (nearest), never materialised:
    // [B, cin, H, W] -> [B, cout, Ho, Wo] with Ho, Wo computed from f H, f W.
    Tensor forward(const Tensor & x, const Tensor * residual = nullptr, int64_t upsample = 1) const;
    // As forward (no residual, no up-sampling), into `y`: a [B, cout, Ho, Wo] view that does not overlap
    // x, e.g. a channel range of a larger buffer when B = 1 (a dense block's concatenation). No LoRA.
    void forward_into(const Tensor & x, Tensor & y) const;

private:
    void run(const Conv2dShape & s, const Tensor & x, const Tensor & w, const Tensor * residual, Tensor & y) const;
};

// A PyTorch nn.GroupNorm with affine weights, optionally followed by SiLU (fused).
struct GroupNorm {
    std::string name;
    const float * gamma = nullptr;
    const float * beta = nullptr;
    int64_t channels = 0, groups = 1;
    float eps = 1e-5f;

    static GroupNorm load(const WeightStore & ws, const std::string & prefix, int64_t channels, int64_t groups, float eps);

    // x: [B, C, ...] -> same shape
    Tensor forward(const Tensor & x, bool then_silu) const;
};

// A PyTorch nn.LayerNorm over the last dimension, with affine weights.
struct LayerNorm {
    std::string name;
    const float * gamma = nullptr;
    const float * beta = nullptr;
    int64_t dim = 0;
    float eps = 1e-5f;

    static LayerNorm load(const WeightStore & ws, const std::string & prefix, int64_t dim, float eps);

    // x: [..., dim] -> same shape
    Tensor forward(const Tensor & x) const;
};

// x: [B, C, S] -> [B, S, C]   (NCHW feature map to a token sequence)
Tensor transpose_channels_last(const Tensor & x);
// tokens: [B, S, C] -> [B, C, S] (viewed with `shape`, e.g. [B, C, H, W]) + residual (same shape)
Tensor transpose_channels_first_add(const Tensor & tokens, const Tensor & residual);
// x: [B, C, H, W] -> [B, C, H + 1, W + 1], a zero row below and a zero column to the right
// (F.pad(x, (0, 1, 0, 1)), the VAE encoder's down-sampling pad).
Tensor pad_bottom_right(const Tensor & x);
// In place: x[i] = silu(x[i]).
void silu_inplace(Tensor & x);
// In place: x[i] = max(x[i], 0).
void relu_inplace(Tensor & x);

} // namespace sdn
