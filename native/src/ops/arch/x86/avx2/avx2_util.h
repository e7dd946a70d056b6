// avx2_util.h — the AVX2/F16C loads and transposes of the avx2 GEMM packers (include only from files
// of this folder: they are compiled with -mavx2 -mfma -mf16c).
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "../../../../core/q8_0.h"
#include "../../../../core/tensor.h"

namespace sdn::x86::avx2 {

// The Q8_0 block holding element i (core/q8_0.h), and its scale d widened (F16C).
static inline const uint8_t * q8_0_block(const void * p, int64_t i) { return static_cast<const uint8_t *>(p) + i / 32 * 34; }
static inline float q8_0_scale(const uint8_t * block) {
    return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(*reinterpret_cast<const uint16_t *>(block))));
}

// 8 consecutive Q8_0 elements from index i: inside one block, 8 bytes sign-extended and multiplied by its
// scale; across two, the portable converter's.
static inline __m256 load8_q8_0(const void * p, int64_t i) {
    const uint8_t * block = q8_0_block(p, i);
    if (i % 32 > 24) {
        alignas(32) float tmp[8];
        convert_q8_0_to_f32(p, i, tmp, 8);
        return _mm256_load_ps(tmp);
    }
    const __m128i q = _mm_loadl_epi64(reinterpret_cast<const __m128i *>(block + 2 + i % 32));
    return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)), _mm256_set1_ps(q8_0_scale(block)));
}

// 8 consecutive elements of an f32/f16/bf16/q8_0 array starting at index i, widened to f32.
static inline __m256 load8(const void * p, DType dtype, int64_t i) {
    switch (dtype) {
        case DType::Q8_0: return load8_q8_0(p, i);
        case DType::F32: return _mm256_loadu_ps(static_cast<const float *>(p) + i);
        case DType::F16:
            return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(static_cast<const uint16_t *>(p) + i)));
        case DType::BF16: {
            const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i *>(static_cast<const uint16_t *>(p) + i));
            return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
        }
    }
    return _mm256_setzero_ps();
}

// One element widened to f32 (with vector instructions: see the rule in ../x86.h).
static inline float load1(const void * p, DType dtype, int64_t i) {
    switch (dtype) {
        case DType::F32: return static_cast<const float *>(p)[i];
        case DType::F16: return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(static_cast<const uint16_t *>(p)[i])));
        case DType::BF16: return _mm_cvtss_f32(_mm_castsi128_ps(_mm_cvtsi32_si128(static_cast<int>(static_cast<const uint16_t *>(p)[i]) << 16)));
        case DType::Q8_0: {
            const uint8_t * block = q8_0_block(p, i);
            return q8_0_scale(block) * static_cast<float>(static_cast<int8_t>(block[2 + i % 32]));
        }
    }
    return 0.0f;
}

// The first n (< 8) elements at index i, zero-filled to 8 lanes.
static inline __m256 load_partial(const void * p, DType dtype, int64_t i, int64_t n) {
    alignas(32) float tmp[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t j = 0; j < n; ++j) tmp[j] = load1(p, dtype, i + j);
    return _mm256_load_ps(tmp);
}

// In-register transpose of an 8x8 block: r[i] lane j  <->  r[j] lane i.
static inline void transpose8(__m256 r[8]) {
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
    r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
    r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
    r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
    r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

} // namespace sdn::x86::avx2
