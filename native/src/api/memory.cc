// memory.cc — sdn.h's memory estimates: the call's own code run as a measure pass (models/network_call.h),
// on a loaded model's network or on one built from a configuration alone (WeightStore::placeholder),
// with input tensors that have a shape and no data.
#include "../models/network_call.h"
#include "api.h"

using namespace sdn;

namespace {

Tensor no_data(const Shape & shape) { return Tensor::view(nullptr, shape, DType::F32, nullptr, Storage::External); }

} // namespace

void api::check_call_shape(const sdn_call_shape & s, sdn_call call) {
    const auto at_least_1 = [](int64_t v, const char * name) {
        require(v >= 1, SDN_STATUS_BAD_ARGUMENT, std::string("memory estimate: ") + name + " must be >= 1, got " + std::to_string(v));
    };
    at_least_1(s.batch, "batch");
    if (call == SDN_CALL_TEXT_ENCODE) return at_least_1(s.tokens, "tokens");
    at_least_1(s.height, "height");
    at_least_1(s.width, "width");
    if (call == SDN_CALL_UNET) at_least_1(s.tokens, "tokens (of the context)");
    require(s.tile >= 0, SDN_STATUS_BAD_ARGUMENT, "memory estimate: tile must be >= 0, got " + std::to_string(s.tile));
}

void api::estimate_out(const MemoryEstimate & e, sdn_memory_estimate * out) {
    *out = sdn_memory_estimate{};
    out->peak_bytes = static_cast<uint64_t>(e.peak_bytes);
    out->workspace_bytes = static_cast<uint64_t>(e.workspace_bytes);
    out->output_bytes = static_cast<uint64_t>(e.output_bytes);
    out->attention_bytes = static_cast<uint64_t>(e.attention_bytes);
    api::copy_text(out->peak_at, e.peak_at);
    api::copy_text(out->attention_at, e.attention_at);
}

namespace {

// The networks of the estimate: the model's, or built on placeholder weights from the configuration.
struct Networks {
    std::unique_ptr<CLIPTextModel> clip;
    std::unique_ptr<UNet> unet;
    std::unique_ptr<AutoencoderKL> vae;
};

MemoryEstimate estimate(const CLIPTextModel * clip, const UNet * unet, const AutoencoderKL * vae, sdn_call call, const sdn_call_shape & s,
                        AttentionMode mode, const std::vector<ControlApply> & controls) {
    switch (call) {
        case SDN_CALL_TEXT_ENCODE:
            return network_call_estimate(text_encode_call(*clip, nullptr, s.batch, s.tokens, 1, true, nullptr), mode);
        case SDN_CALL_UNET: {
            const UNetConfig & c = unet->config();
            static const float no_timesteps = 0.0f;
            // SDXL: the sizes of its added conditioning (no values in a measure pass), split as the base's 6 time
            // ids where the width allows (a refiner's 5 make the same [B, adm] input: tests/native/models/sdxl-refiner).
            AddedConditioning added;
            const int64_t P = c.projection_class_embeddings_input_dim, D = c.addition_time_embed_dim, N = P > 6 * D ? 6 : 5;
            if (c.addition_embed_type == "text_time") added = {nullptr, P - N * D, nullptr, N};
            return network_call_estimate(unet_call(*unet, no_data({s.batch, c.in_channels, s.height, s.width}), &no_timesteps,
                                                   no_data({s.batch, s.tokens, c.cross_attention_dim}), nullptr, added, controls),
                                         mode);
        }
        case SDN_CALL_VAE_DECODE:
            return network_call_estimate(
                vae_decode_call(*vae, no_data({s.batch, vae->config().latent_channels, s.height, s.width}), s.tile, nullptr, {}), mode);
        case SDN_CALL_VAE_ENCODE:
            return network_call_estimate(vae_encode_call(*vae, no_data({s.batch, vae->config().in_channels, s.height, s.width}), nullptr), mode);
    }
    throw Error(SDN_STATUS_BAD_ARGUMENT, "memory estimate: unknown call " + std::to_string(static_cast<int>(call)));
}

} // namespace

extern "C" sdn_status sdn_estimate_memory(sdn_model_t model, const char * config_json, sdn_call call, const sdn_call_shape * shape,
                                          const sdn_run_options * options, sdn_memory_estimate * out) {
    return api::call([&] {
        api::need(out, "out");
        sdn_call_shape s = *api::need(shape, "shape");
        if (call == SDN_CALL_UNET && s.tokens == 0) s.tokens = 77;
        api::check_call_shape(s, call);
        const AttentionMode mode = api::attention_of(options);
        const std::optional<Precision> asked = api::precision_of(options);
        MemoryEstimate e;
        if (model) {
            const Model & m = api::model_of(model);
            const PrecisionScope precision(asked.value_or(m.precision)); // bf16 GEMMs pack into other workspaces
            const LoraScope loras(api::loras_of(model, call == SDN_CALL_TEXT_ENCODE ? ModelPart::TextEncoder
                                                       : call == SDN_CALL_UNET        ? ModelPart::UNet
                                                                                      : ModelPart::VAE));
            // The text encoder: CLIP-L (SD 1.x, SDXL base), or an SDXL refiner's one, bigG.
            const CLIPTextModel * text = m.clip ? m.clip.get() : m.clip2.get();
            if (call == SDN_CALL_TEXT_ENCODE && !text) api::clip_of(m); // a standalone VAE has neither: say so
            if (call == SDN_CALL_UNET) api::unet_of(m);
            e = estimate(text, m.unet.get(), m.vae.get(), call, s, mode, call == SDN_CALL_UNET ? api::controls_of(options, true) : std::vector<ControlApply>{});
        } else {
            const JsonValue config = json_parse(api::need(config_json, "config_json (or a model)"), "memory estimate configuration");
            const auto weights = WeightStore::placeholder();
            Networks n;
            if (call == SDN_CALL_TEXT_ENCODE) n.clip = std::make_unique<CLIPTextModel>(clip_config_from_json(config, "text encoder configuration"), weights);
            else if (call == SDN_CALL_UNET) n.unet = std::make_unique<UNet>(unet_config_from_json(config, "UNet configuration"), weights);
            else n.vae = std::make_unique<AutoencoderKL>(vae_config_from_json(config, "VAE configuration"), weights);
            const PrecisionScope precision(asked.value_or(Precision::F32));
            e = estimate(n.clip.get(), n.unet.get(), n.vae.get(), call, s, mode, call == SDN_CALL_UNET ? api::controls_of(options, true) : std::vector<ControlApply>{});
        }
        api::estimate_out(e, out);
    });
}
