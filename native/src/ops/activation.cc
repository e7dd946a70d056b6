// Activations: naive twins on the C library's functions, fast paths vectorised (arch/x86/simd/
// activation_simd.h, on the avx2 and avx512 paths) and threaded over chunks of the array.
#include "activation.h"

#include <algorithm>
#include <cmath>

#include "../core/threads.h"
#include "arch/x86/x86.h"

namespace sdn {

// x * Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2 = erfc(-x / sqrt 2) / 2: the erfc form keeps its
// digits for negative x, where 1 + erf(...) cancels.
static inline float gelu_exact(float v) { return 0.5f * v * std::erfc(v * -0.70710678118654752f); }

// 0.5 v (1 + tanh(u)) written as v * sigmoid(2u): the same function without the cancellation of
// 1 + tanh(u) for negative u.
static inline float gelu_tanh(float v) {
    const float c = 0.79788456080286536f; // sqrt(2 / pi)
    const float u = c * (v + 0.044715f * v * v * v);
    return v / (1.0f + std::exp(-2.0f * u));
}

void silu_naive(const float * x, float * y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] / (1.0f + std::exp(-x[i]));
}

void gelu_naive(const float * x, float * y, int64_t n, bool tanh_approx) {
    if (tanh_approx)
        for (int64_t i = 0; i < n; ++i) y[i] = gelu_tanh(x[i]);
    else
        for (int64_t i = 0; i < n; ++i) y[i] = gelu_exact(x[i]);
}

void quick_gelu_naive(const float * x, float * y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] / (1.0f + std::exp(-1.702f * x[i]));
}

void geglu_naive(const float * x, float * y, int64_t M, int64_t D) {
    for (int64_t m = 0; m < M; ++m) {
        const float * value = x + m * 2 * D;
        const float * gate = value + D;
        for (int64_t d = 0; d < D; ++d) y[m * D + d] = value[d] * gelu_exact(gate[d]);
    }
}

// Element-wise work in chunks of >= 16K elements over the pool (a chunk is ~10 us of work).
template <typename Fn>
static void chunked(int64_t n, Fn && fn) {
    constexpr int64_t grain = 16384;
    if (n <= grain) {
        fn(int64_t(0), n);
        return;
    }
    parallel_for(n, grain, [&](int64_t b, int64_t e, int) { fn(b, e); });
}

// One chunk on the current path: the SIMD kernels (vmath's exp / erf), else the naive twins.
static void silu_chunk(const float * x, float * y, int64_t n, float k) {
    SDN_X86_DISPATCH(silu, x, y, n, k)
    if (k == 1.0f) silu_naive(x, y, n);
    else quick_gelu_naive(x, y, n);
}

static void gelu_chunk(const float * x, float * y, int64_t n, bool tanh_approx) {
    if (tanh_approx) {
        SDN_X86_DISPATCH(gelu_tanh, x, y, n)
    } else {
        SDN_X86_DISPATCH(gelu_erf, x, y, n)
    }
    gelu_naive(x, y, n, tanh_approx);
}

static void geglu_one_row(const float * x, float * y, int64_t D) {
    SDN_X86_DISPATCH(geglu_row, x, y, D)
    geglu_naive(x, y, 1, D);
}

void silu(const float * x, float * y, int64_t n) {
    chunked(n, [&](int64_t b, int64_t e) { silu_chunk(x + b, y + b, e - b, 1.0f); });
}

void quick_gelu(const float * x, float * y, int64_t n) {
    chunked(n, [&](int64_t b, int64_t e) { silu_chunk(x + b, y + b, e - b, 1.702f); });
}

void gelu(const float * x, float * y, int64_t n, bool tanh_approx) {
    chunked(n, [&](int64_t b, int64_t e) { gelu_chunk(x + b, y + b, e - b, tanh_approx); });
}

void geglu(const float * x, float * y, int64_t M, int64_t D) {
    // In place (y overlapping x) works row by row in order (row m's output lies at or before its
    // input, and each row reads a chunk before writing it), but not with rows in parallel.
    const bool overlap = y < x + M * 2 * D && x < y + M * D;
    const int64_t grain = overlap ? std::max<int64_t>(M, 1) : std::max<int64_t>(1, 16384 / std::max<int64_t>(D, 1));
    parallel_for(M, grain, [&](int64_t m0, int64_t m1, int) {
        for (int64_t m = m0; m < m1; ++m) geglu_one_row(x + m * 2 * D, y + m * D, D);
    });
}

void math_apply(MathFn fn, const float * x, float * y, int64_t n) {
    SDN_X86_DISPATCH(math_apply, static_cast<int>(fn), x, y, n)
    for (int64_t i = 0; i < n; ++i) {
        switch (fn) {
            case MathFn::Exp: y[i] = std::exp(x[i]); break;
            case MathFn::Erf: y[i] = std::erf(x[i]); break;
            case MathFn::Erfc: y[i] = std::erfc(x[i]); break;
        }
    }
}

} // namespace sdn
