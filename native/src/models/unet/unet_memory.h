// unet_memory.h — the activation memory of one UNet forward, predicted from the configuration.
//
// The prediction replays UNet::forward's allocations (see memory_plan.h and models/README.md's
// "Memory: what is alive when"): the time embedding, the skip connections the down path keeps for
// the up path, each block's temporaries, and on top the largest transient of each op — the attention
// kernel's own memory for the chosen mode (attention_extra_bytes: naive's B*H*T*T score matrices),
// the GEMMs' and convolutions' weight packing buffers. It is exact for the current thread count (flash
// takes one tile workspace per thread): equal to what arena_peak_bytes() rises by during the call.
#pragma once

#include <cstdint>

#include "../../ops/attention.h"
#include "../common/memory_plan.h"
#include "../config.h"

namespace sdn {

struct UNetMemoryQuery {
    int64_t batch = 1;            // B of the latent (2 with classifier-free guidance)
    int64_t height = 64, width = 64; // latent size (image / 8)
    int64_t context_tokens = 77;  // Tc of the text context
    AttentionMode mode = AttentionMode::Naive;
};

// Throws BAD_ARGUMENT for a query out of range (sizes < 1) or BAD_FORMAT for an inconsistent config.
MemoryEstimate unet_memory_estimate(const UNetConfig & config, const UNetMemoryQuery & query);

// Throws SDN_STATUS_OUT_OF_MEMORY, before anything is allocated, when the estimate exceeds
// limit_bytes (> 0), with the estimate, where the largest attention is and what to use instead.
void unet_memory_check(const UNetConfig & config, const UNetMemoryQuery & query, int64_t limit_bytes);

} // namespace sdn
