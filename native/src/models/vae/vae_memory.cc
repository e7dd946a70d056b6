// The VAE decoder's memory estimate: AutoencoderKL::decode (autoencoder_kl.cc) replayed on a
// MemoryPlan, in the same order. Keep the two in step.
#include "vae_memory.h"

#include <cmath>
#include <string>

#include "../../core/error.h"

namespace sdn {

namespace {

// AttentionBlock::forward on x [B, C, H, W] (live) -> [B, C, H, W]; single head over T = H*W.
MemoryPlan::Id plan_vae_attention(MemoryPlan & p, int64_t B, int64_t C, int64_t H, int64_t W, AttentionMode mode) {
    const int64_t T = H * W;
    const MemoryPlan::Id n = p.alloc(B * C * T * 4);                                 // group norm
    const MemoryPlan::Id t = p.alloc(B * T * C * 4);                                 // tokens, later the attention's output
    p.free(n);
    const MemoryPlan::Id q = plan_linear(p, B * T, C, C, "to_q");
    const MemoryPlan::Id k = plan_linear(p, B * T, C, C, "to_k");
    const MemoryPlan::Id v = plan_linear(p, B * T, C, C, "to_v");
    const AttentionShape s{B, 1, T, T, C, 1.0f / std::sqrt(static_cast<float>(C))};
    p.attention(attention_extra_bytes(mode, s), "attention");
    p.free(q);
    p.free(k);
    p.free(v);
    const MemoryPlan::Id o = plan_linear(p, B * T, C, C, "to_out");
    p.free(t);
    const MemoryPlan::Id y = p.alloc(B * C * T * 4);                                 // back to [B, C, H, W] + x
    p.free(o);
    return y;
}

} // namespace

MemoryPlan::Id plan_vae_decode_mid(MemoryPlan & p, const VAEConfig & config, const VAEDecodeMemoryQuery & query) {
    require(query.batch >= 1 && query.height >= 1 && query.width >= 1, SDN_STATUS_BAD_ARGUMENT,
            "VAE memory estimate: batch and latent height/width must be >= 1");
    const std::vector<int> & ch = config.block_out_channels;
    require(!ch.empty(), SDN_STATUS_BAD_FORMAT, "VAE config: block_out_channels is empty");
    const int n = static_cast<int>(ch.size());
    const int64_t B = query.batch, L = config.latent_channels, H = query.height, W = query.width;

    p.where = "post_quant_conv";
    MemoryPlan::Id h = -1;                                                           // -1: the caller's latent (not arena)
    if (config.use_post_quant_conv) h = plan_conv2d(p, B, L, H, W, L, 1, 1, 0, "conv");
    p.where = "conv_in";
    MemoryPlan::Id c = plan_conv2d(p, B, L, H, W, ch[n - 1], 3, 1, 1, "conv");
    if (h >= 0) p.free(h);
    h = c;

    const int64_t C = ch[n - 1];
    p.where = "mid block, resnet 0";
    MemoryPlan::Id m = plan_resnet(p, B, C, C, H, W, 0);
    if (config.mid_block_add_attention) {
        p.where = "mid block, attention";
        const MemoryPlan::Id a = plan_vae_attention(p, B, C, H, W, query.mode);
        p.free(m);
        m = a;
    }
    p.where = "mid block, resnet 1";
    const MemoryPlan::Id r = plan_resnet(p, B, C, C, H, W, 0);
    p.free(m);
    p.free(h);
    return r;
}

MemoryEstimate vae_decode_memory_estimate(const VAEConfig & config, const VAEDecodeMemoryQuery & query) {
    MemoryPlan p;
    MemoryPlan::Id h = plan_vae_decode_mid(p, config, query);
    const std::vector<int> & ch = config.block_out_channels;
    const int n = static_cast<int>(ch.size());
    const int64_t B = query.batch;
    int64_t H = query.height, W = query.width;
    int64_t channels = ch[n - 1];
    for (int i = 0; i < n; ++i) {
        const int64_t out_ch = ch[n - 1 - i];
        for (int j = 0; j < config.layers_per_block + 1; ++j) {
            p.where = "up block " + std::to_string(i) + ", resnet " + std::to_string(j);
            const MemoryPlan::Id o = plan_resnet(p, B, channels, out_ch, H, W, 0);
            p.free(h);
            h = o;
            channels = out_ch;
        }
        if (i < n - 1) {
            p.where = "up block " + std::to_string(i) + ", upsampler";
            const MemoryPlan::Id u = plan_upsample(p, B, channels, 2 * H, 2 * W);
            p.free(h);
            h = u;
            H *= 2;
            W *= 2;
        }
    }

    p.where = "output";
    const MemoryPlan::Id nrm = p.alloc(B * ch[0] * H * W * 4);                       // conv_norm_out + SiLU
    p.free(h);
    const MemoryPlan::Id out = plan_conv2d(p, B, ch[0], H, W, config.out_channels, 3, 1, 1, "conv_out");
    p.free(nrm);
    return memory_estimate_of(p, out);
}

void vae_decode_memory_check(const VAEConfig & config, const VAEDecodeMemoryQuery & query, int64_t limit_bytes) {
    if (limit_bytes <= 0) return;
    const MemoryEstimate e = vae_decode_memory_estimate(config, query);
    if (e.peak.bytes <= limit_bytes) return;
    std::string message = "VAE decode: " + std::string(attention_mode_name(query.mode)) + " attention at a " +
                          std::to_string(query.height) + "x" + std::to_string(query.width) + " latent, batch " +
                          std::to_string(query.batch) + ", needs ~" + memory_bytes_str(e.peak.bytes) + " of working memory (" +
                          memory_bytes_str(e.attention_bytes) + " for its attention), over the budget of " + memory_bytes_str(limit_bytes);
    VAEDecodeMemoryQuery flash = query;
    flash.mode = AttentionMode::Flash;
    const MemoryEstimate f = vae_decode_memory_estimate(config, flash);
    message += query.mode != AttentionMode::Flash && f.peak.bytes <= limit_bytes
                   ? "; use flash attention (needs ~" + memory_bytes_str(f.peak.bytes) + ")"
                   : "; decode in tiles (VAEDecodeTiled) or a smaller batch";
    throw Error(SDN_STATUS_OUT_OF_MEMORY, message);
}

} // namespace sdn
