// memory_plan.h — predicting the activation arena's high-water mark of a forward pass without running it.
//
// A MemoryPlan is a pretend arena: the estimators (unet/unet_memory.cc, vae/vae_memory.cc) replay a
// network's forward code allocation by allocation — every Tensor::empty it makes, in the same order,
// freed where the real code drops it — and every buffer an op takes from the arena while it runs (a
// GEMM's or convolution's weight packing buffer, attention's scores or tiles) as a transient on top.
// Sizes are rounded to the arena's blocks (arena_block_bytes), so the plan's peak is what
// arena_peak_bytes() rises by during the real call, not an approximation of it; the tests hold it to that.
//
// The replay helpers below (conv, linear, resnet, ...) mirror models/common/{layers,resnet}.cc; when
// those change, change these too (the estimator tests compare with the measured peak and will fail).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../../ops/attention.h"

namespace sdn {

// Where the peak happens and what is alive then.
struct MemoryPeak {
    int64_t bytes = 0;           // all live blocks + the transient
    int64_t skip_bytes = 0;      // of which: activations marked as skips (UNet: kept for the up path)
    int64_t transient_bytes = 0; // of which: the op's own buffer at that moment (0 when the peak is an activation)
    std::string where;           // e.g. "down block 0, transformer 0, self-attention"
};

class MemoryPlan {
public:
    using Id = int;

    // A Tensor::empty of `bytes` (rounded like the arena); returns its handle.
    Id alloc(int64_t bytes);
    void free(Id id);
    int64_t bytes_of(Id id) const { return blocks_[id].bytes; }
    // Skips are counted apart in the breakdown (the UNet's down-path outputs).
    void mark_skip(Id id, bool skip);
    // An op's working buffer, taken and given back within the call (already block-rounded, e.g.
    // gemm_workspace_bytes); `what` names the op in the peak's `where`.
    void transient(int64_t bytes, const char * what);
    // One attention call's extra memory (attention_extra_bytes for the run's mode) as a transient; the
    // largest is kept apart (largest_attention*), the figure a user is told about.
    void attention(int64_t bytes, const char * what);

    // The step being replayed (names the peak); the transients' `what` is appended to it.
    std::string where;

    const MemoryPeak & peak() const { return peak_; }
    int64_t current() const { return current_; }
    int64_t largest_attention_bytes() const { return largest_attention_bytes_; }
    const std::string & largest_attention_where() const { return largest_attention_where_; }

private:
    struct Block {
        int64_t bytes;
        bool live, skip;
    };
    void note(int64_t transient, const char * what);

    std::vector<Block> blocks_;
    int64_t current_ = 0, skip_current_ = 0;
    MemoryPeak peak_;
    int64_t largest_attention_bytes_ = 0;
    std::string largest_attention_where_;
};

// ---- Replays of the shared layers (models/common/): each allocates what the real forward returns,
// records its transients, frees its temporaries and returns the output's handle. Inputs stay live. ----

// Conv2d::forward: output [B, cout, Ho, Wo] + conv2d's packing buffer.
MemoryPlan::Id plan_conv2d(MemoryPlan & p, int64_t B, int64_t cin, int64_t H, int64_t W, int64_t cout, int64_t kernel,
                           int64_t stride, int64_t pad, const char * what);
// Linear::forward(Tensor): output [M, out] + the GEMM's packing buffer.
MemoryPlan::Id plan_linear(MemoryPlan & p, int64_t M, int64_t in, int64_t out, const char * what);
// Linear::forward into an existing buffer (accumulating or not): only the GEMM's packing buffer.
void plan_linear_into(MemoryPlan & p, int64_t M, int64_t in, int64_t out, const char * what);
// ResnetBlock2D::forward on x [B, in, H, W] (live, not freed) -> [B, out, H, W].
MemoryPlan::Id plan_resnet(MemoryPlan & p, int64_t B, int64_t in, int64_t out, int64_t H, int64_t W, int64_t temb_channels);
// Upsample2D::forward [B, C, in_h, in_w] -> [B, C, out_h, out_w] (x stays live): exactly 2x convolves
// through the up-sampling (no copy); other sizes materialise the nearest up-sampling first.
MemoryPlan::Id plan_upsample(MemoryPlan & p, int64_t B, int64_t C, int64_t in_h, int64_t in_w, int64_t out_h, int64_t out_w);
// The exactly-2x case: [B, C, out_h / 2, out_w / 2] -> [B, C, out_h, out_w] (the VAE's up-samplers).
MemoryPlan::Id plan_upsample(MemoryPlan & p, int64_t B, int64_t C, int64_t out_h, int64_t out_w);

// A MemoryPeak and the largest attention as the estimators return them.
struct MemoryEstimate {
    MemoryPeak peak;
    int64_t output_bytes = 0;          // the returned tensor (live at the end, included in the peak)
    int64_t attention_bytes = 0;       // the largest single attention call's extra memory
    std::string attention_where;
};

MemoryEstimate memory_estimate_of(const MemoryPlan & p, MemoryPlan::Id output);

// "1.5 GiB" / "320.0 MiB" for messages.
std::string memory_bytes_str(int64_t bytes);

} // namespace sdn
