// binding_ops.cc — N-API functions of the ops family: every kernel, callable with
// impl = "fast" (the dispatched path: AVX2 when the CPU has it), "portable" (the plain C++ fast path,
// forced for this call) or "naive" (the specification), so tests compare them on the same data.
// Outputs are written into caller-provided Float32Arrays. Small calls are synchronous; the
// *Async variants of gemm and conv2d run on a worker thread (benchmarks, large shapes).
#include <cstring>

#include "../core/threads.h"
#include "../ops/activation.h"
#include "../ops/conv2d.h"
#include "../ops/conv2d_winograd.h"
#include "../ops/elementwise.h"
#include "../ops/gemm.h"
#include "../ops/norm.h"
#include "../ops/norm_stats.h"
#include "../ops/resample.h"
#include "../ops/softmax.h"
#include "napi_util.h"

namespace sdn::binding {

namespace {

enum class Impl { Fast, Portable, Naive };

Impl arg_impl(const Napi::CallbackInfo & info, size_t i) {
    const std::string s = arg_string(info, i, "impl");
    if (s == "fast") return Impl::Fast;
    if (s == "portable") return Impl::Portable;
    if (s == "naive") return Impl::Naive;
    throw Napi::TypeError::New(info.Env(), "argument \"impl\" must be \"fast\", \"portable\" or \"naive\"");
}

// Forces the portable kernels for the duration of one call (process-wide; tests only).
struct ImplScope {
    explicit ImplScope(Impl impl) { ops_force_portable(impl == Impl::Portable); }
    ~ImplScope() { ops_force_portable(false); }
};

// Float32Array, or null / undefined -> nullptr.
const float * arg_f32_opt(const Napi::CallbackInfo & info, size_t i, const char * name, size_t need) {
    if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return nullptr;
    Napi::Float32Array a = arg_f32(info, i, name);
    require(a.ElementLength() >= need, SDN_STATUS_BAD_SHAPE,
            std::string("\"") + name + "\" has " + std::to_string(a.ElementLength()) + " elements, needs " + std::to_string(need));
    return a.Data();
}

float * arg_f32_len(const Napi::CallbackInfo & info, size_t i, const char * name, size_t need) {
    Napi::Float32Array a = arg_f32(info, i, name);
    require(a.ElementLength() >= need, SDN_STATUS_BAD_SHAPE,
            std::string("\"") + name + "\" has " + std::to_string(a.ElementLength()) + " elements, needs " + std::to_string(need));
    return a.Data();
}

DType arg_dtype(const Napi::CallbackInfo & info, size_t i, const char * name) {
    const std::string s = arg_string(info, i, name);
    if (s == "f32") return DType::F32;
    if (s == "f16") return DType::F16;
    if (s == "bf16") return DType::BF16;
    throw Napi::TypeError::New(info.Env(), std::string("argument \"") + name + "\" must be \"f32\", \"f16\" or \"bf16\"");
}

// Weight data of the given dtype: a Float32Array for f32, a Uint16Array (raw bits) for f16/bf16.
const void * arg_weight(const Napi::CallbackInfo & info, size_t i, const char * name, DType dtype, size_t need) {
    size_t have;
    const void * data;
    if (dtype == DType::F32) {
        Napi::Float32Array a = arg_f32(info, i, name);
        have = a.ElementLength();
        data = a.Data();
    } else {
        Napi::Uint16Array a = arg_u16(info, i, name);
        have = a.ElementLength();
        data = a.Data();
    }
    require(have >= need, SDN_STATUS_BAD_SHAPE,
            std::string("\"") + name + "\" has " + std::to_string(have) + " elements, needs " + std::to_string(need));
    return data;
}

bool arg_bool(const Napi::CallbackInfo & info, size_t i, const char * name) {
    if (i >= info.Length() || !info[i].IsBoolean())
        throw Napi::TypeError::New(info.Env(), std::string("argument \"") + name + "\" must be a boolean");
    return info[i].As<Napi::Boolean>().Value();
}

int64_t arg_dim(const Napi::CallbackInfo & info, size_t i, const char * name) {
    const int64_t v = arg_int(info, i, name);
    require(v >= 0, SDN_STATUS_BAD_ARGUMENT, std::string("\"") + name + "\" must be >= 0");
    return v;
}

// Keeps every argument alive for an async job.
std::vector<Napi::Reference<Napi::Value>> keep_args(const Napi::CallbackInfo & info) {
    std::vector<Napi::Reference<Napi::Value>> refs;
    for (size_t i = 0; i < info.Length(); ++i)
        if (info[i].IsObject()) refs.push_back(keep(info[i]));
    return refs;
}

// ---- gemm ----------------------------------------------------------------------------------------
// (impl, M, N, K, a, lda, b, bDtype, transB, ldb, c, ldc, bias | null, accumulate)

std::function<void()> gemm_job(const Napi::CallbackInfo & info) {
    const Impl impl = arg_impl(info, 0);
    const int64_t M = arg_dim(info, 1, "M"), N = arg_dim(info, 2, "N"), K = arg_dim(info, 3, "K");
    const int64_t lda = arg_dim(info, 5, "lda");
    const DType bt = arg_dtype(info, 7, "bDtype");
    const bool trans = arg_bool(info, 8, "transB");
    const int64_t ldb = arg_dim(info, 9, "ldb");
    const int64_t ldc = arg_dim(info, 11, "ldc");
    require(lda >= K && ldc >= N && ldb >= (trans ? K : N), SDN_STATUS_BAD_ARGUMENT,
            "gemm: leading dimensions must be >= the row lengths (lda >= K, ldb >= " + std::string(trans ? "K" : "N") + ", ldc >= N)");
    const size_t need_a = M && K ? static_cast<size_t>((M - 1) * lda + K) : 0;
    const size_t need_b = N && K ? static_cast<size_t>(trans ? (N - 1) * ldb + K : (K - 1) * ldb + N) : 0;
    const size_t need_c = M && N ? static_cast<size_t>((M - 1) * ldc + N) : 0;
    const float * a = arg_f32_len(info, 4, "a", need_a);
    const void * b = arg_weight(info, 6, "b", bt, need_b);
    float * c = arg_f32_len(info, 10, "c", need_c);
    const float * bias = arg_f32_opt(info, 12, "bias", static_cast<size_t>(N));
    const bool accumulate = arg_bool(info, 13, "accumulate");
    const MatB mb{b, bt, trans, ldb};
    return [=] {
        ImplScope scope(impl);
        if (impl == Impl::Naive) gemm_naive(M, N, K, a, lda, mb, c, ldc, bias, accumulate);
        else gemm(M, N, K, a, lda, mb, c, ldc, bias, accumulate);
    };
}

Napi::Value gemm_js(const Napi::CallbackInfo & info) {
    return guard(info.Env(), [&] {
        gemm_job(info)();
        return info.Env().Undefined();
    });
}

Napi::Value gemm_async_js(const Napi::CallbackInfo & info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        AsyncJob job;
        job.execute = gemm_job(info);
        job.keep_alive = keep_args(info);
        return run_async(info.Env(), std::move(job));
    });
}

