#include "memory_plan.h"

#include <algorithm>
#include <cstdio>

#include "../../core/arena.h"
#include "../../core/error.h"
#include "../../ops/conv2d.h"
#include "../../ops/gemm.h"

namespace sdn {

namespace {
// Tensor::empty asks the arena for numel * 4 bytes; arena_alloc(0) still takes its smallest block.
int64_t tensor_block_bytes(int64_t bytes) { return arena_block_bytes(std::max<int64_t>(bytes, 1)); }
} // namespace

MemoryPlan::Id MemoryPlan::alloc(int64_t bytes) {
    const int64_t b = tensor_block_bytes(bytes);
    blocks_.push_back({b, true, false});
    current_ += b;
    note(0, nullptr);
    return static_cast<Id>(blocks_.size() - 1);
}

void MemoryPlan::free(Id id) {
    Block & b = blocks_.at(id);
    require(b.live, SDN_STATUS_INTERNAL, "memory plan: block freed twice (" + where + ")");
    b.live = false;
    current_ -= b.bytes;
    if (b.skip) skip_current_ -= b.bytes;
}

void MemoryPlan::mark_skip(Id id, bool skip) {
    Block & b = blocks_.at(id);
    if (b.skip == skip || !b.live) return;
    b.skip = skip;
    skip_current_ += skip ? b.bytes : -b.bytes;
}

void MemoryPlan::transient(int64_t bytes, const char * what) {
    if (bytes > 0) note(bytes, what);
}

void MemoryPlan::attention(int64_t bytes, const char * what) {
    if (bytes > largest_attention_bytes_) {
        largest_attention_bytes_ = bytes;
        largest_attention_where_ = where + ", " + what;
    }
    transient(bytes, what);
}

void MemoryPlan::note(int64_t transient, const char * what) {
    const int64_t now = current_ + transient;
    if (now <= peak_.bytes) return;
    peak_.bytes = now;
    peak_.skip_bytes = skip_current_;
    peak_.transient_bytes = transient;
    peak_.where = what ? where + ", " + what : where;
}

MemoryPlan::Id plan_conv2d(MemoryPlan & p, int64_t B, int64_t cin, int64_t H, int64_t W, int64_t cout, int64_t kernel,
                           int64_t stride, int64_t pad, const char * what) {
    const Conv2dShape s{B, cin, H, W, cout, kernel, kernel, stride, pad};
    const MemoryPlan::Id y = p.alloc(B * cout * s.out_h() * s.out_w() * 4); // [B, cout, Ho, Wo]
    p.transient(conv2d_workspace_bytes(s), what);
    return y;
}

MemoryPlan::Id plan_linear(MemoryPlan & p, int64_t M, int64_t in, int64_t out, const char * what) {
    const MemoryPlan::Id y = p.alloc(M * out * 4); // [M, out]
    plan_linear_into(p, M, in, out, what);
    return y;
}

void plan_linear_into(MemoryPlan & p, int64_t M, int64_t in, int64_t out, const char * what) {
    p.transient(gemm_workspace_bytes(M, out, in), what);
}

// Mirrors ResnetBlock2D::forward (resnet.cc) line by line.
MemoryPlan::Id plan_resnet(MemoryPlan & p, int64_t B, int64_t in, int64_t out, int64_t H, int64_t W, int64_t temb_channels) {
    const int64_t S = H * W;
    MemoryPlan::Id h = p.alloc(B * in * S * 4);                               // norm1  [B, in, H, W]
    const MemoryPlan::Id c1 = plan_conv2d(p, B, in, H, W, out, 3, 1, 1, "conv1"); // [B, out, H, W]
    p.free(h);
    h = c1;
    if (temb_channels > 0) {
        const MemoryPlan::Id t = plan_linear(p, B, temb_channels, out, "time_emb_proj"); // [B, out]
        p.free(t);
    }
    const MemoryPlan::Id n2 = p.alloc(B * out * S * 4);                      // norm2  [B, out, H, W]
    p.free(h);
    if (in == out) {
        const MemoryPlan::Id y = plan_conv2d(p, B, out, H, W, out, 3, 1, 1, "conv2"); // conv2 + x
        p.free(n2);
        return y;
    }
    const MemoryPlan::Id shortcut = plan_conv2d(p, B, in, H, W, out, 1, 1, 0, "conv_shortcut");
    const MemoryPlan::Id y = plan_conv2d(p, B, out, H, W, out, 3, 1, 1, "conv2");
    p.free(shortcut);
    p.free(n2);
    return y;
}

// Mirrors Upsample2D::forward.
MemoryPlan::Id plan_upsample(MemoryPlan & p, int64_t B, int64_t C, int64_t in_h, int64_t in_w, int64_t out_h, int64_t out_w) {
    if (out_h == 2 * in_h && out_w == 2 * in_w) return plan_conv2d(p, B, C, out_h, out_w, C, 3, 1, 1, "upsampler conv"); // fused 2x
    const MemoryPlan::Id up = p.alloc(B * C * out_h * out_w * 4);            // nearest up-sampling
    const MemoryPlan::Id y = plan_conv2d(p, B, C, out_h, out_w, C, 3, 1, 1, "upsampler conv");
    p.free(up);
    return y;
}

MemoryPlan::Id plan_upsample(MemoryPlan & p, int64_t B, int64_t C, int64_t out_h, int64_t out_w) {
    return plan_upsample(p, B, C, out_h / 2, out_w / 2, out_h, out_w);
}

MemoryEstimate memory_estimate_of(const MemoryPlan & p, MemoryPlan::Id output) {
    MemoryEstimate e;
    e.peak = p.peak();
    e.output_bytes = p.bytes_of(output);
    e.attention_bytes = p.largest_attention_bytes();
    e.attention_where = p.largest_attention_where();
    return e;
}

std::string memory_bytes_str(int64_t bytes) {
    char text[48];
    if (bytes >= (int64_t(1) << 30)) std::snprintf(text, sizeof text, "%.1f GiB", static_cast<double>(bytes) / (int64_t(1) << 30));
    else std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
    return text;
}

} // namespace sdn
