// avx512_util.h — the masked widening loads, the in-register transpose and the AMX tile configuration
// shared by the avx512 path's GEMM kernel sets (gemm_avx512.cc) and flash attention on AMX
// (attention_flash_amx.cc). Include only
// from files of this folder: they are compiled with the AVX-512 and AMX flags.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "../../../../core/tensor.h"
#include "../../../gemm.h"
#include "../arch_util.h"

namespace sdn::x86::avx512 {
namespace {

inline __mmask16 first_lanes(int64_t n) { return static_cast<__mmask16>(n >= 16 ? 0xFFFF : (1u << max64(n, 0)) - 1); }
inline __mmask32 first_lanes32(int64_t n) { return n >= 32 ? 0xFFFFFFFFu : (1u << max64(n, 0)) - 1; }

// Lanes [0, count) from the Q8_0 block at `block`, its elements from `lane` on, widened (d * q): a
// masked byte load, sign extension and one multiply by the block's scale.
inline __m512 q8_0_lanes(const uint8_t * block, int64_t lane, int64_t count) {
    const __m128i q = _mm_maskz_loadu_epi8(static_cast<__mmask16>(first_lanes(count)), block + 2 + lane);
    const __m512 d = _mm512_set1_ps(_mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(*reinterpret_cast<const uint16_t *>(block)))));
    return _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q)), d);
}

// n (<= 16) Q8_0 elements from index i (core/q8_0.h), zeros past n: one block, or the end of one and the
// start of the next (lanes placed with a masked expand).
inline __m512 load16_q8_0(const void * p, int64_t i, int64_t n) {
    if (n <= 0) return _mm512_setzero_ps(); // not even a block's scale is read
    const auto * base = static_cast<const uint8_t *>(p);
    const int64_t b = i / 32, lane = i % 32, first = n < 32 - lane ? n : 32 - lane;
    const __m512 head = q8_0_lanes(base + b * 34, lane, first);
    if (first >= n) return head;
    const __m512 tail = q8_0_lanes(base + (b + 1) * 34, 0, n - first);
    const __mmask16 upper = static_cast<__mmask16>(first_lanes(n) & ~first_lanes(first));
    return _mm512_mask_expand_ps(head, upper, tail);
}

// The first n (0..16) elements at index i of an f32/f16/bf16/q8_0 array, widened, zeros past n; nothing
// past element i + n - 1 is read.
inline __m512 load16(const void * p, DType dtype, int64_t i, int64_t n = 16) {
    const __mmask16 m = first_lanes(n);
    switch (dtype) {
        case DType::Q8_0: return load16_q8_0(p, i, n);
        case DType::F32: return _mm512_maskz_loadu_ps(m, static_cast<const float *>(p) + i);
        case DType::F16: return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, static_cast<const uint16_t *>(p) + i));
        case DType::BF16:
            return _mm512_castsi512_ps(
                _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, static_cast<const uint16_t *>(p) + i)), 16));
    }
    return _mm512_setzero_ps();
}

// The first n (0..32) elements at index i as 32 bf16 values (16 pairs in 32-bit lanes), rounded to
// nearest even from f32/f16 (vcvtne2ps2bf16: inputs below FLT_MIN count as 0), copied from bf16;
// zeros past n.
inline __m512i load32_bf16(const void * p, DType dtype, int64_t i, int64_t n) {
    if (dtype == DType::BF16) return _mm512_maskz_loadu_epi16(first_lanes32(n), static_cast<const uint16_t *>(p) + i);
    const __m512 lo = load16(p, dtype, i, n), hi = load16(p, dtype, i + 16, n - 16);
    return reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(hi, lo));
}

// x and y (16 floats each) rounded to bf16 and interleaved into pairs: x0 y0 x1 y1 ... x15 y15 (a row
// of k pairs, or of key pairs, as the bf16 kernels' B panels and AMX B tiles hold them).
inline __m512i bf16_pairs(__m512 x, __m512 y) {
    const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7, 22, 6, 21, 5,
                                                20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    return _mm512_permutexvar_epi16(interleave, reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(y, x)));
}

