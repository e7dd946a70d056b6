// The op checks: properties a twin comparison cannot state (the same bits on 1 and 2 threads, a
// workspace estimate equal to what the arena measured, edge shapes, the status a bad argument
// gets, blocking under small caps). Each runs on every path (op_test.h).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "core/arena.h"
#include "core/error.h"
#include "core/half.h"
#include "core/q8_0.h"
#include "core/threads.h"
#include "io/weights.h"
#include "op_test.h"
#include "ops/attention.h"
#include "ops/attention_flash.h"
#include "ops/conv2d.h"
#include "ops/conv2d_winograd.h"
#include "ops/elementwise.h"
#include "ops/gemm.h"
#include "ops/norm.h"
#include "ops/norm_stats.h"
#include "ops/softmax.h"
#include "ops/testing.h"

namespace sdn::optest {

namespace {

struct ThreadsScope {
    explicit ThreadsScope(int n) : previous(threads_count()) { threads_set(n); }
    ~ThreadsScope() { threads_set(previous); }
    int previous;
};

struct PackedCapScope {
    explicit PackedCapScope(int64_t bytes) : previous(testing::packed_cap_set(bytes)) {}
    ~PackedCapScope() { testing::packed_cap_set(previous); }
    int64_t previous;
};

// How far the arena's peak rises over what is held now while fn runs; the arena must be back where
// it was afterwards.
int64_t arena_rise(const std::function<void()> & fn, Failures & f, const std::string & what) {
    arena_peak_reset();
    const uint64_t before = arena_current_bytes();
    fn();
    f.expect(arena_current_bytes() == before, what + ": the arena holds " + std::to_string(arena_current_bytes() - before) + " bytes more after the call");
    return static_cast<int64_t>(arena_peak_bytes() - before);
}

std::string shape3(int64_t M, int64_t N, int64_t K) { return std::to_string(M) + "x" + std::to_string(N) + "x" + std::to_string(K); }

Conv2dShape conv_shape(int64_t B, int64_t Cin, int64_t H, int64_t W, int64_t Cout, int64_t k, int64_t stride, int64_t pad, int64_t up = 1) {
    return Conv2dShape{B, Cin, H, W, Cout, k, k, stride, pad, up};
}

// ---- gemm ---------------------------------------------------------------------------------------

void gemm_threads_same_bits(Failures & f) {
    // Every driver path (see op_cases.cc), f32 / f16 / bf16 weights: 1 and 2 threads split the work
    // differently, yet each element's sum runs in the same order.
    uint32_t seed = 520;
    for (auto [M, N, K] : {std::array<int64_t, 3>{77, 333, 301}, {154, 320, 768}, {250, 129, 515}, {301, 70, 1030}, {600, 47, 13}})
        for (DType dtype : {DType::F32, DType::F16, DType::BF16, DType::Q8_0}) {
            const auto a = random(M * K, seed++), w = random(N * K, seed++, -0.1f, 0.1f), bias = random(N, seed++);
            const auto bits = half_bits(w, dtype);
            const MatB B{dtype == DType::F32 ? static_cast<const void *>(w.data()) : bits.data(), dtype, true, K};
            std::vector<float> one(M * N), two(M * N);
            {
                ThreadsScope t(1);
                gemm(M, N, K, a.data(), K, B, one.data(), N, bias.data(), false);
            }
            {
                ThreadsScope t(2);
                gemm(M, N, K, a.data(), K, B, two.data(), N, bias.data(), false);
            }
            f.expect(bits_differ(one.data(), two.data(), M * N) == 0, dtype_label(dtype) + " " + shape3(M, N, K) + ": 1 and 2 threads differ");
        }
}

void gemm_k0_and_empty(Failures & f) {
    const auto bias = random(5, 400), c0 = random(15, 401);
    std::vector<float> c = c0;
    gemm(3, 5, 0, nullptr, 0, MatB{nullptr, DType::F32, false, 5}, c.data(), 5, bias.data(), true);
    for (int i = 0; i < 15; ++i) f.expect(c[i] == c0[i] + bias[i % 5], "K = 0: C + bias at " + std::to_string(i));
    std::vector<float> untouched = c0;
    const auto b = random(12, 1);
    gemm(0, 4, 3, nullptr, 3, MatB{b.data(), DType::F32, false, 4}, untouched.data(), 4, nullptr, false);
    gemm(3, 0, 4, b.data(), 4, MatB{b.data(), DType::F32, false, 0}, untouched.data(), 0, nullptr, false);
    f.expect(untouched == c0, "M = 0 or N = 0 wrote to C");
    f.expect_status(SDN_STATUS_BAD_ARGUMENT, [&] { gemm(-1, 2, 2, b.data(), 2, MatB{b.data(), DType::F32, false, 2}, untouched.data(), 2, nullptr, false); },
                    "gemm with M = -1");
}

void gemm_k_slices(Failures & f) {
    // A 16 KiB cap on the pre-packed weight: K walked in slices, bias and accumulate applied once.
    PackedCapScope cap(16384);
    const int64_t M = 300, N = 40, K = 700;
    const auto a = random(M * K, 610), b = random(N * K, 611), bias = random(N, 612), c0 = random(M * N, 613);
    const MatB B{b.data(), DType::F32, true, K};
    std::vector<float> got = c0, want = c0;
    gemm(M, N, K, a.data(), K, B, got.data(), N, bias.data(), true);
    gemm_naive(M, N, K, a.data(), K, B, want.data(), N, bias.data(), true);
    const double err = rel_err(got.data(), want.data(), M * N);
    f.expect(err < 1e-5, "K slices: error " + sci(err));
}

void gemm_workspace(Failures & f) {
    for (auto [M, N, K] : {std::array<int64_t, 3>{77, 320, 768}, {600, 320, 320}, {1000, 1280, 640}, {4096, 40, 77}})
        for (Precision p : {Precision::F32, Precision::BF16}) {
            if (p == Precision::BF16 && !cpu_bf16()) continue;
            const auto a = random(M * K, 1), b = random(N * K, 2);
            std::vector<float> c(M * N);
            const std::string what = "gemm " + shape3(M, N, K) + " " + precision_name(p);
            const int64_t rise = arena_rise([&] { gemm(M, N, K, a.data(), K, MatB{b.data(), DType::F32, true, K}, c.data(), N, nullptr, false, p); }, f, what);
            f.expect(rise == gemm_workspace_bytes(M, N, K, p),
                     what + ": arena rose " + std::to_string(rise) + " bytes, gemm_workspace_bytes says " + std::to_string(gemm_workspace_bytes(M, N, K, p)));
        }
}

void gemm_bf16_refused(Failures & f) {
    const auto a = random(4, 1);
    std::vector<float> c(4);
    if (cpu_bf16()) {
        gemm(2, 2, 2, a.data(), 2, MatB{a.data(), DType::F32, false, 2}, c.data(), 2, nullptr, false, Precision::BF16);
        return;
    }
    f.expect_status(SDN_STATUS_BAD_ARGUMENT,
                    [&] { gemm(2, 2, 2, a.data(), 2, MatB{a.data(), DType::F32, false, 2}, c.data(), 2, nullptr, false, Precision::BF16); },
                    std::string("bf16 compute on the ") + isa_name(cpu_isa()) + " path");
}

// The precisions the current path computes in.
std::vector<Precision> path_precisions() {
    if (cpu_bf16()) return {Precision::F32, Precision::BF16};
    return {Precision::F32};
}

void gemm_packed_same_bits(Failures & f) {
    // A weight packed once (gemm_pack_b) gives the per-call path's bits on every driver path (B packed
    // block by block for M <= mc_block or N <= NB, pre-packed per call beyond), for f32, f16 and bf16 weights
    // (16-bit ones stored narrow for the f32 kernels, widened panel by panel), and the call takes nothing
    // from the arena.
    uint32_t seed = 700;
    for (auto [M, N, K] : {std::array<int64_t, 3>{77, 333, 301}, {154, 320, 768}, {301, 70, 1030}, {600, 47, 13}, {1, 1, 1}, {700, 640, 320}})
        for (DType dtype : {DType::F32, DType::F16, DType::BF16, DType::Q8_0})
            for (Precision p : path_precisions()) {
                const auto a = random(M * K, seed++), w = random(N * K, seed++, -0.1f, 0.1f), bias = random(N, seed++);
                const auto bits = half_bits(w, dtype);
                const MatB B{dtype == DType::F32 ? static_cast<const void *>(w.data()) : bits.data(), dtype, true, K};
                const std::string what = "gemm " + shape3(M, N, K) + " w=" + dtype_label(dtype) + " " + precision_name(p);
                std::vector<char> packed(static_cast<size_t>(gemm_packed_b_bytes(N, K, p, dtype)) + 64);
                void * dst = aligned64(packed);
                gemm_pack_b(B, N, K, p, dst);
                std::vector<float> per_call(M * N), once(M * N);
                gemm(M, N, K, a.data(), K, B, per_call.data(), N, bias.data(), false, p);
                const int64_t rise = arena_rise([&] { gemm_packed(M, N, K, a.data(), K, dst, dtype, once.data(), N, bias.data(), false, p); }, f, what);
                f.expect(rise == 0, what + ": packed once, the call took " + std::to_string(rise) + " arena bytes");
                f.expect(bits_differ(per_call.data(), once.data(), M * N) == 0, what + ": packed once differs from packed per call");
                // 16-bit weights stay 2 bytes an element (bf16 pairs, or the f32 kernels' panels stored narrow).
                // At most 32-column panels, K rounded to pairs (to AMX's 32-step tiles on that path).
                const int64_t k_unit = std::max<int64_t>(2, gemm_detail::kernels(p).k_unit);
                const int64_t padded = (N + 31) / 32 * 32 * ((K + k_unit - 1) / k_unit * k_unit);
                if (dtype == DType::F16 || dtype == DType::BF16)
                    f.expect(gemm_packed_b_bytes(N, K, p, dtype) <= 2 * padded, what + ": packed wider than 2 bytes an element");
            }
}

void gemm_packed_denormal_weights(Failures & f) {
    // bf16 weights below FLT_MIN (denormal bits) stored narrow for the f32 kernels keep their values.
    const int64_t M = 30, N = 40, K = 50;
    const auto a = random(M * K, 900);
    std::vector<uint16_t> bits(N * K);
    for (int64_t i = 0; i < N * K; ++i) bits[i] = static_cast<uint16_t>((i % 3 == 0 ? 0x0001 + i % 127 : 0x3C00 + i % 255) | (i % 2 ? 0x8000 : 0));
    const MatB B{bits.data(), DType::BF16, true, K};
    std::vector<char> packed(static_cast<size_t>(gemm_packed_b_bytes(N, K, Precision::F32, DType::BF16)) + 64);
    void * dst = aligned64(packed);
    gemm_pack_b(B, N, K, Precision::F32, dst);
    std::vector<float> per_call(M * N), once(M * N);
    gemm(M, N, K, a.data(), K, B, per_call.data(), N, nullptr, false);
    gemm_packed(M, N, K, a.data(), K, dst, DType::BF16, once.data(), N, nullptr, false, Precision::F32);
    f.expect(bits_differ(per_call.data(), once.data(), M * N) == 0, "denormal bf16 weights packed once differ from packed per call");
}

// ---- conv2d -------------------------------------------------------------------------------------

void conv_packed_same_bits(Failures & f) {
    // A weight packed once (conv2d_pack_weight) gives the per-call path's bits where conv2d takes it: small
    // images per image and with the batch sharing the weight, large images (pre-packed per call), 1x1,
    // stride 2, up-sampling, a residual in place; and the packing buffer leaves the workspace.
    testing::ConvAlgoScope direct(ConvAlgoMode::Direct);
    uint32_t seed = 800;
    for (const Conv2dShape & s : {conv_shape(1, 40, 8, 8, 50, 3, 1, 1), conv_shape(2, 40, 8, 8, 50, 3, 1, 1), conv_shape(2, 24, 16, 16, 20, 1, 1, 0),
                                  conv_shape(1, 33, 32, 24, 17, 3, 1, 1), conv_shape(2, 12, 32, 32, 18, 3, 2, 1), conv_shape(1, 6, 20, 20, 7, 3, 1, 1, 2),
                                  conv_shape(2, 70, 24, 24, 20, 3, 1, 1)})
        for (DType dtype : {DType::F32, DType::F16})
            for (Precision p : path_precisions()) {
                Conv2dShape sp = s;
                sp.precision = p;
                const int64_t xs = s.B * s.Cin * (s.H / s.upsample) * (s.W / s.upsample), ys = s.B * s.Cout * s.out_h() * s.out_w();
                const auto x = random(xs, seed++), w = random(s.Cout * s.Cin * s.KH * s.KW, seed++, -0.1f, 0.1f);
                const auto bias = random(s.Cout, seed++), residual = random(ys, seed++);
                const auto bits = half_bits(w, dtype);
                const Tensor wt = view_of(dtype == DType::F32 ? static_cast<const void *>(w.data()) : bits.data(), {s.Cout, s.Cin, s.KH, s.KW}, dtype);
                const std::string what = "conv2d B" + std::to_string(s.B) + " " + std::to_string(s.Cin) + "->" + std::to_string(s.Cout) + " " +
                                         std::to_string(s.H) + "x" + std::to_string(s.W) + " k" + std::to_string(s.KH) + " s" + std::to_string(s.stride) +
                                         " w=" + dtype_label(dtype) + " " + precision_name(p);
                f.expect(conv2d_takes_packed_weight(sp), what + ": the direct path does not take a packed weight");
                std::vector<char> packed(static_cast<size_t>(conv2d_packed_weight_bytes(sp, dtype)) + 64);
                void * dst = aligned64(packed);
                conv2d_pack_weight(sp, wt, dst);
                std::vector<float> per_call = residual, once = residual; // the residual in place
                conv2d(sp, x.data(), wt, bias.data(), per_call.data(), per_call.data());
                const int64_t rise = arena_rise([&] { conv2d(sp, x.data(), wt, bias.data(), once.data(), once.data(), dst); }, f, what);
                f.expect(rise == conv2d_workspace_bytes(sp, true), what + ": packed once, the call took " + std::to_string(rise) +
                                                                       " arena bytes, conv2d_workspace_bytes says " + std::to_string(conv2d_workspace_bytes(sp, true)));
                f.expect(bits_differ(per_call.data(), once.data(), ys) == 0, what + ": packed once differs from packed per call");
            }
    testing::ConvAlgoScope wino(ConvAlgoMode::Winograd);
    f.expect(!conv2d_takes_packed_weight(conv_shape(1, 40, 16, 16, 40, 3, 1, 1)), "Winograd takes a packed weight");
}

void conv_k_slices(Failures & f) {
    PackedCapScope cap(16384);
    testing::ConvAlgoScope direct(ConvAlgoMode::Direct);
    const Conv2dShape s = conv_shape(2, 70, 24, 24, 20, 3, 1, 1);
    const auto x = random(2 * 70 * 576, 40), w = random(20 * 630, 41, -0.1f, 0.1f), bias = random(20, 42), residual = random(2 * 20 * 576, 43);
    const Tensor wt = view_of(w.data(), {20, 70, 3, 3}, DType::F32);
    std::vector<float> got(2 * 20 * 576), want(got.size());
    conv2d(s, x.data(), wt, bias.data(), residual.data(), got.data());
    conv2d_naive(s, x.data(), wt, bias.data(), residual.data(), want.data());
    const double err = rel_err(got.data(), want.data(), static_cast<int64_t>(got.size()));
    f.expect(err < 1e-5, "K slices: error " + sci(err));
}

void conv_bad_weight(Failures & f) {
    const auto x = random(18, 1), w = random(81, 2);
    std::vector<float> y(27);
    f.expect_status(SDN_STATUS_BAD_SHAPE,
                    [&] { conv2d(conv_shape(1, 2, 3, 3, 3, 3, 1, 1), x.data(), view_of(w.data(), {3, 3, 3, 3}, DType::F32), nullptr, nullptr, y.data()); },
                    "a weight whose input channels do not match x");
}

void conv_upsample_naive_is_upsampling(Failures & f) {
    // The naive twin through a 2x nearest up-sampling gives the same bits as on the up-sampled input.
    const int64_t B = 2, C = 5, h = 5, w_ = 3, Cout = 7;
    const auto x = random(B * C * h * w_, 31), w = random(Cout * C * 9, 32), bias = random(Cout, 33);
    std::vector<float> up(B * C * 4 * h * w_);
    for (int64_t bc = 0; bc < B * C; ++bc)
        for (int64_t oy = 0; oy < 2 * h; ++oy)
            for (int64_t ox = 0; ox < 2 * w_; ++ox) up[(bc * 2 * h + oy) * 2 * w_ + ox] = x[(bc * h + oy / 2) * w_ + ox / 2];
    const Tensor wt = view_of(w.data(), {Cout, C, 3, 3}, DType::F32);
    std::vector<float> fused(B * Cout * 4 * h * w_), plain(fused.size());
    conv2d_naive(conv_shape(B, C, 2 * h, 2 * w_, Cout, 3, 1, 1, 2), x.data(), wt, bias.data(), nullptr, fused.data());
    conv2d_naive(conv_shape(B, C, 2 * h, 2 * w_, Cout, 3, 1, 1), up.data(), wt, bias.data(), nullptr, plain.data());
    f.expect(bits_differ(fused.data(), plain.data(), static_cast<int64_t>(fused.size())) == 0, "fused up-sampling differs from up-sampling first");
}

void conv_workspace(Failures & f) {
    // The direct path with a pre-packed weight, and Winograd: the estimate is what one call holds.
    struct W { Conv2dShape s; ConvAlgoMode mode; };
    for (const W & c : {W{conv_shape(2, 40, 30, 26, 36, 3, 1, 1), ConvAlgoMode::Auto}, W{conv_shape(1, 64, 32, 32, 70, 3, 1, 1), ConvAlgoMode::Direct},
                        W{conv_shape(1, 64, 32, 32, 70, 3, 2, 1), ConvAlgoMode::Auto}, W{conv_shape(2, 64, 16, 16, 64, 3, 1, 1), ConvAlgoMode::Winograd}}) {
        testing::ConvAlgoScope scope(c.mode);
        const Conv2dShape & s = c.s;
        const auto x = random(s.B * s.Cin * s.H * s.W, 90), w = random(s.Cout * s.Cin * 9, 91);
        std::vector<float> y(s.B * s.Cout * s.out_h() * s.out_w());
        const std::string what = "conv2d " + std::to_string(s.Cin) + "->" + std::to_string(s.Cout) + " " + std::to_string(s.H) + "x" +
                                 std::to_string(s.W) + " s" + std::to_string(s.stride) + (conv2d_algo(s) == ConvAlgo::Winograd ? " winograd" : " direct");
        const int64_t rise = arena_rise([&] { conv2d(s, x.data(), view_of(w.data(), {s.Cout, s.Cin, 3, 3}, DType::F32), nullptr, nullptr, y.data()); }, f, what);
        f.expect(rise == conv2d_workspace_bytes(s),
                 what + ": arena rose " + std::to_string(rise) + ", conv2d_workspace_bytes says " + std::to_string(conv2d_workspace_bytes(s)));
    }
}

// ---- Winograd -----------------------------------------------------------------------------------

void winograd_caps(Failures & f) {
    // caps [4, 4, 4] bytes: blocks of MR output channels x chunks of NR tiles (V recomputed per block);
    // [4, 4 MiB, 4 MiB]: all tiles in one chunk whose V serves every block.
    testing::ConvAlgoScope wino(ConvAlgoMode::Winograd);
    for (const testing::WinogradCaps caps : {testing::WinogradCaps{4, 4, 4}, testing::WinogradCaps{4, 4 << 20, 4 << 20}}) {
        const testing::WinogradCaps previous = testing::winograd_caps_set(caps);
        for (const Conv2dShape & s : {conv_shape(2, 20, 13, 37, 26, 3, 1, 1), conv_shape(1, 11, 18, 140, 7, 3, 1, 1, 2)}) {
            const int64_t xs = s.B * s.Cin * (s.H / s.upsample) * (s.W / s.upsample), ys = s.B * s.Cout * s.out_h() * s.out_w();
            const auto x = random(xs, 60), w = random(s.Cout * s.Cin * 9, 61), bias = random(s.Cout, 62), y0 = random(ys, 63);
            const Tensor wt = view_of(w.data(), {s.Cout, s.Cin, 3, 3}, DType::F32);
            std::vector<float> y = y0, want(ys);
            conv2d(s, x.data(), wt, bias.data(), y.data(), y.data()); // residual in place
            conv2d_naive(s, x.data(), wt, bias.data(), y0.data(), want.data());
            const double err = rel_err(y.data(), want.data(), ys);
            f.expect(err < 2e-5, "caps " + std::to_string(caps.v_bytes) + " B, " + std::to_string(s.Cin) + "->" + std::to_string(s.Cout) + ": error " + sci(err));
        }
        testing::winograd_caps_set(previous);
    }
}

void winograd_decision(Failures & f) {
    const auto algo = [](Conv2dShape s) { return conv2d_algo(s) == ConvAlgo::Winograd ? "winograd" : "direct"; };
    const auto expect_algo = [&](const Conv2dShape & s, const std::string & want, const std::string & what) {
        f.expect(algo(s) == want, what + ": " + algo(s) + ", expected " + want);
    };
    {
        testing::ConvAlgoScope scope(ConvAlgoMode::Auto);
        expect_algo(conv_shape(2, 320, 64, 64, 320, 3, 1, 1), "winograd", "auto, UNet 64x64");
        expect_algo(conv_shape(2, 640, 32, 32, 640, 3, 1, 1), "winograd", "auto, UNet 32x32");
        // f32 on AMX tiles runs the direct convolution faster than Winograd below 64 tiles (32 here).
        expect_algo(conv_shape(2, 1280, 16, 16, 1280, 3, 1, 1), f32_on_amx() ? "direct" : "winograd", "auto, UNet 16x16");
        expect_algo(conv_shape(4, 1280, 16, 16, 1280, 3, 1, 1), "winograd", "auto, 16x16 at batch 4 (64 tiles)");
        expect_algo(conv_shape(1, 512, 256, 256, 512, 3, 1, 1, 2), "winograd", "auto, the VAE's up-sampler conv");
        expect_algo(conv_shape(2, 1280, 8, 8, 1280, 3, 1, 1), "direct", "auto, UNet 8x8 (8 tiles)");
        expect_algo(conv_shape(2, 320, 64, 64, 320, 3, 2, 1), "direct", "auto, stride 2");
        expect_algo(conv_shape(2, 320, 64, 64, 640, 1, 1, 0), "direct", "auto, 1x1");
        expect_algo(conv_shape(2, 4, 64, 64, 320, 3, 1, 1), "direct", "auto, conv_in (4 input channels)");
        expect_algo(conv_shape(1, 128, 512, 512, 3, 3, 1, 1), "direct", "auto, conv_out (3 output channels)");
    }
    {
        testing::ConvAlgoScope scope(ConvAlgoMode::Direct);
        expect_algo(conv_shape(2, 320, 64, 64, 320, 3, 1, 1), "direct", "forced direct");
    }
    testing::ConvAlgoScope scope(ConvAlgoMode::Winograd);
    expect_algo(conv_shape(2, 1280, 8, 8, 1280, 3, 1, 1), "winograd", "forced winograd, 8x8");
    expect_algo(conv_shape(1, 2, 1, 1, 3, 3, 1, 1), "winograd", "forced winograd, 1x1 image");
    expect_algo(conv_shape(1, 8, 16, 16, 8, 3, 2, 1), "direct", "forced winograd, stride 2 (not supported)");
    expect_algo(conv_shape(1, 8, 16, 16, 8, 1, 1, 0), "direct", "forced winograd, 1x1 kernel");
    expect_algo(Conv2dShape{1, 8, 16, 16, 8, 5, 5, 1, 2}, "direct", "forced winograd, 5x5 kernel");
}

void winograd_sd_workspace(Failures & f) {
    testing::ConvAlgoScope scope(ConvAlgoMode::Auto);
    for (const Conv2dShape & s : {conv_shape(2, 320, 64, 64, 320, 3, 1, 1), conv_shape(2, 640, 32, 32, 640, 3, 1, 1), conv_shape(4, 1280, 16, 16, 1280, 3, 1, 1),
                                  conv_shape(1, 512, 64, 64, 512, 3, 1, 1), conv_shape(1, 512, 256, 256, 512, 3, 1, 1, 2),
                                  conv_shape(1, 256, 512, 512, 256, 3, 1, 1, 2), conv_shape(1, 128, 512, 512, 128, 3, 1, 1)}) {
        const int64_t bytes = conv2d_workspace_bytes(s);
        f.expect(conv2d_algo(s) == ConvAlgo::Winograd && bytes > 0 && bytes <= (int64_t(36) << 20),
                 std::to_string(s.Cin) + " channels at " + std::to_string(s.H) + "x" + std::to_string(s.W) + ": workspace " + std::to_string(bytes));
    }
}

void winograd_sd_layer_vs_direct(Failures & f) {
    // 2 x 320 channels on 64x64 (the UNet's first level, picked by auto): within 2e-5 of the direct path.
    const Conv2dShape s = conv_shape(2, 320, 64, 64, 320, 3, 1, 1);
    const auto x = random(2 * 320 * 4096, 80), w = random(320 * 320 * 9, 81, -0.03f, 0.03f), residual = random(2 * 320 * 4096, 82);
    const Tensor wt = view_of(w.data(), {320, 320, 3, 3}, DType::F32);
    std::vector<float> wino(x.size()), direct(x.size());
    {
        testing::ConvAlgoScope scope(ConvAlgoMode::Auto);
        conv2d(s, x.data(), wt, nullptr, residual.data(), wino.data());
    }
    {
        testing::ConvAlgoScope scope(ConvAlgoMode::Direct);
        conv2d(s, x.data(), wt, nullptr, residual.data(), direct.data());
    }
    const double err = rel_err(wino.data(), direct.data(), static_cast<int64_t>(x.size()));
    f.expect(err < 2e-5, "error " + sci(err));
}

// ---- norms, softmax, elementwise ------------------------------------------------------------------

void group_norm_edges(Failures & f) {
    std::vector<float> x(64 * 5, 3.0f), y(x.size());
    const auto gamma = random(64, 60), beta = random(64, 61);
    group_norm(x.data(), y.data(), 1, 64, 5, 32, gamma.data(), beta.data(), 1e-5f, false);
    for (int c = 0; c < 64; ++c)
        for (int s = 0; s < 5; ++s)
            f.expect(std::fabs(y[c * 5 + s] - beta[c]) < 1e-6, "a constant group gives beta (channel " + std::to_string(c) + ")");
    f.expect_status(SDN_STATUS_BAD_SHAPE, [&] { group_norm(x.data(), y.data(), 1, 10, 3, 32, gamma.data(), beta.data(), 1e-5f, false); },
                    "10 channels in 32 groups");
}

void region_gather_whole_map(Failures & f) {
    const int64_t B = 2, C = 64, H = 9, W = 13, groups = 32;
    auto x = random(B * C * H * W, 7, -1.0f, 4.0f);
    const auto gamma = random(C, 8, 0.5f, 1.5f), beta = random(C, 9);
    const MapView map{x.data(), B, C, H, W, C * H * W};
    std::vector<double> sum(B * groups), sum_sq(B * groups);
    std::vector<float> mean(B * groups), inv(B * groups);
    group_sums_add(map, GroupSums{sum.data(), sum_sq.data(), groups});
    group_moments(sum.data(), sum_sq.data(), B, groups, C / groups * H * W, 1e-6f, mean.data(), inv.data());
    const GroupNormApply norm{mean.data(), inv.data(), gamma.data(), beta.data(), groups, true};
    std::vector<float> gathered(x.size()), want(x.size());
    region_gather(map, 0, 0, H, W, 1, &norm, gathered.data());
    group_norm_naive(x.data(), want.data(), B, C, H * W, groups, gamma.data(), beta.data(), 1e-6f, true);
    const double err = rel_err(gathered.data(), want.data(), static_cast<int64_t>(x.size()));
    f.expect(err < 1e-5, "whole-map gather vs group_norm: " + sci(err));
}

void region_scatter_sums(Failures & f) {
    const int64_t B = 2, C = 4, H = 6, W = 5, y0 = 3, x0 = 2, rh = 3, rw = 2, groups = 2;
    auto dst = random(B * C * H * W, 11);
    const auto before = dst, tile = random(B * C * rh * rw, 12);
    const MapView map{dst.data(), B, C, H, W, C * H * W};
    std::vector<double> sums(2 * B * groups);
    const GroupSums gs{sums.data(), sums.data() + B * groups, groups};
    region_scatter(tile.data(), map, y0, x0, rh, rw, &map, &gs); // residual = dst itself
    std::vector<double> sum(B * groups), sum_sq(B * groups);
    for (int64_t b = 0; b < B; ++b)
        for (int64_t c = 0; c < C; ++c)
            for (int64_t y = 0; y < H; ++y)
                for (int64_t x = 0; x < W; ++x) {
                    const int64_t o = ((b * C + c) * H + y) * W + x;
                    const bool inside = y >= y0 && x >= x0 && x < x0 + rw;
                    const float v = inside ? tile[((b * C + c) * rh + y - y0) * rw + x - x0] + before[o] : before[o];
                    f.expect(dst[o] == v, "value at " + std::to_string(o));
                    if (inside) {
                        sum[b * groups + c / 2] += v;
                        sum_sq[b * groups + c / 2] += static_cast<double>(v) * v;
                    }
                }
    for (int64_t i = 0; i < B * groups; ++i) {
        f.expect(std::fabs(sums[i] - sum[i]) <= 1e-12 * std::max(1.0, std::fabs(sum[i])), "sum " + std::to_string(i));
        f.expect(std::fabs(sums[B * groups + i] - sum_sq[i]) <= 1e-12 * std::max(1.0, sum_sq[i]), "sum of squares " + std::to_string(i));
    }
}

void softmax_extremes(Failures & f) {
    std::vector<float> x = {1e30f, 1e30f, -INFINITY, 0, 88, 89, 90, -1e30f, 5};
    softmax_rows(x.data(), 1, 9, 1.0f);
    for (float v : x) f.expect(std::isfinite(v), "a non-finite output");
    f.expect(std::fabs(x[0] - 0.5f) < 1e-6, "two equal huge logits share the mass");
    f.expect(x[2] == 0.0f, "-inf gets 0");
    auto rows = random(64 * 129, 5, -20.0f, 20.0f);
    softmax_rows(rows.data(), 64, 129, 0.125f);
    for (int64_t m = 0; m < 64; ++m) {
        double sum = 0;
        for (int64_t n = 0; n < 129; ++n) sum += rows[m * 129 + n];
        f.expect(std::fabs(sum - 1) < 1e-5, "row " + std::to_string(m) + " sums to " + std::to_string(sum));
    }
}

void binary_definition(Failures & f) {
    const auto a = random(6, 1), b = random(3, 2);
    std::vector<float> y(6);
    binary_broadcast(BinaryOp::Mul, a.data(), {2, 3}, b.data(), {3}, y.data());
    for (int i = 0; i < 6; ++i) f.expect(y[i] == a[i] * b[i % 3], "mul at " + std::to_string(i));
    f.expect_status(SDN_STATUS_BAD_SHAPE, [&] { binary_broadcast(BinaryOp::Add, a.data(), {2, 3}, b.data(), {4}, y.data()); },
                    "[2, 3] with [4]");
}

// ---- attention ----------------------------------------------------------------------------------

void attention_workspace(Failures & f) {
    // Every mode's arena peak equals attention_extra_bytes, on 1 and 2 threads.
    for (int threads : {1, 2}) {
        ThreadsScope t(threads);
        for (AttentionMode mode : {AttentionMode::Naive, AttentionMode::Sliced, AttentionMode::Flash})
            for (const AttentionShape & s : {AttentionShape{1, 1, 1, 1, 8, 0.35f}, AttentionShape{2, 8, 256, 77, 40, 0.16f}, AttentionShape{1, 2, 300, 300, 80, 0.11f},
                                             AttentionShape{1, 2, 600, 300, 40, 0.16f, true}, AttentionShape{2, 8, 256, 77, 40, 0.16f, true}}) {
                auto q = random(s.B * s.H * s.Tq * s.D, 1), k = random(s.B * s.H * s.Tk * s.D, 2), v = random(s.B * s.H * s.Tk * s.D, 3);
                std::vector<float> out(q.size());
                const auto op = [&](float * d, int64_t T) { return attention_operand(d, s, T, AttentionLayout::BTHD); };
                const std::string what = std::string(attention_mode_name(mode)) + " Tq" + std::to_string(s.Tq) + " Tk" + std::to_string(s.Tk) +
                                         (s.bf16 ? " bf16" : "") + ", " + std::to_string(threads) + " threads";
                const int64_t rise = arena_rise([&] { attention(mode, s, op(q.data(), s.Tq), op(k.data(), s.Tk), op(v.data(), s.Tk), op(out.data(), s.Tq)); },
                                                f, what);
                f.expect(rise == attention_extra_bytes(mode, s), what + ": arena rose " + std::to_string(rise) + ", the estimate is " +
                                                                     std::to_string(attention_extra_bytes(mode, s)));
            }
    }
}

// Where the path has AMX (cpu_amx()), bf16 work takes the tiles: the GEMM kernel set, the direct 3x3
// convolution, flash attention's self-attention (not the 77-key cross-attention, not f32); elsewhere none
// of it does. (The bf16 cases alone would pass on the vdpbf16ps kernels or the f32 attention too.)
void amx_takes_bf16_work(Failures & f) {
    const bool amx = cpu_amx();
    const bool amx_gemm = std::string(gemm_detail::kernels(cpu_bf16() ? Precision::BF16 : Precision::F32).name).rfind("amx", 0) == 0;
    f.expect(amx_gemm == amx, std::string("bf16 GEMM kernel set ") + (amx ? "is not" : "is") + " the AMX one");
    Conv2dShape conv{2, 320, 64, 64, 320, 3, 3, 1, 1};
    conv.precision = cpu_bf16() ? Precision::BF16 : Precision::F32;
    if (amx) f.expect(conv2d_algo(conv) == ConvAlgo::Direct, "bf16 3x3 convolution on AMX: not direct");
    const AttentionShape self{2, 8, 4096, 4096, 40, 0.16f, true}, cross{2, 8, 4096, 77, 40, 0.16f, true}, f32{2, 8, 4096, 4096, 40, 0.16f};
    f.expect(flash_tiling(self).amx == amx, std::string("bf16 self-attention ") + (amx ? "does not take" : "takes") + " the AMX kernel");
    f.expect(!flash_tiling(cross).amx && !flash_tiling(f32).amx, "cross-attention or f32 flash takes the AMX kernel");
}

// f32 products on AMX tiles (bf16 pieces) are as exact as the FMA kernels': against an f64 reference, on
// activations spanning 2^-20 .. 2^20 and weights of all three storage types (three, two and one pieces),
// per-call and packed once, the worst error is within twice the FMA set's and under 1e-6 of max |ref|.
// Where the path has no AMX, the f32 set is the FMA one.
void amx_f32_as_exact(Failures & f) {
    const char * env = std::getenv("LATENTFLOW_AMX_FP32");
    const bool amx = cpu_amx() && !(env && std::string(env) == "0");
    f.expect(f32_on_amx() == amx && (std::string(gemm_detail::kernels(Precision::F32).name).rfind("amx f32", 0) == 0) == amx,
             std::string("f32 GEMM kernel set ") + gemm_detail::kernels(Precision::F32).name + (amx ? " on a path with AMX" : " on a path without AMX"));
    if (!amx) return;
    const int64_t M = 70, N = 45, K = 1500;
    auto a = random(M * K, 901);
    const auto scale = random(M * K, 902, -20.0f, 20.0f);
    for (int64_t i = 0; i < M * K; ++i) a[static_cast<size_t>(i)] = std::ldexp(a[static_cast<size_t>(i)], static_cast<int>(scale[static_cast<size_t>(i)]));
    const auto w32 = random(N * K, 903);
    for (DType dtype : {DType::F32, DType::F16, DType::BF16, DType::Q8_0}) {
        const auto bits = half_bits(w32, dtype);
        const MatB B{dtype == DType::F32 ? static_cast<const void *>(w32.data()) : bits.data(), dtype, true, K};
        std::vector<double> ref(static_cast<size_t>(M * N));
        for (int64_t m = 0; m < M; ++m)
            for (int64_t n = 0; n < N; ++n) {
                double sum = 0.0;
                for (int64_t k = 0; k < K; ++k) sum += static_cast<double>(a[static_cast<size_t>(m * K + k)]) * matb_at(B, k, n);
                ref[static_cast<size_t>(m * N + n)] = sum;
            }
        const auto run = [&](bool packed) {
            std::vector<float> c(static_cast<size_t>(M * N));
            if (!packed) {
                gemm(M, N, K, a.data(), K, B, c.data(), N, nullptr, false);
                return c;
            }
            std::vector<char> buf(static_cast<size_t>(gemm_packed_b_bytes(N, K, Precision::F32, dtype)) + 64);
            void * at = aligned64(buf);
            gemm_pack_b(B, N, K, Precision::F32, at);
            gemm_packed(M, N, K, a.data(), K, at, dtype, c.data(), N, nullptr, false, Precision::F32);
            return c;
        };
        double fma_err;
        {
            testing::AmxScope off(false);
            fma_err = rel_err(run(false).data(), ref.data(), M * N);
        }
        for (bool packed : {false, true}) {
            const double err = rel_err(run(packed).data(), ref.data(), M * N);
            f.expect(err <= 2.0 * fma_err + 1e-8 && err < 1e-6, dtype_label(dtype) + " weights" + (packed ? ", packed once" : "") + ": error " +
                                                                    sci(err) + " on AMX, " + sci(fma_err) + " on the FMA kernels");
        }
    }
}

void attention_flash_threads(Failures & f) {
    for (bool bf16 : {false, true}) { // bf16: the AMX kernel where the path has it
        const AttentionShape s{1, 2, 200, 150, 40, 0.158f, bf16};
        auto q = random(2 * 200 * 40, 3), k = random(2 * 150 * 40, 4), v = random(2 * 150 * 40, 5);
        const auto op = [&](float * d, int64_t T) { return attention_operand(d, s, T, AttentionLayout::BHTD); };
        std::vector<float> one(q.size()), two(q.size());
        {
            ThreadsScope t(1);
            attention(AttentionMode::Flash, s, op(q.data(), 200), op(k.data(), 150), op(v.data(), 150), op(one.data(), 200));
        }
        {
            ThreadsScope t(2);
            attention(AttentionMode::Flash, s, op(q.data(), 200), op(k.data(), 150), op(v.data(), 150), op(two.data(), 200));
        }
        f.expect(bits_differ(one.data(), two.data(), static_cast<int64_t>(one.size())) == 0,
                 std::string(bf16 ? "bf16: " : "") + "1 and 2 threads differ (each query tile is one task)");
    }
}

// ---- q8_0 ----------------------------------------------------------------------------------------

void q8_0_blocks(Failures & f) {
    // Blocks of SD-like weights, a block of zeros, one with a single non-zero, one with an outlier 1000x the
    // rest: d = max|x| / 127 (as f16), q = round(x / d). Every value lands within d / 2 of itself; the
    // largest keeps f16's precision of itself; the bulk converter at any offset and length, and q8_0_at,
    // read the same values.
    std::vector<float> x = random(32 * 200, 1200, -0.05f, 0.05f);
    x.resize(x.size() + 32, 0.0f);
    std::vector<float> one(32, 0.0f);
    one[7] = -3.0f;
    x.insert(x.end(), one.begin(), one.end());
    std::vector<float> outlier = random(32, 1201, -0.01f, 0.01f);
    outlier[20] = 10.0f;
    x.insert(x.end(), outlier.begin(), outlier.end());
    const int64_t n = static_cast<int64_t>(x.size());
    std::vector<uint8_t> q(static_cast<size_t>(q8_0_bytes(n)));
    quantize_q8_0(x.data(), q.data(), n);
    std::vector<float> back(static_cast<size_t>(n));
    convert_q8_0_to_f32(q.data(), 0, back.data(), n);
    for (int64_t b = 0; b < n / kQ8Block; ++b) {
        float amax = 0.0f;
        int64_t at = 0;
        for (int64_t j = 0; j < kQ8Block; ++j)
            if (std::fabs(x[b * kQ8Block + j]) > amax) amax = std::fabs(x[b * kQ8Block + j]), at = j;
        const float d = f16_to_f32(f32_to_f16(amax / 127.0f));
        bool ok = std::fabs(back[b * kQ8Block + at] - x[b * kQ8Block + at]) <= amax * 0x1p-11f;
        for (int64_t j = 0; j < kQ8Block; ++j) ok = ok && std::fabs(back[b * kQ8Block + j] - x[b * kQ8Block + j]) <= d * 0.5f * (1.0f + 1e-6f);
        if (!ok) {
            f.expect(false, "block " + std::to_string(b) + " (max " + sci(amax) + "): a value off its step");
            break;
        }
    }
    for (auto [i0, len] : {std::array<int64_t, 2>{0, 1}, {5, 40}, {31, 2}, {32, 32}, {100, 300}, {n - 17, 17}}) {
        std::vector<float> part(static_cast<size_t>(len));
        convert_q8_0_to_f32(q.data(), i0, part.data(), len);
        bool same = true;
        for (int64_t i = 0; i < len; ++i) same = same && part[i] == back[i0 + i] && q8_0_at(q.data(), i0 + i) == back[i0 + i];
        f.expect(same, "elements [" + std::to_string(i0) + ", " + std::to_string(i0 + len) + ") read differently by offset");
    }
    f.expect(q8_0_bytes(n) == n / 32 * 34 && dtype_bytes(DType::Q8_0, 64) == 68, "q8_0 sizes: 34 bytes per 32 elements");
    // A NaN (a damaged weight) becomes 0 and leaves its block's other values on their steps.
    std::vector<float> nan_block = random(32, 1202, -1.0f, 1.0f);
    nan_block[3] = NAN;
    std::vector<uint8_t> nq(34);
    quantize_q8_0(nan_block.data(), nq.data(), 32);
    bool nan_ok = q8_0_at(nq.data(), 3) == 0.0f;
    for (int64_t j = 0; j < 32; ++j)
        if (j != 3) nan_ok = nan_ok && std::fabs(q8_0_at(nq.data(), j) - nan_block[j]) <= 0.5f / 127.0f * 1.001f;
    f.expect(nan_ok, "a NaN in a block: read as 0, the rest on their steps");
}

void q8_0_weights_in_pieces(Failures & f) {
    // A WeightStore quantizes a weight a piece at a time (io/weights.cc): a matrix of several pieces, f16 as a
    // checkpoint's, stored spilled (an unlinked file, mapped) and in owned memory (LATENTFLOW_SPILL_DIR=off),
    // holds exactly the blocks of the whole matrix quantized at once.
    const int64_t rows = 300, cols = 1280; // 384,000 values: three pieces of 131,072 and a part
    const auto w = random(rows * cols, 1203, -0.05f, 0.05f);
    const auto bits = half_bits(w, DType::F16);
    const std::vector<float> widened = half_values(bits, DType::F16);
    std::vector<uint8_t> whole(static_cast<size_t>(q8_0_bytes(rows * cols)));
    quantize_q8_0(widened.data(), whole.data(), rows * cols);
    const char * saved = std::getenv("LATENTFLOW_SPILL_DIR");
    const std::string restore = saved ? saved : "";
    for (const char * spill : {"", "off"}) {
        if (*spill) setenv("LATENTFLOW_SPILL_DIR", spill, 1);
        else if (saved) setenv("LATENTFLOW_SPILL_DIR", restore.c_str(), 1);
        else unsetenv("LATENTFLOW_SPILL_DIR");
        WeightStore store(WeightStorage::Q8_0);
        store.add("w", view_of(bits.data(), {rows, cols}, DType::F16), "");
        const Tensor & t = store.get("w");
        const std::string where = std::string(*spill ? "owned" : "spilled") + " (" + (t.storage == Storage::Mapped ? "mapped" : "owned") + ")";
        f.expect(t.dtype == DType::Q8_0 && (t.storage == Storage::Mapped) == !*spill, where + ": stored as " + dtype_name(t.dtype));
        f.expect(t.dtype == DType::Q8_0 && std::memcmp(t.data, whole.data(), whole.size()) == 0, where + ": blocks differ from the whole matrix quantized at once");
    }
    if (saved) setenv("LATENTFLOW_SPILL_DIR", restore.c_str(), 1);
    else unsetenv("LATENTFLOW_SPILL_DIR");
}

} // namespace

std::vector<Check> op_checks() {
    return {
        {"gemm", "1 and 2 threads give the same bits on every driver path (f32, f16, bf16, q8_0 weights)", gemm_threads_same_bits},
        {"gemm", "K = 0 gives bias (+ C); M or N = 0 writes nothing; negative dimensions are refused", gemm_k0_and_empty},
        {"gemm", "K slices under a 16 KiB packing cap (bias and accumulate once)", gemm_k_slices},
        {"gemm", "the arena peak of a call equals gemm_workspace_bytes", gemm_workspace},
        {"gemm", "bf16 compute runs where the path has AVX512_BF16 and is refused elsewhere", gemm_bf16_refused},
        {"gemm", "a weight packed once gives the per-call bits on every driver path and needs no workspace", gemm_packed_same_bits},
        {"gemm", "denormal bf16 weights packed once for the f32 kernels keep their values", gemm_packed_denormal_weights},
        {"conv2d", "K slices under a 16 KiB packing cap (bias and residual once)", conv_k_slices},
        {"conv2d", "a weight packed once gives the per-call bits (small, batched, large, 1x1, strided, up-sampled)", conv_packed_same_bits},
        {"conv2d", "a weight that does not match x is refused", conv_bad_weight},
        {"conv2d", "the naive twin through a fused up-sampling equals it on the up-sampled input", conv_upsample_naive_is_upsampling},
        {"conv2d", "the arena peak of a call equals conv2d_workspace_bytes (direct and Winograd)", conv_workspace},
        {"conv2d winograd", "small caps walk output-channel blocks and tile chunks (residual in place)", winograd_caps},
        {"conv2d winograd", "auto picks Winograd for SD-sized stride-1 3x3 layers, the overrides apply", winograd_decision},
        {"conv2d winograd", "the workspace of SD 1.5's layers is at most 36 MiB", winograd_sd_workspace},
        {"conv2d winograd", "2 x 320 channels at 64x64 within 2e-5 of the direct convolution", winograd_sd_layer_vs_direct},
        {"group norm", "a constant group gives beta; channels that do not split are refused", group_norm_edges},
        {"region gather", "the whole map with its own statistics equals group norm (+ SiLU)", region_gather_whole_map},
        {"region gather", "region_scatter writes tile + residual in place and returns the sums of what it wrote", region_scatter_sums},
        {"softmax", "huge logits do not overflow, -inf gets 0, rows sum to 1", softmax_extremes},
        {"elementwise", "broadcast mul is the definition; shapes that do not broadcast are refused", binary_definition},
        {"attention", "every mode's arena peak equals attention_extra_bytes (1 and 2 threads)", attention_workspace},
        {"attention", "flash: 1 and 2 threads give the same bits", attention_flash_threads},
        {"gemm", "bf16 work takes AMX tiles exactly where the path has them", amx_takes_bf16_work},
        {"gemm", "f32 products on AMX tiles are as exact as the FMA kernels' (f32, f16, bf16, q8_0 weights; packed once)", amx_f32_as_exact},
        {"q8_0", "quantizing keeps each block's largest value and puts every other on the nearest step (a NaN at 0); reads match", q8_0_blocks},
        {"q8_0", "a weight stored piece by piece, spilled and owned, holds the blocks of the whole quantized at once", q8_0_weights_in_pieces},
    };
}

} // namespace sdn::optest
