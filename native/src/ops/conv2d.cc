// conv2d: the naive twin (seven loops) and the fast path as an implicit GEMM per batch item:
//
//   Y[co, p] = sum_k W[co, k] * X[k, p] (+ bias[co]) (+ residual[co, p])
//   k = (ci * KH + ky) * KW + kx   (the weight's own [Cout, Cin, KH, KW] layout, so W is [Cout, K])
//   p = oy * Wo + ox               (so Y is the NCHW output plane, row stride Ho * Wo)
//   X[k, p] = x[ci, oy * stride - pad + ky, ox * stride - pad + kx]  (0 outside the image)
//
// The weight is the GEMM's A: packed once per call (per K slice), converting f16/bf16, and shared by
// the batch. X is never materialised: the driver asks for one KC x NB block of it at a time and the
// packer below gathers it straight from the image into the packed-B layout (im2col per block).
// 1x1 stride-1 convolutions need no gathering: X is the input plane matrix [Cin, H * W] itself.
// Stride-1 3x3 convolutions with enough channels and pixels go to Winograd instead (conv2d_algo in
// conv2d_winograd.cc decides, for conv2d() and conv2d_workspace_bytes() alike).
#include "conv2d.h"

#include <algorithm>
#include <functional>
#include <cstring>

#include "../core/arena.h"
#include "../core/threads.h"
#include "conv2d_winograd.h"
#include "gemm.h"

