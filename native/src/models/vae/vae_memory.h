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

} // namespace sdn
