// run.cc — sdn.h's calls section: cancel tokens and the four network calls. Each call is built once
// (models/network_call.h), refused up front when its measured need is over the caller's memory limit,
// then run with its network's weights resident (model_begin_call).
#include <optional>

#include "../models/network_call.h"
#include "api.h"

using namespace sdn;

namespace {

struct Run {
    AttentionMode mode = AttentionMode::Naive;
    std::optional<Precision> precision; // absent: the model's
    const std::atomic<bool> * cancel = nullptr;
    int64_t memory_limit_bytes = 0;
    AutoencoderKL::TileProgress progress;
};

Run run_of(const sdn_run_options * o) {
    Run r;
    r.mode = api::attention_of(o);
    if (!o) return r;
    r.cancel = o->cancel ? &o->cancel->flag : nullptr;
    r.precision = api::precision_of(o);
    r.memory_limit_bytes = static_cast<int64_t>(std::min<uint64_t>(o->memory_limit_bytes, uint64_t(INT64_MAX)));
    if (o->progress) r.progress = [fn = o->progress, user = o->progress_user](int64_t done, int64_t total) { fn(user, done, total); };
    return r;
}

std::vector<Tensor> run(sdn_model_t handle, ModelPart part, const NetworkCall & call, const Run & r) {
    const Model & m = api::model_of(handle);
    const LoraScope loras(api::loras_of(handle, part)); // the measure pass counts their intermediates too
    const Precision precision = r.precision.value_or(m.precision);
    precision_check(precision, call.network.c_str());
    {
        const PrecisionScope measured(precision); // bf16 GEMMs pack into other workspaces than f32
        network_call_check(call, r.mode, r.memory_limit_bytes);
    }
    const ModelCall scope = model_begin_call(m, part, &precision);
    return call.run(r.mode);
}

} // namespace

const CLIPTextModel & api::clip_of(const Model & m) {
    require(m.clip != nullptr, SDN_STATUS_BAD_ARGUMENT,
            "\"" + m.checkpoint.source + "\" is " + (m.clip2 ? "an SDXL refiner: it has no CLIP-L text encoder (encoder 0), only OpenCLIP bigG (encoder 1)"
                                                               : "a standalone VAE: it has no text encoder"));
    return *m.clip;
}

const UNet & api::unet_of(const Model & m) {
    require(m.unet != nullptr, SDN_STATUS_BAD_ARGUMENT, "\"" + m.checkpoint.source + "\" is a standalone VAE: it has no UNet");
    return *m.unet;
}

