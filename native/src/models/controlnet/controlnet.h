// controlnet.h — diffusers' ControlNetModel (lllyasviel's ControlNet, ComfyUI's cldm.ControlNet) for SD
// 1.x and SDXL: a trainable copy of the UNet's encoder that reads a hint picture (edges, pose, depth, ...) and
// returns residuals the UNet adds to its skip connections and to its mid block's output.
//
//   x [B, Cin, H, W] (the noisy latent, as the UNet gets it), timesteps [B], context [B, Tc, ctx],
//   hint [Bh, Chint, 8H, 8W] (Bh = B, or 1 for one hint shared by the batch; the picture in [0, 1])
//   temb = linear_2(silu(linear_1(sinusoidal(timesteps))))                        [B, 4 c0]
//   SDXL (text_time): temb += add_embedding(y), y the UNet's text_time input (unet.h text_time_input:
//       pooled text embedding + Fourier features of the time ids; ComfyUI passes the model's `y`)  [B, 4 c0]
//   g = controlnet_cond_embedding(hint): conv_in, SiLU, then per level (conv 3x3, SiLU, conv 3x3
//       stride 2, SiLU), conv_out (the "input_hint_block" of the LDM layout)   [Bh, c0, H, W]
//   h = conv_in(x) + g (broadcast over the batch when Bh = 1)                     [B, c0, H, W]
//   down blocks as the UNet's (resnets, transformers, down-samplers); every output kept, as the
//       UNet keeps its skips: 1 + levels x layers_per_block + (levels - 1) maps (12 for SD 1.5);
//       a level of transformer depth 0 (diffusers' controlnet-*-sdxl-1.0-mid / -small) has no attention,
//       as in ComfyUI's cldm (a diffusers file's norm and projections for it are not read)
//   mid block as the UNet's, its transformer depth the last level's; depth 0: norm, projections and the
//       residual only                                                             [B, c_last, h, w]
//   down residual k = controlnet_down_blocks.k(skip k)   (1x1 "zero convolutions")  the skip's shape
//   mid residual = controlnet_mid_block(mid)                                      [B, c_last, h, w]
//
// Weight names are diffusers' ("down_blocks.0.resnets.0.conv1.weight", "controlnet_cond_embedding.conv_in.weight",
// "controlnet_down_blocks.3.weight", "controlnet_mid_block.weight", SDXL's "add_embedding.linear_1.weight");
// io/controlnet_file.h maps the LDM layout's (input_hint_block.*, zero_convs.*, middle_block_out.*, label_emb.*)
// to them. The blocks, layers and
// kernels are the UNet's own (common/, unet/transformer_2d.h), so attention modes, f16 weights, bf16
// precision and the measure pass apply as there.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "../../ops/attention.h"
#include "../common/resnet.h"
#include "../config.h"
#include "../unet/transformer_2d.h"
#include "../unet/unet.h"

namespace sdn {

class ControlNet {
public:
    ControlNet(const ControlNetConfig & config, std::shared_ptr<const WeightStore> weights);

    const ControlNetConfig & config() const { return config_; }
    // The hint's size over the latent's (2^levels of the hint encoder: 8 for SD 1.x's).
    int64_t hint_factor() const { return int64_t(1) << (config_.conditioning_embedding_out_channels.size() - 1); }
    // Residuals per call: the down path's kept maps, plus the mid block.
    int64_t down_residuals() const { return static_cast<int64_t>(zero_convs_.size()); }

    // x: [B, in_channels, H, W], timesteps: B values, context: [B, Tc, cross_attention_dim], hint: [1 or B,
    // conditioning_channels, f H, f W] (f = hint_factor()). `added_input`: SDXL's text_time input y [B,
    // projection_class_embeddings_input_dim] (text_time_input), required when config().unet.addition_embed_type is
    // "text_time" and refused otherwise. Runs without the caller's LoRAs (a LoRA is for the UNet it was trained
    // on). Throws BAD_SHAPE naming the mismatch, CANCELLED between blocks.
    ControlResiduals forward(const Tensor & x, const float * timesteps, const Tensor & context, const Tensor & hint, AttentionMode mode,
                             const std::atomic<bool> * cancel, const Tensor * added_input = nullptr) const;
    bool sdxl() const { return config_.unet.addition_embed_type == "text_time"; }
    // Whether any transformer block reads the context (false for a ControlNet of transformer depth 0 everywhere,
    // such as diffusers' controlnet-*-sdxl-1.0-small: any context width is then accepted, as ComfyUI does).
    bool reads_context() const { return reads_context_; }

private:
    struct Block {
        std::string name; // "down_blocks.0"
        std::vector<ResnetBlock2D> resnets;
        std::vector<Transformer2D> attentions; // empty for DownBlock2D
        bool has_downsample = false;
        Downsample2D downsample;
    };

    Tensor hint_embedding(const Tensor & hint) const; // [Bh, Chint, f H, f W] -> [Bh, c0, H, W]

    ControlNetConfig config_;
    std::shared_ptr<const WeightStore> weights_;
    bool reads_context_ = false;
    Linear time_linear_1_, time_linear_2_;
    AddedEmbedding add_embedding_; // SDXL (text_time) only
    Conv2d conv_in_;
    std::vector<Conv2d> hint_convs_; // controlnet_cond_embedding: conv_in, blocks.0 .. blocks.2n-3, conv_out (SiLU between)
    std::vector<Block> down_;
    ResnetBlock2D mid_resnet_0_, mid_resnet_1_;
    Transformer2D mid_attention_;
    std::vector<Conv2d> zero_convs_; // controlnet_down_blocks.k
    Conv2d zero_conv_mid_;           // controlnet_mid_block
};

} // namespace sdn
