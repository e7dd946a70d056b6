// AVX2/FMA activations on the vectorised exp / erf of vmath_avx2.h. Tails (n % 8) go through the
// same vector code on a zero-padded copy, so every element sees identical arithmetic.
#include <immintrin.h>

#include <cstring>

#include "vmath_avx2.h"
#include "x86.h"

namespace sdn::x86 {

// Applies f to n floats, 8 at a time; the tail through a padded buffer.
template <typename F>
static inline void map8(const float * x, float * y, int64_t n, F && f) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, f(_mm256_loadu_ps(x + i)));
    if (i < n) {
        alignas(32) float tmp[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        std::memcpy(tmp, x + i, sizeof(float) * (n - i));
        _mm256_store_ps(tmp, f(_mm256_load_ps(tmp)));
        std::memcpy(y + i, tmp, sizeof(float) * (n - i));
    }
}

// v * sigmoid(k v) = v / (1 + exp(-k v))
static inline __m256 silu8(__m256 v, __m256 k) {
    const __m256 e = exp8(_mm256_mul_ps(_mm256_sub_ps(_mm256_setzero_ps(), k), v));
    return _mm256_div_ps(v, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

// v Phi(v) = 0.5 v erfc(-v / sqrt 2)  (erfc keeps the accuracy of small Phi for negative v)
static inline __m256 gelu_erf8(__m256 v) {
    const __m256 z = _mm256_mul_ps(v, _mm256_set1_ps(-0.70710678118654752f));
    return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), v), erfc8(z));
}

// 0.5 v (1 + tanh(u)) = v * sigmoid(2u), u = sqrt(2/pi) (v + 0.044715 v^3)
static inline __m256 gelu_tanh8(__m256 v) {
    const __m256 v3 = _mm256_mul_ps(_mm256_mul_ps(v, v), v);
    const __m256 u = _mm256_mul_ps(_mm256_set1_ps(0.79788456080286536f), _mm256_fmadd_ps(_mm256_set1_ps(0.044715f), v3, v));
    const __m256 e = exp8(_mm256_mul_ps(_mm256_set1_ps(-2.0f), u));
    return _mm256_div_ps(v, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

void silu(const float * x, float * y, int64_t n, float k) {
    const __m256 kv = _mm256_set1_ps(k);
    map8(x, y, n, [&](__m256 v) { return silu8(v, kv); });
}

void gelu_erf(const float * x, float * y, int64_t n) { map8(x, y, n, gelu_erf8); }

void gelu_tanh(const float * x, float * y, int64_t n) { map8(x, y, n, gelu_tanh8); }

void geglu_row(const float * x, float * y, int64_t D) {
    const float * value = x;
    const float * gate = x + D;
    int64_t i = 0;
    for (; i + 8 <= D; i += 8)
        _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(value + i), gelu_erf8(_mm256_loadu_ps(gate + i))));
    if (i < D) {
        alignas(32) float g[8] = {0, 0, 0, 0, 0, 0, 0, 0}, v[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        std::memcpy(g, gate + i, sizeof(float) * (D - i));
        std::memcpy(v, value + i, sizeof(float) * (D - i));
        _mm256_store_ps(v, _mm256_mul_ps(_mm256_load_ps(v), gelu_erf8(_mm256_load_ps(g))));
        std::memcpy(y + i, v, sizeof(float) * (D - i));
    }
}

void math_apply(int fn, const float * x, float * y, int64_t n) {
    if (fn == 0) map8(x, y, n, exp8);
    else if (fn == 1) map8(x, y, n, erf8);
    else map8(x, y, n, erfc8);
}

} // namespace sdn::x86
