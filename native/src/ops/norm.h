// norm.h — group norm and layer norm (biased variance, as PyTorch).
#pragma once

#include <cstdint>

namespace sdn {

// x, y: [B, C, S] (S = H * W; y may alias x); C % groups == 0; gamma, beta: [C].
// y = (x - mean_g) / sqrt(var_g + eps) * gamma[c] + beta[c]; then SiLU if `silu`.
void group_norm(const float * x, float * y, int64_t B, int64_t C, int64_t S, int64_t groups, const float * gamma,
                const float * beta, float eps, bool silu);
void group_norm_naive(const float * x, float * y, int64_t B, int64_t C, int64_t S, int64_t groups, const float * gamma,
                      const float * beta, float eps, bool silu);

// x, y: [M, D] (y may alias x); normalises each row; gamma, beta: [D].
void layer_norm(const float * x, float * y, int64_t M, int64_t D, const float * gamma, const float * beta, float eps);
void layer_norm_naive(const float * x, float * y, int64_t M, int64_t D, const float * gamma, const float * beta, float eps);

} // namespace sdn