// ---- conv2d --------------------------------------------------------------------------------------
// (impl, x, [B, Cin, H, W], w, wDtype, [Cout, Cin, KH, KW], stride, pad, bias | null, residual | null, y[, upsample])
// x is [B, Cin, H, W] as stored; with upsample f the convolution sees it up-sampled to f H x f W.

std::function<void()> conv2d_job(const Napi::CallbackInfo & info) {
    const Impl impl = arg_impl(info, 0);
    const Shape xs = arg_shape(info, 2, "xShape");
    const DType wt = arg_dtype(info, 4, "wDtype");
    const Shape ws = arg_shape(info, 5, "wShape");
    require(xs.size() == 4 && ws.size() == 4, SDN_STATUS_BAD_SHAPE, "conv2d: xShape and wShape must have 4 dimensions");
    const int64_t up = info.Length() > 11 && !info[11].IsUndefined() ? arg_dim(info, 11, "upsample") : 1;
    require(up >= 1, SDN_STATUS_BAD_ARGUMENT, "conv2d: upsample must be >= 1");
    Conv2dShape s{xs[0], xs[1], xs[2] * up, xs[3] * up, ws[0], ws[2], ws[3], arg_dim(info, 6, "stride"), arg_dim(info, 7, "pad"), up};
    require(ws[1] == s.Cin, SDN_STATUS_BAD_SHAPE, "conv2d: weight has " + std::to_string(ws[1]) + " input channels, x has " + std::to_string(s.Cin));
    require(s.stride >= 1, SDN_STATUS_BAD_ARGUMENT, "conv2d: stride must be >= 1");
    require(s.KH >= 1 && s.KW >= 1 && s.H + 2 * s.pad >= s.KH && s.W + 2 * s.pad >= s.KW, SDN_STATUS_BAD_SHAPE,
            "conv2d: the kernel is larger than the padded input");
    const float * x = arg_f32_len(info, 1, "x", static_cast<size_t>(shape_numel(xs)));
    Tensor w;
    w.dtype = wt;
    w.shape = ws;
    w.strides = Tensor::contiguous_strides(ws);
    w.data = const_cast<void *>(arg_weight(info, 3, "w", wt, static_cast<size_t>(shape_numel(ws))));
    const size_t ny = static_cast<size_t>(s.B * s.Cout * s.out_h() * s.out_w());
    const float * bias = arg_f32_opt(info, 8, "bias", static_cast<size_t>(s.Cout));
    const float * residual = arg_f32_opt(info, 9, "residual", ny);
    float * y = arg_f32_len(info, 10, "y", ny);
    return [=] {
        ImplScope scope(impl);
        if (impl == Impl::Naive) conv2d_naive(s, x, w, bias, residual, y);
        else conv2d(s, x, w, bias, residual, y);
    };
}

