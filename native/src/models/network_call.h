// network_call.h — the calls a loaded model answers (text encoder, UNet, VAE decode plain or tiled,
// VAE encode), each written once as a function of the attention mode: run it and it computes; run it
// under memory_measure and it is its own memory estimate (memory_estimate.h). A call built on a
// network made from a configuration alone (WeightStore::placeholder) with input tensors without data
// gives the estimate of a model that is not loaded.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "../ops/attention.h"
#include "clip/clip_text_model.h"
#include "controlnet/control_residuals.h"
#include "memory_estimate.h"
#include "rrdbnet/rrdbnet.h"
#include "taesd/taesd.h"
#include "unet/unet.h"
#include "vae/autoencoder_kl.h"

namespace sdn {

struct NetworkCall {
    std::string network;  // "UNet", "VAE decode", "VAE tiled decode", "VAE encode", "text encoder", "TAESD decode", "TAESD encode", "upscale"
    std::string shape;    // for messages: "a 32x32 latent, batch 2"
    std::string advice;   // what to do when even flash attention does not fit the budget
    bool attention_modes = true; // false: the mode changes nothing (CLIP's causal attention is always naive)
    std::function<std::vector<Tensor>(AttentionMode)> run;
};

// latent [B, in_channels, H, W], one timestep per latent, context [B, Tc, cross_attention_dim] -> [noise prediction]
// SDXL: `added` (its pointers may be null when measuring). `controls`: ControlNets run first, their summed
// residuals added by the UNet (controlnet/control_residuals.h); the call's estimate covers them.
NetworkCall unet_call(const UNet & unet, const Tensor & latent, const float * timesteps, const Tensor & context,
                      const std::atomic<bool> * cancel, const AddedConditioning & added = {}, const std::vector<ControlApply> & controls = {});
// A ControlNet alone: latent, timesteps, context, hint -> [down residuals..., mid residual]. An SDXL ControlNet's
// `added` makes its text_time input with the ControlNet's own configuration.
NetworkCall controlnet_call(const ControlNet & net, const Tensor & latent, const float * timesteps, const Tensor & context, const Tensor & hint,
                            const std::atomic<bool> * cancel, const AddedConditioning & added = {});
// latent [B, latent_channels, h, w] (divided by the scaling factor) -> [image]; tile > 0: decode_tiled
// with tiles of that many latent cells (progress after each tile), 0: decode.
NetworkCall vae_decode_call(const AutoencoderKL & vae, const Tensor & latent, int64_t tile, const std::atomic<bool> * cancel,
                            const AutoencoderKL::TileProgress & progress);
// image [B, in_channels, H, W] in [-1, 1] -> [mean, logvar] each [B, latent_channels, H/f, W/f] (logvar clamped to [-30, 20]).
NetworkCall vae_encode_call(const AutoencoderKL & vae, const Tensor & image, const std::atomic<bool> * cancel);
// ids: B prompts x T tokens (null when measuring) -> [hidden states of layer L - clip_skip + 1] [B, T, hidden],
// and with `pooled` also [pooled output] ([B, projection_dim] through text_projection, else [B, hidden]).
NetworkCall text_encode_call(const CLIPTextModel & clip, const int32_t * ids, int64_t B, int64_t T, int clip_skip, bool final_layer_norm,
                             const std::atomic<bool> * cancel, const TokenVectors & vectors = {}, bool pooled = false);

// TAESD (taesd/taesd.h): model-space latent [B, L, h, w] -> [image in about [0, 1]]; image [B, 3, H, W]
// in [0, 1] -> [model-space latent]. No attention: the mode changes nothing.
NetworkCall taesd_decode_call(const TAESD & taesd, const Tensor & latent, const std::atomic<bool> * cancel);
NetworkCall taesd_encode_call(const TAESD & taesd, const Tensor & image, const std::atomic<bool> * cancel);

// An upscale model (rrdbnet/rrdbnet.h): image [B, 3, H, W] in [0, 1] -> [image [B, 3, sH, sW]] (unclamped), in
// tiles of `tile` input pixels (0: each picture in one piece) with `margin` (0: the exact one, RRDBNet::upscale);
// progress after each tile (not when measuring).
NetworkCall upscale_call(const RRDBNet & net, const Tensor & image, int64_t tile, int64_t margin, const std::atomic<bool> * cancel,
                         const RRDBNet::TileProgress & progress);

// The call's memory estimate in `mode` (a measure pass; nothing allocated).
MemoryEstimate network_call_estimate(const NetworkCall & call, AttentionMode mode);

// Throws SDN_STATUS_OUT_OF_MEMORY, before anything is allocated, when the call's estimate in `mode`
// is over limit_bytes (> 0; 0 checks nothing): the message has the estimate, where its largest
// attention and its peak are, and what fits instead (flash attention, or the call's advice).
void network_call_check(const NetworkCall & call, AttentionMode mode, int64_t limit_bytes);

} // namespace sdn
