// activation.h — element-wise activations (y may alias x).
// The fast paths are vectorised (AVX2 / AVX-512: own exp/erf, ~2e-7 relative error) and threaded; each has a
// *_naive twin in plain C++ on std::exp / std::erf / std::tanh, the specification.
#pragma once

#include <cstdint>

namespace sdn {

void silu(const float * x, float * y, int64_t n);                  // x * sigmoid(x)
void gelu(const float * x, float * y, int64_t n, bool tanh_approx); // exact: x * Phi(x) (erf); tanh: GPT-2's
void quick_gelu(const float * x, float * y, int64_t n);            // x * sigmoid(1.702 x)  (CLIP)

// GEGLU as diffusers': x: [M, 2D] whose row is [value | gate]; y: [M, D] = value * gelu(gate) (exact).
// y may be x (the result then fills the first M * D floats).
void geglu(const float * x, float * y, int64_t M, int64_t D);

void silu_naive(const float * x, float * y, int64_t n);
void gelu_naive(const float * x, float * y, int64_t n, bool tanh_approx);
void quick_gelu_naive(const float * x, float * y, int64_t n);
void geglu_naive(const float * x, float * y, int64_t M, int64_t D);

// The element functions behind the fast activations, exposed for accuracy tests:
// y[i] = f(x[i]) with the same code the activations use (vectorised on the avx2 and avx512 paths).
enum class MathFn { Exp, Erf, Erfc };
void math_apply(MathFn fn, const float * x, float * y, int64_t n);

} // namespace sdn
