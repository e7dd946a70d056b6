// transformer_2d.h — diffusers' Transformer2DModel (continuous input) with BasicTransformerBlocks, the
// UNet's spatial transformer: self-attention over the feature map's pixels, cross-attention on the
// text context, GEGLU feed-forward.
//
//   x: [B, C, H, W]
//   t = proj_in(group_norm(x))  as tokens                              [B, HW, C]
//   per block:  t += attn1(norm1(t))                                   [B, HW, C]
//               t += attn2(norm2(t), context)                          [B, HW, C]
//               t += ff.net.2(geglu(ff.net.0.proj(norm3(t))))          [B, HW, C]
//   out = proj_out(t) as a feature map + x                             [B, C, H, W]
//
// proj_in/proj_out are 1x1 convolutions (SD 1.x, use_linear_projection false) or linears: the same
// matrix either way, applied to the channels-last tokens.
#pragma once

#include <vector>

#include "../../ops/attention.h"
#include "../common/layers.h"

namespace sdn {

// diffusers' Attention with AttnProcessor: to_q/to_k/to_v without bias, to_out.0 with bias.
struct CrossAttention {
    std::string name; // "...transformer_blocks.0.attn1"
    Linear to_q, to_k, to_v, to_out;
    int64_t heads = 1, dim_head = 1;

    // query_dim C, context_dim = C for self-attention.
    static CrossAttention load(const WeightStore & ws, const std::string & prefix, int64_t query_dim, int64_t context_dim,
                               int64_t heads);

    // x: [B, T, C] (normed; taken, and freed once projected), context: [B, Tc, context_dim] (null:
    // self-attention on x). residual: [B, T, C] += to_out(attention(to_q(x), to_k(context), to_v(context)))
    void forward_add(Tensor x, const Tensor * context, AttentionMode mode, Tensor & residual) const;
};

struct BasicTransformerBlock {
    LayerNorm norm1, norm2, norm3;
    CrossAttention attn1, attn2;
    Linear ff_in;  // ff.net.0.proj: C -> 2 * 4C (value | gate)
    Linear ff_out; // ff.net.2: 4C -> C

    static BasicTransformerBlock load(const WeightStore & ws, const std::string & prefix, int64_t dim, int64_t context_dim,
                                      int64_t heads);

    // t: [B, T, C], updated in place; context: [B, Tc, context_dim]
    void forward(Tensor & t, const Tensor & context, AttentionMode mode) const;
};

struct Transformer2D {
    std::string name; // "down_blocks.0.attentions.0"
    int64_t channels = 0;
    GroupNorm norm;
    Linear proj_in, proj_out;
    std::vector<BasicTransformerBlock> blocks;

    static Transformer2D load(const WeightStore & ws, const std::string & prefix, int64_t channels, int64_t heads,
                              int64_t context_dim, int64_t layers, int64_t groups);

    // x: [B, C, H, W], context: [B, Tc, context_dim] -> [B, C, H, W]
    Tensor forward(const Tensor & x, const Tensor & context, AttentionMode mode) const;
};

} // namespace sdn
