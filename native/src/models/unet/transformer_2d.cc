#include "transformer_2d.h"

#include <algorithm>
#include <cmath>

#include "../../core/arena.h"
#include "../../core/profile.h"
#include "../../ops/activation.h"
#include "../common/attention_call.h"

namespace sdn {

namespace {
constexpr int64_t kFeedForwardChunk = 1024; // tokens per feed-forward chunk
}

CrossAttention CrossAttention::load(const WeightStore & ws, const std::string & prefix, int64_t query_dim, int64_t context_dim,
                                    int64_t heads) {
    require(heads > 0 && query_dim % heads == 0, SDN_STATUS_BAD_FORMAT,
            prefix + ": " + std::to_string(query_dim) + " channels cannot be split into " + std::to_string(heads) + " heads");
    CrossAttention a;
    a.name = prefix;
    a.heads = heads;
    a.dim_head = query_dim / heads;
    a.to_q = Linear::load(ws, prefix + ".to_q", query_dim, query_dim, false);
    a.to_k = Linear::load(ws, prefix + ".to_k", context_dim, query_dim, false);
    a.to_v = Linear::load(ws, prefix + ".to_v", context_dim, query_dim, false);
    a.to_out = Linear::load(ws, prefix + ".to_out.0", query_dim, query_dim, true);
    return a;
}

void CrossAttention::forward_add(Tensor x, const Tensor * context, AttentionMode mode, Tensor & residual) const {
    const Tensor & c = context ? *context : x;
    const int64_t B = x.dim(0), T = x.dim(1), Tc = c.dim(1), C = heads * dim_head;
    Tensor q = to_q.forward(x);                                                 // [B, T, C]
    Tensor k = to_k.forward(c);                                                 // [B, Tc, C]
    Tensor v = to_v.forward(c);                                                 // [B, Tc, C]
    x = Tensor();                                                               // the normed input is dead
    ArenaScope scope(name);
    Tensor a = Tensor::empty({B, T, C});
    AttentionShape s{B, heads, T, Tc, dim_head, 1.0f / std::sqrt(static_cast<float>(dim_head))};
    s.bf16 = compute_precision() == Precision::BF16;
    attention_call(mode, s, AttentionOperand{q.f32(), T * C, dim_head, C}, AttentionOperand{k.f32(), Tc * C, dim_head, C},
                   AttentionOperand{v.f32(), Tc * C, dim_head, C}, AttentionOperand{a.f32(), T * C, dim_head, C}); // [B, T, heads * dim_head]
    q = k = v = Tensor();
    to_out.forward(a.f32(), B * T, residual.f32(), true);                       // residual += to_out(a)  [B, T, C]
}

BasicTransformerBlock BasicTransformerBlock::load(const WeightStore & ws, const std::string & prefix, int64_t dim,
                                                  int64_t context_dim, int64_t heads) {
    BasicTransformerBlock b;
    b.norm1 = LayerNorm::load(ws, prefix + ".norm1", dim, 1e-5f);
    b.attn1 = CrossAttention::load(ws, prefix + ".attn1", dim, dim, heads);
    b.norm2 = LayerNorm::load(ws, prefix + ".norm2", dim, 1e-5f);
    b.attn2 = CrossAttention::load(ws, prefix + ".attn2", dim, context_dim, heads);
    b.norm3 = LayerNorm::load(ws, prefix + ".norm3", dim, 1e-5f);
    b.ff_in = Linear::load(ws, prefix + ".ff.net.0.proj", dim, 2 * 4 * dim, true);
    b.ff_out = Linear::load(ws, prefix + ".ff.net.2", 4 * dim, dim, true);
    return b;
}

void BasicTransformerBlock::forward(Tensor & t, const Tensor & context, AttentionMode mode) const {
    const int64_t B = t.dim(0), T = t.dim(1), C = t.dim(2), inner = 4 * C;
    attn1.forward_add(norm1.forward(t), nullptr, mode, t);                      // t += self-attention(norm1(t))  [B, T, C]
    attn2.forward_add(norm2.forward(t), &context, mode, t);                     // t += cross-attention(norm2(t), context)  [B, T, C]
    // Feed-forward in chunks of tokens (rows are independent): its temporaries are 12 C floats per
    // row, 12x the block's input, so whole-batch buffers would be the UNet's largest besides naive
    // attention scores; chunked they are at most kFeedForwardChunk x 12 C floats.
    Tensor n = norm3.forward(t);                                                // [B, T, C]
    const int64_t M = B * T, rows = std::min<int64_t>(M, kFeedForwardChunk);
    ArenaScope scope(ff_in.name);
    Tensor p = Tensor::empty({rows, 2 * inner});
    Tensor g = Tensor::empty({rows, inner});
    const auto row = [C](const Tensor & x, int64_t m0) { return x.data ? x.f32() + m0 * C : nullptr; }; // no data when measuring
    for (int64_t m0 = 0; m0 < M; m0 += rows) {
        const int64_t m = std::min(rows, M - m0);
        ff_in.forward(row(n, m0), m, p.f32());                                  // [m, 2 * inner]  (value | gate)
        if (!arena_measuring()) { ProfileScope prof(ProfOp::Activation); geglu(p.f32(), g.f32(), m, inner); } // [m, inner]
        ff_out.forward(g.f32(), m, const_cast<float *>(row(t, m0)), true);      // t[m0 : m0 + m] += ff  [m, C]
    }
}

Transformer2D Transformer2D::load(const WeightStore & ws, const std::string & prefix, int64_t channels, int64_t heads,
                                  int64_t context_dim, int64_t layers, int64_t groups) {
    Transformer2D tr;
    tr.name = prefix;
    tr.channels = channels;
    tr.norm = GroupNorm::load(ws, prefix + ".norm", channels, groups, 1e-6f);
    tr.proj_in = Linear::load(ws, prefix + ".proj_in", channels, channels, true);
    for (int64_t i = 0; i < layers; ++i)
        tr.blocks.push_back(BasicTransformerBlock::load(ws, prefix + ".transformer_blocks." + std::to_string(i), channels, context_dim, heads));
    tr.proj_out = Linear::load(ws, prefix + ".proj_out", channels, channels, true);
    return tr;
}

Tensor Transformer2D::forward(const Tensor & x, const Tensor & context, AttentionMode mode) const {
    ArenaScope scope(name);
    Tensor n = norm.forward(x, false);                                          // [B, C, H, W]
    Tensor t = transpose_channels_last(n);                                      // [B, HW, C]
    n = Tensor();
    t = proj_in.forward(t);                                                     // [B, HW, C]
    for (const auto & block : blocks) block.forward(t, context, mode);          // [B, HW, C]
    t = proj_out.forward(t);                                                    // [B, HW, C]
    return transpose_channels_first_add(t, x);                                  // [B, C, H, W]
}

} // namespace sdn