extern "C" {

sdn_cancel_t sdn_cancel_new(void) { return new (std::nothrow) sdn_cancel(); }
void sdn_cancel_set(sdn_cancel_t cancel) {
    if (cancel) cancel->flag.store(true);
}
int sdn_cancel_is_set(sdn_cancel_t cancel) { return cancel && cancel->flag.load() ? 1 : 0; }
void sdn_cancel_free(sdn_cancel_t cancel) { delete cancel; }

sdn_status sdn_text_encode(sdn_model_t model, int32_t encoder, const int32_t * ids, int64_t batch, int64_t tokens, int32_t clip_skip,
                           int32_t final_layer_norm, const sdn_run_options * options, sdn_tensor * out, sdn_tensor * out_pooled) {
    return sdn_text_encode_vectors(model, encoder, ids, batch, tokens, clip_skip, final_layer_norm, nullptr, 0, options, out, out_pooled);
}

sdn_status sdn_text_encode_vectors(sdn_model_t model, int32_t encoder, const int32_t * ids, int64_t batch, int64_t tokens, int32_t clip_skip,
                                   int32_t final_layer_norm, const float * vectors, int64_t n_vectors, const sdn_run_options * options,
                                   sdn_tensor * out, sdn_tensor * out_pooled) {
    return api::call([&] {
        require(n_vectors >= 0 && (n_vectors == 0 || vectors), SDN_STATUS_BAD_ARGUMENT, "text encoder: vectors is NULL with n_vectors " + std::to_string(n_vectors));
        const Model & m = api::model_of(model);
        api::need(out, "out");
        require(encoder == 0 || (encoder == 1 && m.clip2), SDN_STATUS_BAD_ARGUMENT,
                "text encoder " + std::to_string(encoder) + " does not exist: this model has " + (m.clip2 ? "two (0 and 1, SDXL)" : "one (0)"));
        require(batch >= 1 && tokens >= 1, SDN_STATUS_BAD_SHAPE,
                "text encoder: " + std::to_string(batch) + " prompts of " + std::to_string(tokens) + " tokens; both must be >= 1");
        const Run r = run_of(options);
        const CLIPTextModel & clip = encoder == 1 ? *m.clip2 : api::clip_of(m);
        const NetworkCall call = text_encode_call(clip, api::need(ids, "ids"), batch, tokens, clip_skip, final_layer_norm != 0, r.cancel,
                                                  TokenVectors{vectors, n_vectors}, out_pooled != nullptr);
        const std::vector<Tensor> result = run(model, encoder == 1 ? ModelPart::TextEncoder2 : ModelPart::TextEncoder, call, r);
        api::tensor_out(result[0], out);
        if (out_pooled) api::tensor_out(result[1], out_pooled);
    });
}

sdn_status sdn_unet_forward(sdn_model_t model, const float * latent, const int64_t shape[4], const float * timesteps,
                            const float * context, const int64_t context_shape[3], const sdn_unet_added * added,
                            const sdn_run_options * options, sdn_tensor * out) {
    return api::call([&] {
        const Model & m = api::model_of(model);
        api::need(out, "out");
        const Tensor x = api::input4(latent, shape, "latent");
        api::need(context_shape, "context_shape");
        const Shape cs{context_shape[0], context_shape[1], context_shape[2]};
        for (int64_t d : cs) require(d >= 1, SDN_STATUS_BAD_SHAPE, "UNet: context has shape " + shape_str(cs) + ": every size must be >= 1");
        const Tensor c = Tensor::view(const_cast<float *>(api::need(context, "context")), cs, DType::F32, nullptr, Storage::External);
        const Run r = run_of(options);
        AddedConditioning a;
        if (added) a = AddedConditioning{added->text_embeds, added->text_embeds_dim, added->time_ids, added->time_ids_dim};
        const NetworkCall call = unet_call(api::unet_of(m), x, api::need(timesteps, "timesteps"), c, r.cancel, a, api::controls_of(options, false));
        api::tensor_out(run(model, ModelPart::UNet, call, r)[0], out);
    });
}

sdn_status sdn_vae_decode(sdn_model_t model, const float * latent, const int64_t shape[4], int64_t tile, const sdn_run_options * options,
                          sdn_tensor * out) {
    return api::call([&] {
        const Model & m = api::model_of(model);
        api::need(out, "out");
        const Run r = run_of(options);
        const NetworkCall call = vae_decode_call(*m.vae, api::input4(latent, shape, "latent"), tile, r.cancel, r.progress);
        api::tensor_out(run(model, ModelPart::VAE, call, r)[0], out);
    });
}

sdn_status sdn_vae_encode(sdn_model_t model, const float * image, const int64_t shape[4], const sdn_run_options * options,
                          sdn_tensor * out_mean, sdn_tensor * out_logvar) {
    return api::call([&] {
        const Model & m = api::model_of(model);
        api::need(out_mean, "out_mean");
        api::need(out_logvar, "out_logvar");
        const Run r = run_of(options);
        const NetworkCall call = vae_encode_call(*m.vae, api::input4(image, shape, "image"), r.cancel);
        const std::vector<Tensor> moments = run(model, ModelPart::VAE, call, r);
        api::tensor_out(moments[0], out_mean);
        api::tensor_out(moments[1], out_logvar);
    });
}

} // extern "C"
