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
    DType compute = DType::F32; // the only compute dtype so far (bf16 compute will be the next)
    std::unique_ptr<CLIPTextModel> clip;
    std::unique_ptr<UNet> unet;
    std::unique_ptr<AutoencoderKL> vae;
};

// A diffusers folder or a single-file checkpoint (see checkpoint_load). Throws IO_ERROR, BAD_FORMAT,
// MISSING_TENSOR or BAD_SHAPE naming the file and tensor when the checkpoint does not fit SD 1.x.
std::shared_ptr<Model> model_load(const CheckpointSpec & spec);

// The network a call runs. Before each call, model_begin_call drops the mmap'd weight pages of the
// model's other two networks from the resident set (they stay in the page cache and are mapped again
// on their next use, at the cost of minor page faults) and starts a new arena window, so a txt2img
// holds one network's weights at a time: the UNet's while sampling, the VAE's while decoding.
// LATENTFLOW_KEEP_WEIGHTS_RESIDENT=1 turns the page release off.
enum class ModelPart { TextEncoder, UNet, VAE };
void model_begin_call(const Model & model, ModelPart part);

// Bytes held by a network's weights (owned or mapped), for memory reports.
uint64_t weight_store_bytes(const WeightStore & weights);

} // namespace sdn
