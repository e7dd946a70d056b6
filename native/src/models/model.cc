#include "model.h"

#include <cstdlib>
#include <cstring>

#include "../core/arena.h"

namespace sdn {

namespace {

bool keep_weights_resident() {
    static const bool keep = [] {
        const char * v = std::getenv("LATENTFLOW_KEEP_WEIGHTS_RESIDENT");
        return v && *v && std::strcmp(v, "0") != 0;
    }();
    return keep;
}

// Releases the file pages of every network but `active` (nullptr: all of them).
void release_pages_except(const Checkpoint & c, const WeightStore * active) {
    if (keep_weights_resident()) return;
    for (const WeightStore * store : {c.clip.get(), c.clip2.get(), c.unet.get(), c.vae.get()})
        if (store && store != active) store->release_mapped_pages();
}

} // namespace

std::shared_ptr<Model> model_load(const CheckpointSpec & spec, Precision precision) {
    precision_check(precision, ("loading \"" + spec.path + "\"").c_str());
    auto model = std::make_shared<Model>();
    model->precision = precision;
    model->checkpoint = checkpoint_load(spec);
    const Checkpoint & c = model->checkpoint;
    if (c.clip) model->clip = std::make_unique<CLIPTextModel>(c.clip_config, c.clip);
    if (c.clip2) model->clip2 = std::make_unique<CLIPTextModel>(c.clip2_config, c.clip2);
    if (c.unet) model->unet = std::make_unique<UNet>(c.unet_config, c.unet);
    model->vae = std::make_unique<AutoencoderKL>(c.vae_config, c.vae);
    release_pages_except(c, nullptr); // what loading read (headers, vectors converted to f32) is not needed again
    return model;
}

ModelCall model_begin_call(const Model & model, ModelPart part, const Precision * precision) {
    arena_window_begin();
    const Checkpoint & c = model.checkpoint;
    release_pages_except(c, part == ModelPart::TextEncoder ? c.clip.get() : part == ModelPart::TextEncoder2 ? c.clip2.get()
                            : part == ModelPart::UNet ? c.unet.get() : c.vae.get());
    return ModelCall{PrecisionScope(precision ? *precision : model.precision)};
}

uint64_t weight_store_bytes(const WeightStore & weights) {
    uint64_t total = 0;
    for (const auto & name : weights.names()) total += weights.get(name).nbytes();
    return total;
}

} // namespace sdn
