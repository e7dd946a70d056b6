#include "autoencoder_kl.h"

#include <algorithm>
#include <cmath>

#include "../../core/arena.h"
#include "../../core/profile.h"
#include "../common/attention_call.h"

namespace sdn {

namespace {
constexpr float kEps = 1e-6f; // diffusers' VAE: every resnet, attention and output norm
}

AutoencoderKL::MidBlock AutoencoderKL::load_mid(const std::string & p) const {
    const WeightStore & ws = *weights_;
    const int64_t C = config_.block_out_channels.back(), groups = config_.norm_num_groups;
    MidBlock m;
    m.resnet_0 = ResnetBlock2D::load(ws, p + ".resnets.0", C, C, 0, groups, kEps);
    m.has_attention = config_.mid_block_add_attention;
    if (m.has_attention) {
        const std::string a = p + ".attentions.0";
        m.attention.name = a;
        m.attention.group_norm = GroupNorm::load(ws, a + ".group_norm", C, groups, kEps);
        m.attention.to_q = Linear::load(ws, a + ".to_q", C, C, true);
        m.attention.to_k = Linear::load(ws, a + ".to_k", C, C, true);
        m.attention.to_v = Linear::load(ws, a + ".to_v", C, C, true);
        m.attention.to_out = Linear::load(ws, a + ".to_out.0", C, C, true);
    }
    m.resnet_1 = ResnetBlock2D::load(ws, p + ".resnets.1", C, C, 0, groups, kEps);
    return m;
}

AutoencoderKL::AutoencoderKL(const VAEConfig & config, std::shared_ptr<const WeightStore> weights)
    : config_(config), weights_(std::move(weights)) {
    const WeightStore & ws = *weights_;
    const std::vector<int> & ch = config.block_out_channels;
    const int n = static_cast<int>(ch.size());
    require(n >= 1, SDN_STATUS_BAD_FORMAT, "VAE config: block_out_channels is empty");
    const int64_t groups = config.norm_num_groups, L = config.latent_channels;

    // Encoder (optional: a decoder-only file can still decode; encode then says what is missing).
    has_encoder_ = ws.has("encoder.conv_in.weight");
    if (has_encoder_) {
        enc_conv_in_ = Conv2d::load(ws, "encoder.conv_in", config.in_channels, ch[0], 3, 1, 1);
        int64_t out_ch = ch[0];
        for (int i = 0; i < n; ++i) {
            const int64_t in_ch = out_ch;
            out_ch = ch[i];
            const std::string p = "encoder.down_blocks." + std::to_string(i);
            Block b;
            for (int j = 0; j < config.layers_per_block; ++j)
                b.resnets.push_back(ResnetBlock2D::load(ws, p + ".resnets." + std::to_string(j), j == 0 ? in_ch : out_ch, out_ch, 0, groups, kEps));
            b.has_resample = i < n - 1;
            if (b.has_resample) b.downsample = Downsample2D::load(ws, p + ".downsamplers.0", out_ch, 0);
            enc_down_.push_back(std::move(b));
        }
        enc_mid_ = load_mid("encoder.mid_block");
        enc_norm_out_ = GroupNorm::load(ws, "encoder.conv_norm_out", ch[n - 1], groups, kEps);
        enc_conv_out_ = Conv2d::load(ws, "encoder.conv_out", ch[n - 1], 2 * L, 3, 1, 1);
        if (config.use_quant_conv) quant_conv_ = Conv2d::load(ws, "quant_conv", 2 * L, 2 * L, 1, 1, 0);
    }

    // Decoder.
    if (config.use_post_quant_conv) post_quant_conv_ = Conv2d::load(ws, "post_quant_conv", L, L, 1, 1, 0);
    dec_conv_in_ = Conv2d::load(ws, "decoder.conv_in", L, ch[n - 1], 3, 1, 1);
    dec_mid_ = load_mid("decoder.mid_block");
    int64_t out_ch = ch[n - 1];
    for (int i = 0; i < n; ++i) {
        const int64_t in_ch = out_ch;
        out_ch = ch[n - 1 - i];
        const std::string p = "decoder.up_blocks." + std::to_string(i);
        Block b;
        for (int j = 0; j < config.layers_per_block + 1; ++j)
            b.resnets.push_back(ResnetBlock2D::load(ws, p + ".resnets." + std::to_string(j), j == 0 ? in_ch : out_ch, out_ch, 0, groups, kEps));
        b.has_resample = i < n - 1;
        if (b.has_resample) b.upsample = Upsample2D::load(ws, p + ".upsamplers.0", out_ch);
        dec_up_.push_back(std::move(b));
    }
    dec_norm_out_ = GroupNorm::load(ws, "decoder.conv_norm_out", ch[0], groups, kEps);
    dec_conv_out_ = Conv2d::load(ws, "decoder.conv_out", ch[0], config.out_channels, 3, 1, 1);
}

Tensor AutoencoderKL::AttentionBlock::forward(const Tensor & x, AttentionMode mode) const {
    const int64_t B = x.dim(0), C = x.dim(1), T = x.dim(2) * x.dim(3);
    ArenaScope scope(name);
    Tensor n = group_norm.forward(x, false);                                    // [B, C, H, W]
    Tensor t = transpose_channels_last(n);                                      // [B, HW, C]
    n = Tensor();
    Tensor q = to_q.forward(t);                                                 // [B, HW, C]
    Tensor k = to_k.forward(t);                                                 // [B, HW, C]
    Tensor v = to_v.forward(t);                                                 // [B, HW, C]
    const AttentionShape s{B, 1, T, T, C, 1.0f / std::sqrt(static_cast<float>(C))};
    attention_call(mode, s, AttentionOperand{q.f32(), T * C, C, C}, AttentionOperand{k.f32(), T * C, C, C},
                   AttentionOperand{v.f32(), T * C, C, C}, AttentionOperand{t.f32(), T * C, C, C}); // t := attention  [B, HW, C]
    q = k = v = Tensor();
    Tensor o = to_out.forward(t);                                               // [B, HW, C]
    t = Tensor();
    return transpose_channels_first_add(o, x);                                  // [B, C, H, W]
}

Tensor AutoencoderKL::MidBlock::forward(const Tensor & x, AttentionMode mode) const {
    Tensor h = resnet_0.forward(x, nullptr);                                    // [B, C, h, w]
    if (has_attention) h = attention.forward(h, mode);                          // [B, C, h, w]
    return resnet_1.forward(h, nullptr);                                        // [B, C, h, w]
}

Tensor AutoencoderKL::decode_mid(const Tensor & z, AttentionMode mode, const std::atomic<bool> * cancel) const {
    require(z.rank() == 4 && z.dim(1) == config_.latent_channels && z.dim(2) >= 1 && z.dim(3) >= 1, SDN_STATUS_BAD_SHAPE,
            "VAE decode: latent has shape " + shape_str(z.shape) + ", expected [B, " + std::to_string(config_.latent_channels) + ", h, w]");
    Tensor h = config_.use_post_quant_conv ? post_quant_conv_.forward(z) : z;   // [B, L, h, w]
    h = dec_conv_in_.forward(h);                                                // [B, c_last, h, w]
    check_cancelled(cancel, "VAE decoder mid block");
    return dec_mid_.forward(h, mode);                                           // [B, c_last, h, w]
}

Tensor AutoencoderKL::decode(const Tensor & z, AttentionMode mode, const std::atomic<bool> * cancel) const {
    ProfileRun profile("VAE decode");
    Tensor h = decode_mid(z, mode, cancel);                                     // [B, c_last, h, w]
    for (size_t i = 0; i < dec_up_.size(); ++i) {
        const Block & b = dec_up_[i];
        for (const auto & r : b.resnets) {
            check_cancelled(cancel, "VAE decoder up block " + std::to_string(i));
            h = r.forward(h, nullptr);                                          // [B, c_i, h_i, w_i]
        }
        if (b.has_resample) h = b.upsample.forward(h, 2 * h.dim(2), 2 * h.dim(3)); // [B, c_i, 2 h_i, 2 w_i]
    }
    check_cancelled(cancel, "VAE decoder output");
    h = dec_norm_out_.forward(h, true);                                         // [B, c0, H, W]
    return dec_conv_out_.forward(h);                                            // [B, out_channels, H, W]
}

Tensor AutoencoderKL::encode_moments(const Tensor & x, AttentionMode mode, const std::atomic<bool> * cancel) const {
    require(has_encoder_, SDN_STATUS_MISSING_TENSOR, "VAE encode: this VAE has no encoder weights (\"encoder.conv_in.weight\" is missing)");
    const int64_t f = downscale_factor();
    require(x.rank() == 4 && x.dim(1) == config_.in_channels && x.dim(2) >= f && x.dim(3) >= f, SDN_STATUS_BAD_SHAPE,
            "VAE encode: image has shape " + shape_str(x.shape) + ", expected [B, " + std::to_string(config_.in_channels) +
                ", H, W] with H, W >= " + std::to_string(f));
    ProfileRun profile("VAE encode");
    Tensor h = enc_conv_in_.forward(x);                                         // [B, c0, H, W]
    for (size_t i = 0; i < enc_down_.size(); ++i) {
        const Block & b = enc_down_[i];
        for (const auto & r : b.resnets) {
            check_cancelled(cancel, "VAE encoder down block " + std::to_string(i));
            h = r.forward(h, nullptr);                                          // [B, c_i, H_i, W_i]
        }
        if (b.has_resample) h = b.downsample.forward(h);                        // [B, c_i, H_i / 2, W_i / 2]
    }
    check_cancelled(cancel, "VAE encoder mid block");
    h = enc_mid_.forward(h, mode);                                              // [B, c_last, h, w]
    h = enc_norm_out_.forward(h, true);                                         // [B, c_last, h, w]
    h = enc_conv_out_.forward(h);                                               // [B, 2L, h, w]
    if (config_.use_quant_conv) h = quant_conv_.forward(h);                     // [B, 2L, h, w]
    return h;
}

} // namespace sdn
