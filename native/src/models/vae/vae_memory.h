// vae_memory.h — the activation memory of one VAE decode, predicted from the configuration by
// replaying AutoencoderKL::decode's allocations on a MemoryPlan (see common/memory_plan.h): exact for
// the current thread count. The decoder's largest buffers are its last up block's full-size maps and,
// with naive attention, the mid block's single-head B*T*T score matrix (T = latent h*w).
#pragma once

#include <cstdint>

#include "../../ops/attention.h"
#include "../common/memory_plan.h"
#include "../config.h"

namespace sdn {

struct VAEDecodeMemoryQuery {
    int64_t batch = 1;
    int64_t height = 64, width = 64; // latent size
    AttentionMode mode = AttentionMode::Naive;
};

MemoryEstimate vae_decode_memory_estimate(const VAEConfig & config, const VAEDecodeMemoryQuery & query);

// Throws SDN_STATUS_OUT_OF_MEMORY, before anything is allocated, when the estimate exceeds limit_bytes (> 0).
void vae_decode_memory_check(const VAEConfig & config, const VAEDecodeMemoryQuery & query, int64_t limit_bytes);

// The replay of AutoencoderKL::decode_mid (post_quant_conv, conv_in, mid block): returns the mid
// block's output [B, c_last, h, w], everything else freed. Shared by both decode estimates.
MemoryPlan::Id plan_vae_decode_mid(MemoryPlan & p, const VAEConfig & config, const VAEDecodeMemoryQuery & query);

// AutoencoderKL::decode_tiled (vae_tiled.cc) replayed the same way (vae_tiled_memory.cc): the carried
// full-size maps plus the largest tile's buffers. `tile`: tile side in latent cells (>= 1).
struct VAEDecodeTiledMemoryQuery {
    VAEDecodeMemoryQuery decode;
    int64_t tile = 64;
};

MemoryEstimate vae_decode_tiled_memory_estimate(const VAEConfig & config, const VAEDecodeTiledMemoryQuery & query);

// Throws SDN_STATUS_OUT_OF_MEMORY, before anything is allocated, when the estimate exceeds limit_bytes (> 0).
void vae_decode_tiled_memory_check(const VAEConfig & config, const VAEDecodeTiledMemoryQuery & query, int64_t limit_bytes);

} // namespace sdn
