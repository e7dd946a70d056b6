// AVX2 building blocks of group norm and layer norm (see norm.cc for the algorithm).
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "avx2_util.h"
#include "vmath_avx2.h"
#include "x86.h"

namespace sdn::x86 {

// Sum of n floats: 4 x 8 float lanes over runs of 1024 elements, the runs added in double.
double norm_sum(const float * x, int64_t n) {
    double total = 0.0;
    for (int64_t i0 = 0; i0 < n; i0 += 1024) {
        const int64_t i1 = std::min<int64_t>(n, i0 + 1024);
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
        int64_t i = i0;
        for (; i + 32 <= i1; i += 32) {
            a0 = _mm256_add_ps(a0, _mm256_loadu_ps(x + i));
            a1 = _mm256_add_ps(a1, _mm256_loadu_ps(x + i + 8));
            a2 = _mm256_add_ps(a2, _mm256_loadu_ps(x + i + 16));
            a3 = _mm256_add_ps(a3, _mm256_loadu_ps(x + i + 24));
        }
        for (; i + 8 <= i1; i += 8) a0 = _mm256_add_ps(a0, _mm256_loadu_ps(x + i));
        float part = hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
        for (; i < i1; ++i) part += x[i];
        total += part;
    }
    return total;
}

// Sum of (x - mean)^2, same blocking.
double norm_sum_sq_dev(const float * x, int64_t n, float mean) {
    const __m256 m = _mm256_set1_ps(mean);
    double total = 0.0;
    for (int64_t i0 = 0; i0 < n; i0 += 1024) {
        const int64_t i1 = std::min<int64_t>(n, i0 + 1024);
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
        int64_t i = i0;
        for (; i + 32 <= i1; i += 32) {
            const __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(x + i), m), d1 = _mm256_sub_ps(_mm256_loadu_ps(x + i + 8), m);
            const __m256 d2 = _mm256_sub_ps(_mm256_loadu_ps(x + i + 16), m), d3 = _mm256_sub_ps(_mm256_loadu_ps(x + i + 24), m);
            a0 = _mm256_fmadd_ps(d0, d0, a0);
            a1 = _mm256_fmadd_ps(d1, d1, a1);
            a2 = _mm256_fmadd_ps(d2, d2, a2);
            a3 = _mm256_fmadd_ps(d3, d3, a3);
        }
        for (; i + 8 <= i1; i += 8) {
            const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + i), m);
            a0 = _mm256_fmadd_ps(d, d, a0);
        }
        float part = hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
        for (; i < i1; ++i) part += (x[i] - mean) * (x[i] - mean);
        total += part;
    }
    return total;
}

// y = (x - mean) * a + b, then SiLU when asked (y may alias x).
void norm_affine(const float * x, float * y, int64_t n, float mean, float a, float b, bool silu) {
    const __m256 mv = _mm256_set1_ps(mean), av = _mm256_set1_ps(a), bv = _mm256_set1_ps(b), one = _mm256_set1_ps(1.0f);
    int64_t i = 0;
    if (silu) {
        for (; i + 8 <= n; i += 8) {
            const __m256 v = _mm256_fmadd_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), mv), av, bv);
            const __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), v));
            _mm256_storeu_ps(y + i, _mm256_div_ps(v, _mm256_add_ps(one, e)));
        }
        for (; i < n; ++i) {
            const float v = (x[i] - mean) * a + b;
            y[i] = v / (1.0f + std::exp(-v));
        }
        return;
    }
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), mv), av, bv));
    for (; i < n; ++i) y[i] = (x[i] - mean) * a + b;
}

// y[d] = (x[d] - mean) * inv * gamma[d] + beta[d]
void layer_norm_apply(const float * x, float * y, int64_t D, float mean, float inv, const float * gamma, const float * beta) {
    const __m256 m = _mm256_set1_ps(mean), s = _mm256_set1_ps(inv);
    int64_t d = 0;
    for (; d + 8 <= D; d += 8) {
        const __m256 v = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + d), m), s);
        _mm256_storeu_ps(y + d, _mm256_fmadd_ps(v, _mm256_loadu_ps(gamma + d), _mm256_loadu_ps(beta + d)));
    }
    for (; d < D; ++d) y[d] = (x[d] - mean) * inv * gamma[d] + beta[d];
}

} // namespace sdn::x86
