// resnet.h — diffusers' ResnetBlock2D, Downsample2D and Upsample2D, shared by the UNet and the VAE.
#pragma once

#include "layers.h"

namespace sdn {

// ResnetBlock2D (resnet_time_scale_shift "default", output_scale_factor 1):
//   h = conv1(silu(norm1(x))) + time_emb_proj(silu(temb))[:, :, None, None]
//   out = shortcut(x) + conv2(silu(norm2(h)))       shortcut = 1x1 conv when in != out, else identity
// Weights: <prefix>.norm1, .conv1, .time_emb_proj (UNet only), .norm2, .conv2, .conv_shortcut.
struct ResnetBlock2D {
    int64_t in = 0, out = 0;
    GroupNorm norm1, norm2;
    Conv2d conv1, conv2, conv_shortcut;
    Linear time_emb_proj;
    bool has_time_emb = false, has_shortcut = false;

    // temb_channels = 0: no time embedding (the VAE's blocks).
    static ResnetBlock2D load(const WeightStore & ws, const std::string & prefix, int64_t in, int64_t out,
                              int64_t temb_channels, int64_t groups, float eps);

    // x: [B, in, H, W], temb_silu: silu(temb) [B, temb_channels] (null without time embedding)
    // -> [B, out, H, W]
    Tensor forward(const Tensor & x, const Tensor * temb_silu) const;
};

// Downsample2D with a 3x3 stride-2 convolution: padding 1 (UNet), or padding 0 after a zero row/column
// at the bottom/right (the VAE encoder: downsample_padding = 0). Weights: <prefix>.conv.
struct Downsample2D {
    Conv2d conv;
    bool pad_bottom_right_first = false;

    static Downsample2D load(const WeightStore & ws, const std::string & prefix, int64_t channels, int64_t padding);

    // x: [B, C, H, W] -> [B, C, floor((H + 1) / 2), ...] with padding 1; [B, C, floor(H / 2), ...] with the VAE's pad
    Tensor forward(const Tensor & x) const;
};

// Upsample2D: nearest up-sampling to (out_h, out_w) (2x, or the skip connection's size when the latent
// is not a multiple of 8), then a 3x3 convolution with padding 1. Weights: <prefix>.conv.
struct Upsample2D {
    Conv2d conv;

    static Upsample2D load(const WeightStore & ws, const std::string & prefix, int64_t channels);

    // x: [B, C, H, W] -> [B, C, out_h, out_w]
    Tensor forward(const Tensor & x, int64_t out_h, int64_t out_w) const;
};

} // namespace sdn
