#include "norm.h"

#include <cmath>

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

// TODO(kernels): vectorised, threaded path; until then the naive twin.
void group_norm(const float * x, float * y, int64_t B, int64_t C, int64_t S, int64_t groups, const float * gamma,
                const float * beta, float eps, bool silu) {
    group_norm_naive(x, y, B, C, S, groups, gamma, beta, eps, silu);
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

void layer_norm(const float * x, float * y, int64_t M, int64_t D, const float * gamma, const float * beta, float eps) {
    layer_norm_naive(x, y, M, D, gamma, beta, eps);
}

} // namespace sdn