Napi::Value conv2d_js(const Napi::CallbackInfo & info) {
    return guard(info.Env(), [&] {
        conv2d_job(info)();
        return info.Env().Undefined();
    });
}

Napi::Value conv2d_async_js(const Napi::CallbackInfo & info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        AsyncJob job;
        job.execute = conv2d_job(info);
        job.keep_alive = keep_args(info);
        return run_async(info.Env(), std::move(job));
    });
}

// ---- pre-packed weights --------------------------------------------------------------------------
// A PackedWeight crosses to JS as an External (freed by the GC; its bytes count as weight memory).

using PackedHandle = Napi::External<PackedWeight>;

Napi::Value wrap_packed(Napi::Env env, PackedWeight && pw) {
    auto * owned = new PackedWeight(std::move(pw));
    return PackedHandle::New(env, owned, [](Napi::Env, PackedWeight * p) { delete p; });
}

const PackedWeight & arg_packed(const Napi::CallbackInfo & info, size_t i) {
    if (i >= info.Length() || !info[i].IsExternal())
        throw Napi::TypeError::New(info.Env(), "argument \"packed\" must be a packed weight (from opsPackLinear / opsPackConv)");
    return *info[i].As<PackedHandle>().Data();
}

// (N, K, b, bDtype, transB, ldb) -> packed
Napi::Value pack_linear_js(const Napi::CallbackInfo & info) {
    return guard(info.Env(), [&] {
        const int64_t N = arg_dim(info, 0, "N"), K = arg_dim(info, 1, "K");
        const DType bt = arg_dtype(info, 3, "bDtype");
        const bool trans = arg_bool(info, 4, "transB");
        const int64_t ldb = arg_dim(info, 5, "ldb");
        require(N >= 1 && K >= 1 && ldb >= (trans ? K : N), SDN_STATUS_BAD_ARGUMENT, "packLinear: N, K >= 1 and ldb >= the row length");
        const void * b = arg_weight(info, 2, "b", bt, static_cast<size_t>(trans ? (N - 1) * ldb + K : (K - 1) * ldb + N));
        return wrap_packed(info.Env(), gemm_pack_weight(N, K, MatB{b, bt, trans, ldb}));
    });
}

// (w, wDtype, wShape) -> packed
Napi::Value pack_conv_js(const Napi::CallbackInfo & info) {
    return guard(info.Env(), [&] {
        const DType wt = arg_dtype(info, 1, "wDtype");
        const Shape ws = arg_shape(info, 2, "wShape");
        require(ws.size() == 4, SDN_STATUS_BAD_SHAPE, "packConv: wShape must be [Cout, Cin, KH, KW]");
        Tensor w;
        w.dtype = wt;
        w.shape = ws;
        w.strides = Tensor::contiguous_strides(ws);
        w.data = const_cast<void *>(arg_weight(info, 0, "w", wt, static_cast<size_t>(shape_numel(ws))));
        return wrap_packed(info.Env(), conv2d_pack_weight(w));
    });
}

// (packed) -> { rows, K, bytes }
Napi::Value packed_info_js(const Napi::CallbackInfo & info) {
    return guard(info.Env(), [&] {
        const PackedWeight & pw = arg_packed(info, 0);
        Napi::Object o = Napi::Object::New(info.Env());
        o.Set("rows", Napi::Number::New(info.Env(), static_cast<double>(pw.rows)));
        o.Set("K", Napi::Number::New(info.Env(), static_cast<double>(pw.K)));
        o.Set("bytes", Napi::Number::New(info.Env(), static_cast<double>(pw.bytes())));
        return o;
    });
}

// (M, a, lda, packed, c, ldc, bias | null, accumulate)
Napi::Value gemm_packed_js(const Napi::CallbackInfo & info) {
    return guard(info.Env(), [&] {
        const PackedWeight & pw = arg_packed(info, 3);
        const int64_t M = arg_dim(info, 0, "M"), lda = arg_dim(info, 2, "lda"), ldc = arg_dim(info, 5, "ldc");
        const int64_t N = pw.rows, K = pw.K;
        require(!pw.a_side && lda >= K && ldc >= N, SDN_STATUS_BAD_ARGUMENT, "gemmPacked: a linear's packed weight, lda >= K, ldc >= N");
        const float * a = arg_f32_len(info, 1, "a", M ? static_cast<size_t>((M - 1) * lda + K) : 0);
        float * c = arg_f32_len(info, 4, "c", M ? static_cast<size_t>((M - 1) * ldc + N) : 0);
        const float * bias = arg_f32_opt(info, 6, "bias", static_cast<size_t>(N));
        gemm_packed(M, a, lda, pw, c, ldc, bias, arg_bool(info, 7, "accumulate"));
        return info.Env().Undefined();
    });
}

