// conv2d_winograd: F(4x4, 3x3) Winograd convolution (see conv2d_winograd.h for the maths) and the
// direct-or-Winograd decision.
//
// Blocking. Output channels are cut into blocks of Cb (the transformed weight of a block, U:
// 36 x Cb x Cin floats, stays under a cap of 24 MiB), tiles into chunks of Tc (V: 36 x Cin x Tc under
// 8 MiB, M: 36 x Cb x Tc under 4 MiB); when all tiles fit one chunk of up to 24 MiB, that chunk is
// taken and U blocks stay under 8 MiB instead (see plan_of). At most ~36 MiB, 10-32 MiB on SD 1.5's
// layers, all of it from the activation arena. For each output-channel block:
//   1. weight transform -> U, in the packed-A layout of gemm.h's f32 kernels (panels of MR rows,
//      K-block major)
//   for each tile chunk:
//   2. input transform  -> V, in the packed-B layout (panels of NR tiles, K-block major); the
//      patches are gathered straight from x (zeros outside the image, through the up-sampling);
//      with one chunk only, V is made for the first block and serves the others
//   3. 36 GEMMs M[e] = U[e] V[e] with gemm.h's micro-kernel, tasks over (e, block of rows)
//   4. output transform of M, + bias + residual, written into y (tiles cut at the image's edge)
// The transforms work on groups of 16 tiles (conv2d_winograd_kernels.h; a column panel of NR = 16
// or 32 tiles is one or two groups), vectorised by the compiler: the portable build here, the avx2
// and avx512 ones in arch/x86/simd/path_kernels.inc.
#include "conv2d_winograd.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "../core/arena.h"
#include "../core/cpu.h"
#include "../core/half.h"
#include "../core/threads.h"
#include "arch/x86/x86.h"
#include "conv2d_winograd_kernels.h"
#include "gemm.h"
#include "testing.h"

