// model.h — a loaded SD 1.x or SDXL model: the checkpoint (configs, weights, tokenizer and scheduler files)
// plus its three networks, built (and every weight shape checked) at load time.
#pragma once

#include <memory>
#include <string>

#include "../io/checkpoint.h"
#include "clip/clip_text_model.h"
#include "common/layers.h"
#include "unet/unet.h"
#include "vae/autoencoder_kl.h"

namespace sdn {

struct Model {
    Checkpoint checkpoint;
    Precision precision = Precision::F32; // the products' precision of every call (layers.h), unless the call names its own
    std::unique_ptr<CLIPTextModel> clip;  // null for a standalone VAE (layout "vae")
    std::unique_ptr<CLIPTextModel> clip2; // SDXL's second text encoder; null for SD 1.x
    std::unique_ptr<UNet> unet;           // null for a standalone VAE
    std::unique_ptr<AutoencoderKL> vae;
};

// A diffusers folder or a single-file checkpoint (see checkpoint_load). Throws IO_ERROR, BAD_FORMAT,
// MISSING_TENSOR or BAD_SHAPE naming the file and tensor when the checkpoint does not fit SD 1.x, and
// BAD_ARGUMENT for bf16 precision on a CPU (or LATENTFLOW_ISA path) without AVX512_BF16. In bf16
// precision the weights stay as stored (f16 or f32) and are rounded to bf16 where the GEMMs pack them.
std::shared_ptr<Model> model_load(const CheckpointSpec & spec, Precision precision = Precision::F32);

// The network a call runs. Before each call, model_begin_call drops the mmap'd weight pages of the
// model's other two networks from the resident set (they stay in the page cache and are mapped again
// on their next use, at the cost of minor page faults) and starts a new arena window, so a txt2img
// holds one network's weights at a time: the UNet's while sampling, the VAE's while decoding.
// LATENTFLOW_KEEP_WEIGHTS_RESIDENT=1 turns the page release off.
// The call also runs in the model's precision (or `precision` when given) until the returned object goes.
enum class ModelPart { TextEncoder, TextEncoder2, UNet, VAE };
struct ModelCall {
    PrecisionScope precision;
};
[[nodiscard]] ModelCall model_begin_call(const Model & model, ModelPart part, const Precision * precision = nullptr);

// Bytes held by a network's weights (owned or mapped), for memory reports.
uint64_t weight_store_bytes(const WeightStore & weights);

} // namespace sdn