// (x, [B, Cin, H, W], packed, KH, KW, stride, pad, bias | null, residual | null, y)
Napi::Value conv2d_packed_js(const Napi::CallbackInfo & info) {
    return guard(info.Env(), [&] {
        const Shape xs = arg_shape(info, 1, "xShape");
        require(xs.size() == 4, SDN_STATUS_BAD_SHAPE, "conv2dPacked: xShape must have 4 dimensions");
        const PackedWeight & pw = arg_packed(info, 2);
        Conv2dShape s{xs[0], xs[1], xs[2], xs[3], pw.rows, arg_dim(info, 3, "KH"), arg_dim(info, 4, "KW"),
                      arg_dim(info, 5, "stride"), arg_dim(info, 6, "pad")};
        require(s.stride >= 1 && s.KH >= 1 && s.KW >= 1 && s.H + 2 * s.pad >= s.KH && s.W + 2 * s.pad >= s.KW,
                SDN_STATUS_BAD_SHAPE, "conv2dPacked: bad kernel size, stride or padding for the input");
        const float * x = arg_f32_len(info, 0, "x", static_cast<size_t>(shape_numel(xs)));
        const size_t ny = static_cast<size_t>(s.B * s.Cout * s.out_h() * s.out_w());
        const float * bias = arg_f32_opt(info, 7, "bias", static_cast<size_t>(s.Cout));
        const float * residual = arg_f32_opt(info, 8, "residual", ny);
        float * y = arg_f32_len(info, 9, "y", ny);
        conv2d_packed(s, x, pw, bias, residual, y);
        return info.Env().Undefined();
    });
}

// ---- norms ---------------------------------------------------------------------------------------

// (impl, x, y, B, C, S, groups, gamma, beta, eps, silu)
Napi::Value group_norm_js(const Napi::CallbackInfo & info) {
    return guard(info.Env(), [&] {
        const Impl impl = arg_impl(info, 0);
        const int64_t B = arg_dim(info, 3, "B"), C = arg_dim(info, 4, "C"), S = arg_dim(info, 5, "S");
        const int64_t groups = arg_dim(info, 6, "groups");
        require(groups >= 1 && C % groups == 0, SDN_STATUS_BAD_SHAPE,
                "group_norm: " + std::to_string(C) + " channels do not split into " + std::to_string(groups) + " groups");
        const size_t n = static_cast<size_t>(B * C * S);
        const float * x = arg_f32_len(info, 1, "x", n);
        float * y = arg_f32_len(info, 2, "y", n);
        const float * gamma = arg_f32_len(info, 7, "gamma", static_cast<size_t>(C));
        const float * beta = arg_f32_len(info, 8, "beta", static_cast<size_t>(C));
        const float eps = static_cast<float>(arg_number(info, 9, "eps"));
        const bool silu = arg_bool(info, 10, "silu");
        ImplScope scope(impl);
        if (impl == Impl::Naive) group_norm_naive(x, y, B, C, S, groups, gamma, beta, eps, silu);
        else group_norm(x, y, B, C, S, groups, gamma, beta, eps, silu);
        return info.Env().Undefined();
    });
}

// A feature map [B, C, H, W] with a batch stride, from positional arguments i .. i + 5 (data first).
MapView arg_map(const Napi::CallbackInfo & info, size_t i, const char * name) {
    const int64_t B = arg_dim(info, i + 1, "B"), C = arg_dim(info, i + 2, "C"), H = arg_dim(info, i + 3, "H"), W = arg_dim(info, i + 4, "W");
    const int64_t stride = arg_dim(info, i + 5, "batchStride");
    require(stride >= C * H * W, SDN_STATUS_BAD_SHAPE, "batchStride must be >= C * H * W");
    float * data = arg_f32_len(info, i, name, static_cast<size_t>(B > 0 ? (B - 1) * stride + C * H * W : 0));
    return MapView{data, B, C, H, W, stride};
}

