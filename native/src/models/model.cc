#include "model.h"

namespace sdn {

std::shared_ptr<Model> model_load(const std::string & path, WeightStorage storage) {
    auto model = std::make_shared<Model>();
    model->checkpoint = checkpoint_load(path, storage);
    const Checkpoint & c = model->checkpoint;
    model->clip = std::make_unique<CLIPTextModel>(c.clip_config, c.clip);
    model->unet = std::make_unique<UNet>(c.unet_config, c.unet);
    model->vae = std::make_unique<AutoencoderKL>(c.vae_config, c.vae);
    return model;
}

uint64_t weight_store_bytes(const WeightStore & weights) {
    uint64_t total = 0;
    for (const auto & name : weights.names()) total += weights.get(name).nbytes();
    return total;
}

} // namespace sdn
