// autoencoder_kl.h — diffusers' AutoencoderKL (SD 1.x's VAE), configured by VAEConfig.
//
// decode:  z [B, L, h, w]
//   post_quant_conv (1x1)                                                     [B, L, h, w]
//   decoder.conv_in                                                           [B, c_last, h, w]
//   decoder.mid_block: resnet, single-head attention (group norm, residual), resnet
//   decoder.up_blocks: layers_per_block + 1 resnets, then 2x nearest + conv except in the last
//   conv_norm_out, SiLU, conv_out                                             [B, out_channels, 8h, 8w]
// encode:  x [B, in_channels, H, W]
//   encoder.conv_in, down_blocks (layers_per_block resnets, then a stride-2 conv after a zero
//   pad at the bottom/right except in the last), mid_block, conv_norm_out, SiLU, conv_out
//   quant_conv (1x1) -> moments                                                [B, 2L, H/8, W/8]
//   mean = moments[:, :L], logvar = clamp(moments[:, L:], -30, 20)
//
// Every group norm of the VAE uses eps 1e-6. Weight names are diffusers' ("decoder.up_blocks.0.
// resnets.0.conv1.weight", "decoder.mid_block.attentions.0.to_q.weight", ...).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "../../ops/attention.h"
#include "../common/resnet.h"
#include "../config.h"

namespace sdn {

class AutoencoderKL {
public:
    AutoencoderKL(const VAEConfig & config, std::shared_ptr<const WeightStore> weights);

    const VAEConfig & config() const { return config_; }

    // z: raw latents [B, latent_channels, h, w] (callers divide by scaling_factor first)
    // -> image [B, out_channels, 8h, 8w] (2^(blocks-1) h in general), roughly in [-1, 1].
    Tensor decode(const Tensor & z, AttentionMode mode, const std::atomic<bool> * cancel) const;

    // decode() region by region with image-wide normalisation (vae_tiled.cc): post_quant_conv, conv_in
    // and the mid block run once on the whole latent; the up blocks and the output run tile by tile,
    // every group norm using the statistics of the whole image, so the result equals decode() up to
    // float rounding. `tile`: tile side in latent cells (>= 1; tile * 2^k pixels at a level up-sampled
    // k times). `progress(done, total)` (may be empty) is called after every tile, on this thread;
    // `cancel` is checked before every tile.
    using TileProgress = std::function<void(int64_t done, int64_t total)>;
    Tensor decode_tiled(const Tensor & z, int64_t tile, AttentionMode mode, const std::atomic<bool> * cancel,
                        const TileProgress & progress) const;

    // x: image [B, in_channels, H, W] in [-1, 1] -> moments [B, 2 * latent_channels, H/8, W/8]
    // (unclamped: mean = first half of the channels, logvar = second half).
    Tensor encode_moments(const Tensor & x, AttentionMode mode, const std::atomic<bool> * cancel) const;

    // The factor between latent and image size (8 for SD 1.x).
    int64_t downscale_factor() const { return int64_t(1) << (config_.block_out_channels.size() - 1); }

private:
    // Attention(heads = 1, dim_head = C, residual_connection, bias) on a feature map:
    //   out = x + to_out(attention(to_q(n), to_k(n), to_v(n))),  n = group_norm(x) as tokens
    struct AttentionBlock {
        std::string name; // "decoder.mid_block.attentions.0"
        GroupNorm group_norm;
        Linear to_q, to_k, to_v, to_out;
        // x: [B, C, H, W] -> [B, C, H, W]
        Tensor forward(const Tensor & x, AttentionMode mode) const;
    };
    struct MidBlock {
        ResnetBlock2D resnet_0, resnet_1;
        bool has_attention = true;
        AttentionBlock attention;
        Tensor forward(const Tensor & x, AttentionMode mode) const;
    };
    struct Block {
        std::vector<ResnetBlock2D> resnets;
        bool has_resample = false;
        Downsample2D downsample; // encoder
        Upsample2D upsample;     // decoder
    };

    MidBlock load_mid(const std::string & prefix) const;
    // post_quant_conv, decoder.conv_in, decoder.mid_block on z: [B, L, h, w] -> [B, c_last, h, w]
    Tensor decode_mid(const Tensor & z, AttentionMode mode, const std::atomic<bool> * cancel) const;

    VAEConfig config_;
    std::shared_ptr<const WeightStore> weights_;
    // encoder
    Conv2d enc_conv_in_, enc_conv_out_, quant_conv_;
    std::vector<Block> enc_down_;
    MidBlock enc_mid_;
    GroupNorm enc_norm_out_;
    bool has_encoder_ = false;
    // decoder
    Conv2d post_quant_conv_, dec_conv_in_, dec_conv_out_;
    MidBlock dec_mid_;
    std::vector<Block> dec_up_;
    GroupNorm dec_norm_out_;
};

} // namespace sdn