// (impl, x, B, C, H, W, batchStride, y0, x0, rh, rw, upsample, groups, gamma, beta, eps, silu, out): region_gather
// of x, normalised (groups > 0) with x's own whole-image statistics (group_sums_add + group_moments).
Napi::Value region_gather_js(const Napi::CallbackInfo & info) {
    return guard(info.Env(), [&] {
        const Impl impl = arg_impl(info, 0);
        const MapView x = arg_map(info, 1, "x");
        const int64_t y0 = arg_int(info, 7, "y0"), x0 = arg_int(info, 8, "x0"), rh = arg_dim(info, 9, "rh"), rw = arg_dim(info, 10, "rw");
        const int64_t up = arg_dim(info, 11, "upsample"), groups = arg_dim(info, 12, "groups");
        require(up >= 1, SDN_STATUS_BAD_ARGUMENT, "upsample must be >= 1");
        require(groups == 0 || x.C % groups == 0, SDN_STATUS_BAD_SHAPE, "C must split into groups");
        float * out = arg_f32_len(info, 17, "out", static_cast<size_t>(x.B * x.C * rh * rw));
        std::vector<double> sum(x.B * groups), sum_sq(x.B * groups);
        std::vector<float> mean(x.B * groups), inv(x.B * groups);
        GroupNormApply norm{};
        if (groups > 0) {
            group_sums_add(x, GroupSums{sum.data(), sum_sq.data(), groups});
            group_moments(sum.data(), sum_sq.data(), x.B, groups, x.C / groups * x.H * x.W, static_cast<float>(arg_number(info, 15, "eps")),
                          mean.data(), inv.data());
            norm = GroupNormApply{mean.data(), inv.data(), arg_f32_len(info, 13, "gamma", x.C), arg_f32_len(info, 14, "beta", x.C), groups,
                                  arg_bool(info, 16, "silu")};
        }
        ImplScope scope(impl);
        if (impl == Impl::Naive) region_gather_naive(x, y0, x0, rh, rw, up, groups > 0 ? &norm : nullptr, out);
        else region_gather(x, y0, x0, rh, rw, up, groups > 0 ? &norm : nullptr, out);
        return info.Env().Undefined();
    });
}

// (tile, dst, B, C, H, W, batchStride, y0, x0, rh, rw, residual | null (dst's layout), groups) -> the
// region's per-(batch, group) sums as a Float64Array [sum (B x groups) | sum_sq (B x groups)], or
// undefined when groups is 0.
Napi::Value region_scatter_js(const Napi::CallbackInfo & info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        const MapView dst = arg_map(info, 1, "dst");
        const int64_t y0 = arg_dim(info, 7, "y0"), x0 = arg_dim(info, 8, "x0"), rh = arg_dim(info, 9, "rh"), rw = arg_dim(info, 10, "rw");
        require(y0 + rh <= dst.H && x0 + rw <= dst.W, SDN_STATUS_BAD_SHAPE, "region_scatter: the region must lie inside the map");
        const int64_t groups = arg_dim(info, 12, "groups");
        require(groups == 0 || dst.C % groups == 0, SDN_STATUS_BAD_SHAPE, "C must split into groups");
        const float * tile = arg_f32_len(info, 0, "tile", static_cast<size_t>(dst.B * dst.C * rh * rw));
        const float * res = arg_f32_opt(info, 11, "residual", static_cast<size_t>((dst.B - 1) * dst.batch_stride + dst.C * dst.H * dst.W));
        MapView residual = dst;
        residual.data = const_cast<float *>(res);
        Napi::Float64Array sums = Napi::Float64Array::New(info.Env(), static_cast<size_t>(2 * dst.B * groups));
        GroupSums gs{sums.Data(), sums.Data() + dst.B * groups, groups};
        region_scatter(tile, dst, y0, x0, rh, rw, res ? &residual : nullptr, groups > 0 ? &gs : nullptr);
        if (groups == 0) return info.Env().Undefined();
        return sums;
    });
}

// (impl, x, y, M, D, gamma, beta, eps)
Napi::Value layer_norm_js(const Napi::CallbackInfo & info) {
    return guard(info.Env(), [&] {
        const Impl impl = arg_impl(info, 0);
        const int64_t M = arg_dim(info, 3, "M"), D = arg_dim(info, 4, "D");
        const float * x = arg_f32_len(info, 1, "x", static_cast<size_t>(M * D));
        float * y = arg_f32_len(info, 2, "y", static_cast<size_t>(M * D));
        const float * gamma = arg_f32_len(info, 5, "gamma", static_cast<size_t>(D));
        const float * beta = arg_f32_len(info, 6, "beta", static_cast<size_t>(D));
        const float eps = static_cast<float>(arg_number(info, 7, "eps"));
        ImplScope scope(impl);
        if (impl == Impl::Naive) layer_norm_naive(x, y, M, D, gamma, beta, eps);
        else layer_norm(x, y, M, D, gamma, beta, eps);
        return info.Env().Undefined();
    });
}

// ---- activations ---------------------------------------------------------------------------------

// (impl, kind, x, y)
Napi::Value activation_js(const Napi::CallbackInfo & info) {
    return guard(info.Env(), [&] {
        const Impl impl = arg_impl(info, 0);
        const std::string kind = arg_string(info, 1, "kind");
        Napi::Float32Array xa = arg_f32(info, 2, "x");
        const int64_t n = static_cast<int64_t>(xa.ElementLength());
        float * y = arg_f32_len(info, 3, "y", static_cast<size_t>(n));
        const float * x = xa.Data();
        const bool naive = impl == Impl::Naive;
        ImplScope scope(impl);
        if (kind == "silu") naive ? silu_naive(x, y, n) : silu(x, y, n);
        else if (kind == "gelu") naive ? gelu_naive(x, y, n, false) : gelu(x, y, n, false);
        else if (kind == "gelu_tanh") naive ? gelu_naive(x, y, n, true) : gelu(x, y, n, true);
        else if (kind == "quick_gelu") naive ? quick_gelu_naive(x, y, n) : quick_gelu(x, y, n);
        else throw Napi::TypeError::New(info.Env(), "argument \"kind\" must be silu, gelu, gelu_tanh or quick_gelu");
        return info.Env().Undefined();
    });
}

