#include "norm.h"

#include <algorithm>
#include <cmath>

#include "../core/threads.h"
#include "arch/x86/x86.h"

namespace sdn {

void group_norm_naive(const float * x, float * y, int64_t B, int64_t C, int64_t S, int64_t groups, const float * gamma,
                      const float * beta, float eps, bool silu) {
    const int64_t cpg = C / groups; // channels per group
    for (int64_t b = 0; b < B; ++b)
        for (int64_t g = 0; g < groups; ++g) {
            const float * xg = x + (b * C + g * cpg) * S;
            float * yg = y + (b * C + g * cpg) * S;
            const int64_t n = cpg * S;
            double mean = 0.0, var = 0.0;
            for (int64_t i = 0; i < n; ++i) mean += xg[i];
            mean /= n;
            for (int64_t i = 0; i < n; ++i) var += (xg[i] - mean) * (xg[i] - mean);
            var /= n;
            const double inv = 1.0 / std::sqrt(var + eps);
            for (int64_t c = 0; c < cpg; ++c)
                for (int64_t s = 0; s < S; ++s) {
                    const int64_t i = c * S + s;
                    double v = (xg[i] - mean) * inv * gamma[g * cpg + c] + beta[g * cpg + c];
                    if (silu) v = v / (1.0 + std::exp(-v));
                    yg[i] = static_cast<float>(v);
                }
        }
}

void layer_norm_naive(const float * x, float * y, int64_t M, int64_t D, const float * gamma, const float * beta, float eps) {
    for (int64_t m = 0; m < M; ++m) {
        const float * xr = x + m * D;
        float * yr = y + m * D;
        double mean = 0.0, var = 0.0;
        for (int64_t d = 0; d < D; ++d) mean += xr[d];
        mean /= D;
        for (int64_t d = 0; d < D; ++d) var += (xr[d] - mean) * (xr[d] - mean);
        var /= D;
        const double inv = 1.0 / std::sqrt(var + eps);
        for (int64_t d = 0; d < D; ++d) yr[d] = static_cast<float>((xr[d] - mean) * inv * gamma[d] + beta[d]);
    }
}

// ---- Fast paths -----------------------------------------------------------------------------------
// Statistics in two passes (mean, then the mean of squared deviations: no cancellation), each summed
// in float vector lanes over short runs and the runs in double; then one affine pass per channel,
// y = (x - mean) * a + beta[c] with a = gamma[c] / sigma, with SiLU fused when asked (subtracting the
// mean first keeps a near-constant group exact: x * a - mean * a would cancel catastrophically).

namespace {

double sum_portable(const float * x, int64_t n) {
    double total = 0.0;
    for (int64_t i0 = 0; i0 < n; i0 += 1024) {
        float part = 0.0f;
        for (int64_t i = i0; i < std::min(n, i0 + 1024); ++i) part += x[i];
        total += part;
    }
    return total;
}

double sum_sq_dev_portable(const float * x, int64_t n, float mean) {
    double total = 0.0;
    for (int64_t i0 = 0; i0 < n; i0 += 1024) {
        float part = 0.0f;
        for (int64_t i = i0; i < std::min(n, i0 + 1024); ++i) part += (x[i] - mean) * (x[i] - mean);
        total += part;
    }
    return total;
}

void affine_portable(const float * x, float * y, int64_t n, float mean, float a, float b, bool silu) {
    for (int64_t i = 0; i < n; ++i) {
        const float v = (x[i] - mean) * a + b;
        y[i] = silu ? v / (1.0f + std::exp(-v)) : v;
    }
}

struct NormFns {
    double (*sum)(const float *, int64_t);
    double (*sum_sq_dev)(const float *, int64_t, float);
    void (*affine)(const float *, float *, int64_t, float, float, float, bool);
};

NormFns norm_fns() {
#if SDN_X86
    switch (cpu_isa()) {
        case Isa::Avx512: return {x86::avx512::norm_sum, x86::avx512::norm_sum_sq_dev, x86::avx512::norm_affine};
        case Isa::Avx2: return {x86::avx2::norm_sum, x86::avx2::norm_sum_sq_dev, x86::avx2::norm_affine};
        case Isa::Portable: break;
    }
#endif
    return {sum_portable, sum_sq_dev_portable, affine_portable};
}

void layer_norm_row(const float * x, float * y, int64_t D, float mean, float inv, const float * gamma, const float * beta) {
    SDN_X86_DISPATCH(layer_norm_apply, x, y, D, mean, inv, gamma, beta)
    for (int64_t d = 0; d < D; ++d) y[d] = (x[d] - mean) * inv * gamma[d] + beta[d];
}

} // namespace

void group_norm(const float * x, float * y, int64_t B, int64_t C, int64_t S, int64_t groups, const float * gamma,
                const float * beta, float eps, bool silu) {
    require(groups >= 1 && C % groups == 0, SDN_STATUS_BAD_SHAPE,
            "group_norm: " + std::to_string(C) + " channels do not split into " + std::to_string(groups) + " groups");
    const int64_t cpg = C / groups;
    const NormFns f = norm_fns();
    // One task per (batch, group); a group is cpg * S contiguous floats.
    parallel_tasks(B * groups, [&](int64_t task, int) {
        const int64_t b = task / groups, g = task % groups;
        const float * xg = x + (b * C + g * cpg) * S;
        float * yg = y + (b * C + g * cpg) * S;
        const int64_t n = cpg * S;
        if (n == 0) return;
        const float mean = static_cast<float>(f.sum(xg, n) / n);
        const double var = f.sum_sq_dev(xg, n, mean) / n;
        const float inv = static_cast<float>(1.0 / std::sqrt(var + eps));
        for (int64_t c = 0; c < cpg; ++c) {
            const float a = gamma[g * cpg + c] * inv;
            f.affine(xg + c * S, yg + c * S, S, mean, a, beta[g * cpg + c], silu);
        }
    });
}

void layer_norm(const float * x, float * y, int64_t M, int64_t D, const float * gamma, const float * beta, float eps) {
    if (M <= 0 || D <= 0) return;
    const NormFns f = norm_fns();
    parallel_for(M, std::max<int64_t>(1, 8192 / D), [&](int64_t m0, int64_t m1, int) {
        for (int64_t m = m0; m < m1; ++m) {
            const float * xr = x + m * D;
            float * yr = y + m * D;
            const float mean = static_cast<float>(f.sum(xr, D) / D);
            const double var = f.sum_sq_dev(xr, D, mean) / D;
            const float inv = static_cast<float>(1.0 / std::sqrt(var + eps));
            layer_norm_row(xr, yr, D, mean, inv, gamma, beta);
        }
    });
}

} // namespace sdn
