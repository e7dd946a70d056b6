#include "config_json.h"

#include <cstdio>
#include <cstdlib>

namespace sdn {

namespace {

JsonValue ints(const std::vector<int> & v) {
    JsonValue a = JsonValue::make_array();
    for (int x : v) a.array.push_back(JsonValue::make_number(x));
    return a;
}

JsonValue strings(const std::vector<std::string> & v) {
    JsonValue a = JsonValue::make_array();
    for (const auto & s : v) a.array.push_back(JsonValue::make_string(s));
    return a;
}

} // namespace

JsonValue json_float(float x) {
    char buf[32];
    for (int precision = 6; precision <= 9; ++precision) {
        std::snprintf(buf, sizeof buf, "%.*g", precision, static_cast<double>(x));
        if (static_cast<float>(std::strtod(buf, nullptr)) == x) break;
    }
    JsonValue v = JsonValue::make_number(std::strtod(buf, nullptr));
    v.number_is_integer = false;
    return v;
}

JsonValue clip_config_to_json(const CLIPConfig & c) {
    JsonValue j = JsonValue::make_object();
    j.set("vocab_size", JsonValue::make_number(c.vocab_size));
    j.set("hidden_size", JsonValue::make_number(c.hidden_size));
    j.set("num_hidden_layers", JsonValue::make_number(c.num_hidden_layers));
    j.set("num_attention_heads", JsonValue::make_number(c.num_attention_heads));
    j.set("intermediate_size", JsonValue::make_number(c.intermediate_size));
    j.set("max_position_embeddings", JsonValue::make_number(c.max_position_embeddings));
    j.set("layer_norm_eps", json_float(c.layer_norm_eps));
    j.set("hidden_act", JsonValue::make_string(c.hidden_act));
    if (c.projection_dim > 0) {
        j.set("projection_dim", JsonValue::make_number(c.projection_dim));
        JsonValue a = JsonValue::make_array();
        a.array.push_back(JsonValue::make_string("CLIPTextModelWithProjection"));
        j.set("architectures", a);
    }
    return j;
}

JsonValue unet_config_to_json(const UNetConfig & c) {
    JsonValue j = JsonValue::make_object();
    j.set("in_channels", JsonValue::make_number(c.in_channels));
    j.set("out_channels", JsonValue::make_number(c.out_channels));
    j.set("block_out_channels", ints(c.block_out_channels));
    j.set("down_block_types", strings(c.down_block_types));
    j.set("up_block_types", strings(c.up_block_types));
    j.set("layers_per_block", JsonValue::make_number(c.layers_per_block));
    j.set("num_attention_heads", ints(c.num_attention_heads));
    j.set("cross_attention_dim", JsonValue::make_number(c.cross_attention_dim));
    j.set("norm_num_groups", JsonValue::make_number(c.norm_num_groups));
    j.set("norm_eps", json_float(c.norm_eps));
    j.set("use_linear_projection", JsonValue::make_bool(c.use_linear_projection));
    j.set("transformer_layers_per_block", ints(c.transformer_layers_per_block));
    if (!c.addition_embed_type.empty()) {
        j.set("addition_embed_type", JsonValue::make_string(c.addition_embed_type));
        j.set("addition_time_embed_dim", JsonValue::make_number(c.addition_time_embed_dim));
        j.set("projection_class_embeddings_input_dim", JsonValue::make_number(c.projection_class_embeddings_input_dim));
    }
    j.set("flip_sin_to_cos", JsonValue::make_bool(c.flip_sin_to_cos));
    j.set("freq_shift", JsonValue::make_number(c.freq_shift));
    j.set("sample_size", JsonValue::make_number(c.sample_size));
    return j;
}

JsonValue vae_config_to_json(const VAEConfig & c) {
    JsonValue j = JsonValue::make_object();
    j.set("in_channels", JsonValue::make_number(c.in_channels));
    j.set("out_channels", JsonValue::make_number(c.out_channels));
    j.set("latent_channels", JsonValue::make_number(c.latent_channels));
    j.set("block_out_channels", ints(c.block_out_channels));
    j.set("layers_per_block", JsonValue::make_number(c.layers_per_block));
    j.set("norm_num_groups", JsonValue::make_number(c.norm_num_groups));
    j.set("scaling_factor", json_float(c.scaling_factor));
    j.set("sample_size", JsonValue::make_number(c.sample_size));
    j.set("mid_block_add_attention", JsonValue::make_bool(c.mid_block_add_attention));
    j.set("use_quant_conv", JsonValue::make_bool(c.use_quant_conv));
    j.set("use_post_quant_conv", JsonValue::make_bool(c.use_post_quant_conv));
    return j;
}

JsonValue taesd_config_to_json(const TAESDConfig & c) {
    JsonValue j = JsonValue::make_object();
    j.set("in_channels", JsonValue::make_number(c.in_channels));
    j.set("out_channels", JsonValue::make_number(c.out_channels));
    j.set("latent_channels", JsonValue::make_number(c.latent_channels));
    j.set("encoder_block_out_channels", ints(c.encoder_block_out_channels));
    j.set("decoder_block_out_channels", ints(c.decoder_block_out_channels));
    j.set("num_encoder_blocks", ints(c.num_encoder_blocks));
    j.set("num_decoder_blocks", ints(c.num_decoder_blocks));
    j.set("upsampling_scaling_factor", JsonValue::make_number(c.upsampling_scaling_factor));
    return j;
}

JsonValue controlnet_config_to_json(const ControlNetConfig & c) {
    JsonValue j = unet_config_to_json(c.unet);
    JsonValue kept = JsonValue::make_object(); // without the UNet's up path, which a ControlNet has not
    for (auto & kv : j.object)
        if (kv.first != "up_block_types" && kv.first != "out_channels") kept.set(kv.first, kv.second);
    kept.set("conditioning_channels", JsonValue::make_number(c.conditioning_channels));
    kept.set("conditioning_embedding_out_channels", ints(c.conditioning_embedding_out_channels));
    kept.set("global_pool_conditions", JsonValue::make_bool(c.global_pool_conditions));
    return kept;
}

} // namespace sdn