// (impl, x, y, M, D)
Napi::Value geglu_js(const Napi::CallbackInfo & info) {
    return guard(info.Env(), [&] {
        const Impl impl = arg_impl(info, 0);
        const int64_t M = arg_dim(info, 3, "M"), D = arg_dim(info, 4, "D");
        const float * x = arg_f32_len(info, 1, "x", static_cast<size_t>(M * 2 * D));
        float * y = arg_f32_len(info, 2, "y", static_cast<size_t>(M * D));
        ImplScope scope(impl);
        if (impl == Impl::Naive) geglu_naive(x, y, M, D);
        else geglu(x, y, M, D);
        return info.Env().Undefined();
    });
}

// (fn, x, y): the vectorised element functions behind the activations, for accuracy tests.
Napi::Value math_js(const Napi::CallbackInfo & info) {
    return guard(info.Env(), [&] {
        const std::string fn = arg_string(info, 0, "fn");
        Napi::Float32Array xa = arg_f32(info, 1, "x");
        const int64_t n = static_cast<int64_t>(xa.ElementLength());
        float * y = arg_f32_len(info, 2, "y", static_cast<size_t>(n));
        MathFn f;
        if (fn == "exp") f = MathFn::Exp;
        else if (fn == "erf") f = MathFn::Erf;
        else if (fn == "erfc") f = MathFn::Erfc;
        else throw Napi::TypeError::New(info.Env(), "argument \"fn\" must be exp, erf or erfc");
        math_apply(f, xa.Data(), y, n);
        return info.Env().Undefined();
    });
}

// ---- softmax -------------------------------------------------------------------------------------

// (impl, x, M, N, scale): in place
Napi::Value softmax_rows_js(const Napi::CallbackInfo & info) {
    return guard(info.Env(), [&] {
        const Impl impl = arg_impl(info, 0);
        const int64_t M = arg_dim(info, 2, "M"), N = arg_dim(info, 3, "N");
        float * x = arg_f32_len(info, 1, "x", static_cast<size_t>(M * N));
        const float scale = static_cast<float>(arg_number(info, 4, "scale"));
        ImplScope scope(impl);
        if (impl == Impl::Naive) softmax_rows_naive(x, M, N, scale);
        else softmax_rows(x, M, N, scale);
        return info.Env().Undefined();
    });
}

// ---- resample ------------------------------------------------------------------------------------

// (impl, x, y, B, C, H, W, Ho, Wo)
Napi::Value upsample_nearest_js(const Napi::CallbackInfo & info) {
    return guard(info.Env(), [&] {
        const Impl impl = arg_impl(info, 0);
        const int64_t B = arg_dim(info, 3, "B"), C = arg_dim(info, 4, "C"), H = arg_dim(info, 5, "H"), W = arg_dim(info, 6, "W");
        const int64_t Ho = arg_dim(info, 7, "Ho"), Wo = arg_dim(info, 8, "Wo");
        require((H > 0 || Ho == 0) && (W > 0 || Wo == 0), SDN_STATUS_BAD_SHAPE, "upsample_nearest: empty input, non-empty output");
        const float * x = arg_f32_len(info, 1, "x", static_cast<size_t>(B * C * H * W));
        float * y = arg_f32_len(info, 2, "y", static_cast<size_t>(B * C * Ho * Wo));
        ImplScope scope(impl);
        if (impl == Impl::Naive) upsample_nearest_naive(x, y, B, C, H, W, Ho, Wo);
        else upsample_nearest(x, y, B, C, H, W, Ho, Wo);
        return info.Env().Undefined();
    });
}

// (impl, a, Ca, b, Cb, y, B, S)
Napi::Value concat_channels_js(const Napi::CallbackInfo & info) {
    return guard(info.Env(), [&] {
        const Impl impl = arg_impl(info, 0);
        const int64_t Ca = arg_dim(info, 2, "Ca"), Cb = arg_dim(info, 4, "Cb"), B = arg_dim(info, 6, "B"), S = arg_dim(info, 7, "S");
        const float * a = arg_f32_len(info, 1, "a", static_cast<size_t>(B * Ca * S));
        const float * b = arg_f32_len(info, 3, "b", static_cast<size_t>(B * Cb * S));
        float * y = arg_f32_len(info, 5, "y", static_cast<size_t>(B * (Ca + Cb) * S));
        ImplScope scope(impl);
        if (impl == Impl::Naive) concat_channels_naive(a, Ca, b, Cb, y, B, S);
        else concat_channels(a, Ca, b, Cb, y, B, S);
        return info.Env().Undefined();
    });
}

