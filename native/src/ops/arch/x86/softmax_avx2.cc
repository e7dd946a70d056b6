// AVX2 softmax of one row: max, exp and sum (float lanes, summed into double every 64 elements per
// lane), scale.
#include <immintrin.h>

#include <cmath>

#include "avx2_util.h"
#include "vmath_avx2.h"
#include "x86.h"

namespace sdn::x86 {

void softmax_row(float * row, int64_t N, float scale) {
    const __m256 s = _mm256_set1_ps(scale);
    const int64_t n8 = N / 8 * 8;
    __m256 mv = _mm256_set1_ps(-INFINITY);
    for (int64_t i = 0; i < n8; i += 8) mv = _mm256_max_ps(mv, _mm256_mul_ps(_mm256_loadu_ps(row + i), s));
    float mx = hmax(mv);
    for (int64_t i = n8; i < N; ++i) mx = std::fmax(mx, row[i] * scale);
    const __m256 mxv = _mm256_set1_ps(mx);
    double sum = 0.0;
    __m256 acc = _mm256_setzero_ps();
    int64_t since = 0;
    for (int64_t i = 0; i < n8; i += 8) {
        const __m256 e = exp8(_mm256_fmsub_ps(_mm256_loadu_ps(row + i), s, mxv));
        _mm256_storeu_ps(row + i, e);
        acc = _mm256_add_ps(acc, e);
        if (++since == 64) {
            sum += hsum(acc);
            acc = _mm256_setzero_ps();
            since = 0;
        }
    }
    sum += hsum(acc);
    if (n8 < N) {
        alignas(32) float tmp[8];
        for (int64_t i = 0; i < 8; ++i) tmp[i] = n8 + i < N ? row[n8 + i] * scale - mx : -INFINITY;
        _mm256_store_ps(tmp, exp8(_mm256_load_ps(tmp)));
        for (int64_t i = n8; i < N; ++i) {
            row[i] = tmp[i - n8];
            sum += tmp[i - n8];
        }
    }
    const __m256 inv = _mm256_set1_ps(static_cast<float>(1.0 / sum));
    for (int64_t i = 0; i < n8; i += 8) _mm256_storeu_ps(row + i, _mm256_mul_ps(_mm256_loadu_ps(row + i), inv));
    for (int64_t i = n8; i < N; ++i) row[i] *= static_cast<float>(1.0 / sum);
}

} // namespace sdn::x86
