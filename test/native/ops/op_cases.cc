// The table of op cases: every kernel family with awkward and SD-sized shapes, each dtype, each
// option, compared with its naive twin (or, where the twin is the C library, a double reference)
// on every instruction-set path. The case types come first; the table is op_cases() at the end.
//
// Tolerances (relative to max |reference| unless said otherwise):
//   gemm, conv2d (direct), group/layer norm, softmax, attention   1e-5   (f32 sums in another order)
//   gemm / conv2d in bf16                                          1e-5   (against the bf16 naive twin: the
//                                                                          inputs rounded the same way)
//   conv2d Winograd F(4x4, 3x3)                                    2e-5   (the transforms cost ~1 digit)
//   activations, geglu                                            1e-6   (own exp / erf, ~3e-7)
//   region gather                                                  1e-6
//   exp / erf / erfc, per element                                  1e-6   (attention's exp: 2e-7)
//   elementwise, resample, f16/bf16 conversions                    0      (the same bits)
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "core/half.h"
#include "op_test.h"
#include "ops/activation.h"
#include "ops/attention.h"
#include "ops/attention_flash.h"
#include "ops/conv2d.h"
#include "ops/conv2d_winograd.h"
#include "ops/elementwise.h"
#include "ops/gemm.h"
#include "ops/norm.h"
#include "ops/norm_stats.h"
#include "ops/resample.h"
#include "ops/softmax.h"
#include "ops/testing.h"

namespace sdn::optest {

namespace {

uint32_t g_seed = 1; // every case draws its own seeds in table order: the data never depends on the path

std::string str(int64_t v) { return std::to_string(v); }

// ---- gemm ---------------------------------------------------------------------------------------

struct GemmCase : OpCase {
    int64_t M, N, K;
    DType dtype;
    bool trans;
    bool with_bias = true, accumulate = false;
    int64_t lda_pad = 0, ldb_pad = 0, ldc_pad = 0;
    float w_range = 1.0f;
    Precision precision = Precision::F32;
    std::vector<int64_t> sample_rows; // compare these rows only (the naive product of a large shape is slow)
    uint32_t seed = g_seed += 7;

    std::vector<float> a, b, bias, c0, ref;
    std::vector<uint16_t> b_bits;
    int64_t lda = 0, ldb = 0, ldc = 0;

    GemmCase(int64_t M_, int64_t N_, int64_t K_, DType dtype_, bool trans_) : M(M_), N(N_), K(K_), dtype(dtype_), trans(trans_) {}

    std::string op() const override { return "gemm"; }
    std::string params() const override {
        std::string p = "M=" + str(M) + " N=" + str(N) + " K=" + str(K) + " B=" + dtype_label(dtype) + (trans ? " trans" : "");
        if (with_bias) p += " bias";
        if (accumulate) p += " accumulate";
        if (lda_pad || ldb_pad || ldc_pad) p += " padded";
        if (precision == Precision::BF16) p += " bf16-compute";
        if (!sample_rows.empty()) p += " (" + str(static_cast<int64_t>(sample_rows.size())) + " rows checked)";
        return p;
    }
    double tolerance() const override { return 1e-5; }
    bool needs_bf16() const override { return precision == Precision::BF16; }

    MatB matb() const { return MatB{dtype == DType::F32 ? static_cast<const void *>(b.data()) : b_bits.data(), dtype, trans, ldb}; }

    void reference() override {
        lda = K + lda_pad;
        ldb = (trans ? K : N) + ldb_pad;
        ldc = N + ldc_pad;
        a = random(std::max<int64_t>(M * lda, 1), seed);
        b = random(std::max<int64_t>((trans ? N : K) * ldb, 1), seed + 1, -w_range, w_range);
        if (dtype != DType::F32) b_bits = half_bits(b, dtype);
        bias = with_bias ? random(N, seed + 2) : std::vector<float>();
        c0 = random(std::max<int64_t>(M * ldc, 1), seed + 3);
        ref = c0;
        const float * bias_p = with_bias ? bias.data() : nullptr;
        if (sample_rows.empty()) {
            gemm_naive(M, N, K, a.data(), lda, matb(), ref.data(), ldc, bias_p, accumulate, precision);
        } else {
            for (int64_t r : sample_rows) gemm_naive(1, N, K, a.data() + r * lda, lda, matb(), ref.data() + r * ldc, ldc, bias_p, accumulate, precision);
        }
    }
    double run() override {
        std::vector<float> c = c0;
        gemm(M, N, K, a.data(), lda, matb(), c.data(), ldc, with_bias ? bias.data() : nullptr, accumulate, precision);
        if (sample_rows.empty()) {
            double err = rel_err(c.data(), ref.data(), static_cast<int64_t>(c.size()));
            // The padding of C (columns N .. ldc) is never written.
            for (int64_t m = 0; m < M; ++m)
                for (int64_t n = N; n < ldc; ++n)
                    if (std::memcmp(&c[m * ldc + n], &c0[m * ldc + n], sizeof(float)) != 0) err = INFINITY;
            return err;
        }
        std::vector<float> got, want;
        for (int64_t r : sample_rows) {
            got.insert(got.end(), c.begin() + r * ldc, c.begin() + r * ldc + N);
            want.insert(want.end(), ref.begin() + r * ldc, ref.begin() + r * ldc + N);
        }
        return rel_err(got.data(), want.data(), static_cast<int64_t>(got.size()));
    }
};

// ---- conv2d -------------------------------------------------------------------------------------

struct ConvCase : OpCase {
    Conv2dShape s;
    DType dtype = DType::F32;
    bool with_bias = true, with_residual = true, residual_in_place = false;
    ConvAlgoMode algo = ConvAlgoMode::Direct;
    float w_range = 1.0f;
    uint32_t seed = g_seed += 7;

    std::vector<float> x, w, bias, residual, ref;
    std::vector<uint16_t> w_bits;

    ConvCase(int64_t B, int64_t Cin, int64_t Cout, int64_t H, int64_t W, int64_t k, int64_t stride, int64_t pad, int64_t upsample = 1) {
        s = Conv2dShape{B, Cin, H * upsample, W * upsample, Cout, k, k, stride, pad, upsample};
    }

    std::string op() const override { return algo == ConvAlgoMode::Winograd ? "conv2d winograd" : "conv2d"; }
    std::string params() const override {
        std::string p = "B" + str(s.B) + " " + str(s.Cin) + "->" + str(s.Cout) + " " + str(s.H / s.upsample) + "x" + str(s.W / s.upsample) +
                        " k" + str(s.KH) + " s" + str(s.stride) + " p" + str(s.pad) + " w=" + dtype_label(dtype);
        if (s.upsample > 1) p += " up" + str(s.upsample);
        if (with_bias) p += " bias";
        if (with_residual) p += residual_in_place ? " residual=y" : " residual";
        if (s.precision == Precision::BF16) p += " bf16-compute";
        return p;
    }
    double tolerance() const override { return algo == ConvAlgoMode::Winograd ? 2e-5 : 1e-5; }
    bool needs_bf16() const override { return s.precision == Precision::BF16; }