// ---- elementwise ---------------------------------------------------------------------------------

// (impl, op, a, aShape, b, bShape, y)
Napi::Value binary_js(const Napi::CallbackInfo & info) {
    return guard(info.Env(), [&] {
        const Impl impl = arg_impl(info, 0);
        const std::string op_name = arg_string(info, 1, "op");
        BinaryOp op;
        if (op_name == "add") op = BinaryOp::Add;
        else if (op_name == "mul") op = BinaryOp::Mul;
        else throw Napi::TypeError::New(info.Env(), "argument \"op\" must be \"add\" or \"mul\"");
        const Shape as = arg_shape(info, 3, "aShape"), bs = arg_shape(info, 5, "bShape");
        const Shape ys = broadcast_shape(as, bs);
        const float * a = arg_f32_len(info, 2, "a", static_cast<size_t>(shape_numel(as)));
        const float * b = arg_f32_len(info, 4, "b", static_cast<size_t>(shape_numel(bs)));
        float * y = arg_f32_len(info, 6, "y", static_cast<size_t>(shape_numel(ys)));
        ImplScope scope(impl);
        if (impl == Impl::Naive) binary_broadcast_naive(op, a, as, b, bs, y);
        else binary_broadcast(op, a, as, b, bs, y);
        return info.Env().Undefined();
    });
}

// (impl, a, b, y)
Napi::Value add_js(const Napi::CallbackInfo & info) {
    return guard(info.Env(), [&] {
        const Impl impl = arg_impl(info, 0);
        Napi::Float32Array aa = arg_f32(info, 1, "a");
        const int64_t n = static_cast<int64_t>(aa.ElementLength());
        const float * b = arg_f32_len(info, 2, "b", static_cast<size_t>(n));
        float * y = arg_f32_len(info, 3, "y", static_cast<size_t>(n));
        ImplScope scope(impl);
        if (impl == Impl::Naive) add_naive(aa.Data(), b, y, n);
        else add(aa.Data(), b, y, n);
        return info.Env().Undefined();
    });
}

// (impl, x, v, B, C, S): in place
Napi::Value add_per_channel_js(const Napi::CallbackInfo & info) {
    return guard(info.Env(), [&] {
        const Impl impl = arg_impl(info, 0);
        const int64_t B = arg_dim(info, 3, "B"), C = arg_dim(info, 4, "C"), S = arg_dim(info, 5, "S");
        float * x = arg_f32_len(info, 1, "x", static_cast<size_t>(B * C * S));
        const float * v = arg_f32_len(info, 2, "v", static_cast<size_t>(B * C));
        ImplScope scope(impl);
        if (impl == Impl::Naive) add_per_channel_naive(x, v, B, C, S);
        else add_per_channel(x, v, B, C, S);
        return info.Env().Undefined();
    });
}

// (impl, a, s, y)
Napi::Value scale_js(const Napi::CallbackInfo & info) {
    return guard(info.Env(), [&] {
        const Impl impl = arg_impl(info, 0);
        Napi::Float32Array aa = arg_f32(info, 1, "a");
        const int64_t n = static_cast<int64_t>(aa.ElementLength());
        const float s = static_cast<float>(arg_number(info, 2, "s"));
        float * y = arg_f32_len(info, 3, "y", static_cast<size_t>(n));
        ImplScope scope(impl);
        if (impl == Impl::Naive) scale_naive(aa.Data(), s, y, n);
        else scale(aa.Data(), s, y, n);
        return info.Env().Undefined();
    });
}

// (floats) -> previous: the cap on a pre-packed weight slice (tests use a small one to exercise K slicing).
Napi::Value packed_cap_set_js(const Napi::CallbackInfo & info) {
    return guard(info.Env(), [&] {
        const int64_t floats = arg_int(info, 0, "floats");
        require(floats >= 1, SDN_STATUS_BAD_ARGUMENT, "packed cap must be >= 1 float");
        return Napi::Number::New(info.Env(), static_cast<double>(gemm_detail::packed_cap_set(floats)));
    });
}

// (mode: "auto" | "direct" | "winograd") -> previous mode: which convolution conv2d() runs for stride-1 3x3
// kernels (tests and benchmarks; LATENTFLOW_CONV sets the initial mode).
Napi::Value conv_algo_set_js(const Napi::CallbackInfo & info) {
    return guard(info.Env(), [&] {
        static const char * names[] = {"auto", "direct", "winograd"};
        const std::string mode = arg_string(info, 0, "mode");
        int m = -1;
        for (int i = 0; i < 3; ++i) if (mode == names[i]) m = i;
        require(m >= 0, SDN_STATUS_BAD_ARGUMENT, "conv algorithm must be \"auto\", \"direct\" or \"winograd\", got \"" + mode + "\"");
        return Napi::String::New(info.Env(), names[conv2d_algo_force(m)]);
    });
}

