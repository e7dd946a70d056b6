// model.h — a loaded SD 1.x model: the checkpoint (configs, weights, tokenizer and scheduler files)
// plus its three networks, built (and every weight shape checked) at load time.
#pragma once

#include <memory>
#include <string>

#include "../io/checkpoint.h"
#include "clip/clip_text_model.h"
#include "unet/unet.h"
#include "vae/autoencoder_kl.h"

namespace sdn {

struct Model {
    Checkpoint checkpoint;
    std::unique_ptr<CLIPTextModel> clip;
    std::unique_ptr<UNet> unet;
    std::unique_ptr<AutoencoderKL> vae;
};

// A diffusers folder or a single-file checkpoint (see checkpoint_load). Throws IO_ERROR, BAD_FORMAT,
// MISSING_TENSOR or BAD_SHAPE naming the file and tensor when the checkpoint does not fit SD 1.x.
std::shared_ptr<Model> model_load(const std::string & path, WeightStorage storage);

// Bytes held by a network's weights (owned or mapped), for memory reports.
uint64_t weight_store_bytes(const WeightStore & weights);

} // namespace sdn