    int64_t x_size() const { return s.B * s.Cin * (s.H / s.upsample) * (s.W / s.upsample); }
    int64_t y_size() const { return s.B * s.Cout * s.out_h() * s.out_w(); }
    Tensor weight() const {
        const Shape shape{s.Cout, s.Cin, s.KH, s.KW};
        return dtype == DType::F32 ? view_of(w.data(), shape, dtype) : view_of(w_bits.data(), shape, dtype);
    }

    void reference() override {
        x = random(x_size(), seed);
        w = random(s.Cout * s.Cin * s.KH * s.KW, seed + 1, -w_range, w_range);
        if (dtype != DType::F32) w_bits = half_bits(w, dtype);
        bias = with_bias ? random(s.Cout, seed + 2) : std::vector<float>();
        residual = with_residual ? random(y_size(), seed + 3) : std::vector<float>();
        ref.assign(static_cast<size_t>(y_size()), 0.0f);
        conv2d_naive(s, x.data(), weight(), with_bias ? bias.data() : nullptr, with_residual ? residual.data() : nullptr, ref.data());
    }
    double run() override {
        testing::ConvAlgoScope scope(algo);
        std::vector<float> y(static_cast<size_t>(y_size()), 0.0f);
        const float * res = nullptr;
        if (with_residual && residual_in_place) {
            y = residual;
            res = y.data();
        } else if (with_residual) {
            res = residual.data();
        }
        conv2d(s, x.data(), weight(), with_bias ? bias.data() : nullptr, res, y.data());
        return rel_err(y.data(), ref.data(), y_size());
    }
};

// ---- norms --------------------------------------------------------------------------------------

struct GroupNormCase : OpCase {
    int64_t B, C, S, groups;
    bool silu;
    float eps = 1e-5f;
    bool in_place = false;
    uint32_t seed = g_seed += 7;
    std::vector<float> x, gamma, beta, ref;

    GroupNormCase(int64_t B_, int64_t C_, int64_t S_, int64_t groups_, bool silu_) : B(B_), C(C_), S(S_), groups(groups_), silu(silu_) {}
    std::string op() const override { return "group norm"; }
    std::string params() const override {
        return "B" + str(B) + " C" + str(C) + " S" + str(S) + " groups " + str(groups) + (silu ? " +silu" : "") + (in_place ? " in place" : "");
    }
    double tolerance() const override { return 1e-5; }
    void reference() override {
        x = random(B * C * S, seed, 2.5f, 4.5f); // an offset mean makes the variance sensitive to cancellation
        gamma = random(C, seed + 1, 0.5f, 1.5f);
        beta = random(C, seed + 2);
        ref.resize(x.size());
        group_norm_naive(x.data(), ref.data(), B, C, S, groups, gamma.data(), beta.data(), eps, silu);
    }
    double run() override {
        std::vector<float> y = in_place ? x : std::vector<float>(x.size());
        group_norm(in_place ? y.data() : x.data(), y.data(), B, C, S, groups, gamma.data(), beta.data(), eps, silu);
        return rel_err(y.data(), ref.data(), static_cast<int64_t>(y.size()));
    }
};

struct LayerNormCase : OpCase {
    int64_t M, D;
    uint32_t seed = g_seed += 7;
    std::vector<float> x, gamma, beta, ref;
    LayerNormCase(int64_t M_, int64_t D_) : M(M_), D(D_) {}
    std::string op() const override { return "layer norm"; }
    std::string params() const override { return str(M) + "x" + str(D); }
    double tolerance() const override { return 1e-5; }
    void reference() override {
        x = random(M * D, seed, -3.0f, 5.0f);
        gamma = random(D, seed + 1);
        beta = random(D, seed + 2);
        ref.resize(x.size());
        layer_norm_naive(x.data(), ref.data(), M, D, gamma.data(), beta.data(), 1e-5f);
    }
    double run() override {
        std::vector<float> y(x.size());
        layer_norm(x.data(), y.data(), M, D, gamma.data(), beta.data(), 1e-5f);
        return rel_err(y.data(), ref.data(), M * D);
    }
};

// The tiled decode's gather (norm_stats.h), normalised (groups > 0) with the map's own whole-image
// statistics, as the tiled VAE decode uses it.
struct RegionGatherCase : OpCase {
    MapView map{};
    int64_t y0, x0, rh, rw, upsample, groups;
    bool silu;
    uint32_t seed = g_seed += 7;
    std::vector<float> x, gamma, beta, mean, inv, ref;
    GroupNormApply norm{};

