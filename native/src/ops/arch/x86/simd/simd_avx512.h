// simd_avx512.h — the AVX-512 (F, BW, VL, DQ) vector type for the generic kernels in this folder:
// 16 floats per vector, masks in mask registers. Same names as simd_avx2.h; include only from files
// built with the AVX-512 flags.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace sdn::x86 {

struct Avx512 {
    using F = __m512;
    using M = __mmask16;
    static constexpr int W = 16;
    static constexpr int kRegisters = 32;

    static F zero() { return _mm512_setzero_ps(); }
    static F set1(float v) { return _mm512_set1_ps(v); }
    static F load(const float * p) { return _mm512_load_ps(p); }
    static F loadu(const float * p) { return _mm512_loadu_ps(p); }
    static void store(float * p, F v) { _mm512_store_ps(p, v); }
    static void storeu(float * p, F v) { _mm512_storeu_ps(p, v); }
    static F broadcast(const float * p) { return _mm512_set1_ps(*p); }
    static M lanes_below(int64_t n) { return static_cast<M>(n >= 16 ? 0xFFFF : (1u << n) - 1); }
    static F load_first(const float * p, int64_t n) { return _mm512_maskz_loadu_ps(lanes_below(n), p); }
    static void store_first(float * p, int64_t n, F v) { _mm512_mask_storeu_ps(p, lanes_below(n), v); }

    static F add(F a, F b) { return _mm512_add_ps(a, b); }
    static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
    static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
    static F div(F a, F b) { return _mm512_div_ps(a, b); }
    static F fmadd(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
    static F fmsub(F a, F b, F c) { return _mm512_fmsub_ps(a, b, c); }
    static F fnmadd(F a, F b, F c) { return _mm512_fnmadd_ps(a, b, c); }
    static F min(F a, F b) { return _mm512_min_ps(a, b); }
    static F max(F a, F b) { return _mm512_max_ps(a, b); }
    static F abs(F a) { return _mm512_abs_ps(a); }
    static F sign_bits(F a) { return _mm512_and_ps(a, _mm512_set1_ps(-0.0f)); }
    static F or_bits(F a, F b) { return _mm512_or_ps(a, b); }
    static F round_nearest(F a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
    static F pow2i(F n) {
        return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23));
    }
    // y * 2^n where keep, else 0 (n a float holding an integer; vscalefps, any n).
    static F ldexp_keep(M keep, F y, F n) { return _mm512_maskz_scalef_ps(keep, y, n); }

    static M gt(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
    static M lt(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
    static M le(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ); }
    static M nlt(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_NLT_UQ); }
    static M is_nan(F a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
    static bool all(M m) { return m == 0xFFFF; }
    static F select(M m, F if_true, F if_false) { return _mm512_mask_blend_ps(m, if_false, if_true); }
    static F zero_where(M m, F a) { return _mm512_maskz_mov_ps(static_cast<M>(~m), a); }
    static F keep_where(M m, F a) { return _mm512_maskz_mov_ps(m, a); }

    // A transpose of a block of up to 16 x 16: loads rows [0, rows) of `cols` floats at src (row stride
    // lds; later rows read as zero), multiplies each by col_mul (lane c scales column c), and stores
    // out_len floats of each of the transpose's rows [0, out_rows) at dst (row stride ldd):
    // dst[c * ldd + r] = src[r * lds + c] * col_mul[c]. 64 shuffles for 256 floats.
    // (always inlined: an out-of-line copy would be a symbol outside the path's namespace; see x86.h)
    [[gnu::always_inline]] static void transpose(const float * src, int64_t lds, int64_t rows, int64_t cols, F col_mul, float * dst, int64_t ldd,
                          int64_t out_rows, int64_t out_len) {
        __m512 r[16], t[16];
        for (int i = 0; i < 16; ++i) r[i] = i < rows ? mul(cols >= W ? loadu(src + i * lds) : load_first(src + i * lds, cols), col_mul) : zero();
        for (int i = 0; i < 16; i += 2) { // per 128-bit lane: (a0 b0 a1 b1), (a2 b2 a3 b3)
            t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
            t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
        }
        for (int i = 0; i < 16; i += 4) { // r[i + k], lane L: rows i..i+3 of column 4L + k
            r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
            r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
            r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
            r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
        }
        for (int k = 0; k < 4; ++k) { // column 4L + k: lane L of r[k], r[4 + k], r[8 + k], r[12 + k]
            const __m512 u0 = _mm512_shuffle_f32x4(r[k], r[4 + k], 0x44), u1 = _mm512_shuffle_f32x4(r[k], r[4 + k], 0xEE);
            const __m512 u2 = _mm512_shuffle_f32x4(r[8 + k], r[12 + k], 0x44), u3 = _mm512_shuffle_f32x4(r[8 + k], r[12 + k], 0xEE);
            t[k] = _mm512_shuffle_f32x4(u0, u2, 0x88);
            t[4 + k] = _mm512_shuffle_f32x4(u0, u2, 0xDD);
            t[8 + k] = _mm512_shuffle_f32x4(u1, u3, 0x88);
            t[12 + k] = _mm512_shuffle_f32x4(u1, u3, 0xDD);
        }
        for (int c = 0; c < out_rows; ++c) {
            if (out_len >= W) storeu(dst + c * ldd, t[c]);
            else store_first(dst + c * ldd, out_len, t[c]);
        }
    }

    static float hsum(F v) { return _mm512_reduce_add_ps(v); }
    static float hmax(F v) { return _mm512_reduce_max_ps(v); }

    static F load_f16(const uint16_t * p) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(p))); }
    static void store_f16(uint16_t * p, F v) {
        _mm256_storeu_si256(reinterpret_cast<__m256i *>(p), _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
    }
    static F load_bf16(const uint16_t * p) {
        const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p));
        return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    }
};

} // namespace sdn::x86
