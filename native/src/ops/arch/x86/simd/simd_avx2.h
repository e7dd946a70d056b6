// simd_avx2.h — the AVX2/FMA/F16C vector type for the generic kernels in this folder: 8 floats per
// vector, masks as vectors of all-ones / all-zeros lanes (what blendv and maskload take). Include
// only from files built with -mavx2 -mfma -mf16c. simd_avx512.h defines the same names for AVX-512.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace sdn::x86 {

struct Avx2 {
    using F = __m256;
    using M = __m256;
    static constexpr int W = 8;        // lanes
    static constexpr int kRegisters = 16;

    static F zero() { return _mm256_setzero_ps(); }
    static F set1(float v) { return _mm256_set1_ps(v); }
    static F load(const float * p) { return _mm256_load_ps(p); } // aligned
    static F loadu(const float * p) { return _mm256_loadu_ps(p); }
    static void store(float * p, F v) { _mm256_store_ps(p, v); }
    static void storeu(float * p, F v) { _mm256_storeu_ps(p, v); }
    static F broadcast(const float * p) { return _mm256_broadcast_ss(p); }
    static __m256i lanes_below(int64_t n) {
        return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    }
    // The first n (0..W) lanes from p, the others 0; nothing past p + n is read.
    static F load_first(const float * p, int64_t n) { return _mm256_maskload_ps(p, lanes_below(n)); }
    // Writes the first n lanes (0..W) of v to p; nothing past p + n is written.
    static void store_first(float * p, int64_t n, F v) { _mm256_maskstore_ps(p, lanes_below(n), v); }

    static F add(F a, F b) { return _mm256_add_ps(a, b); }
    static F sub(F a, F b) { return _mm256_sub_ps(a, b); }
    static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
    static F div(F a, F b) { return _mm256_div_ps(a, b); }
    static F fmadd(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }   // a b + c
    static F fmsub(F a, F b, F c) { return _mm256_fmsub_ps(a, b, c); }   // a b - c
    static F fnmadd(F a, F b, F c) { return _mm256_fnmadd_ps(a, b, c); } // c - a b
    // x86 min/max: when either operand is NaN the second one is returned.
    static F min(F a, F b) { return _mm256_min_ps(a, b); }
    static F max(F a, F b) { return _mm256_max_ps(a, b); }
    static F abs(F a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
    static F sign_bits(F a) { return _mm256_and_ps(a, _mm256_set1_ps(-0.0f)); }
    static F or_bits(F a, F b) { return _mm256_or_ps(a, b); }
    static F round_nearest(F a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
    // 2^n for integral n in [-126, 127] (n a float holding an integer): the exponent field.
    static F pow2i(F n) {
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23));
    }
    // y * 2^n where keep, else 0 (n a float holding an integer in [-126, 127] where keep).
    static F ldexp_keep(M keep, F y, F n) { return _mm256_and_ps(keep, _mm256_mul_ps(y, pow2i(n))); }

    static M gt(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
    static M lt(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
    static M le(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_LE_OQ); }
    static M nlt(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_NLT_UQ); } // !(a < b): true for NaN
    static M is_nan(F a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
    static bool all(M m) { return _mm256_movemask_ps(m) == 0xFF; }
    static F select(M m, F if_true, F if_false) { return _mm256_blendv_ps(if_false, if_true, m); }
    static F zero_where(M m, F a) { return _mm256_andnot_ps(m, a); }
    static F keep_where(M m, F a) { return _mm256_and_ps(m, a); }

    // A transpose of a block of up to 8 x 8 (as Avx512::transpose): dst[c * ldd + r] = src[r * lds + c]
    // * col_mul[c] for rows [0, rows) (later rows zero), columns [0, cols); stores out_len floats of each
    // of the transpose's rows [0, out_rows).
    // (always inlined: an out-of-line copy would be a symbol outside the path's namespace; see x86.h)
    [[gnu::always_inline]] static void transpose(const float * src, int64_t lds, int64_t rows, int64_t cols, F col_mul, float * dst, int64_t ldd,
                          int64_t out_rows, int64_t out_len) {
        __m256 r[8], t[8];
        for (int i = 0; i < 8; ++i) r[i] = i < rows ? mul(cols >= W ? loadu(src + i * lds) : load_first(src + i * lds, cols), col_mul) : zero();
        for (int i = 0; i < 8; i += 2) { // per 128-bit half: (a0 b0 a1 b1), (a2 b2 a3 b3)
            t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
            t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
        }
        for (int i = 0; i < 8; i += 4) { // r[i + k], half H: rows i..i+3 of column 4H + k
            r[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
            r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
            r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
            r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
        }
        for (int k = 0; k < 4; ++k) {
            t[k] = _mm256_permute2f128_ps(r[k], r[4 + k], 0x20);
            t[4 + k] = _mm256_permute2f128_ps(r[k], r[4 + k], 0x31);
        }
        for (int c = 0; c < out_rows; ++c) {
            if (out_len >= W) storeu(dst + c * ldd, t[c]);
            else store_first(dst + c * ldd, out_len, t[c]);
        }
    }

    static float hsum(F v) {
        __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        s = _mm_add_ss(s, _mm_movehdup_ps(s));
        return _mm_cvtss_f32(s);
    }
    static float hmax(F v) {
        __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        s = _mm_max_ps(s, _mm_movehl_ps(s, s));
        s = _mm_max_ss(s, _mm_movehdup_ps(s));
        return _mm_cvtss_f32(s);
    }

    // W half-precision values <-> floats (F16C, round to nearest even).
    static F load_f16(const uint16_t * p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p))); }
    static void store_f16(uint16_t * p, F v) {
        _mm_storeu_si128(reinterpret_cast<__m128i *>(p), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
    }
    static F load_bf16(const uint16_t * p) {
        const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    }
};

} // namespace sdn::x86