    RegionGatherCase(int64_t y0_, int64_t x0_, int64_t rh_, int64_t rw_, int64_t up, int64_t groups_, bool silu_)
        : y0(y0_), x0(x0_), rh(rh_), rw(rw_), upsample(up), groups(groups_), silu(silu_) {}
    std::string op() const override { return "region gather"; }
    std::string params() const override {
        return "region " + str(y0) + "," + str(x0) + " " + str(rh) + "x" + str(rw) + " up" + str(upsample) +
               (groups ? " norm groups " + str(groups) + (silu ? " +silu" : "") : " no norm");
    }
    double tolerance() const override { return 1e-6; }
    void reference() override {
        const int64_t B = 2, C = 6, H = 5, W = 7, stride = C * H * W + 11; // a batch stride wider than the map
        x = random(B * stride, seed, -2.0f, 3.0f);
        map = MapView{x.data(), B, C, H, W, stride};
        gamma = random(C, seed + 1, 0.5f, 1.5f);
        beta = random(C, seed + 2);
        if (groups) {
            std::vector<double> sum(B * groups), sum_sq(B * groups);
            group_sums_add(map, GroupSums{sum.data(), sum_sq.data(), groups});
            mean.resize(B * groups);
            inv.resize(B * groups);
            group_moments(sum.data(), sum_sq.data(), B, groups, C / groups * H * W, 1e-6f, mean.data(), inv.data());
            norm = GroupNormApply{mean.data(), inv.data(), gamma.data(), beta.data(), groups, silu};
        }
        ref.resize(B * C * rh * rw);
        region_gather_naive(map, y0, x0, rh, rw, upsample, groups ? &norm : nullptr, ref.data());
    }
    double run() override {
        std::vector<float> out(ref.size());
        region_gather(map, y0, x0, rh, rw, upsample, groups ? &norm : nullptr, out.data());
        return rel_err(out.data(), ref.data(), static_cast<int64_t>(out.size()));
    }
};

// ---- activations and element functions -----------------------------------------------------------

enum class Act { Silu, Gelu, GeluTanh, QuickGelu };

struct ActivationCase : OpCase {
    Act kind;
    uint32_t seed = g_seed += 7;
    std::vector<float> x, ref;
    explicit ActivationCase(Act k) : kind(k) {}
    static const char * name(Act k) {
        switch (k) {
            case Act::Silu: return "silu";
            case Act::Gelu: return "gelu";
            case Act::GeluTanh: return "gelu_tanh";
            case Act::QuickGelu: return "quick_gelu";
        }
        return "?";
    }
    std::string op() const override { return "activation"; }
    std::string params() const override { return std::string(name(kind)) + " n=100008 in [-12, 12] and specials"; }
    double tolerance() const override { return 1e-6; }
    void apply(bool naive, const float * in, float * out, int64_t n) const {
        switch (kind) {
            case Act::Silu: naive ? silu_naive(in, out, n) : silu(in, out, n); break;
            case Act::Gelu: naive ? gelu_naive(in, out, n, false) : gelu(in, out, n, false); break;
            case Act::GeluTanh: naive ? gelu_naive(in, out, n, true) : gelu(in, out, n, true); break;
            case Act::QuickGelu: naive ? quick_gelu_naive(in, out, n) : quick_gelu(in, out, n); break;
        }
    }
    void reference() override {
        x = random(100'003, seed, -12.0f, 12.0f);
        for (float v : {0.0f, -0.0f, 1e-30f, -90.0f, 90.0f}) x.push_back(v);
        ref.resize(x.size());
        apply(true, x.data(), ref.data(), static_cast<int64_t>(x.size()));
    }
    double run() override {
        std::vector<float> y(x.size());
        apply(false, x.data(), y.data(), static_cast<int64_t>(x.size()));
        for (float v : y)
            if (!std::isfinite(v)) return INFINITY;
        return rel_err(y.data(), ref.data(), static_cast<int64_t>(y.size()));
    }
};

double erf_double(double x);
// erfc in double: the continued fraction for x >= 3 (Lentz), 1 - erf below.
double erfc_double(double x) {
    if (x < 3) return 1 - erf_double(x);
    double f = 0;
    for (int n = 60; n >= 1; --n) f = (n / 2.0) / (x + f);
    return std::exp(-x * x) / std::sqrt(M_PI) / (x + f);
}
// erf in double from its Maclaurin series (|x| < 3), 1 - erfc beyond.
double erf_double(double x) {
    const double a = std::fabs(x);
    if (a < 3) {
        double term = a, sum = a;
        for (int n = 1; n < 200; ++n) {
            term *= -a * a / n;
            const double t = term / (2 * n + 1);
            sum += t;
            if (std::fabs(t) < 1e-17 * std::fabs(sum)) break;
        }
        return std::copysign(2 / std::sqrt(M_PI) * sum, x);
    }
    return std::copysign(1 - erfc_double(a), x);
}

// The activations against their double-precision definitions, element by element where the value
// is not tiny (the naive twin's float 1 + erf(x) itself loses digits for negative x).
struct ActivationDefinitionCase : ActivationCase {
    std::vector<double> exact;
    explicit ActivationDefinitionCase(Act k) : ActivationCase(k) {}
    std::string op() const override { return "activation definition"; }
    std::string params() const override { return std::string(name(kind)) + " per element where |y| >= 1e-3"; }
    double tolerance() const override { return 2e-6; }
    void reference() override {
        ActivationCase::reference();
        exact.resize(x.size());
        for (size_t i = 0; i < x.size(); ++i) {
            const double v = x[i];
            switch (kind) {
                case Act::Silu: exact[i] = v / (1 + std::exp(-v)); break;
                case Act::Gelu: exact[i] = 0.5 * v * (v < 0 ? erfc_double(-v / M_SQRT2) : 1 + erf_double(v / M_SQRT2)); break;
                case Act::GeluTanh: exact[i] = 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v))); break;
                case Act::QuickGelu: exact[i] = v / (1 + std::exp(-1.702 * v)); break;
            }
        }
    }
    double run() override {
        std::vector<float> y(x.size());
        apply(false, x.data(), y.data(), static_cast<int64_t>(x.size()));
        return max_rel_err(y.data(), exact.data(), static_cast<int64_t>(y.size()), 1e-3);
    }
};

struct GegluCase : OpCase {
    int64_t M, D;
    bool in_place;
    uint32_t seed = g_seed += 7;
    std::vector<float> x, ref;
    GegluCase(int64_t M_, int64_t D_, bool in_place_) : M(M_), D(D_), in_place(in_place_) {}
    std::string op() const override { return "geglu"; }
    std::string params() const override { return str(M) + "x" + str(D) + (in_place ? " in place" : ""); }
    double tolerance() const override { return 1e-6; }
    void reference() override {
        x = random(M * 2 * D, seed, -4.0f, 4.0f);
        ref.resize(M * D);
        geglu_naive(x.data(), ref.data(), M, D);
    }
    double run() override {
        std::vector<float> y;
        if (in_place) {
            y = x;
            geglu(y.data(), y.data(), M, D);
            y.resize(M * D);
        } else {
            y.resize(M * D);
            geglu(x.data(), y.data(), M, D);
        }
        return rel_err(y.data(), ref.data(), M * D);
    }
};

// exp / erf / erfc of the activations, and the flash kernel's exp, against double references.
enum class Fn { Exp, Erf, Erfc, FlashExp };

struct MathCase : OpCase {
    Fn fn;
    double lo, hi;
    int64_t n;
    std::vector<float> x;
    std::vector<double> exact;
    MathCase(Fn f, double lo_, double hi_, int64_t n_) : fn(f), lo(lo_), hi(hi_), n(n_) {}
    std::string op() const override { return "math"; }
    std::string params() const override {
        const char * names[] = {"exp", "erf", "erfc", "attention exp"};
        return std::string(names[static_cast<int>(fn)]) + " on [" + sci(lo) + ", " + sci(hi) + "], relative per element";
    }
    double tolerance() const override { return fn == Fn::FlashExp ? 2e-7 : 1e-6; }
    void reference() override {
        for (int64_t i = 0; i < n; ++i) x.push_back(static_cast<float>(lo + (hi - lo) * i / (n - 1)));
        if (fn == Fn::Erf)
            for (float v : {1e-30f, -1e-20f, 1e-7f, 0.999999f, 1.000001f}) x.push_back(v);
        for (float v : x) {
            switch (fn) {
                case Fn::Exp:
                case Fn::FlashExp: exact.push_back(std::exp(static_cast<double>(v))); break;
                case Fn::Erf: exact.push_back(erf_double(v)); break;
                case Fn::Erfc: exact.push_back(v < 0 ? 2 - erfc_double(-v) : erfc_double(v)); break;
            }
        }
    }
    double run() override {
        std::vector<float> y(x.size());
        const int64_t m = static_cast<int64_t>(x.size());
        if (fn == Fn::FlashExp) attention_exp(x.data(), y.data(), m);
        else math_apply(static_cast<MathFn>(static_cast<int>(fn)), x.data(), y.data(), m);
        return max_rel_err(y.data(), exact.data(), m, 1e-30);
    }
};