// In-register transpose of a 16 x 16 block of 32-bit lanes: r[i] lane j <-> r[j] lane i.
inline void transpose16(__m512 r[16]) {
    __m512 t[16], u[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        const __m512d a = _mm512_castps_pd(t[i]), b = _mm512_castps_pd(t[i + 1]);
        const __m512d c = _mm512_castps_pd(t[i + 2]), d = _mm512_castps_pd(t[i + 3]);
        u[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        u[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        u[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
        u[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
    }
    // u[4 g + q] holds, in each 128-bit lane L, rows 4 g .. 4 g + 3 of column 4 L + q.
    for (int i = 0; i < 4; ++i) {
        t[i] = _mm512_shuffle_f32x4(u[i], u[i + 4], 0x88);      // lanes 0, 2 of rows 0-3 | rows 4-7
        t[i + 4] = _mm512_shuffle_f32x4(u[i], u[i + 4], 0xDD);  // lanes 1, 3
        t[i + 8] = _mm512_shuffle_f32x4(u[i + 8], u[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_f32x4(u[i + 8], u[i + 12], 0xDD);
    }
    for (int i = 0; i < 4; ++i) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);       // columns 0-3
        r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xDD);   // columns 8-11
        r[i + 4] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0x88); // columns 4-7
        r[i + 12] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0xDD); // columns 12-15
    }
}

// ---- GEMM tile epilogue (every kernel set of this path: the sums are f32 in all of them) -------------

// Combines row i's 32 sums (v0: columns 0-15, v1: 16-31) with C as the tile asks; m0 / m1 mask the
// valid columns (masked-off lanes are neither read nor written).
inline void epilogue_row(float * c, __m512 v0, __m512 v1, int i, const gemm_detail::Tile & t, __mmask16 m0, __mmask16 m1) {
    if (!t.first || t.accumulate) {
        v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, c));
        v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, c + 16));
    }
    if (t.first) {
        if (t.bias_col) {
            v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, t.bias_col));
            v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, t.bias_col + 16));
        }
        if (t.bias_row) {
            const __m512 b = _mm512_set1_ps(t.bias_row[i]);
            v0 = _mm512_add_ps(v0, b);
            v1 = _mm512_add_ps(v1, b);
        }
        if (t.residual) {
            v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, t.residual + i * t.ldr));
            v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, t.residual + i * t.ldr + 16));
        }
    }
    _mm512_mask_storeu_ps(c, m0, v0);
    _mm512_mask_storeu_ps(c + 16, m1, v1);
}

// The first `rows` rows of a 32-column C tile into L1.
inline void prefetch_c(const float * c, int64_t ldc, int rows) {
    for (int i = 0; i < rows; ++i) {
        _mm_prefetch(reinterpret_cast<const char *>(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char *>(c + i * ldc + 31), _MM_HINT_T0);
    }
}

// The tile shapes every AMX kernel uses (palette 1): tiles 0-3 the sums (16 rows of 16 f32), 4-5 the A
// tiles (16 rows of 32 bf16), 6-7 the B tiles (16 pairs of 16 columns): all 16 rows of 64 bytes. Loaded
// once per thread and file (the configuration is per-thread state, saved with the thread's; every file
// loads the same one).
struct alignas(64) TileConfig {
    uint8_t palette = 1, start_row = 0, reserved[14] = {};
    uint16_t bytes_per_row[16] = {};
    uint8_t rows[16] = {};
};

inline void tiles_configure() {
    thread_local bool configured = false;
    if (configured) return;
    TileConfig cfg;
    for (int t = 0; t < 8; ++t) {
        cfg.rows[t] = 16;
        cfg.bytes_per_row[t] = 64;
    }
    // GCC 12's _tile_loadconfig tells the compiler it reads 8 bytes only: without this barrier the
    // stores of the other fields may be dropped (a #GP on ldtilecfg).
    __asm__ __volatile__("" : : "r"(&cfg) : "memory");
    _tile_loadconfig(&cfg);
    configured = true;
}

// The GEMM kernels' 32 x 32 tile of C in tiles 0-3 (rows 0-15 | 16-31 x columns 0-15 | 16-31): zeroed, and
// combined with C through the shared epilogue (the sums leave the tiles through a buffer).
inline void sum_tiles_zero() {
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
}

inline void sum_tiles_epilogue(float * c, int64_t ldc, const gemm_detail::Tile & tile) {
    alignas(64) float sums[32][32];
    _tile_stored(0, &sums[0][0], 32 * sizeof(float));
    _tile_stored(1, &sums[0][16], 32 * sizeof(float));
    _tile_stored(2, &sums[16][0], 32 * sizeof(float));
    _tile_stored(3, &sums[16][16], 32 * sizeof(float));
    const __mmask16 m0 = first_lanes(tile.n), m1 = first_lanes(tile.n - 16);
    for (int i = 0; i < tile.m; ++i)
        epilogue_row(c + i * ldc, _mm512_load_ps(&sums[i][0]), _mm512_load_ps(&sums[i][16]), i, tile, m0, m1);
}

} // namespace
} // namespace sdn::x86::avx512
