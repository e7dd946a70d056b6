#include "layers.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "../../core/arena.h"
#include "../../core/profile.h"
#include "../../core/threads.h"
#include "../../ops/activation.h"
#include "../../ops/conv2d.h"
#include "../../ops/gemm.h"
#include "../../ops/norm.h"
#include "lora_adapter.h"

namespace sdn {

namespace {
thread_local Precision t_precision = Precision::F32;
} // namespace

Precision compute_precision() { return t_precision; }
PrecisionScope::PrecisionScope(Precision precision) : previous(t_precision) {
    precision_check(precision, "the network call");
    t_precision = precision;
}
PrecisionScope::~PrecisionScope() { t_precision = previous; }

void check_cancelled(const std::atomic<bool> * cancel, const std::string & where) {
    if (cancel && cancel->load(std::memory_order_relaxed)) throw Error(SDN_STATUS_CANCELLED, "cancelled (" + where + ")");
}

// Whether a layer's products read its weight packed once (WeightStore::derived) rather than packed per
// call: a store's own weight whose file pages the packed form replaces (a mapped f16 view; bf16 panels for
// bf16 products, the f32 kernels' panels stored in f16 for f32 products: the file's size either way).
// Packing per call rounds or widens and transposes every weight element each time: at batch 1 as much
// work as the bf16 products. LATENTFLOW_PACK_WEIGHTS=0 packs per call (the way before; for side-by-side
// benchmarks).
static bool packs_once(const WeightStore * store, const Tensor & w, const Tensor * stored) {
    static const bool enabled = [] {
        const char * v = std::getenv("LATENTFLOW_PACK_WEIGHTS");
        return !(v && std::strcmp(v, "0") == 0);
    }();
    return enabled && store && &w == stored && store->derived_replaces(w);
}

// ---------------------------------------------------------------------------------------------- Linear

Linear Linear::load(const WeightStore & ws, const std::string & prefix, int64_t in, int64_t out, bool has_bias) {
    Linear l;
    l.name = prefix;
    l.store = &ws;
    l.in = in;
    l.out = out;
    const std::string name = prefix + ".weight";
    const Tensor * w = ws.find(name);
    const bool is_1x1 = w && w->shape == Shape{out, in, 1, 1};
    l.weight = is_1x1 ? w : &ws.get(name, Shape{out, in}); // the 2-D shape names the expectation on mismatch
    if (has_bias) l.bias = ws.vec(prefix + ".bias", out);
    return l;
}

void Linear::forward(const float * x, int64_t M, float * y, bool accumulate) const {
    ArenaScope scope(name);
    const Precision precision = keep_fp32 ? Precision::F32 : compute_precision();
    const LayerLora * lora = lora_for(name);
    const Tensor & w = lora && lora->is_merged() ? lora->merged : *weight;
    const bool once = packs_once(store, w, weight);
    if (arena_measuring()) {
        arena_workspace(once ? 0 : gemm_workspace_bytes(M, out, in, precision));
    } else if (once) {
        const MatB wm{w.data, w.dtype, true, in};
        const std::shared_ptr<const void> packed = store->derived(
            w, "gemm B, " + gemm_packed_layout(precision, w.dtype), gemm_packed_b_bytes(out, in, precision, w.dtype),
            [&](void * dst) { gemm_pack_b(wm, out, in, precision, dst); });
        ProfileScope prof(ProfOp::Linear, 2.0 * M * out * in);
        gemm_packed(M, out, in, x, in, packed.get(), w.dtype, y, out, bias, accumulate, precision);
    } else {
        ProfileScope prof(ProfOp::Linear, 2.0 * M * out * in);
        gemm(M, out, in, x, in, MatB{w.data, w.dtype, true, in}, y, out, bias, accumulate, precision);
    }
    if (lora && !lora->is_merged()) lora_linear_add(*lora, x, M, in, out, y, precision); // y += s up(down(x))
}

Tensor Linear::forward(const Tensor & x) const {
    require(x.dim(-1) == in, SDN_STATUS_INTERNAL, "Linear: input " + shape_str(x.shape) + " does not end in " + std::to_string(in));
    Shape shape = x.shape;
    shape.back() = out;
    ArenaScope scope(name);
    Tensor y = Tensor::empty(shape);
    forward(x.f32(), x.numel() / in, y.f32());
    return y;
}

// ---------------------------------------------------------------------------------------------- Conv2d

Conv2d Conv2d::load(const WeightStore & ws, const std::string & prefix, int64_t cin, int64_t cout, int64_t kernel,
                    int64_t stride, int64_t pad, bool has_bias) {
    Conv2d c;
    c.name = prefix;
    c.store = &ws;
    c.cin = cin;
    c.cout = cout;
    c.kernel = kernel;
    c.stride = stride;
    c.pad = pad;
    c.weight = &ws.get(prefix + ".weight", Shape{cout, cin, kernel, kernel});
    if (has_bias) c.bias = ws.vec(prefix + ".bias", cout);
    return c;
}

Tensor Conv2d::forward(const Tensor & x, const Tensor * residual, int64_t upsample) const {
    require(x.rank() == 4 && x.dim(1) == cin, SDN_STATUS_INTERNAL, "Conv2d: input " + shape_str(x.shape) + " has not " + std::to_string(cin) + " channels");
    const Conv2dShape s{x.dim(0), cin, x.dim(2) * upsample, x.dim(3) * upsample, cout, kernel, kernel, stride, pad, upsample,
                        keep_fp32 ? Precision::F32 : compute_precision()};
    ArenaScope scope(name);
    Tensor y = Tensor::empty({s.B, cout, s.out_h(), s.out_w()});
    if (residual) require(residual->shape == y.shape, SDN_STATUS_INTERNAL, "Conv2d: residual " + shape_str(residual->shape) + " != output " + shape_str(y.shape));
    const LayerLora * lora = lora_for(name);
    const Tensor & w = lora && lora->is_merged() ? lora->merged : *weight;
    run(s, x, w, residual, y);
    if (lora && !lora->is_merged()) return lora_conv_add(*lora, s, x, y); // y + s up(down(x))
    return y;
}

void Conv2d::forward_into(const Tensor & x, Tensor & y) const {
    require(x.rank() == 4 && x.dim(1) == cin, SDN_STATUS_INTERNAL, "Conv2d: input " + shape_str(x.shape) + " has not " + std::to_string(cin) + " channels");
    const Conv2dShape s{x.dim(0), cin, x.dim(2), x.dim(3), cout, kernel, kernel, stride, pad, 1, keep_fp32 ? Precision::F32 : compute_precision()};
    require(y.shape == Shape{s.B, cout, s.out_h(), s.out_w()}, SDN_STATUS_INTERNAL, "Conv2d: output " + shape_str(y.shape) + " for input " + shape_str(x.shape));
    require(lora_for(name) == nullptr, SDN_STATUS_INTERNAL, "Conv2d::forward_into: " + name + " has a LoRA");
    ArenaScope scope(name);
    run(s, x, *weight, nullptr, y);
}

void Conv2d::run(const Conv2dShape & s, const Tensor & x, const Tensor & w, const Tensor * residual, Tensor & y) const {
    const bool once = packs_once(store, w, weight) && conv2d_takes_packed_weight(s);
    if (arena_measuring()) return arena_workspace(conv2d_workspace_bytes(s, once));
    std::shared_ptr<const void> packed;
    if (once)
        packed = store->derived(w, "conv A, " + gemm_packed_layout(s.precision, w.dtype), conv2d_packed_weight_bytes(s, w.dtype),
                                [&](void * dst) { conv2d_pack_weight(s, w, dst); });
    ProfileScope prof(kernel == 3 ? ProfOp::Conv3x3 : kernel == 1 ? ProfOp::Conv1x1 : ProfOp::ConvOther,
                      2.0 * static_cast<double>(y.numel()) * cin * kernel * kernel);
    conv2d(s, x.f32(), w, bias, residual ? residual->f32() : nullptr, y.f32(), packed.get());
}

// ------------------------------------------------------------------------------------------- GroupNorm

GroupNorm GroupNorm::load(const WeightStore & ws, const std::string & prefix, int64_t channels, int64_t groups, float eps) {
    require(groups > 0 && channels % groups == 0, SDN_STATUS_BAD_FORMAT,
            prefix + ": " + std::to_string(channels) + " channels cannot be split into " + std::to_string(groups) + " groups (norm_num_groups)");
    GroupNorm g;
    g.name = prefix;
    g.channels = channels;
    g.groups = groups;
    g.eps = eps;
    g.gamma = ws.vec(prefix + ".weight", channels);
    g.beta = ws.vec(prefix + ".bias", channels);
    return g;
}

Tensor GroupNorm::forward(const Tensor & x, bool then_silu) const {
    require(x.rank() >= 2 && x.dim(1) == channels, SDN_STATUS_INTERNAL, "GroupNorm: input " + shape_str(x.shape));
    ArenaScope scope(name);
    Tensor y = Tensor::empty(x.shape);
    if (arena_measuring()) return y;
    const int64_t B = x.dim(0), S = x.numel() / (B * channels);
    ProfileScope prof(ProfOp::GroupNorm);
    group_norm(x.f32(), y.f32(), B, channels, S, groups, gamma, beta, eps, then_silu);
    return y;
}

// ------------------------------------------------------------------------------------------- LayerNorm

LayerNorm LayerNorm::load(const WeightStore & ws, const std::string & prefix, int64_t dim, float eps) {
    LayerNorm l;
    l.name = prefix;
    l.dim = dim;
    l.eps = eps;
    l.gamma = ws.vec(prefix + ".weight", dim);
    l.beta = ws.vec(prefix + ".bias", dim);
    return l;
}

Tensor LayerNorm::forward(const Tensor & x) const {
    require(x.dim(-1) == dim, SDN_STATUS_INTERNAL, "LayerNorm: input " + shape_str(x.shape));
    ArenaScope scope(name);
    Tensor y = Tensor::empty(x.shape);
    if (arena_measuring()) return y;
    ProfileScope prof(ProfOp::LayerNorm);
    layer_norm(x.f32(), y.f32(), x.numel() / dim, dim, gamma, beta, eps);
    return y;
}

// ------------------------------------------------------------------------------------------ reshaping

// Transposes go through 32 x 32 tiles (a tile of each side fits in L1), tiles spread over the threads.
namespace {
constexpr int64_t kTransposeTile = 32;
}

Tensor transpose_channels_last(const Tensor & x) {
    const int64_t B = x.dim(0), C = x.dim(1), S = x.numel() / (B * C);
    Tensor y = Tensor::empty({B, S, C});
    if (arena_measuring()) return y;
    ProfileScope prof(ProfOp::Transpose);
    const float * xp = x.f32();
    float * yp = y.f32();
    const int64_t tc = (C + kTransposeTile - 1) / kTransposeTile, ts = (S + kTransposeTile - 1) / kTransposeTile;
    parallel_for(B * tc * ts, 1, [&](int64_t begin, int64_t end, int) {
        for (int64_t t = begin; t < end; ++t) {
            const int64_t b = t / (tc * ts), c0 = (t / ts) % tc * kTransposeTile, s0 = t % ts * kTransposeTile;
            const int64_t c1 = std::min(C, c0 + kTransposeTile), s1 = std::min(S, s0 + kTransposeTile);
            for (int64_t c = c0; c < c1; ++c) {
                const float * src = xp + (b * C + c) * S;
                float * dst = yp + b * S * C + c;
                for (int64_t s = s0; s < s1; ++s) dst[s * C] = src[s];       // y[b, s, c] = x[b, c, s]
            }
        }
    });
    return y;
}

Tensor transpose_channels_first_add(const Tensor & tokens, const Tensor & residual) {
    const int64_t B = residual.dim(0), C = residual.dim(1), S = residual.numel() / (B * C);
    require(tokens.numel() == residual.numel() && tokens.dim(-1) == C, SDN_STATUS_INTERNAL,
            "transpose_channels_first_add: " + shape_str(tokens.shape) + " vs " + shape_str(residual.shape));
    Tensor y = Tensor::empty(residual.shape);
    if (arena_measuring()) return y;
    ProfileScope prof(ProfOp::Transpose);
    const float * tp = tokens.f32();
    const float * rp = residual.f32();
    float * yp = y.f32();
    const int64_t tc = (C + kTransposeTile - 1) / kTransposeTile, ts = (S + kTransposeTile - 1) / kTransposeTile;
    parallel_for(B * tc * ts, 1, [&](int64_t begin, int64_t end, int) {
        for (int64_t t = begin; t < end; ++t) {
            const int64_t b = t / (tc * ts), c0 = (t / ts) % tc * kTransposeTile, s0 = t % ts * kTransposeTile;
            const int64_t c1 = std::min(C, c0 + kTransposeTile), s1 = std::min(S, s0 + kTransposeTile);
            for (int64_t c = c0; c < c1; ++c) {
                const float * src = tp + b * S * C + c;
                const int64_t o = (b * C + c) * S;
                for (int64_t s = s0; s < s1; ++s) yp[o + s] = src[s * C] + rp[o + s]; // y[b, c, s] = t[b, s, c] + r[b, c, s]
            }
        }
    });
    return y;
}

Tensor pad_bottom_right(const Tensor & x) {
    const int64_t B = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
    Tensor y = Tensor::empty({B, C, H + 1, W + 1});
    if (arena_measuring()) return y;
    ProfileScope prof(ProfOp::Resample);
    const float * xp = x.f32();
    float * yp = y.f32();
    for (int64_t bc = 0; bc < B * C; ++bc) {
        for (int64_t h = 0; h < H; ++h) {
            std::memcpy(yp + (bc * (H + 1) + h) * (W + 1), xp + (bc * H + h) * W, sizeof(float) * W);
            yp[(bc * (H + 1) + h) * (W + 1) + W] = 0.0f;
        }
        std::memset(yp + (bc * (H + 1) + H) * (W + 1), 0, sizeof(float) * (W + 1));
    }
    return y;
}

void silu_inplace(Tensor & x) {
    if (arena_measuring()) return;
    ProfileScope prof(ProfOp::Activation);
    silu(x.f32(), x.f32(), x.numel());
}

void relu_inplace(Tensor & x) {
    if (arena_measuring()) return;
    ProfileScope prof(ProfOp::Activation);
    float * p = x.f32();
    parallel_for(x.numel(), 1 << 16, [p](int64_t begin, int64_t end, int) {
        for (int64_t i = begin; i < end; ++i) p[i] = p[i] > 0.0f ? p[i] : 0.0f;
    });
}

} // namespace sdn