struct SoftmaxCase : OpCase {
    int64_t M, N;
    float scale;
    uint32_t seed = g_seed += 7;
    std::vector<float> x, ref;
    SoftmaxCase(int64_t M_, int64_t N_, float scale_) : M(M_), N(N_), scale(scale_) {}
    std::string op() const override { return "softmax"; }
    std::string params() const override { return str(M) + "x" + str(N) + " scale " + sci(scale); }
    double tolerance() const override { return 1e-5; }
    void reference() override {
        x = random(M * N, seed, -20.0f, 20.0f);
        ref = x;
        softmax_rows_naive(ref.data(), M, N, scale);
    }
    double run() override {
        std::vector<float> y = x;
        softmax_rows(y.data(), M, N, scale);
        return rel_err(y.data(), ref.data(), M * N);
    }
};

// ---- memory-bound ops: the same bits as the twin --------------------------------------------------

struct BinaryCase : OpCase {
    BinaryOp bop;
    Shape as, bs;
    uint32_t seed = g_seed += 7;
    std::vector<float> a, b, ref;
    BinaryCase(BinaryOp op_, Shape as_, Shape bs_) : bop(op_), as(std::move(as_)), bs(std::move(bs_)) {}
    std::string op() const override { return "elementwise"; }
    std::string params() const override { return std::string(bop == BinaryOp::Add ? "add " : "mul ") + shape_str(as) + " with " + shape_str(bs); }
    double tolerance() const override { return 0.0; }
    void reference() override {
        a = random(shape_numel(as), seed);
        b = random(shape_numel(bs), seed + 1);
        ref.resize(static_cast<size_t>(shape_numel(broadcast_shape(as, bs))));
        binary_broadcast_naive(bop, a.data(), as, b.data(), bs, ref.data());
    }
    double run() override {
        std::vector<float> y(ref.size());
        binary_broadcast(bop, a.data(), as, b.data(), bs, y.data());
        return bits_differ(y.data(), ref.data(), static_cast<int64_t>(y.size()));
    }
};

enum class Simple { Add, Scale, AddPerChannel };

struct SimpleCase : OpCase {
    Simple kind;
    int64_t B, C, S; // n = B * C * S
    uint32_t seed = g_seed += 7;
    std::vector<float> a, b, ref;
    SimpleCase(Simple k, int64_t B_, int64_t C_, int64_t S_) : kind(k), B(B_), C(C_), S(S_) {}
    std::string op() const override { return "elementwise"; }
    std::string params() const override {
        const char * names[] = {"add", "scale", "add_per_channel"};
        return std::string(names[static_cast<int>(kind)]) + " " + str(B) + "x" + str(C) + "x" + str(S);
    }
    double tolerance() const override { return 0.0; }
    void apply(bool naive, std::vector<float> & y) const {
        const int64_t n = B * C * S;
        switch (kind) {
            case Simple::Add: naive ? add_naive(a.data(), b.data(), y.data(), n) : add(a.data(), b.data(), y.data(), n); break;
            case Simple::Scale: naive ? scale_naive(a.data(), 0.18215f, y.data(), n) : scale(a.data(), 0.18215f, y.data(), n); break;
            case Simple::AddPerChannel:
                y = a;
                naive ? add_per_channel_naive(y.data(), b.data(), B, C, S) : add_per_channel(y.data(), b.data(), B, C, S);
                break;
        }
    }
    void reference() override {
        a = random(B * C * S, seed);
        b = random(kind == Simple::AddPerChannel ? B * C : B * C * S, seed + 1);
        ref.resize(a.size());
        apply(true, ref);
    }
    double run() override {
        std::vector<float> y(a.size());
        apply(false, y);
        return bits_differ(y.data(), ref.data(), static_cast<int64_t>(y.size()));
    }
};

struct UpsampleCase : OpCase {
    int64_t B, C, H, W, Ho, Wo;
    uint32_t seed = g_seed += 7;
    std::vector<float> x, ref;
    UpsampleCase(int64_t B_, int64_t C_, int64_t H_, int64_t W_, int64_t Ho_, int64_t Wo_) : B(B_), C(C_), H(H_), W(W_), Ho(Ho_), Wo(Wo_) {}
    std::string op() const override { return "resample"; }
    std::string params() const override { return "nearest " + str(B) + "x" + str(C) + "x" + str(H) + "x" + str(W) + " -> " + str(Ho) + "x" + str(Wo); }
    double tolerance() const override { return 0.0; }
    void reference() override {
        x = random(B * C * H * W, seed);
        ref.resize(B * C * Ho * Wo);
        upsample_nearest_naive(x.data(), ref.data(), B, C, H, W, Ho, Wo);
    }
    double run() override {
        std::vector<float> y(ref.size());
        upsample_nearest(x.data(), y.data(), B, C, H, W, Ho, Wo);
        return bits_differ(y.data(), ref.data(), static_cast<int64_t>(y.size()));
    }
};

struct ConcatCase : OpCase {
    int64_t B, Ca, Cb, S;
    uint32_t seed = g_seed += 7;
    std::vector<float> a, b, ref;
    ConcatCase(int64_t B_, int64_t Ca_, int64_t Cb_, int64_t S_) : B(B_), Ca(Ca_), Cb(Cb_), S(S_) {}
    std::string op() const override { return "resample"; }
    std::string params() const override { return "concat channels B" + str(B) + " " + str(Ca) + "+" + str(Cb) + " S" + str(S); }
    double tolerance() const override { return 0.0; }
    void reference() override {
        a = random(B * Ca * S, seed);
        b = random(B * Cb * S, seed + 1);
        ref.resize(B * (Ca + Cb) * S);
        concat_channels_naive(a.data(), Ca, b.data(), Cb, ref.data(), B, S);
    }
    double run() override {
        std::vector<float> y(ref.size());
        concat_channels(a.data(), Ca, b.data(), Cb, y.data(), B, S);
        return bits_differ(y.data(), ref.data(), static_cast<int64_t>(y.size()));
    }
};