namespace sdn {

void conv2d_naive(const Conv2dShape & s, const float * x, const Tensor & w, const float * bias, const float * residual,
                  float * y) {
    const int64_t Ho = s.out_h(), Wo = s.out_w();
    const MatB wm{w.data, w.dtype, false, 1}; // flat index view for matb_at(k = flat index, n = 0)
    // What the products multiply: the inputs themselves, or their bf16 roundings (as gemm_naive).
    const auto input = [&s](float v) { return s.precision == Precision::BF16 ? bf16_to_f32(f32_to_bf16(v)) : v; };
    for (int64_t b = 0; b < s.B; ++b)
        for (int64_t co = 0; co < s.Cout; ++co)
            for (int64_t oy = 0; oy < Ho; ++oy)
                for (int64_t ox = 0; ox < Wo; ++ox) {
                    double sum = bias ? bias[co] : 0.0;
                    for (int64_t ci = 0; ci < s.Cin; ++ci)
                        for (int64_t ky = 0; ky < s.KH; ++ky) {
                            const int64_t iy = oy * s.stride - s.pad + ky;
                            if (iy < 0 || iy >= s.H) continue;
                            for (int64_t kx = 0; kx < s.KW; ++kx) {
                                const int64_t ix = ox * s.stride - s.pad + kx;
                                if (ix < 0 || ix >= s.W) continue;
                                const int64_t f = s.upsample, h = s.H / f, w_ = s.W / f; // stored size
                                const float xv = x[((b * s.Cin + ci) * h + iy / f) * w_ + ix / f]; // nearest up-sampling
                                const float wv = matb_at(wm, ((co * s.Cin + ci) * s.KH + ky) * s.KW + kx, 0);
                                sum += static_cast<double>(input(xv)) * input(wv);
                            }
                        }
                    const int64_t o = ((b * s.Cout + co) * Ho + oy) * Wo + ox;
                    y[o] = static_cast<float>(sum) + (residual ? residual[o] : 0.0f);
                }
}

namespace {

constexpr int64_t kMaxNR = 32; // the widest column panel of the GEMM kernel sets

// Packs X[k0 .. k0 + kc, p0 .. p0 + np) of one image (x: [Cin, H, W]) into f32 panels of NR columns
// (panel[k * NR + c], columns past np zero). A panel's NR positions are cut into runs that lie on
// one output row; for each k a run reads one input row: with stride 1 a contiguous copy of its
// in-image part (zeros for the padding), with other strides a strided gather. With s.upsample = f the
// image is read through the nearest up-sampling: input (iy, ix) is stored pixel (iy / f, ix / f).
void pack_im2col(const Conv2dShape & s, const float * x, int64_t k0, int64_t kc, int64_t p0, int64_t np, int64_t NR, float * dst) {
    const int64_t Wo = s.out_w();
    struct Run { int64_t c0, len, oy, ox0; };
    for (int64_t j = 0; j * NR < np; ++j) {
        float * d = dst + j * kc * NR;
        const int64_t first = p0 + j * NR, cols = std::min<int64_t>(NR, np - j * NR);
        Run runs[kMaxNR];
        int n_runs = 0;
        for (int64_t c = 0; c < cols;) {
            const int64_t oy = (first + c) / Wo, ox = (first + c) % Wo;
            const int64_t len = std::min(cols - c, Wo - ox);
            runs[n_runs++] = Run{c, len, oy, ox};
            c += len;
        }
        // (ci, ky, kx) of k0, then stepped along with k.
        int64_t kx = k0 % s.KW, ky = (k0 / s.KW) % s.KH, ci = k0 / (s.KW * s.KH);
        const int64_t f = s.upsample, hs = s.H / f, ws = s.W / f; // stored size
        for (int64_t k = 0; k < kc; ++k, d += NR) {
            const float * plane = x + ci * hs * ws;
            if (cols < NR) std::memset(d + cols, 0, sizeof(float) * (NR - cols));
            for (int r = 0; r < n_runs; ++r) {
                const Run & run = runs[r];
                float * out = d + run.c0;
                const int64_t iy = run.oy * s.stride - s.pad + ky;
                if (iy < 0 || iy >= s.H) {
                    std::memset(out, 0, sizeof(float) * run.len);
                    continue;
                }
                const float * row = plane + iy / f * ws;
                const int64_t ix0 = run.ox0 * s.stride - s.pad + kx; // input column of the run's first position
                if (f > 1) {
                    for (int64_t t = 0; t < run.len; ++t) {
                        const int64_t ix = ix0 + t * s.stride;
                        out[t] = ix >= 0 && ix < s.W ? row[ix / f] : 0.0f;
                    }
                } else if (s.stride == 1) {
                    // Positions t in [0, len) read row[ix0 + t]; the in-image ones are [lo, hi).
                    const int64_t lo = std::min(run.len, std::max<int64_t>(0, -ix0));
                    const int64_t hi = std::max(lo, std::min(run.len, s.W - ix0));
                    if (lo > 0) std::memset(out, 0, sizeof(float) * lo);
                    if (hi > lo) std::memcpy(out + lo, row + ix0 + lo, sizeof(float) * (hi - lo));
                    if (run.len > hi) std::memset(out + hi, 0, sizeof(float) * (run.len - hi));
                } else {
                    for (int64_t t = 0; t < run.len; ++t) {
                        const int64_t ix = ix0 + t * s.stride;
                        out[t] = ix >= 0 && ix < s.W ? row[ix] : 0.0f;
                    }
                }
            }
            if (++kx == s.KW) {
                kx = 0;
                if (++ky == s.KH) {
                    ky = 0;
                    ++ci;
                }
            }
        }
    }
}

} // namespace

static void check_shape(const Conv2dShape & s) {
    require(s.B >= 0 && s.Cin >= 1 && s.Cout >= 1 && s.KH >= 1 && s.KW >= 1 && s.stride >= 1 && s.pad >= 0,
            SDN_STATUS_BAD_ARGUMENT, "conv2d: channels, kernel size and stride must be >= 1, padding >= 0");
    require(s.H + 2 * s.pad >= s.KH && s.W + 2 * s.pad >= s.KW, SDN_STATUS_BAD_SHAPE,
            "conv2d: the kernel is larger than the padded input");
    require(s.upsample >= 1 && s.H % s.upsample == 0 && s.W % s.upsample == 0, SDN_STATUS_BAD_ARGUMENT,
            "conv2d: the up-sampled size must be a multiple of the up-sampling factor (>= 1)");
}

// Whether the small-image path packs the weight once for the whole batch (conv2d_run): several images
// whose column panels (NR wide) never straddle two of them.
static bool batch_shares_weight(const Conv2dShape & s, int64_t NR) {
    const int64_t P = s.out_h() * s.out_w();
    return s.B > 1 && P % NR == 0;
}

// The implicit GEMM.
static void conv2d_run(const Conv2dShape & s, const float * x, const Tensor & w, const float * bias, const float * residual, float * y,
                       const void * w_packed) {
    using namespace gemm_detail;
    const int64_t Ho = s.out_h(), Wo = s.out_w(), P = Ho * Wo;
    const int64_t M = s.Cout, K = s.Cin * s.KH * s.KW;
    if (s.B == 0 || P == 0) return;
    const Kernels & kern = kernels(s.precision);
    const int64_t MR = kern.MR, NR = kern.NR;
    require(NR <= kMaxNR, SDN_STATUS_INTERNAL, "conv2d: column panels wider than the gather's runs");
    const bool plain_1x1 = s.KH == 1 && s.KW == 1 && s.stride == 1 && s.pad == 0 && s.upsample == 1;

    // The B side of image b, K offset kb: the plane matrix itself for 1x1, else im2col per block (f32
    // panels straight into the kernel's layout, or, for kernels of another element type, through a
    // per-thread f32 panel converted by the kernel set's own packer).
    auto b_side_of = [&](int64_t b, int64_t kb) {
        const float * xb = x + b * s.Cin * (s.H / s.upsample) * (s.W / s.upsample);
        Side side;
        if (plain_1x1) {
            const MatB xm{xb, DType::F32, false, P};
            side.pack = [&kern, xm, kb](int64_t n0, int64_t nc, int64_t k0, int64_t kc, void * dst) {
                kern.pack_b(xm, kb + k0, kc, n0, nc, dst);
            };
        } else if (kern.elem_bytes == 4) {
            side.pack = [&s, xb, kb, NR](int64_t n0, int64_t nc, int64_t k0, int64_t kc, void * dst) {
                pack_im2col(s, xb, kb + k0, kc, n0, nc, NR, static_cast<float *>(dst));
            };
        } else {
            side.pack = [&s, &kern, xb, kb, NR](int64_t n0, int64_t nc, int64_t k0, int64_t kc, void * dst) {
                float * panel = static_cast<float *>(thread_scratch(2, kc * NR * static_cast<int64_t>(sizeof(float))));
                for (int64_t j = 0; j * NR < nc; ++j) {
                    pack_im2col(s, xb, kb + k0, kc, n0 + j * NR, std::min(NR, nc - j * NR), NR, panel);
                    kern.pack_b(MatB{panel, DType::F32, false, NR}, 0, kc, 0, NR, static_cast<char *>(dst) + j * kern.panel_bytes(NR, kc));
                }
            };
        }
        return side;
    };
    auto epilogue_of = [&](int64_t b, bool first_slice) {
        Epilogue epi;
        if (first_slice) {
            epi.bias_row = bias;
            epi.residual = residual ? residual + b * M * P : nullptr;
            epi.ldr = P;
        } else {
            epi.accumulate = true;
        }
        return epi;
    };

    // Small images (P < 2 NB: the 16x16 and 8x8 levels of a UNet): few column tiles would reuse a
    // pre-packed weight, and writing and re-reading it would cost more memory traffic than the
    // product (a 1280-channel 3x3 weight is 59 MB in f32): the driver packs A blocks from the
    // weight straight into cache instead, tiles split along Cout.
    if (P < 2 * NB) {
        Side a_side;
        if (w_packed) {
            a_side.packed = w_packed;
            a_side.narrow = gemm_packed_narrow(s.precision, w.dtype);
        } else {
            a_side.pack = [&](int64_t m0, int64_t mc, int64_t k0, int64_t kc, void * dst) {
                kern.pack_a(w.data, w.dtype, K, m0, mc, k0, kc, dst);
            };
            a_side.source = w.dtype;
        }
        if (!batch_shares_weight(s, NR)) {
            for (int64_t b = 0; b < s.B; ++b) driver(kern, M, P, K, a_side, b_side_of(b, 0), y + b * M * P, P, epilogue_of(b, true));
            return;
        }
        // Several images: one product over all of their columns (column n: image n / P, position n % P),
        // so each weight block is packed once for the batch rather than once per image (at batch 2 the
        // packing was ~5% of an SD 1.5 UNet call; at 8x8 a weight element serves only 2 P products per
        // image). Column panels never straddle two images (P is a multiple of NR). The product lands in
        // [Cout, B P] and is then copied into y. The residual is laid out there first and added by the
        // kernel's epilogue as on the per-image path (sums + bias + residual, then the later K blocks), so
        // both paths give the same bits.
        const int64_t N = s.B * P;
        Buffer<float> out(static_cast<size_t>(M * N));
        const auto rows = [&](const std::function<void(int64_t b, int64_t m, float * packed, float * image)> & fn) {
            parallel_for(s.B * M, 16, [&](int64_t row0, int64_t row1, int) {
                for (int64_t r = row0; r < row1; ++r) fn(r / M, r % M, out.data() + (r % M) * N + (r / M) * P, y + r * P);
            });
        };
        if (residual) // may alias y: read here, before y is written
            rows([&](int64_t b, int64_t m, float * packed, float *) { std::memcpy(packed, residual + (b * M + m) * P, sizeof(float) * P); });
        Side b_side;
        b_side.pack = [&](int64_t n0, int64_t nc, int64_t k0, int64_t kc, void * dst) {
            for (int64_t j = 0; j * NR < nc; ++j) {
                const int64_t n = n0 + j * NR, b = n / P;
                b_side_of(b, 0).pack(n % P, std::min(NR, nc - j * NR), k0, kc, static_cast<char *>(dst) + j * kern.panel_bytes(NR, kc));
            }
        };
        Epilogue epi;
        epi.bias_row = bias;
        if (residual) { // the residual, in C's own place (the epilogue reads a tile's residual before writing it)
            epi.residual = out.data();
            epi.ldr = N;
        }
        driver(kern, M, N, K, a_side, b_side, out.data(), N, epi);
        rows([&](int64_t, int64_t, float * packed, float * image) { std::memcpy(image, packed, sizeof(float) * P); });
        return;
    }

    if (w_packed) { // all of K at once: no packing buffer to bound
        Side a_side;
        a_side.packed = w_packed;
        a_side.narrow = gemm_packed_narrow(s.precision, w.dtype);
        for (int64_t b = 0; b < s.B; ++b) driver(kern, M, P, K, a_side, b_side_of(b, 0), y + b * M * P, P, epilogue_of(b, true));
        return;
    }
    const int64_t ks_max = k_slice(kern, M, MR, K);
    Buffer<char> packed_w(static_cast<size_t>(kern.packed_bytes(M, MR, ks_max)));
    for (int64_t kb = 0; kb < K; kb += ks_max) {
        const int64_t ks = std::min(ks_max, K - kb);
        char * pa = packed_w.data();
        prepack(kern, M, MR, ks, [&](int64_t m0, int64_t mc, int64_t k0, int64_t kc, void * dst) {
            kern.pack_a(w.data, w.dtype, K, m0, mc, kb + k0, kc, dst);
        }, pa);
        Side a_side;
        a_side.packed = pa;
        a_side.source = w.dtype;
        for (int64_t b = 0; b < s.B; ++b) driver(kern, M, P, ks, a_side, b_side_of(b, kb), y + b * M * P, P, epilogue_of(b, kb == 0));
    }
}

int64_t conv2d_workspace_bytes(const Conv2dShape & s, bool w_packed) {
    using namespace gemm_detail;
    if (conv2d_algo(s) == ConvAlgo::Winograd) return conv2d_winograd_workspace_bytes(s);
    const int64_t P = s.out_h() * s.out_w(), M = s.Cout, K = s.Cin * s.KH * s.KW;
    if (s.B <= 0 || P <= 0) return 0;
    const Kernels & kern = kernels(s.precision);
    if (P < 2 * NB) // the paths of conv2d_run that pack no whole weight; a batch's product lands in [Cout, B P] first
        return batch_shares_weight(s, kern.NR) ? arena_block_bytes(M * s.B * P * static_cast<int64_t>(sizeof(float))) : 0;
    return w_packed ? 0 : arena_block_bytes(kern.packed_bytes(M, kern.MR, k_slice(kern, M, kern.MR, K)));
}

bool conv2d_takes_packed_weight(const Conv2dShape & s) { return conv2d_algo(s) != ConvAlgo::Winograd; }

int64_t conv2d_packed_weight_bytes(const Conv2dShape & s, DType w_dtype) {
    const gemm_detail::Kernels & kern = gemm_detail::kernels(s.precision);
    const int64_t bytes = kern.packed_bytes(s.Cout, kern.MR, s.Cin * s.KH * s.KW);
    return gemm_packed_narrow(s.precision, w_dtype) == DType::F32 ? bytes : bytes / kern.elem_bytes * 2;
}

void conv2d_pack_weight(const Conv2dShape & s, const Tensor & w, void * dst) {
    using namespace gemm_detail;
    const Kernels & kern = kernels(s.precision);
    const int64_t M = s.Cout, K = s.Cin * s.KH * s.KW;
    require(w.numel() == M * K, SDN_STATUS_BAD_SHAPE, "conv2d_pack_weight: weight " + shape_str(w.shape) + " does not match the shape");
    const DType narrow = gemm_packed_narrow(s.precision, w.dtype);
    const PackAFn pack_a = kern.pack_a_for(narrow);
    prepack_weight(kern, M, kern.MR, K, narrow, [&](int64_t m0, int64_t mc, int64_t k0, int64_t kc, void * out) {
        pack_a(w.data, w.dtype, K, m0, mc, k0, kc, out);
    }, dst);
}

void conv2d(const Conv2dShape & s, const float * x, const Tensor & w, const float * bias, const float * residual, float * y,
            const void * w_packed) {
    check_shape(s);
    require(w.numel() == s.Cout * s.Cin * s.KH * s.KW, SDN_STATUS_BAD_SHAPE,
            "conv2d: weight " + shape_str(w.shape) + " does not match [Cout, Cin, KH, KW] = [" + std::to_string(s.Cout) + ", " +
                std::to_string(s.Cin) + ", " + std::to_string(s.KH) + ", " + std::to_string(s.KW) + "]");
    if (s.B > 0 && conv2d_algo(s) == ConvAlgo::Winograd) return conv2d_winograd(s, x, w, bias, residual, y);
    conv2d_run(s, x, w, bias, residual, y, w_packed);
}

} // namespace sdn