namespace sdn {

// ---- Dispatch -------------------------------------------------------------------------------------

namespace {

ConvAlgoMode algo_from_env() {
    const char * env = std::getenv("LATENTFLOW_CONV");
    if (!env) return ConvAlgoMode::Auto;
    const std::string v = env;
    if (v == "direct") return ConvAlgoMode::Direct;
    if (v == "winograd") return ConvAlgoMode::Winograd;
    return ConvAlgoMode::Auto; // "auto" or anything else
}

std::atomic<ConvAlgoMode> & algo_mode() {
    static std::atomic<ConvAlgoMode> mode{algo_from_env()};
    return mode;
}

constexpr int64_t kTile = 4;  // output tile side
constexpr int64_t kPatch = 6; // input patch side
constexpr int64_t kE = 36;    // transformed elements per tile
constexpr int64_t kStripUsed = 4 * 16 + 2; // input columns of 16 tiles side by side
constexpr int64_t kStrip = 72;             // their row stride in the strip buffer

int64_t tiles_of(const Conv2dShape & s) {
    return s.B * ((s.out_h() + kTile - 1) / kTile) * ((s.out_w() + kTile - 1) / kTile);
}

} // namespace

ConvAlgoMode testing::conv_algo_set(ConvAlgoMode mode) { return algo_mode().exchange(mode); }

bool conv2d_winograd_supports(const Conv2dShape & s) {
    return s.KH == 3 && s.KW == 3 && s.stride == 1 && s.pad <= 2 && s.B >= 1 && s.out_h() >= 1 && s.out_w() >= 1;
}

ConvAlgo conv2d_algo(const Conv2dShape & s) {
    if (!conv2d_winograd_supports(s)) return ConvAlgo::Direct;
    switch (algo_mode().load(std::memory_order_relaxed)) {
        case ConvAlgoMode::Direct: return ConvAlgo::Direct;
        case ConvAlgoMode::Winograd: return ConvAlgo::Winograd;
        case ConvAlgoMode::Auto: break;
    }
    // bf16 products on AMX tiles run the direct convolution's GEMM at ~6x the f32 rate: the direct
    // convolution (gather-bound) is as fast as f32 Winograd at 64x64 with 320 channels and faster
    // everywhere else (measured at batch 2: 32x32 640 ch 15 vs 23 ms, 16x16 1280 ch 13 vs 48 ms, 8x8
    // 4.5 vs 47 ms; 256x256 128 ch 33 vs 37 ms), with the rounding of bf16 compute (bf16 Winograd's
    // transforms amplify it: ruled out, docs/BENCHMARKS.md).
    if (s.precision == Precision::BF16 && cpu_amx()) return ConvAlgo::Direct;
    // f32 products on AMX (bf16 pieces, five or six tile products each) make the direct convolution
    // faster than f32 Winograd with few tiles: 1280 channels at 16x16, batch 2 (32 tiles), 39 vs 49 ms;
    // 640 at 32x32 (128 tiles) 50 vs 23 ms.
    if (s.precision == Precision::F32 && f32_on_amx() && tiles_of(s) < 64) return ConvAlgo::Direct;
    // The transforms cost per tile and channel what the GEMM saves per tile, channel and output
    // channel: worth it with enough channels on both sides (conv_in / conv_out stay direct); and the
    // weight transform (U: 4x the weight) is paid per call, so few tiles stay direct: measured with
    // 1280 channels at batch 2, 0.7x the direct speed at 8x8 (8 tiles), 1.5x at 16x16 (32 tiles).
    return s.Cin >= 32 && s.Cout >= 32 && tiles_of(s) >= 32 ? ConvAlgo::Winograd : ConvAlgo::Direct;
}

// ---- Plan -----------------------------------------------------------------------------------------

namespace {

constexpr int64_t L = wino::L; // tiles per transform call: a column panel of NR tiles is NR / L groups

// Caps of the three buffers, in floats (default U 24 MiB, V 8 MiB, M 4 MiB; tests set small ones).
// Measured on SD 1.5's layers (2 threads): V 16 / M 8 MiB were 0-15% faster on the 512- and
// 640-channel ones and 0-10% slower on the 128- and 256-channel ones, for up to 12 MiB more.
std::atomic<int64_t> g_cap_u{int64_t(6) << 20}, g_cap_v{int64_t(2) << 20}, g_cap_m{int64_t(1) << 20};

// The kernel set of the 36 products: f32 on the current path's vector registers (the transforms write its
// f32 panels).
const gemm_detail::Kernels & wino_kernels() { return gemm_detail::kernels_vector_f32(); }

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

struct Plan {
    int64_t Ho, Wo, TH, TW, T; // output size, tiles per column / row, tiles in all
    int64_t Cin;
    int64_t Cb;                // output channels per block (a multiple of MR)
    int64_t Tc;                // tiles per chunk (a multiple of NR)
    int64_t kc_step;           // K block of the packed layouts (Kernels::kc_step_for(Cin))
    int64_t u_floats() const { return kE * Cb * Cin; }
    int64_t v_floats() const { return kE * Cin * Tc; }
    int64_t m_floats() const { return kE * Cb * Tc; }
};

Plan plan_of(const Conv2dShape & s) {
    const gemm_detail::Kernels & kern = wino_kernels();
    const int64_t MR = kern.MR, NR = kern.NR;
    Plan p;
    p.Ho = s.out_h();
    p.Wo = s.out_w();
    p.TH = ceil_div(p.Ho, kTile);
    p.TW = ceil_div(p.Wo, kTile);
    p.T = s.B * p.TH * p.TW;
    p.Cin = s.Cin;
    const int64_t cap_u = g_cap_u.load(std::memory_order_relaxed), cap_v = g_cap_v.load(std::memory_order_relaxed),
                  cap_m = g_cap_m.load(std::memory_order_relaxed);
    const int64_t all_tiles = round_up(p.T, NR);
    if (kE * s.Cin * all_tiles <= 3 * cap_v) {
        // Few tiles (the UNet's 16x16 and 32x32 levels): V of all of them (up to three times the V
        // cap) is computed once and serves every output-channel block. Each U block is then used for
        // few tiles only, so it should stay in the last-level cache between its transform and its
        // GEMMs: blocks of at most the V cap (8 MiB), also within the M cap. Measured at batch 2
        // (CPU-s): 1280 channels at 16x16 0.076 against 0.106 with 24 MiB blocks of U and two tile
        // chunks, 2560 -> 1280 at 16x16 0.16 against 0.32, 1280 at 32x32 0.26 against 0.36.
        p.Tc = all_tiles;
        const int64_t cb_fit = std::max<int64_t>(MR, std::min(std::min(cap_u, cap_v) / (kE * s.Cin), cap_m / (kE * p.Tc)) / MR * MR);
        p.Cb = round_up(ceil_div(s.Cout, ceil_div(s.Cout, cb_fit)), MR);
    } else {
        // Output-channel blocks as large as the U cap allows (each U block serves all tile chunks,
        // V is recomputed per block), evened out; then tile chunks as large as the V and M caps allow.
        const int64_t cb_fit = std::max<int64_t>(MR, cap_u / (kE * s.Cin) / MR * MR);
        p.Cb = round_up(ceil_div(s.Cout, ceil_div(s.Cout, cb_fit)), MR);
        const int64_t tc_fit = std::max<int64_t>(NR, std::min(cap_v / (kE * s.Cin), cap_m / (kE * p.Cb)) / NR * NR);
        p.Tc = round_up(ceil_div(p.T, ceil_div(p.T, tc_fit)), NR);
    }
    p.kc_step = kern.kc_step_for(s.Cin);
    return p;
}

// ---- Transforms -----------------------------------------------------------------------------------

using InputFn = void (*)(const float * d, float * v, int64_t e_stride);
using OutputFn = void (*)(const float * m, int64_t e_stride, float * o);
using WeightFn = void (*)(const float * g, int64_t n, float * u, int64_t e_stride);
using GatherFn = void (*)(const float * src, int64_t ld, float * d);
using ScatterFn = void (*)(const float * o, float bias, const float * residual, float * y, int64_t ld);

void input_portable(const float * d, float * v, int64_t e_stride) { wino::input_transform(d, v, e_stride); }
void output_portable(const float * m, int64_t e_stride, float * o) { wino::output_transform(m, e_stride, o); }
void weight_portable(const float * g, int64_t n, float * u, int64_t e_stride) { wino::weight_transform(g, n, u, e_stride); }
void gather_portable(const float * src, int64_t ld, float * d) { wino::gather_row_panel(src, ld, d); }
void scatter_portable(const float * o, float bias, const float * residual, float * y, int64_t ld) {
    wino::scatter_row_panel(o, bias, residual, y, ld);
}

struct Transforms {
    InputFn input;
    OutputFn output;
    WeightFn weight;
    GatherFn gather_row_panel;
    ScatterFn scatter_row_panel;
};

Transforms transforms() {
#if SDN_X86
    switch (cpu_isa()) {
        case Isa::Avx512:
            return Transforms{x86::avx512::winograd_input_transform, x86::avx512::winograd_output_transform,
                              x86::avx512::winograd_weight_transform, x86::avx512::winograd_gather_row_panel,
                              x86::avx512::winograd_scatter_row_panel};
        case Isa::Avx2:
            return Transforms{x86::avx2::winograd_input_transform, x86::avx2::winograd_output_transform,
                              x86::avx2::winograd_weight_transform, x86::avx2::winograd_gather_row_panel,
                              x86::avx2::winograd_scatter_row_panel};
        case Isa::Portable: break;
    }
#endif
    return Transforms{input_portable, output_portable, weight_portable, gather_portable, scatter_portable};
}

// The 3x3 kernels (co, ci0 .. ci0 + count) of w as f32: a view of an f32 weight, else widened into
// tmp (the bulk converters of half.h: F16C where present).
inline const float * kernels_f32(const Tensor & w, int64_t Cin, int64_t co, int64_t ci0, int64_t count, float * tmp) {
    const int64_t at = (co * Cin + ci0) * 9, n = count * 9;
    switch (w.dtype) {
        case DType::F32: return static_cast<const float *>(w.data) + at;
        case DType::F16: convert_f16_to_f32(static_cast<const uint16_t *>(w.data) + at, tmp, n); return tmp;
        case DType::BF16: convert_bf16_to_f32(static_cast<const uint16_t *>(w.data) + at, tmp, n); return tmp;
        case DType::Q8_0: convert_q8_0_to_f32(w.data, at, tmp, n); return tmp;
    }
    return tmp;
}

// Where one tile of a chunk reads its patch: image b's channel-0 plane offset and the patch origin.
struct Lane {
    int64_t x_offset; // b * Cin * hs * ws (stored image)
    int64_t y_offset; // b * Cout * Ho * Wo
    int32_t iy0, ix0; // patch origin in the (up-sampled) input; output tile origin = (iy0 + pad, ix0 + pad)
    bool valid, interior;
};

} // namespace

testing::WinogradCaps testing::winograd_caps_set(const WinogradCaps & caps) {
    WinogradCaps previous;
    previous.u_bytes = 4 * g_cap_u.exchange(std::max<int64_t>(1, caps.u_bytes / 4));
    previous.v_bytes = 4 * g_cap_v.exchange(std::max<int64_t>(1, caps.v_bytes / 4));
    previous.m_bytes = 4 * g_cap_m.exchange(std::max<int64_t>(1, caps.m_bytes / 4));
    return previous;
}

int64_t conv2d_winograd_workspace_bytes(const Conv2dShape & s) {
    const Plan p = plan_of(s);
    return arena_block_bytes(p.u_floats() * 4) + arena_block_bytes(p.v_floats() * 4) + arena_block_bytes(p.m_floats() * 4);
}

void conv2d_winograd(const Conv2dShape & s, const float * x, const Tensor & w, const float * bias, const float * residual,
                     float * y) {
    require(conv2d_winograd_supports(s), SDN_STATUS_INTERNAL, "conv2d_winograd: not a stride-1 3x3 convolution");
    require(w.numel() == s.Cout * s.Cin * 9 && s.H % s.upsample == 0 && s.W % s.upsample == 0, SDN_STATUS_BAD_SHAPE,
            "conv2d_winograd: weight " + shape_str(w.shape) + " or input size does not match the shape");
    const Plan p = plan_of(s);
    const gemm_detail::Kernels & kern = wino_kernels();
    const int64_t MR = kern.MR, NR = kern.NR;
    const Transforms tr = transforms();
    const int64_t Cin = s.Cin, Cout = s.Cout, Ho = p.Ho, Wo = p.Wo, H = s.H, W = s.W;
    const int64_t f = s.upsample, hs = H / f, ws = W / f; // stored input size
    const int64_t kc_step = p.kc_step, Cb = p.Cb, Tc = p.Tc;

    Buffer<float> U(static_cast<size_t>(p.u_floats())), V(static_cast<size_t>(p.v_floats())), M(static_cast<size_t>(p.m_floats()));
    std::vector<Lane> lanes(static_cast<size_t>(Tc));
    // Per group of 16 tiles: all on one tile row of one image, side by side -> row_in (the input rows
    // are read as one strip); outputs inside the image too -> row_out. The common case, with one
    // strided copy per group instead of per-tile bounds.
    std::vector<char> row_in(static_cast<size_t>(Tc / L)), row_out(static_cast<size_t>(Tc / L));

    for (int64_t cb0 = 0; cb0 < Cout; cb0 += Cb) {
        const int64_t rows = std::min(Cb, Cout - cb0); // valid output channels of the block

        // 1. U[e] (Cb x Cin, packed A): U + e Cb Cin + k0 Cb + panel kc MR + (ci - k0) MR + row % MR.
        // The kc x MR kernels of a panel's K block are gathered into g (lane = kk MR + r, the order of
        // the packed panel), then transformed together: each e gets one contiguous run of kc MR floats.
        parallel_tasks(Cb / MR, [&](int64_t panel, int) {
            std::vector<float> g(static_cast<size_t>(9 * kc_step * MR)), tmp(static_cast<size_t>(9 * kc_step));
            for (int64_t k0 = 0; k0 < Cin; k0 += kc_step) {
                const int64_t kc = std::min(kc_step, Cin - k0), n = kc * MR;
                for (int64_t r = 0; r < MR; ++r) {
                    const int64_t row = panel * MR + r;
                    const float * src = row < rows ? kernels_f32(w, Cin, cb0 + row, k0, kc, tmp.data()) : nullptr;
                    for (int64_t kk = 0; kk < kc; ++kk)
                        for (int k = 0; k < 9; ++k) g[static_cast<size_t>(k * n + kk * MR + r)] = src ? src[kk * 9 + k] : 0.0f;
                }
                tr.weight(g.data(), n, U.data() + k0 * Cb + panel * kc * MR, Cb * Cin);
            }
        });

        for (int64_t t0 = 0; t0 < p.T; t0 += Tc) {
            // Groups with a valid tile, and all groups of the panels the GEMMs read (those past the
            // last tile get zeros, so no lane the kernel computes holds stale data).
            const int64_t tiles = std::min(Tc, p.T - t0), groups = ceil_div(tiles, L), groups_v = ceil_div(tiles, NR) * (NR / L);
            for (int64_t l = 0; l < Tc; ++l) {
                Lane & lane = lanes[static_cast<size_t>(l)];
                const int64_t t = t0 + l;
                lane.valid = l < tiles;
                if (!lane.valid) continue;
                const int64_t b = t / (p.TH * p.TW), ty = t / p.TW % p.TH, tx = t % p.TW;
                lane.x_offset = b * Cin * hs * ws;
                lane.y_offset = b * Cout * Ho * Wo;
                lane.iy0 = static_cast<int32_t>(ty * kTile - s.pad);
                lane.ix0 = static_cast<int32_t>(tx * kTile - s.pad);
                lane.interior = lane.iy0 >= 0 && lane.iy0 + kPatch <= H && lane.ix0 >= 0 && lane.ix0 + kPatch <= W;
            }

            for (int64_t g = 0; g < groups_v; ++g) {
                const Lane & a = lanes[static_cast<size_t>(g * L)];
                const Lane & z = lanes[static_cast<size_t>(g * L + L - 1)];
                const bool side_by_side = z.valid && a.x_offset == z.x_offset && a.iy0 == z.iy0 && z.ix0 == a.ix0 + kTile * (L - 1);
                row_in[static_cast<size_t>(g)] = side_by_side;
                row_out[static_cast<size_t>(g)] = side_by_side && a.iy0 + s.pad + kTile <= Ho && z.ix0 + s.pad + kTile <= Wo;
            }

            // 2. V[e] (Cin x Tc, packed B): V + e Cin Tc + k0 Tc + panel kc NR + (ci - k0) NR + lane,
            // tile t of the chunk in panel t / NR, lane t % NR; group g fills lanes [16 g, 16 g + 16).
            if (cb0 == 0 || p.T > Tc) { // one chunk: its V serves every output-channel block
                // Tasks of one group and a run of channels, channels inner: the 36 rows of V a call
                // writes then move on by one cache line per channel (36 pages, not 36 new ones per call).
                const int64_t ci_step = std::min<int64_t>(Cin, 64), ci_runs = ceil_div(Cin, ci_step);
                parallel_tasks(groups_v * ci_runs, [&](int64_t task, int) {
                    alignas(64) float d[kE * L];
                    const int64_t g = task / ci_runs, ci0 = task % ci_runs * ci_step;
                    const int64_t panel = g * L / NR, lane0 = g * L % NR;
                    for (int64_t ci = ci0; ci < std::min(Cin, ci0 + ci_step); ++ci) {
                        const int64_t k0 = ci / kc_step * kc_step, kc = std::min(kc_step, Cin - k0);
                        float * dst = V.data() + k0 * Tc + panel * kc * NR + (ci - k0) * NR + lane0;
                        if (row_in[static_cast<size_t>(g)]) {
                            const Lane & a = lanes[static_cast<size_t>(g * L)];
                            const float * plane = x + a.x_offset + ci * hs * ws;
                            if (a.interior && lanes[static_cast<size_t>(g * L + L - 1)].interior && f == 1) {
                                tr.gather_row_panel(plane + a.iy0 * ws + a.ix0, ws, d);
                            } else {
                                // The 6 input rows of the group, padded and up-sampled into a strip first.
                                alignas(64) float strip[kPatch][kStrip];
                                for (int64_t i = 0; i < kPatch; ++i) {
                                    const int64_t iy = a.iy0 + i;
                                    float * out = strip[i];
                                    if (iy < 0 || iy >= H) {
                                        std::fill(out, out + kStripUsed, 0.0f);
                                        continue;
                                    }
                                    const float * row = plane + iy / f * ws;
                                    const int64_t lo = std::min<int64_t>(kStripUsed, std::max<int64_t>(0, -a.ix0));
                                    const int64_t hi = std::max(lo, std::min<int64_t>(kStripUsed, W - a.ix0));
                                    std::fill(out, out + lo, 0.0f);
                                    if (f == 1) std::memcpy(out + lo, row + a.ix0 + lo, sizeof(float) * (hi - lo));
                                    else for (int64_t c = lo; c < hi; ++c) out[c] = row[(a.ix0 + c) / f];
                                    std::fill(out + hi, out + kStripUsed, 0.0f);
                                }
                                tr.gather_row_panel(strip[0], kStrip, d);
                            }
                            tr.input(d, dst, Cin * Tc);
                            continue;
                        }
                        for (int64_t l = 0; l < L; ++l) {
                            const Lane & lane = lanes[static_cast<size_t>(g * L + l)];
                            if (!lane.valid) {
                                for (int64_t e = 0; e < kE; ++e) d[e * L + l] = 0.0f;
                                continue;
                            }
                            const float * plane = x + lane.x_offset + ci * hs * ws;
                            if (lane.interior && f == 1) {
                                const float * src = plane + lane.iy0 * ws + lane.ix0;
                                for (int64_t i = 0; i < kPatch; ++i)
                                    for (int64_t j = 0; j < kPatch; ++j) d[(i * kPatch + j) * L + l] = src[i * ws + j];
                                continue;
                            }
                            if (lane.interior) { // through the up-sampling: input (iy, ix) is stored (iy / f, ix / f)
                                for (int64_t i = 0; i < kPatch; ++i) {
                                    const float * row = plane + (lane.iy0 + i) / f * ws;
                                    for (int64_t j = 0; j < kPatch; ++j) d[(i * kPatch + j) * L + l] = row[(lane.ix0 + j) / f];
                                }
                                continue;
                            }
                            for (int64_t i = 0; i < kPatch; ++i) {
                                const int64_t iy = lane.iy0 + i;
                                const bool row_inside = iy >= 0 && iy < H;
                                const float * row = row_inside ? plane + iy / f * ws : nullptr;
                                for (int64_t j = 0; j < kPatch; ++j) {
                                    const int64_t ix = lane.ix0 + j;
                                    d[(i * kPatch + j) * L + l] = row_inside && ix >= 0 && ix < W ? row[ix / f] : 0.0f;
                                }
                            }
                        }
                        tr.input(d, dst, Cin * Tc);
                    }
                });
            }

            // 3. M[e] = U[e] V[e]: M + e Cb Tc + row Tc + tile.
            constexpr int64_t kRowBlock = 144; // rows of U per task (rounded to MR)
            const int64_t rb_step = round_up(ceil_div(rows, ceil_div(rows, kRowBlock)), MR), n_rb = ceil_div(rows, rb_step);
            parallel_tasks(kE * n_rb, [&](int64_t task, int) {
                const int64_t e = task / n_rb, r0 = task % n_rb * rb_step, r1 = std::min(rows, r0 + rb_step);
                const float * Ue = U.data() + e * Cb * Cin;
                const float * Ve = V.data() + e * Cin * Tc;
                float * Me = M.data() + e * Cb * Tc;
                for (int64_t k0 = 0; k0 < Cin; k0 += kc_step) {
                    const int64_t kc = std::min(kc_step, Cin - k0);
                    gemm_detail::Tile t;
                    t.first = k0 == 0;
                    t.accumulate = false;
                    for (int64_t j = 0; j < tiles; j += NR) {
                        t.n = static_cast<int>(std::min(NR, tiles - j));
                        const float * b = Ve + k0 * Tc + (j / NR) * kc * NR;
                        for (int64_t i = r0; i < r1; i += MR) {
                            t.m = static_cast<int>(std::min(MR, r1 - i));
                            kern.kernel(kc, Ue + k0 * Cb + (i / MR) * kc * MR, b, Me + i * Tc + j, Tc, t);
                        }
                    }
                }
            });

            // 4. y = A^T M A + bias + residual, per output channel.
            parallel_tasks(rows, [&](int64_t r, int) {
                alignas(64) float o[16 * L];
                const int64_t co = cb0 + r;
                const float bias_co = bias ? bias[co] : 0.0f;
                for (int64_t g = 0; g < groups; ++g) {
                    tr.output(M.data() + r * Tc + g * L, Cb * Tc, o);
                    if (row_out[static_cast<size_t>(g)]) {
                        const Lane & a = lanes[static_cast<size_t>(g * L)];
                        const int64_t at = a.y_offset + co * Ho * Wo + (a.iy0 + s.pad) * Wo + a.ix0 + s.pad;
                        tr.scatter_row_panel(o, bias_co, residual ? residual + at : nullptr, y + at, Wo);
                        continue;
                    }
                    for (int64_t l = 0; l < L; ++l) {
                        const Lane & lane = lanes[static_cast<size_t>(g * L + l)];
                        if (!lane.valid) break;
                        const int64_t oy0 = lane.iy0 + s.pad, ox0 = lane.ix0 + s.pad;
                        const int64_t base = lane.y_offset + co * Ho * Wo;
                        const int64_t ni = std::min(kTile, Ho - oy0), nj = std::min(kTile, Wo - ox0);
                        for (int64_t i = 0; i < ni; ++i)
                            for (int64_t j = 0; j < nj; ++j) {
                                const int64_t idx = base + (oy0 + i) * Wo + ox0 + j;
                                float v = o[(i * kTile + j) * L + l] + bias_co;
                                if (residual) v += residual[idx];
                                y[idx] = v;
                            }
                    }
                }
            });
        }
    }
}

} // namespace sdn