// Every f16 / bf16 bit pattern widened, and f32 values (normals, subnormals, halfway cases, inf,
// NaN) narrowed, by the bulk converters of core/half.h against its scalar specification.
struct HalfCase : OpCase {
    DType dtype;
    bool widen;
    int copies; // the data repeated: large conversions run on every thread
    std::vector<uint16_t> bits;
    std::vector<float> values;
    HalfCase(DType d, bool widen_, int copies_ = 1) : dtype(d), widen(widen_), copies(copies_) {}
    std::string op() const override { return "half"; }
    std::string params() const override {
        return (widen ? "all 65536 " + dtype_label(dtype) + " values -> f32" : "f32 -> " + dtype_label(dtype) + ", 200013 values") +
               (copies > 1 ? ", " + str(copies) + " times over (threaded)" : "");
    }
    double tolerance() const override { return 0.0; }
    void reference() override {
        if (widen) {
            for (int c = 0; c < copies; ++c)
                for (uint32_t v = 0; v < 65536; ++v) bits.push_back(static_cast<uint16_t>(v));
            values = half_values(bits, dtype);
            return;
        }
        std::vector<float> once = random(200'000, 99, -70000.0f, 70000.0f);
        for (float v : {0.0f, -0.0f, 65504.0f, 65520.0f, 1e-8f, -6e-8f, 5.96e-8f, 1e-40f, -1e-45f, INFINITY, -INFINITY, NAN, 1.0009765625f})
            once.push_back(v);
        for (int c = 0; c < copies; ++c) values.insert(values.end(), once.begin(), once.end());
        bits = half_bits(values, dtype);
    }
    double run() override {
        const int64_t n = static_cast<int64_t>(widen ? bits.size() : values.size());
        if (widen) {
            std::vector<float> y(bits.size());
            if (dtype == DType::F16) convert_f16_to_f32(bits.data(), y.data(), n);
            else convert_bf16_to_f32(bits.data(), y.data(), n);
            return bits_differ(y.data(), values.data(), n);
        }
        std::vector<uint16_t> y(values.size());
        if (dtype == DType::F16) convert_f32_to_f16(values.data(), y.data(), n);
        else convert_f32_to_bf16(values.data(), y.data(), n);
        return y == bits ? 0.0 : 1.0;
    }
};

// ---- attention ----------------------------------------------------------------------------------

// Every mode against softmax(q k^T * scale) v in double (the specification; attention_naive itself
// runs on the fast GEMM and softmax).
struct AttentionCase : OpCase {
    AttentionMode mode;
    AttentionShape s;
    AttentionLayout layout;
    AttentionOptions options;
    float k_growth = 0.0f; // > 0: keys grow along the sequence, so the running max moves from tile to tile
    float q_std = 1.0f;    // q, k, v are normal (k and v of std 1), as test/helpers/attention.ts's randomQKV
    uint32_t seed = g_seed += 7;
    std::vector<float> q, k, v;
    std::vector<double> ref;

    AttentionCase(AttentionMode m, int64_t B, int64_t H, int64_t Tq, int64_t Tk, int64_t D, AttentionLayout l)
        : mode(m), s{B, H, Tq, Tk, D, static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)))}, layout(l) {}
    std::string op() const override { return "attention"; }
    std::string params() const override {
        std::string p = std::string(attention_mode_name(mode)) + " B" + str(s.B) + " H" + str(s.H) + " Tq" + str(s.Tq) + " Tk" + str(s.Tk) +
                        " D" + str(s.D) + (layout == AttentionLayout::BTHD ? " bthd" : " bhtd");
        if (k_growth > 0) p += " sharp, moving max";
        if (options.slice_heads || options.slice_bytes) p += " slices " + str(options.slice_heads) + " heads / " + str(options.slice_bytes) + " B";
        if (s.bf16) p += " bf16-compute";
        return p;
    }
    bool needs_bf16() const override { return s.bf16; }
    // bf16 compute rounds q, k, v and the weights to 8 significant bits (flash on AMX; f32 elsewhere).
    double tolerance() const override { return s.bf16 ? 2e-2 : 1e-5; }
    AttentionOperand operand(float * data, int64_t T) const { return attention_operand(data, s, T, layout); }

    void reference() override {
        q = random_normal(s.B * s.H * s.Tq * s.D, seed, q_std);
        k = random_normal(s.B * s.H * s.Tk * s.D, seed + 1);
        v = random_normal(s.B * s.H * s.Tk * s.D, seed + 2);
        const AttentionOperand qo = operand(q.data(), s.Tq), ko = operand(k.data(), s.Tk), vo = operand(v.data(), s.Tk);
        if (k_growth > 0)
            for (int64_t b = 0; b < s.B; ++b)
                for (int64_t h = 0; h < s.H; ++h)
                    for (int64_t j = 0; j < s.Tk; ++j)
                        for (int64_t d = 0; d < s.D; ++d) ko.data[b * ko.stride_b + h * ko.stride_h + j * ko.stride_t + d] *= 1 + j * k_growth;
        ref.assign(q.size(), 0.0);
        std::vector<double> p(static_cast<size_t>(s.Tk));
        for (int64_t b = 0; b < s.B; ++b)
            for (int64_t h = 0; h < s.H; ++h)
                for (int64_t i = 0; i < s.Tq; ++i) {
                    const float * qi = qo.data + b * qo.stride_b + h * qo.stride_h + i * qo.stride_t;
                    double mx = -INFINITY, sum = 0;
                    for (int64_t j = 0; j < s.Tk; ++j) {
                        const float * kj = ko.data + b * ko.stride_b + h * ko.stride_h + j * ko.stride_t;
                        double dot = 0;
                        for (int64_t d = 0; d < s.D; ++d) dot += static_cast<double>(qi[d]) * kj[d];
                        p[j] = dot * s.scale;
                        mx = std::max(mx, p[j]);
                    }
                    for (int64_t j = 0; j < s.Tk; ++j) sum += p[j] = std::exp(p[j] - mx);
                    double * out = ref.data() + b * qo.stride_b + h * qo.stride_h + i * qo.stride_t;
                    for (int64_t j = 0; j < s.Tk; ++j) {
                        const float * vj = vo.data + b * vo.stride_b + h * vo.stride_h + j * vo.stride_t;
                        for (int64_t d = 0; d < s.D; ++d) out[d] += p[j] / sum * vj[d];
                    }
                }
    }
    double run() override {
        std::vector<float> out(q.size());
        attention(mode, s, operand(q.data(), s.Tq), operand(k.data(), s.Tk), operand(v.data(), s.Tk), operand(out.data(), s.Tq), options);
        return rel_err(out.data(), ref.data(), static_cast<int64_t>(out.size()));
    }
};

template <typename T, typename... Args>
T & add(CaseList & cases, Args &&... args) {
    cases.push_back(std::make_unique<T>(std::forward<Args>(args)...));
    return static_cast<T &>(*cases.back());
}

} // namespace

// ---- The table ----------------------------------------------------------------------------------

