// unet.h — diffusers' UNet2DConditionModel as SD 1.x and SDXL use it, configured by UNetConfig.
//
//   sample [B, Cin, H, W], timesteps [B], context [B, Tc, cross_attention_dim]
//   temb = linear_2(silu(linear_1(sinusoidal(timesteps))))                    [B, 4 * c0]
//   SDXL (text_time): temb += add_embedding(concat(text_embeds, sinusoidal(time_ids)))  [B, 4 * c0]
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

// SDXL's added conditioning ("text_time"), per latent: the pooled text embedding and the time ids
// [original h, original w, crop top, crop left, target h, target w]. Empty for SD 1.x.
struct AddedConditioning {
    const float * text_embeds = nullptr; // [B, text_embeds_dim]
    int64_t text_embeds_dim = 0;
    const float * time_ids = nullptr;    // [B, time_ids_dim]
    int64_t time_ids_dim = 0;
};

// The down-path residuals ControlNets add (models/controlnet/): one per skip connection, in the order the
// down path keeps them (conv_in's output first), and one for the mid block's output; each already
// scaled by its strength and summed over the ControlNets. Shapes equal the UNet's own maps.
// `input`: T2I-Adapter features (models/t2i_adapter/, ComfyUI's control "input"), one per UNet level, each
// scaled and summed over the adapters: feature i is added to h after level i's last layer, before that skip is
// kept and before the downsampler. With `input_xl` (SDXL adapters) there is one more feature than levels, placed
// as ComfyUI places them: feature 0 after level 0's downsampler, feature i (0 < i < levels) after level i's last
// layer, the last one on the mid block's output. Either part may be empty (no ControlNet / no adapter).
struct ControlResiduals {
    std::vector<Tensor> down;
    Tensor mid;
    std::vector<Tensor> input;
    bool input_xl = false;
};

// diffusers' get_timestep_embedding with the config's flip_sin_to_cos and freq_shift, in f32 as torch
// computes it: [B] -> [B, dim] (the UNet's and a ControlNet's "time_proj").
Tensor unet_timestep_embedding(const UNetConfig & config, const float * timesteps, int64_t B, int64_t dim);

// SDXL's "text_time" input (ComfyUI's `y`, what the model's encode_adm builds): per latent, the pooled text
// embedding followed by the Fourier features (add_time_proj, config's addition_time_embed_dim D each) of its 6
// time ids -> [B, projection_class_embeddings_input_dim]. `who` names the network in errors. A measure pass
// needs no values.
Tensor text_time_input(const UNetConfig & config, const AddedConditioning & added, int64_t B, const std::string & who);

// add_embedding (LDM: label_emb.0): linear_1, SiLU, linear_2: [B, P] -> [B, 4 c0]; the UNet's and an SDXL
// ControlNet's, each with its own weights, f32 whatever the precision.
struct AddedEmbedding {
    Linear linear_1, linear_2;
    static AddedEmbedding load(const WeightStore & ws, int64_t in_dim, int64_t temb_dim);
    Tensor forward(const Tensor & y) const;
};

class UNet {
public:
    UNet(const UNetConfig & config, std::shared_ptr<const WeightStore> weights);

    const UNetConfig & config() const { return config_; }

    // sample: [B, in_channels, H, W] (any H, W >= 1), timesteps: B values (one per batch element,
    // integer or fractional), context: [B, Tc, cross_attention_dim]. Every attention uses `mode`.
    // Throws BAD_SHAPE for inconsistent shapes, CANCELLED when *cancel becomes true (checked between
    // blocks). -> [B, out_channels, H, W]
    // `added`: SDXL's added conditioning, required when config().addition_embed_type is "text_time".
    // `control` (may be null): ControlNet residuals, added to each skip connection as the up path takes
    // it (and dropped then) and to the mid block's output; T2I-Adapter features, added on the down path
    // (see ControlResiduals); their shapes must be the UNet's maps.
    Tensor forward(const Tensor & sample, const float * timesteps, const Tensor & context, AttentionMode mode,
                   const std::atomic<bool> * cancel, const AddedConditioning & added = {}, ControlResiduals * control = nullptr) const;

private:
    struct Block {
        std::string name; // "down_blocks.0", "up_blocks.1"
        std::vector<ResnetBlock2D> resnets;
        std::vector<Transformer2D> attentions; // empty for DownBlock2D / UpBlock2D
        bool has_downsample = false, has_upsample = false;
        Downsample2D downsample;
        Upsample2D upsample;
    };


    UNetConfig config_;
    std::shared_ptr<const WeightStore> weights_;
    int64_t time_embed_dim_ = 0;
    Linear time_linear_1_, time_linear_2_;
    AddedEmbedding add_embedding_; // text_time only
    Conv2d conv_in_, conv_out_;
    std::vector<Block> down_, up_;
    ResnetBlock2D mid_resnet_0_, mid_resnet_1_;
    Transformer2D mid_attention_;
    GroupNorm conv_norm_out_;
};

} // namespace sdn
