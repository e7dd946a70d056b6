// unet.h — diffusers' UNet2DConditionModel as SD 1.x uses it, configured by UNetConfig.
//
//   sample [B, Cin, H, W], timesteps [B], context [B, Tc, cross_attention_dim]
//   temb = linear_2(silu(linear_1(sinusoidal(timesteps))))                    [B, 4 * c0]
//   h = conv_in(sample)                                                       [B, c0, H, W]
//   down blocks (CrossAttnDownBlock2D | DownBlock2D): layers_per_block x (resnet [+ transformer]),
//       then a stride-2 conv except in the last block; every output is kept as a skip
//   mid block (UNetMidBlock2DCrossAttn): resnet, transformer, resnet
//   up blocks (UpBlock2D | CrossAttnUpBlock2D): layers_per_block + 1 x (concat skip, resnet
//       [+ transformer]), then nearest up-sampling (to the next skip's size) + conv except in the last
//   out = conv_out(silu(conv_norm_out(h)))                                    [B, Cout, H, W]
//
// Weight names are diffusers' ("down_blocks.0.resnets.0.conv1.weight", ...).
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "../../ops/attention.h"
#include "../common/resnet.h"
#include "../config.h"
#include "transformer_2d.h"

namespace sdn {

class UNet {
public:
    UNet(const UNetConfig & config, std::shared_ptr<const WeightStore> weights);

    const UNetConfig & config() const { return config_; }

    // sample: [B, in_channels, H, W] (any H, W >= 1), timesteps: B values (one per batch element,
    // integer or fractional), context: [B, Tc, cross_attention_dim]. Every attention uses `mode`.
    // Throws BAD_SHAPE for inconsistent shapes, CANCELLED when *cancel becomes true (checked between
    // blocks). -> [B, out_channels, H, W]
    Tensor forward(const Tensor & sample, const float * timesteps, const Tensor & context, AttentionMode mode,
                   const std::atomic<bool> * cancel) const;

private:
    struct Block {
        std::string name; // "down_blocks.0", "up_blocks.1"
        std::vector<ResnetBlock2D> resnets;
        std::vector<Transformer2D> attentions; // empty for DownBlock2D / UpBlock2D
        bool has_downsample = false, has_upsample = false;
        Downsample2D downsample;
        Upsample2D upsample;
    };

    // [B] -> [B, c0]: diffusers' get_timestep_embedding (flip_sin_to_cos, freq_shift), in f32 as torch.
    Tensor timestep_embedding(const float * timesteps, int64_t B) const;

    UNetConfig config_;
    std::shared_ptr<const WeightStore> weights_;
    int64_t time_embed_dim_ = 0;
    Linear time_linear_1_, time_linear_2_;
    Conv2d conv_in_, conv_out_;
    std::vector<Block> down_, up_;
    ResnetBlock2D mid_resnet_0_, mid_resnet_1_;
    Transformer2D mid_attention_;
    GroupNorm conv_norm_out_;
};

} // namespace sdn