// (xShape [B, Cin, H, W] as stored, wShape, stride, pad, upsample) -> { algo, workspaceBytes }: the
// dispatch decision and the arena bytes conv2d() holds for it.
Napi::Value conv_plan_js(const Napi::CallbackInfo & info) {
    return guard(info.Env(), [&] {
        const Shape xs = arg_shape(info, 0, "xShape"), ws = arg_shape(info, 1, "wShape");
        require(xs.size() == 4 && ws.size() == 4, SDN_STATUS_BAD_SHAPE, "convPlan: xShape and wShape must have 4 dimensions");
        const int64_t up = arg_dim(info, 4, "upsample");
        const Conv2dShape s{xs[0], xs[1], xs[2] * up, xs[3] * up, ws[0], ws[2], ws[3], arg_dim(info, 2, "stride"), arg_dim(info, 3, "pad"), up};
        Napi::Object o = Napi::Object::New(info.Env());
        o.Set("algo", conv2d_algo(s) == ConvAlgo::Winograd ? "winograd" : "direct");
        o.Set("workspaceBytes", Napi::Number::New(info.Env(), static_cast<double>(conv2d_workspace_bytes(s))));
        return o;
    });
}

// (uFloats, vFloats, mFloats) -> previous [u, v, m]: Winograd's buffer caps (tests use small ones).
Napi::Value winograd_caps_set_js(const Napi::CallbackInfo & info) {
    return guard(info.Env(), [&] {
        int64_t prev[3];
        conv2d_winograd_caps_set(arg_int(info, 0, "uFloats"), arg_int(info, 1, "vFloats"), arg_int(info, 2, "mFloats"), prev);
        Napi::Array a = Napi::Array::New(info.Env(), 3);
        for (uint32_t i = 0; i < 3; ++i) a.Set(i, Napi::Number::New(info.Env(), static_cast<double>(prev[i])));
        return a;
    });
}

Napi::Value clock_ghz_js(const Napi::CallbackInfo & info) { return Napi::Number::New(info.Env(), cpu_clock_ghz_measure()); }

} // namespace

void register_ops(Napi::Env env, Napi::Object exports) {
    exports.Set("opsGemm", Napi::Function::New(env, gemm_js));
    exports.Set("opsGemmAsync", Napi::Function::New(env, gemm_async_js));
    exports.Set("opsConv2d", Napi::Function::New(env, conv2d_js));
    exports.Set("opsConv2dAsync", Napi::Function::New(env, conv2d_async_js));
    exports.Set("opsGroupNorm", Napi::Function::New(env, group_norm_js));
    exports.Set("opsRegionGather", Napi::Function::New(env, region_gather_js));
    exports.Set("opsRegionScatter", Napi::Function::New(env, region_scatter_js));
    exports.Set("opsLayerNorm", Napi::Function::New(env, layer_norm_js));
    exports.Set("opsActivation", Napi::Function::New(env, activation_js));
    exports.Set("opsGeglu", Napi::Function::New(env, geglu_js));
    exports.Set("opsMath", Napi::Function::New(env, math_js));
    exports.Set("opsSoftmaxRows", Napi::Function::New(env, softmax_rows_js));
    exports.Set("opsUpsampleNearest", Napi::Function::New(env, upsample_nearest_js));
    exports.Set("opsConcatChannels", Napi::Function::New(env, concat_channels_js));
    exports.Set("opsBinary", Napi::Function::New(env, binary_js));
    exports.Set("opsAdd", Napi::Function::New(env, add_js));
    exports.Set("opsAddPerChannel", Napi::Function::New(env, add_per_channel_js));
    exports.Set("opsScale", Napi::Function::New(env, scale_js));
    exports.Set("opsPackLinear", Napi::Function::New(env, pack_linear_js));
    exports.Set("opsPackConv", Napi::Function::New(env, pack_conv_js));
    exports.Set("opsPackedInfo", Napi::Function::New(env, packed_info_js));
    exports.Set("opsGemmPacked", Napi::Function::New(env, gemm_packed_js));
    exports.Set("opsConv2dPacked", Napi::Function::New(env, conv2d_packed_js));
    exports.Set("opsClockGHz", Napi::Function::New(env, clock_ghz_js));
    exports.Set("opsPackedCapSet", Napi::Function::New(env, packed_cap_set_js));
    exports.Set("opsConvAlgoSet", Napi::Function::New(env, conv_algo_set_js));
    exports.Set("opsConvPlan", Napi::Function::New(env, conv_plan_js));
    exports.Set("opsWinogradCapsSet", Napi::Function::New(env, winograd_caps_set_js));
}

} // namespace sdn::binding