CaseList op_cases() {
    CaseList cases;
    const DType F32 = DType::F32, F16 = DType::F16, BF16 = DType::BF16;

    // gemm: awkward M, N, K (partial micro-tiles of every kernel set), both B layouts, bias.
    for (int64_t M : {1, 7, 17, 77, 129})
        for (int64_t N : {1, 17, 129})
            for (int64_t K : {1, 7, 129})
                for (bool trans : {false, true}) add<GemmCase>(cases, M, N, K, F32, trans);
    // f16 / bf16 weights, widened (or, in bf16 compute, rounded) while packed.
    for (DType dtype : {F16, BF16})
        for (bool trans : {false, true})
            for (auto [M, N, K] : {std::array<int64_t, 3>{7, 17, 129}, {77, 33, 65}, {1, 1, 1}, {13, 129, 300}})
                add<GemmCase>(cases, M, N, K, dtype, trans);
    // SD shapes: the cross-attention K/V projection; several K blocks, several M blocks, threads.
    add<GemmCase>(cases, 77, 320, 768, F32, true);
    for (auto [M, N, K] : {std::array<int64_t, 3>{5, 33, 1000}, {1000, 40, 9}, {301, 70, 515}})
        for (bool trans : {false, true}) add<GemmCase>(cases, M, N, K, F32, trans).with_bias = false;
    // Every driver path: M <= 144 (B packed block by block, tiles along N), up to 288 (the same where
    // L2 >= 1 MiB), beyond (B pre-packed, shared by the threads), partial tiles, K not a multiple of 8.
    for (auto [M, N, K] : {std::array<int64_t, 3>{77, 333, 301}, {154, 320, 768}, {250, 129, 515}, {301, 70, 1030}, {600, 47, 13}})
        for (DType dtype : {F32, F16, BF16}) add<GemmCase>(cases, M, N, K, dtype, true).w_range = 0.1f;
    {
        auto & c = add<GemmCase>(cases, 256, 1280, 640, F16, true); // an SD UNet shape, checked on sampled rows
        c.w_range = 0.05f;
        c.sample_rows = {0, 1, 5, 6, 77, 100, 128, 143, 144, 150, 200, 240, 250, 253, 254, 255};
    }
    {
        auto & c = add<GemmCase>(cases, 17, 19, 23, F32, true); // leading dimensions, C's padding untouched, accumulate
        c.lda_pad = 6, c.ldb_pad = 8, c.ldc_pad = 14, c.accumulate = true;
    }
    {
        auto & c = add<GemmCase>(cases, 9, 4100, 1100, BF16, true); // a weight over the 16 MiB packing cap: K slices
        c.accumulate = true, c.with_bias = false;
    }
    // bf16 compute: both inputs rounded to bf16, f32 sums (AVX512_BF16 only).
    for (auto [M, N, K] : {std::array<int64_t, 3>{1, 1, 1}, {7, 17, 129}, {77, 33, 65}, {13, 129, 301}, {77, 320, 768}, {301, 70, 1030},
                           {600, 47, 13}})
        for (DType dtype : {F32, F16, BF16})
            for (bool trans : {false, true}) add<GemmCase>(cases, M, N, K, dtype, trans).precision = Precision::BF16;

    // conv2d (direct): odd sizes, strides, paddings, kernel sizes, 1x1 as a plain GEMM.
    struct C { int64_t B, Cin, Cout, H, W, k, stride, pad; };
    const C conv_cases[] = {
        {1, 3, 5, 13, 9, 3, 1, 1},  {2, 7, 17, 13, 9, 3, 2, 1}, {1, 16, 8, 20, 40, 3, 1, 1}, {2, 9, 33, 11, 17, 1, 1, 0},
        {1, 4, 7, 12, 12, 1, 2, 0}, {1, 5, 6, 9, 7, 3, 1, 0},   {1, 2, 3, 1, 1, 3, 1, 1},    {1, 3, 4, 10, 8, 5, 3, 2},
    };
    for (const C & c : conv_cases) add<ConvCase>(cases, c.B, c.Cin, c.Cout, c.H, c.W, c.k, c.stride, c.pad);
    for (DType dtype : {F16, BF16})
        for (int i = 0; i < 4; ++i) {
            const C & c = conv_cases[i];
            auto & cc = add<ConvCase>(cases, c.B, c.Cin, c.Cout, c.H, c.W, c.k, c.stride, c.pad);
            cc.dtype = dtype, cc.with_bias = false, cc.with_residual = false;
        }
    for (int64_t H : {24, 8}) { // SD-sized channels on a small image: both packing strategies
        auto & c = add<ConvCase>(cases, 1, 64, 70, H, H, 3, 1, 1);
        c.dtype = F16, c.w_range = 0.1f, c.with_residual = false;
    }
    add<ConvCase>(cases, 1, 6, 6, 10, 10, 3, 1, 1).residual_in_place = true;
    for (int64_t stride : {1, 2}) { // 320 -> 40 channels on 32x32: pre-packed weight (stride 1), packed per block (2)
        auto & c = add<ConvCase>(cases, 1, 320, 40, 32, 32, 3, stride, 1);
        c.dtype = F16, c.w_range = 0.05f, c.with_bias = false;
    }
    // A fused nearest up-sampling: small and large images, odd sizes, stride 2, 1x1, f16.
    for (auto [B, Cin, Cout, h, w, k, stride, pad, f] : {std::array<int64_t, 9>{2, 5, 7, 5, 3, 3, 1, 1, 2}, {1, 3, 4, 7, 9, 3, 2, 1, 2},
                                                         {1, 4, 6, 4, 5, 1, 1, 0, 3}, {1, 8, 9, 17, 13, 3, 1, 1, 2}})
        add<ConvCase>(cases, B, Cin, Cout, h, w, k, stride, pad, f).dtype = F16;
    // Several images on a small map: the weight packed once for the batch, the product scattered with the residual
    // (P = 64 and 256 are multiples of every path's NR; 3x3, 1x1 and stride 2, f16 weights, residual in place).
    for (auto [B, Cin, Cout, H, k, stride] : {std::array<int64_t, 6>{2, 40, 50, 8, 3, 1}, {3, 16, 24, 16, 3, 1}, {2, 24, 20, 8, 1, 1}, {2, 12, 18, 16, 3, 2}}) {
        auto & c = add<ConvCase>(cases, B, Cin, Cout, H, H, k, stride, k / 2);
        c.dtype = F16;
        auto & d = add<ConvCase>(cases, B, Cin, Cout, H, H, k, stride, k / 2);
        d.residual_in_place = true;
        add<ConvCase>(cases, B, Cin, Cout, H, H, k, stride, k / 2).s.precision = Precision::BF16;
    }
    // bf16 compute (direct convolutions: weights and gathered inputs rounded to bf16).
    for (const C & c : conv_cases) add<ConvCase>(cases, c.B, c.Cin, c.Cout, c.H, c.W, c.k, c.stride, c.pad).s.precision = Precision::BF16;
    {
        auto & c = add<ConvCase>(cases, 2, 64, 70, 24, 24, 3, 1, 1);
        c.dtype = F16, c.w_range = 0.1f, c.s.precision = Precision::BF16;
    }

    // conv2d Winograd F(4x4, 3x3), forced wherever it applies.
    struct Wc { int64_t B, Cin, Cout, H, W, pad, f; };
    const Wc wino_cases[] = {
        {1, 3, 5, 13, 9, 1, 1},  {2, 7, 17, 5, 6, 1, 1},  {1, 2, 3, 1, 1, 1, 1},   {1, 4, 3, 1, 11, 1, 1},  {2, 4, 5, 11, 1, 1, 1},
        {1, 33, 19, 10, 10, 0, 1}, {2, 9, 8, 7, 5, 2, 1}, {1, 5, 6, 9, 70, 1, 1},  {2, 6, 7, 6, 136, 1, 1}, {1, 5, 4, 10, 64, 1, 1},
        {2, 3, 4, 7, 62, 1, 1},  {1, 300, 20, 9, 9, 1, 1}, {2, 5, 7, 5, 3, 1, 2},  {1, 6, 5, 9, 35, 1, 2},  {1, 3, 4, 4, 5, 1, 3},
        {2, 4, 3, 3, 32, 1, 2},  {1, 40, 70, 12, 130, 1, 1},
    };
    for (const Wc & c : wino_cases) add<ConvCase>(cases, c.B, c.Cin, c.Cout, c.H, c.W, 3, 1, c.pad, c.f).algo = ConvAlgoMode::Winograd;
    for (DType dtype : {F16, BF16})
        for (int i : {0, 1, 8, 9, 13}) {
            const Wc & c = wino_cases[i];
            auto & cc = add<ConvCase>(cases, c.B, c.Cin, c.Cout, c.H, c.W, 3, 1, c.pad, c.f);
            cc.algo = ConvAlgoMode::Winograd, cc.dtype = dtype, cc.with_bias = false, cc.with_residual = false;
        }
    {
        auto & c = add<ConvCase>(cases, 2, 6, 7, 6, 136, 3, 1, 1);
        c.algo = ConvAlgoMode::Winograd, c.residual_in_place = true;
        auto & sd = add<ConvCase>(cases, 1, 256, 256, 16, 16, 3, 1, 1); // SD-sized layer with f16 weights of SD scale
        sd.algo = ConvAlgoMode::Winograd, sd.dtype = F16, sd.w_range = 0.03f, sd.with_residual = false;
    }

    // group norm (+ SiLU), layer norm
    for (auto [B, C_, S] : {std::array<int64_t, 3>{2, 64, 13 * 9}, {1, 32, 1}, {1, 320, 64}, {1, 96, 1031}})
        for (bool silu : {false, true}) add<GroupNormCase>(cases, B, C_, S, 32, silu);
    {
        auto & c = add<GroupNormCase>(cases, 1, 12, 77, 4, false);
        c.eps = 1e-6f, c.in_place = true;
    }
    for (auto [M, D] : {std::array<int64_t, 2>{1, 1}, {7, 17}, {77, 768}, {3, 1000}, {129, 320}}) add<LayerNormCase>(cases, M, D);
    // the tiled decode's region gather: a halo outside the image, up-sampling, regions entirely outside
    for (auto [y0, x0, rh, rw, up] : {std::array<int64_t, 5>{-1, -1, 7, 9, 1}, {2, 3, 3, 5, 1}, {-1, 5, 4, 11, 2}, {8, -3, 5, 6, 2}, {9, 0, 2, 3, 1}}) {
        add<RegionGatherCase>(cases, y0, x0, rh, rw, up, 0, false);
        add<RegionGatherCase>(cases, y0, x0, rh, rw, up, 3, true);
        add<RegionGatherCase>(cases, y0, x0, rh, rw, up, 2, false);
    }

    // activations, geglu, the element functions
    for (Act kind : {Act::Silu, Act::Gelu, Act::GeluTanh, Act::QuickGelu}) {
        add<ActivationCase>(cases, kind);
        add<ActivationDefinitionCase>(cases, kind);
    }
    for (auto [M, D] : {std::array<int64_t, 2>{1, 1}, {7, 13}, {77, 1280}}) add<GegluCase>(cases, M, D, false);
    add<GegluCase>(cases, 300, 77, true);
    add<MathCase>(cases, Fn::Exp, -87.0, 88.0, 200'003);
    add<MathCase>(cases, Fn::Erf, -6.0, 6.0, 120'001);
    add<MathCase>(cases, Fn::Erfc, -6.0, 9.0, 150'001);
    add<MathCase>(cases, Fn::FlashExp, -87.0, 88.0, 200'003);
    for (auto [M, N] : {std::array<int64_t, 2>{1, 1}, {3, 7}, {17, 77}, {5, 4099}, {64, 129}})
        for (float scale : {1.0f, 0.125f}) add<SoftmaxCase>(cases, M, N, scale);

    // memory-bound ops: broadcasting, fused adds, up-sampling, concatenation, f16 / bf16 conversions
    const std::pair<Shape, Shape> broadcasts[] = {
        {{2, 320, 8, 8}, {2, 320, 1, 1}}, {{2, 77, 768}, {768}}, {{1, 3, 1, 5}, {4, 1, 6, 1}}, {{7}, {1}}, {{1}, {7}},
        {{3, 1}, {1, 1}}, {{5, 4, 3}, {5, 4, 3}}, {{2, 1, 3}, {1, 4, 1}}, {{}, {3}}, {{4, 100000}, {1, 100000}},
    };
    for (const auto & [as, bs] : broadcasts)
        for (BinaryOp bop : {BinaryOp::Add, BinaryOp::Mul}) add<BinaryCase>(cases, bop, as, bs);
    for (int64_t n : {1, 7, 100'003}) {
        add<SimpleCase>(cases, Simple::Add, 1, 1, n);
        add<SimpleCase>(cases, Simple::Scale, 1, 1, n);
    }
    for (auto [B, C_, S] : {std::array<int64_t, 3>{1, 1, 1}, {2, 3, 5}, {2, 320, 4096}}) add<SimpleCase>(cases, Simple::AddPerChannel, B, C_, S);
    add<UpsampleCase>(cases, 2, 3, 13, 9, 26, 18);
    for (auto [Ho, Wo] : {std::array<int64_t, 2>{7, 11}, {10, 23}, {3, 4}, {1, 1}, {21, 33}, {64, 64}}) add<UpsampleCase>(cases, 1, 5, 7, 11, Ho, Wo);
    for (auto [B, Ca, Cb, S] : {std::array<int64_t, 4>{2, 3, 5, 7}, {1, 0, 4, 9}, {2, 4, 0, 9}, {2, 320, 640, 257}}) add<ConcatCase>(cases, B, Ca, Cb, S);
    for (DType dtype : {F16, BF16})
        for (bool widen : {true, false}) {
            add<HalfCase>(cases, dtype, widen);
            add<HalfCase>(cases, dtype, widen, widen ? 20 : 7);
        }

    // attention: one conformance set over every mode and both layouts (2000 x 300 at D 40: flash tiles
    // of several query blocks and several key chunks, the last ones partial, on strided rows in BTHD)
    struct A { int64_t B, H, Tq, Tk, D; };
    const A attention_cases[] = {
        {1, 1, 1, 1, 8},   {2, 3, 7, 7, 40},   {1, 2, 77, 77, 8},   {2, 2, 77, 77, 64}, {1, 3, 77, 77, 80}, {1, 2, 77, 77, 160},
        {1, 2, 33, 19, 3}, {2, 2, 7, 77, 40},  {1, 2, 300, 77, 80}, {1, 1, 1, 1000, 40}, {1, 1, 65, 129, 8}, {1, 2, 2000, 300, 40},
    };
    for (AttentionMode mode : {AttentionMode::Naive, AttentionMode::Sliced, AttentionMode::Flash}) {
        for (AttentionLayout layout : {AttentionLayout::BHTD, AttentionLayout::BTHD})
            for (const A & a : attention_cases) add<AttentionCase>(cases, mode, a.B, a.H, a.Tq, a.Tk, a.D, layout);
        auto & sharp = add<AttentionCase>(cases, mode, 1, 2, 50, 700, 40, AttentionLayout::BHTD);
        sharp.k_growth = 1.0f / 40, sharp.q_std = 3.0f;
        for (const A & a : {A{1, 1, 4097, 4097, 8}, A{1, 2, 4097, 77, 40}, A{1, 1, 1, 4097, 80}}) {
            auto & c = add<AttentionCase>(cases, mode, a.B, a.H, a.Tq, a.Tk, a.D, AttentionLayout::BTHD);
            c.options.slice_bytes = 1 << 20;
        }
    }
    // bf16 compute (flash on AMX tiles where the CPU has them and Tk >= 256, else f32): SD's head sizes,
    // awkward lengths and head sizes, a task of several query blocks, the 77-token cross-attention, a
    // moving max.
    for (const A & a : {A{1, 1, 1, 1, 8}, A{2, 3, 7, 300, 40}, A{2, 2, 77, 256, 64}, A{1, 3, 100, 260, 80}, A{1, 2, 77, 512, 160},
                        A{1, 2, 33, 257, 3}, A{1, 2, 300, 77, 80}, A{1, 1, 600, 1000, 40}, A{1, 2, 65, 300, 256}, A{2, 8, 1030, 77, 40},
                        A{1, 1, 1100, 300, 40}}) {
        auto & c = add<AttentionCase>(cases, AttentionMode::Flash, a.B, a.H, a.Tq, a.Tk, a.D, AttentionLayout::BTHD);
        c.s.bf16 = true;
    }
    {
        // The running max moves from block to block (keys grow to 3.3x along the sequence). Logits up to
        // ~20 here: the f32 cases' ~100 would measure bf16's own rounding (about |logit| / 256 on each
        // weight's exponent), which any bf16 attention has, not the kernel.
        auto & sharp = add<AttentionCase>(cases, AttentionMode::Flash, 1, 2, 50, 700, 40, AttentionLayout::BHTD);
        sharp.k_growth = 1.0f / 300, sharp.q_std = 1.5f, sharp.s.bf16 = true;
    }
    for (auto [heads, bytes] : {std::array<int64_t, 2>{1, 0}, {2, 0}, {3, 0}, {3, 2 * 57 * 23 * 4}, {1, 10 * 23 * 4}, {1, 1}}) {
        auto & c = add<AttentionCase>(cases, AttentionMode::Sliced, 2, 3, 57, 23, 8, AttentionLayout::BTHD);
        c.options.slice_heads = heads, c.options.slice_bytes = bytes;
    }

    // q8_0 weights (core/q8_0.h), widened (or, in bf16 compute, rounded) where packed: the shapes of the f16 /
    // bf16 weight cases above. Blocks of 32 run across rows here (K, N not multiples of 32), so every loader
    // meets a block boundary inside its vector. (Last in the table: each case's seed follows the one before,
    // and appending keeps every earlier case's data as it was.)
    const DType Q8_0 = DType::Q8_0;
    for (bool trans : {false, true})
        for (auto [M, N, K] : {std::array<int64_t, 3>{7, 17, 129}, {77, 33, 65}, {1, 1, 1}, {13, 129, 300}}) add<GemmCase>(cases, M, N, K, Q8_0, trans);
    for (auto [M, N, K] : {std::array<int64_t, 3>{77, 333, 301}, {154, 320, 768}, {250, 129, 515}, {301, 70, 1030}, {600, 47, 13}})
        add<GemmCase>(cases, M, N, K, Q8_0, true).w_range = 0.1f;
    for (auto [M, N, K] : {std::array<int64_t, 3>{1, 1, 1}, {7, 17, 129}, {77, 33, 65}, {13, 129, 301}, {77, 320, 768}, {301, 70, 1030}, {600, 47, 13}})
        for (bool trans : {false, true}) add<GemmCase>(cases, M, N, K, Q8_0, trans).precision = Precision::BF16;
    for (int i = 0; i < 4; ++i) {
        const C & c = conv_cases[i];
        auto & cc = add<ConvCase>(cases, c.B, c.Cin, c.Cout, c.H, c.W, c.k, c.stride, c.pad);
        cc.dtype = Q8_0, cc.with_bias = false, cc.with_residual = false;
        auto & cb = add<ConvCase>(cases, c.B, c.Cin, c.Cout, c.H, c.W, c.k, c.stride, c.pad);
        cb.dtype = Q8_0, cb.s.precision = Precision::BF16;
    }
    for (int i : {0, 1, 8, 9, 13}) {
        const Wc & c = wino_cases[i];
        auto & cc = add<ConvCase>(cases, c.B, c.Cin, c.Cout, c.H, c.W, 3, 1, c.pad, c.f);
        cc.algo = ConvAlgoMode::Winograd, cc.dtype = Q8_0, cc.with_bias = false, cc.with_residual = false;
    }
    {
        auto & sd = add<ConvCase>(cases, 1, 256, 256, 16, 16, 3, 1, 1); // SD-sized layer, weights of SD scale
        sd.algo = ConvAlgoMode::Winograd, sd.dtype = Q8_0, sd.w_range = 0.03f, sd.with_residual = false;
        auto & direct = add<ConvCase>(cases, 2, 64, 70, 24, 24, 3, 1, 1);
        direct.dtype = Q8_0, direct.w_range = 0.1f, direct.with_residual = false;
    }
    return cases;
}

} // namespace sdn::optest
