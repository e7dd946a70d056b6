// config.h — the configuration of SD 1.x's and SDXL's networks, in diffusers/transformers terms.
// Filled from a diffusers folder's config.json files (from_json below), or inferred from a
// single-file checkpoint's tensor shapes plus an optional sidecar (io/checkpoint.h).
// Defaults are SD 1.5's.
#pragma once

#include <string>
#include <vector>

#include "../io/json.h"

namespace sdn {

struct CLIPConfig {
    int vocab_size = 49408;
    int hidden_size = 768;
    int num_hidden_layers = 12;
    int num_attention_heads = 12;
    int intermediate_size = 3072;
    int max_position_embeddings = 77;
    float layer_norm_eps = 1e-5f;
    std::string hidden_act = "quick_gelu"; // "quick_gelu" | "gelu"
    // CLIPTextModelWithProjection (SDXL's second encoder): the pooled output through text_projection
    // [projection_dim, hidden_size] (no bias); 0 = CLIPTextModel, no projection.
    int projection_dim = 0;
};

struct UNetConfig {
    int in_channels = 4;
    int out_channels = 4;
    std::vector<int> block_out_channels{320, 640, 1280, 1280};
    std::vector<std::string> down_block_types{"CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"};
    std::vector<std::string> up_block_types{"UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"};
    int layers_per_block = 2;
    // Heads per block (diffusers reads SD 1.x's "attention_head_dim" as the number of heads when
    // "num_attention_heads" is null: 8 heads everywhere for SD 1.x).
    std::vector<int> num_attention_heads{8, 8, 8, 8};
    int cross_attention_dim = 768;
    int norm_num_groups = 32;
    float norm_eps = 1e-5f;
    bool use_linear_projection = false;
    // BasicTransformerBlocks per Transformer2D, per down block (the mid block uses the last entry, the
    // up blocks the reversed list, as diffusers does); SD 1.x: 1 everywhere, SDXL: 1, 2, 10.
    std::vector<int> transformer_layers_per_block{1, 1, 1, 1};
    // "text_time" (SDXL): add_embedding(concat(text_embeds, Fourier features of the 6 time ids, each
    // addition_time_embed_dim wide)) is added to the time embedding; "" = none (SD 1.x).
    std::string addition_embed_type;
    int addition_time_embed_dim = 0;
    int projection_class_embeddings_input_dim = 0;
    bool flip_sin_to_cos = true;
    int freq_shift = 0;
    int sample_size = 64;
};

struct VAEConfig {
    int in_channels = 3;
    int out_channels = 3;
    int latent_channels = 4;
    std::vector<int> block_out_channels{128, 256, 512, 512};
    int layers_per_block = 2;
    int norm_num_groups = 32;
    float scaling_factor = 0.18215f;
    int sample_size = 512;
    bool mid_block_add_attention = true; // the mid blocks' single-head attention
    bool use_quant_conv = true;          // encoder output -> moments through a 1x1 conv
    bool use_post_quant_conv = true;     // latent -> decoder through a 1x1 conv
};

// TAESD as diffusers' AutoencoderTiny config.json describes it (SD 1.x's defaults). The encoder's
// down-sampling convs are stride 2 and the decoder's up-sampling nearest by upsampling_scaling_factor.
struct TAESDConfig {
    int in_channels = 3;
    int out_channels = 3;
    int latent_channels = 4;
    std::vector<int> encoder_block_out_channels{64, 64, 64, 64};
    std::vector<int> decoder_block_out_channels{64, 64, 64, 64};
    std::vector<int> num_encoder_blocks{1, 3, 3, 3};
    std::vector<int> num_decoder_blocks{3, 3, 3, 1};
    int upsampling_scaling_factor = 2;
};

// diffusers' ControlNetModel: a copy of the UNet's time embedding, conv_in, down blocks and mid block
// (`unet`: in_channels, block_out_channels, down_block_types, layers_per_block, heads, cross-attention
// width, ...; its up blocks and out_channels are not part of it), plus the hint encoder
// ("controlnet_cond_embedding": conditioning_channels -> conditioning_embedding_out_channels, each level
// a 3x3 conv then a stride-2 3x3 conv, SiLU between, out to block_out_channels[0]) and one 1x1 "zero
// convolution" per down-path output and one for the mid block. SD 1.5's shape by default.
struct ControlNetConfig {
    UNetConfig unet;
    int conditioning_channels = 3;
    std::vector<int> conditioning_embedding_out_channels{16, 32, 96, 256};
    // diffusers' global_pool_conditions (ComfyUI: a "_shuffle" file name): every residual replaced by its
    // per-channel mean over the picture.
    bool global_pool_conditions = false;
};

// Parse a diffusers/transformers config.json (`what` names the file in errors). Unknown keys are
// ignored; keys that change the architecture in ways the engine does not implement (e.g.
// "class_embed_type", "addition_embed_type", "resnet_time_scale_shift" other than "default") throw
// BAD_FORMAT naming the key.
CLIPConfig clip_config_from_json(const JsonValue & json, const std::string & what);
UNetConfig unet_config_from_json(const JsonValue & json, const std::string & what);
VAEConfig vae_config_from_json(const JsonValue & json, const std::string & what);
TAESDConfig taesd_config_from_json(const JsonValue & json, const std::string & what);
// A ControlNetModel config.json (no up_block_types: they are not part of a ControlNet).
ControlNetConfig controlnet_config_from_json(const JsonValue & json, const std::string & what);

} // namespace sdn
