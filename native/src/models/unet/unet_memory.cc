// The UNet's memory estimate: UNet::forward (unet.cc) and Transformer2D::forward (transformer_2d.cc)
// replayed on a MemoryPlan, in the same order. Keep the two in step.
#include "unet_memory.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "../../core/error.h"

namespace sdn {

namespace {

constexpr int64_t kFeedForwardChunk = 1024; // as in transformer_2d.cc

struct Map {
    MemoryPlan::Id id;
    int64_t channels, height, width;
};

// CrossAttention::forward_add: x (the normed input) is taken and freed once projected.
void plan_cross_attention(MemoryPlan & p, MemoryPlan::Id x, int64_t B, int64_t T, int64_t C, int64_t heads, int64_t Tk,
                          int64_t context_dim, AttentionMode mode, bool self) {
    const char * name = self ? "self-attention" : "cross-attention";
    const MemoryPlan::Id q = plan_linear(p, B * T, C, C, "to_q");                    // [B, T, C]
    const MemoryPlan::Id k = plan_linear(p, B * Tk, context_dim, C, "to_k");         // [B, Tk, C]
    const MemoryPlan::Id v = plan_linear(p, B * Tk, context_dim, C, "to_v");         // [B, Tk, C]
    p.free(x);
    const MemoryPlan::Id a = p.alloc(B * T * C * 4);                                 // [B, T, C]
    const int64_t D = C / heads;
    const AttentionShape s{B, heads, T, Tk, D, 1.0f / std::sqrt(static_cast<float>(D))};
    p.attention(attention_extra_bytes(mode, s), name);
    p.free(q);
    p.free(k);
    p.free(v);
    plan_linear_into(p, B * T, C, C, "to_out");                                      // residual += to_out(a)
    p.free(a);
}

// BasicTransformerBlock::forward on t [B, T, C] (live).
void plan_transformer_block(MemoryPlan & p, int64_t B, int64_t T, int64_t C, int64_t heads, int64_t Tc, int64_t context_dim,
                            AttentionMode mode) {
    plan_cross_attention(p, p.alloc(B * T * C * 4), B, T, C, heads, T, C, mode, true);              // norm1
    plan_cross_attention(p, p.alloc(B * T * C * 4), B, T, C, heads, Tc, context_dim, mode, false);  // norm2
    const MemoryPlan::Id n = p.alloc(B * T * C * 4);                                 // norm3  [B, T, C]
    const int64_t M = B * T, rows = std::min(M, kFeedForwardChunk), inner = 4 * C;
    const MemoryPlan::Id pr = p.alloc(rows * 2 * inner * 4);                         // [rows, 2 inner]
    const MemoryPlan::Id g = p.alloc(rows * inner * 4);                              // [rows, inner]
    // The first chunk is the largest; a GEMM's buffer does not depend on M beyond the M > MC switch.
    plan_linear_into(p, rows, C, 2 * inner, "ff.net.0.proj");
    plan_linear_into(p, rows, inner, C, "ff.net.2");
    const int64_t last = M - (M - 1) / rows * rows;
    plan_linear_into(p, last, C, 2 * inner, "ff.net.0.proj");
    plan_linear_into(p, last, inner, C, "ff.net.2");
    p.free(g);
    p.free(pr);
    p.free(n);
}

// Transformer2D::forward on x [B, C, H, W] (live) -> [B, C, H, W].
MemoryPlan::Id plan_transformer(MemoryPlan & p, int64_t B, int64_t C, int64_t H, int64_t W, int64_t heads, int64_t layers,
                                int64_t Tc, int64_t context_dim, AttentionMode mode) {
    const int64_t S = H * W;
    const MemoryPlan::Id n = p.alloc(B * C * S * 4);                                 // group norm
    MemoryPlan::Id t = p.alloc(B * S * C * 4);                                       // tokens [B, HW, C]
    p.free(n);
    MemoryPlan::Id t2 = plan_linear(p, B * S, C, C, "proj_in");
    p.free(t);
    t = t2;
    const std::string where = p.where;
    for (int64_t i = 0; i < layers; ++i) {
        p.where = layers > 1 ? where + ", block " + std::to_string(i) : where;
        plan_transformer_block(p, B, S, C, heads, Tc, context_dim, mode);
    }
    p.where = where;
    t2 = plan_linear(p, B * S, C, C, "proj_out");
    p.free(t);
    const MemoryPlan::Id y = p.alloc(B * C * S * 4);                                 // back to [B, C, H, W] + x
    p.free(t2);
    return y;
}

void check_query(const UNetConfig & c, const UNetMemoryQuery & q) {
    require(q.batch >= 1 && q.height >= 1 && q.width >= 1 && q.context_tokens >= 1, SDN_STATUS_BAD_ARGUMENT,
            "UNet memory estimate: batch, latent height/width and context tokens must be >= 1");
    const size_t n = c.block_out_channels.size();
    require(n >= 1 && c.num_attention_heads.size() == n && c.down_block_types.size() == n && c.up_block_types.size() == n,
            SDN_STATUS_BAD_FORMAT, "UNet config: block_out_channels, num_attention_heads and the block types need one entry per block");
    for (size_t i = 0; i < n; ++i)
        require(c.block_out_channels[i] >= 1 && c.num_attention_heads[i] >= 1 && c.block_out_channels[i] % c.num_attention_heads[i] == 0,
                SDN_STATUS_BAD_FORMAT, "UNet config: block " + std::to_string(i) + "'s channels cannot be split into its heads");
}

} // namespace

MemoryEstimate unet_memory_estimate(const UNetConfig & config, const UNetMemoryQuery & query) {
    check_query(config, query);
    const std::vector<int> & ch = config.block_out_channels;
    const int n = static_cast<int>(ch.size());
    const int64_t B = query.batch, Tc = query.context_tokens, ctx = config.cross_attention_dim;
    const int64_t temb_ch = 4 * ch[0], layers = config.transformer_layers_per_block;
    const AttentionMode mode = query.mode;
    MemoryPlan p;

    p.where = "time embedding";
    MemoryPlan::Id temb = p.alloc(B * ch[0] * 4);                                    // sinusoidal [B, c0]
    MemoryPlan::Id t1 = plan_linear(p, B, ch[0], temb_ch, "linear_1");
    p.free(temb);
    temb = plan_linear(p, B, temb_ch, temb_ch, "linear_2");                          // silu(temb), alive throughout
    p.free(t1);

    p.where = "conv_in";
    std::vector<Map> skips;
    Map h{plan_conv2d(p, B, config.in_channels, query.height, query.width, ch[0], 3, 1, 1, "conv"), ch[0], query.height, query.width};
    skips.push_back(h);
    p.mark_skip(h.id, true);
    for (int i = 0; i < n; ++i) {
        const bool cross = config.down_block_types[i] == "CrossAttnDownBlock2D";
        for (int j = 0; j < config.layers_per_block; ++j) {
            p.where = "down block " + std::to_string(i) + ", resnet " + std::to_string(j);
            Map r{plan_resnet(p, B, h.channels, ch[i], h.height, h.width, temb_ch), ch[i], h.height, h.width};
            // the input is a skip: it stays
            if (cross) {
                p.where = "down block " + std::to_string(i) + ", transformer " + std::to_string(j);
                Map a{plan_transformer(p, B, ch[i], r.height, r.width, config.num_attention_heads[i], layers, Tc, ctx, mode), ch[i], r.height, r.width};
                p.free(r.id);
                r = a;
            }
            h = r;
            skips.push_back(h);
            p.mark_skip(h.id, true);
        }
        if (i < n - 1) {
            p.where = "down block " + std::to_string(i) + ", downsampler";
            const int64_t ho = (h.height + 1) / 2, wo = (h.width + 1) / 2;
            h = Map{plan_conv2d(p, B, h.channels, h.height, h.width, h.channels, 3, 2, 1, "conv"), h.channels, ho, wo};
            skips.push_back(h);
            p.mark_skip(h.id, true);
        }
    }

    const int64_t c_last = ch[n - 1], heads_mid = config.num_attention_heads[n - 1];
    p.where = "mid block, resnet 0";
    Map m{plan_resnet(p, B, h.channels, c_last, h.height, h.width, temb_ch), c_last, h.height, h.width}; // h is a skip
    p.where = "mid block, transformer";
    MemoryPlan::Id a = plan_transformer(p, B, c_last, m.height, m.width, heads_mid, layers, Tc, ctx, mode);
    p.free(m.id);
    p.where = "mid block, resnet 1";
    MemoryPlan::Id r = plan_resnet(p, B, c_last, c_last, m.height, m.width, temb_ch);
    p.free(a);
    h = Map{r, c_last, m.height, m.width};

    for (int i = 0; i < n; ++i) {
        const int64_t out_ch = ch[n - 1 - i];
        const bool cross = config.up_block_types[i] == "CrossAttnUpBlock2D";
        for (int j = 0; j < config.layers_per_block + 1; ++j) {
            p.where = "up block " + std::to_string(i) + ", resnet " + std::to_string(j);
            const Map skip = skips.back();
            skips.pop_back();
            const int64_t cat_ch = h.channels + skip.channels;
            const MemoryPlan::Id cat = p.alloc(B * cat_ch * h.height * h.width * 4); // [B, ch + skip, H, W]
            p.free(h.id);
            p.mark_skip(skip.id, false);
            p.free(skip.id);
            Map o{plan_resnet(p, B, cat_ch, out_ch, h.height, h.width, temb_ch), out_ch, h.height, h.width};
            p.free(cat);
            if (cross) {
                p.where = "up block " + std::to_string(i) + ", transformer " + std::to_string(j);
                const MemoryPlan::Id t = plan_transformer(p, B, out_ch, o.height, o.width, config.num_attention_heads[n - 1 - i], layers, Tc, ctx, mode);
                p.free(o.id);
                o.id = t;
            }
            h = o;
        }
        if (i < n - 1) {
            p.where = "up block " + std::to_string(i) + ", upsampler";
            const Map & next = skips.back();
            const MemoryPlan::Id u = plan_upsample(p, B, h.channels, h.height, h.width, next.height, next.width);
            p.free(h.id);
            h = Map{u, h.channels, next.height, next.width};
        }
    }

    p.where = "output";
    const MemoryPlan::Id nrm = p.alloc(B * ch[0] * h.height * h.width * 4);          // conv_norm_out + SiLU
    p.free(h.id);
    const MemoryPlan::Id out = plan_conv2d(p, B, ch[0], h.height, h.width, config.out_channels, 3, 1, 1, "conv_out");
    p.free(nrm);
    return memory_estimate_of(p, out);
}

void unet_memory_check(const UNetConfig & config, const UNetMemoryQuery & query, int64_t limit_bytes) {
    if (limit_bytes <= 0) return;
    const MemoryEstimate e = unet_memory_estimate(config, query);
    if (e.peak.bytes <= limit_bytes) return;
    std::string message = "UNet: " + std::string(attention_mode_name(query.mode)) + " attention at a " + std::to_string(query.height) +
                          "x" + std::to_string(query.width) + " latent, batch " + std::to_string(query.batch) + ", needs ~" +
                          memory_bytes_str(e.peak.bytes) + " of working memory (" + memory_bytes_str(e.attention_bytes) +
                          " for the largest attention alone, at " + e.attention_where + "), over the budget of " +
                          memory_bytes_str(limit_bytes);
    if (query.mode != AttentionMode::Flash) {
        UNetMemoryQuery flash = query;
        flash.mode = AttentionMode::Flash;
        const MemoryEstimate f = unet_memory_estimate(config, flash);
        message += f.peak.bytes <= limit_bytes ? "; use flash attention (needs ~" + memory_bytes_str(f.peak.bytes) + ")"
                                               : "; even flash attention needs ~" + memory_bytes_str(f.peak.bytes) +
                                                     ": use a smaller latent or batch";
    } else {
        message += ": use a smaller latent or batch";
    }
    throw Error(SDN_STATUS_OUT_OF_MEMORY, message);
}

} // namespace sdn
