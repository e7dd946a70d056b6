// activation.h — element-wise activations (y may alias x).
#pragma once

#include <cstdint>

namespace sdn {

void silu(const float * x, float * y, int64_t n);                  // x * sigmoid(x)
void gelu(const float * x, float * y, int64_t n, bool tanh_approx); // exact: x * Phi(x) (erf); tanh: GPT-2's
void quick_gelu(const float * x, float * y, int64_t n);            // x * sigmoid(1.702 x)  (CLIP)

// GEGLU as diffusers': x: [M, 2D] whose row is [value | gate]; y: [M, D] = value * gelu(gate) (exact).
void geglu(const float * x, float * y, int64_t M, int64_t D);

} // namespace sdn
