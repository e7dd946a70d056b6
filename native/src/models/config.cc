#include "config.h"

#include "../core/error.h"

namespace sdn {

namespace {

int get_int(const JsonValue & j, const char * key, int fallback, const std::string & what) {
    const JsonValue * v = j.find(key);
    if (!v || v->is_null()) return fallback;
    require(v->is_number() && v->number_is_integer, SDN_STATUS_BAD_FORMAT, what + ": \"" + key + "\" must be an integer");
    return static_cast<int>(v->number);
}

float get_float(const JsonValue & j, const char * key, float fallback, const std::string & what) {
    const JsonValue * v = j.find(key);
    if (!v || v->is_null()) return fallback;
    require(v->is_number(), SDN_STATUS_BAD_FORMAT, what + ": \"" + key + "\" must be a number");
    return static_cast<float>(v->number);
}

bool get_bool(const JsonValue & j, const char * key, bool fallback, const std::string & what) {
    const JsonValue * v = j.find(key);
    if (!v || v->is_null()) return fallback;
    require(v->is_bool(), SDN_STATUS_BAD_FORMAT, what + ": \"" + key + "\" must be true or false");
    return v->boolean;
}

std::string get_string(const JsonValue & j, const char * key, const std::string & fallback, const std::string & what) {
    const JsonValue * v = j.find(key);
    if (!v || v->is_null()) return fallback;
    require(v->is_string(), SDN_STATUS_BAD_FORMAT, what + ": \"" + key + "\" must be a string");
    return v->string;
}

std::vector<int> get_ints(const JsonValue & j, const char * key, const std::vector<int> & fallback, const std::string & what) {
    const JsonValue * v = j.find(key);
    if (!v || v->is_null()) return fallback;
    require(v->is_array(), SDN_STATUS_BAD_FORMAT, what + ": \"" + key + "\" must be an array of integers");
    std::vector<int> out;
    for (const auto & e : v->array) {
        require(e.is_number() && e.number_is_integer, SDN_STATUS_BAD_FORMAT, what + ": \"" + key + "\" must be an array of integers");
        out.push_back(static_cast<int>(e.number));
    }
    return out;
}

std::vector<std::string> get_strings(const JsonValue & j, const char * key, const std::vector<std::string> & fallback,
                                     const std::string & what) {
    const JsonValue * v = j.find(key);
    if (!v || v->is_null()) return fallback;
    require(v->is_array(), SDN_STATUS_BAD_FORMAT, what + ": \"" + key + "\" must be an array of strings");
    std::vector<std::string> out;
    for (const auto & e : v->array) {
        require(e.is_string(), SDN_STATUS_BAD_FORMAT, what + ": \"" + key + "\" must be an array of strings");
        out.push_back(e.string);
    }
    return out;
}

void require_null_or_absent(const JsonValue & j, const char * key, const std::string & what) {
    const JsonValue * v = j.find(key);
    require(!v || v->is_null() || (v->is_bool() && !v->boolean), SDN_STATUS_BAD_FORMAT,
            what + ": \"" + key + "\" is set, but the engine implements only SD 1.x UNets without it");
}

// An int-or-list config value expanded to one entry per block.
std::vector<int> per_block(const JsonValue & j, const char * key, int n_blocks, const std::vector<int> & fallback,
                           const std::string & what) {
    const JsonValue * v = j.find(key);
    if (!v || v->is_null()) return fallback;
    if (v->is_number()) return std::vector<int>(n_blocks, get_int(j, key, 0, what));
    std::vector<int> out = get_ints(j, key, fallback, what);
    require(static_cast<int>(out.size()) == n_blocks, SDN_STATUS_BAD_FORMAT,
            what + ": \"" + key + "\" has " + std::to_string(out.size()) + " entries for " + std::to_string(n_blocks) + " blocks");
    return out;
}

} // namespace

CLIPConfig clip_config_from_json(const JsonValue & j, const std::string & what) {
    require(j.is_object(), SDN_STATUS_BAD_FORMAT, what + ": expected a JSON object");
    CLIPConfig c;
    c.vocab_size = get_int(j, "vocab_size", c.vocab_size, what);
    c.hidden_size = get_int(j, "hidden_size", c.hidden_size, what);
    c.num_hidden_layers = get_int(j, "num_hidden_layers", c.num_hidden_layers, what);
    c.num_attention_heads = get_int(j, "num_attention_heads", c.num_attention_heads, what);
    c.intermediate_size = get_int(j, "intermediate_size", c.intermediate_size, what);
    c.max_position_embeddings = get_int(j, "max_position_embeddings", c.max_position_embeddings, what);
    c.layer_norm_eps = get_float(j, "layer_norm_eps", c.layer_norm_eps, what);
    c.hidden_act = get_string(j, "hidden_act", c.hidden_act, what);
    require(c.hidden_act == "quick_gelu" || c.hidden_act == "gelu", SDN_STATUS_BAD_FORMAT,
            what + ": hidden_act \"" + c.hidden_act + "\" is not supported (quick_gelu or gelu)");
    bool with_projection = false;
    if (const JsonValue * a = j.find("architectures"); a && a->is_array())
        for (const auto & e : a->array) with_projection = with_projection || (e.is_string() && e.string == "CLIPTextModelWithProjection");
    if (with_projection) {
        c.projection_dim = get_int(j, "projection_dim", 0, what);
        require(c.projection_dim > 0, SDN_STATUS_BAD_FORMAT, what + ": CLIPTextModelWithProjection needs a positive \"projection_dim\"");
    }
    require(c.hidden_size > 0 && c.num_attention_heads > 0 && c.hidden_size % c.num_attention_heads == 0,
            SDN_STATUS_BAD_FORMAT, what + ": hidden_size must be a positive multiple of num_attention_heads");
    return c;
}

UNetConfig unet_config_from_json(const JsonValue & j, const std::string & what) {
    require(j.is_object(), SDN_STATUS_BAD_FORMAT, what + ": expected a JSON object");
    UNetConfig c;
    c.in_channels = get_int(j, "in_channels", c.in_channels, what);
    c.out_channels = get_int(j, "out_channels", c.out_channels, what);
    c.block_out_channels = get_ints(j, "block_out_channels", c.block_out_channels, what);
    const int n = static_cast<int>(c.block_out_channels.size());
    c.down_block_types = get_strings(j, "down_block_types", c.down_block_types, what);
    c.up_block_types = get_strings(j, "up_block_types", c.up_block_types, what);
    require(static_cast<int>(c.down_block_types.size()) == n && static_cast<int>(c.up_block_types.size()) == n,
            SDN_STATUS_BAD_FORMAT, what + ": down_block_types/up_block_types must have one entry per block_out_channels");
    for (const auto & t : c.down_block_types)
        require(t == "CrossAttnDownBlock2D" || t == "DownBlock2D", SDN_STATUS_BAD_FORMAT, what + ": down block type \"" + t + "\" is not supported");
    for (const auto & t : c.up_block_types)
        require(t == "CrossAttnUpBlock2D" || t == "UpBlock2D", SDN_STATUS_BAD_FORMAT, what + ": up block type \"" + t + "\" is not supported");
    const std::string mid = get_string(j, "mid_block_type", "UNetMidBlock2DCrossAttn", what);
    require(mid == "UNetMidBlock2DCrossAttn", SDN_STATUS_BAD_FORMAT, what + ": mid_block_type \"" + mid + "\" is not supported");
    c.layers_per_block = get_int(j, "layers_per_block", c.layers_per_block, what);
    // diffusers: num_attention_heads = num_attention_heads or attention_head_dim (SD 1.x naming quirk).
    const JsonValue * heads = j.find("num_attention_heads");
    const char * heads_key = heads && !heads->is_null() ? "num_attention_heads" : "attention_head_dim";
    c.num_attention_heads = per_block(j, heads_key, n, std::vector<int>(n, 8), what);
    c.cross_attention_dim = get_int(j, "cross_attention_dim", c.cross_attention_dim, what);
    c.norm_num_groups = get_int(j, "norm_num_groups", c.norm_num_groups, what);
    c.norm_eps = get_float(j, "norm_eps", c.norm_eps, what);
    c.use_linear_projection = get_bool(j, "use_linear_projection", c.use_linear_projection, what);
    c.transformer_layers_per_block = per_block(j, "transformer_layers_per_block", n, std::vector<int>(n, 1), what);
    // 0 is a ControlNet's (diffusers' controlnet-*-sdxl-1.0-mid / -small): see ControlNet; a UNet refuses it (unet.cc).
    for (int t : c.transformer_layers_per_block)
        require(t >= 0, SDN_STATUS_BAD_FORMAT, what + ": \"transformer_layers_per_block\" entries must be >= 0");
    c.addition_embed_type = get_string(j, "addition_embed_type", "", what);
    require(c.addition_embed_type.empty() || c.addition_embed_type == "text_time", SDN_STATUS_BAD_FORMAT,
            what + ": addition_embed_type \"" + c.addition_embed_type + "\" is not supported (null or \"text_time\")");
    if (c.addition_embed_type == "text_time") {
        c.addition_time_embed_dim = get_int(j, "addition_time_embed_dim", 0, what);
        c.projection_class_embeddings_input_dim = get_int(j, "projection_class_embeddings_input_dim", 0, what);
        require(c.addition_time_embed_dim > 0 && c.projection_class_embeddings_input_dim > 5 * c.addition_time_embed_dim, SDN_STATUS_BAD_FORMAT,
                what + ": addition_embed_type \"text_time\" needs addition_time_embed_dim > 0 and projection_class_embeddings_input_dim > "
                       "5 x addition_time_embed_dim (the pooled text embedding plus the Fourier features of 6 time ids, an SDXL refiner's 5)");
    }
    c.flip_sin_to_cos = get_bool(j, "flip_sin_to_cos", c.flip_sin_to_cos, what);
    c.freq_shift = get_int(j, "freq_shift", c.freq_shift, what);
    c.sample_size = get_int(j, "sample_size", c.sample_size, what);
    for (const char * key : {"class_embed_type", "encoder_hid_dim", "time_cond_proj_dim", "dual_cross_attention",
                             "only_cross_attention", "upcast_attention"})
        require_null_or_absent(j, key, what);
    require(get_string(j, "resnet_time_scale_shift", "default", what) == "default", SDN_STATUS_BAD_FORMAT,
            what + ": resnet_time_scale_shift other than \"default\" is not supported");
    require(get_string(j, "act_fn", "silu", what) == "silu", SDN_STATUS_BAD_FORMAT, what + ": act_fn other than \"silu\" is not supported");
    // Settings SD 1.x never changes; anything else would silently compute another network.
    require(get_int(j, "conv_in_kernel", 3, what) == 3 && get_int(j, "conv_out_kernel", 3, what) == 3, SDN_STATUS_BAD_FORMAT,
            what + ": conv_in_kernel/conv_out_kernel other than 3 are not supported");
    require(get_int(j, "downsample_padding", 1, what) == 1, SDN_STATUS_BAD_FORMAT, what + ": downsample_padding other than 1 is not supported");
    require(get_float(j, "mid_block_scale_factor", 1.0f, what) == 1.0f && get_float(j, "resnet_out_scale_factor", 1.0f, what) == 1.0f,
            SDN_STATUS_BAD_FORMAT, what + ": mid_block_scale_factor/resnet_out_scale_factor other than 1 are not supported");
    require(get_string(j, "time_embedding_type", "positional", what) == "positional", SDN_STATUS_BAD_FORMAT,
            what + ": time_embedding_type other than \"positional\" is not supported");
    require(get_string(j, "attention_type", "default", what) == "default", SDN_STATUS_BAD_FORMAT,
            what + ": attention_type other than \"default\" is not supported");
    for (const char * key : {"center_input_sample", "time_embedding_dim", "time_embedding_act_fn", "timestep_post_act", "cross_attention_norm",
                             "num_class_embeds", "reverse_transformer_layers_per_block", "encoder_hid_dim_type", "mid_block_only_cross_attention", "resnet_skip_time_act"})
        require_null_or_absent(j, key, what);
    return c;
}

VAEConfig vae_config_from_json(const JsonValue & j, const std::string & what) {
    require(j.is_object(), SDN_STATUS_BAD_FORMAT, what + ": expected a JSON object");
    VAEConfig c;
    c.in_channels = get_int(j, "in_channels", c.in_channels, what);
    c.out_channels = get_int(j, "out_channels", c.out_channels, what);
    c.latent_channels = get_int(j, "latent_channels", c.latent_channels, what);
    c.block_out_channels = get_ints(j, "block_out_channels", c.block_out_channels, what);
    c.layers_per_block = get_int(j, "layers_per_block", c.layers_per_block, what);
    c.norm_num_groups = get_int(j, "norm_num_groups", c.norm_num_groups, what);
    c.scaling_factor = get_float(j, "scaling_factor", c.scaling_factor, what);
    c.sample_size = get_int(j, "sample_size", c.sample_size, what);
    c.mid_block_add_attention = get_bool(j, "mid_block_add_attention", c.mid_block_add_attention, what);
    c.use_quant_conv = get_bool(j, "use_quant_conv", c.use_quant_conv, what);
    c.use_post_quant_conv = get_bool(j, "use_post_quant_conv", c.use_post_quant_conv, what);
    const int n = static_cast<int>(c.block_out_channels.size());
    require(n >= 1, SDN_STATUS_BAD_FORMAT, what + ": \"block_out_channels\" is empty");
    for (const auto & t : get_strings(j, "down_block_types", std::vector<std::string>(n, "DownEncoderBlock2D"), what))
        require(t == "DownEncoderBlock2D", SDN_STATUS_BAD_FORMAT, what + ": down block type \"" + t + "\" is not supported");
    for (const auto & t : get_strings(j, "up_block_types", std::vector<std::string>(n, "UpDecoderBlock2D"), what))
        require(t == "UpDecoderBlock2D", SDN_STATUS_BAD_FORMAT, what + ": up block type \"" + t + "\" is not supported");
    require(get_string(j, "act_fn", "silu", what) == "silu", SDN_STATUS_BAD_FORMAT, what + ": act_fn other than \"silu\" is not supported");
    require(get_string(j, "norm_type", "group", what) == "group", SDN_STATUS_BAD_FORMAT, what + ": norm_type other than \"group\" is not supported");
    return c;
}

TAESDConfig taesd_config_from_json(const JsonValue & j, const std::string & what) {
    require(j.is_object(), SDN_STATUS_BAD_FORMAT, what + ": expected a JSON object");
    TAESDConfig c;
    c.in_channels = get_int(j, "in_channels", c.in_channels, what);
    c.out_channels = get_int(j, "out_channels", c.out_channels, what);
    c.latent_channels = get_int(j, "latent_channels", c.latent_channels, what);
    c.encoder_block_out_channels = get_ints(j, "encoder_block_out_channels", c.encoder_block_out_channels, what);
    c.decoder_block_out_channels = get_ints(j, "decoder_block_out_channels", c.decoder_block_out_channels, what);
    c.num_encoder_blocks = get_ints(j, "num_encoder_blocks", c.num_encoder_blocks, what);
    c.num_decoder_blocks = get_ints(j, "num_decoder_blocks", c.num_decoder_blocks, what);
    c.upsampling_scaling_factor = get_int(j, "upsampling_scaling_factor", c.upsampling_scaling_factor, what);
    require(!c.encoder_block_out_channels.empty() && c.encoder_block_out_channels.size() == c.num_encoder_blocks.size(), SDN_STATUS_BAD_FORMAT,
            what + ": \"encoder_block_out_channels\" and \"num_encoder_blocks\" must be non-empty and of the same length");
    require(!c.decoder_block_out_channels.empty() && c.decoder_block_out_channels.size() == c.num_decoder_blocks.size(), SDN_STATUS_BAD_FORMAT,
            what + ": \"decoder_block_out_channels\" and \"num_decoder_blocks\" must be non-empty and of the same length");
    require(c.upsampling_scaling_factor >= 1, SDN_STATUS_BAD_FORMAT, what + ": \"upsampling_scaling_factor\" must be >= 1");
    const auto positive = [&](const std::vector<int> & v, const char * key) {
        for (int x : v) require(x >= 1, SDN_STATUS_BAD_FORMAT, what + ": \"" + key + "\" must hold integers >= 1");
    };
    positive(c.encoder_block_out_channels, "encoder_block_out_channels");
    positive(c.decoder_block_out_channels, "decoder_block_out_channels");
    require(c.in_channels >= 1 && c.out_channels >= 1 && c.latent_channels >= 1, SDN_STATUS_BAD_FORMAT, what + ": channel counts must be >= 1");
    require(get_string(j, "act_fn", "relu", what) == "relu", SDN_STATUS_BAD_FORMAT, what + ": act_fn other than \"relu\" is not supported");
    return c;
}

ControlNetConfig controlnet_config_from_json(const JsonValue & j, const std::string & what) {
    require(j.is_object(), SDN_STATUS_BAD_FORMAT, what + ": expected a JSON object");
    // The UNet part: a ControlNetModel config.json has no up blocks; give it the mirror of the down
    // blocks so the UNet reader's checks apply (they are not used).
    JsonValue unet = j;
    const std::vector<std::string> down = get_strings(j, "down_block_types", UNetConfig{}.down_block_types, what);
    JsonValue up = JsonValue::make_array();
    for (auto it = down.rbegin(); it != down.rend(); ++it)
        up.array.push_back(JsonValue::make_string(*it == "CrossAttnDownBlock2D" ? "CrossAttnUpBlock2D" : "UpBlock2D"));
    unet.set("up_block_types", up);
    for (const char * key : {"conditioning_channels", "conditioning_embedding_out_channels", "global_pool_conditions", "controlnet_conditioning_channel_order"})
        unet.set(key, JsonValue()); // ControlNet keys, not the UNet's
    ControlNetConfig c;
    c.unet = unet_config_from_json(unet, what);
    c.conditioning_channels = get_int(j, "conditioning_channels", c.conditioning_channels, what);
    c.conditioning_embedding_out_channels = get_ints(j, "conditioning_embedding_out_channels", c.conditioning_embedding_out_channels, what);
    c.global_pool_conditions = get_bool(j, "global_pool_conditions", c.global_pool_conditions, what);
    require(c.conditioning_channels >= 1 && !c.conditioning_embedding_out_channels.empty(), SDN_STATUS_BAD_FORMAT,
            what + ": \"conditioning_channels\" must be >= 1 and \"conditioning_embedding_out_channels\" non-empty");
    for (int x : c.conditioning_embedding_out_channels)
        require(x >= 1, SDN_STATUS_BAD_FORMAT, what + ": \"conditioning_embedding_out_channels\" must hold integers >= 1");
    require(get_string(j, "controlnet_conditioning_channel_order", "rgb", what) == "rgb", SDN_STATUS_BAD_FORMAT,
            what + ": controlnet_conditioning_channel_order other than \"rgb\" is not supported");
    return c;
}

} // namespace sdn
