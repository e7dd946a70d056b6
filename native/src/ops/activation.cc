#include "activation.h"

#include <cmath>

namespace sdn {

static inline float gelu_exact(float v) { return 0.5f * v * (1.0f + std::erf(v * 0.70710678118654752f)); }

static inline float gelu_tanh(float v) {
    const float c = 0.79788456080286536f; // sqrt(2 / pi)
    return 0.5f * v * (1.0f + std::tanh(c * (v + 0.044715f * v * v * v)));
}

void silu(const float * x, float * y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] / (1.0f + std::exp(-x[i]));
}

void gelu(const float * x, float * y, int64_t n, bool tanh_approx) {
    if (tanh_approx)
        for (int64_t i = 0; i < n; ++i) y[i] = gelu_tanh(x[i]);
    else
        for (int64_t i = 0; i < n; ++i) y[i] = gelu_exact(x[i]);
}

void quick_gelu(const float * x, float * y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] / (1.0f + std::exp(-1.702f * x[i]));
}

void geglu(const float * x, float * y, int64_t M, int64_t D) {
    for (int64_t m = 0; m < M; ++m) {
        const float * value = x + m * 2 * D;
        const float * gate = value + D;
        for (int64_t d = 0; d < D; ++d) y[m * D + d] = value[d] * gelu_exact(gate[d]);
    }
}

} // namespace sdn
