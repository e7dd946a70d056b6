// The avx512 path's GEMM kernel sets (see gemm.h for the packed formats and the blocking around
// them), both on a 14 x 32 tile held in 28 ZMM accumulators:
//   f32:  per k, two B vectors (32 columns), 14 A broadcasts, 28 FMAs (vfmadd231ps)
//   bf16: per pair of k, two B vectors (32 columns x 2 k), 14 A pair broadcasts, 28 vdpbf16ps: each
//         multiplies two bf16 pairs and adds both products to an f32 lane (AVX512_BF16)
// 28 accumulators + 2 B vectors + a broadcast fill 31 of the 32 registers; two FMA pipes with 4 cycles
// of latency need 8 independent chains, 28 leave room. The packers widen f16 / bf16 (and round to
// bf16 for the bf16 set) on the way in, transposing 16 x 16 blocks of 32-bit lanes in registers.
// A third set, for CPUs with AMX (cpu_amx()), takes the bf16 products to the tile unit:
//   amx:  a 32 x 32 tile of C in four 16 x 16 f32 tile registers; per 32 steps of k, two A tiles
//         (16 rows x 32 k) and two B tiles (16 k pairs x 16 columns), four tdpbf16ps (each 16 x 16 x 32
//         multiply-adds, 16 times the work of a vdpbf16ps)
// and f32 products on the tile unit, each value split into bf16 pieces, are gemm_amx_f32.cc's.
#include <immintrin.h>

#include <cstring>

#include "../arch_util.h"
#include "avx512_util.h"
#include "../x86.h"

namespace sdn::x86::avx512 {

using gemm_detail::Tile;
constexpr int64_t MR = kGemmMR, NR = kGemmNR;
static_assert(MR <= 16 && NR == 32, "the packers transpose 16 x 16 blocks: MR <= 16 rows, two 16-column halves");

namespace {

// The 14 x 32 sets' epilogue: the tile's rows from its accumulators.
inline void epilogue(const __m512 (&acc)[MR][2], float * c, int64_t ldc, const Tile & t) {
    const __mmask16 m0 = first_lanes(t.n), m1 = first_lanes(t.n - 16);
    for (int i = 0; i < MR; ++i)
        if (i < t.m) epilogue_row(c + i * ldc, acc[i][0], acc[i][1], i, t, m0, m1);
}

} // namespace

// ---- f32 -------------------------------------------------------------------------------------------

// C[0:14, 0:32] (+)= sum_k a[k * 14 + i] * b[k * 32 + j].
void gemm_kernel(int64_t kc, const void * a_packed, const void * b_packed, float * c, int64_t ldc, const Tile & tile) {
    const float * a = static_cast<const float *>(a_packed);
    const float * b = static_cast<const float *>(b_packed);
    prefetch_c(c, ldc, tile.m);
    __m512 acc[MR][2];
    for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    for (int64_t k = 0; k < kc; ++k, a += MR, b += NR) {
        const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
        for (int i = 0; i < MR; ++i) {
            const __m512 ai = _mm512_set1_ps(a[i]);
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
        }
    }
    epilogue(acc, c, ldc, tile);
}

// Rows [m0, m0 + mc) x k [k0, k0 + kc) of A into 14-row panels: 16 k-columns of the panel's rows
// (rows 14, 15 and those past mc are zero) are loaded, widened, transposed, and stored as 16 groups
// of 14 floats (masked: nothing is written past a group, panels may be packed by different threads).
void gemm_pack_a(const void * A, DType dtype, int64_t lda, int64_t m0, int64_t mc, int64_t k0, int64_t kc, void * dst_bytes) {
    float * dst = static_cast<float *>(dst_bytes);
    for (int64_t p = 0; p * MR < mc; ++p) {
        float * d = dst + p * kc * MR;
        const int64_t rows = min64(MR, mc - p * MR);
        const int64_t row0 = (m0 + p * MR) * lda + k0; // element index of (first row, k0)
        for (int64_t k = 0; k < kc; k += 16) {
            const int64_t n = min64(16, kc - k);
            __m512 r[16];
            for (int64_t i = 0; i < 16; ++i) r[i] = i < rows ? load16(A, dtype, row0 + i * lda + k, n) : _mm512_setzero_ps();
            transpose16(r);
            for (int64_t j = 0; j < n; ++j) _mm512_mask_storeu_ps(d + (k + j) * MR, first_lanes(MR), r[j]);
        }
    }
}

// k [k0, k0 + kc) x columns [n0, n0 + nc) of op(B) into 32-column panels. Non-transposed B: each k
// row of a panel is 32 contiguous elements (two widening loads). Transposed B (a linear's weight,
// [N, K]): each panel column is a contiguous run along k, so 16 k x 16 n blocks are transposed.
void gemm_pack_b(const MatB & B, int64_t k0, int64_t kc, int64_t n0, int64_t nc, void * dst_bytes) {
    float * dst = static_cast<float *>(dst_bytes);
    for (int64_t p = 0; p * NR < nc; ++p) {
        float * d = dst + p * kc * NR;
        const int64_t cols = min64(NR, nc - p * NR);
        const int64_t col0 = n0 + p * NR;
        if (!B.trans) {
            for (int64_t k = 0; k < kc; ++k) {
                const int64_t at = (k0 + k) * B.ld + col0;
                _mm512_storeu_ps(d + k * NR, load16(B.data, B.dtype, at, cols));
                _mm512_storeu_ps(d + k * NR + 16, load16(B.data, B.dtype, at + 16, cols - 16));
            }
            continue;
        }
        for (int64_t k = 0; k < kc; k += 16) {
            const int64_t n = min64(16, kc - k);
            for (int64_t half = 0; half < 2; ++half) {
                __m512 r[16];
                for (int64_t j = 0; j < 16; ++j) {
                    const int64_t col = half * 16 + j;
                    r[j] = col < cols ? load16(B.data, B.dtype, (col0 + col) * B.ld + k0 + k, n) : _mm512_setzero_ps();
                }
                transpose16(r);
                for (int64_t i = 0; i < n; ++i) _mm512_storeu_ps(d + (k + i) * NR + half * 16, r[i]);
            }
        }
    }
}

// ---- bf16 ------------------------------------------------------------------------------------------

// C[0:14, 0:32] (+)= sum_k a(i, k) * b(k, j) over kc (even) steps of k, in pairs:
// a(i, k) = a[(k / 2) * 28 + 2 i + k % 2], b(k, j) = b[(k / 2) * 64 + 2 j + k % 2] (bf16).
void gemm_kernel_bf16(int64_t kc, const void * a_packed, const void * b_packed, float * c, int64_t ldc, const Tile & tile) {
    const uint16_t * a = static_cast<const uint16_t *>(a_packed);
    const uint16_t * b = static_cast<const uint16_t *>(b_packed);
    prefetch_c(c, ldc, tile.m);
    __m512 acc[MR][2];
    for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    for (int64_t kp = 0; kp < kc / 2; ++kp, a += 2 * MR, b += 2 * NR) {
        const __m512bh b0 = reinterpret_cast<__m512bh>(_mm512_loadu_si512(b));
        const __m512bh b1 = reinterpret_cast<__m512bh>(_mm512_loadu_si512(b + 32));
        for (int i = 0; i < MR; ++i) {
            int32_t pair;
            std::memcpy(&pair, a + 2 * i, sizeof pair);
            const __m512bh ai = reinterpret_cast<__m512bh>(_mm512_set1_epi32(pair));
            acc[i][0] = _mm512_dpbf16_ps(acc[i][0], ai, b0);
            acc[i][1] = _mm512_dpbf16_ps(acc[i][1], ai, b1);
        }
    }
    epilogue(acc, c, ldc, tile);
}

namespace {

// 16 rows of a row-major array (row r at index first + r * ld, rows past `rows` zero), k [k, k + n)
// with n <= 32, as bf16 pairs, transposed: out[q] holds pair q (k + 2q, k + 2q + 1) of the 16 rows.
inline void rows_to_pairs(const void * src, DType dtype, int64_t first, int64_t ld, int64_t rows, int64_t k, int64_t n, __m512 out[16]) {
    for (int64_t r = 0; r < 16; ++r)
        out[r] = r < rows ? _mm512_castsi512_ps(load32_bf16(src, dtype, first + r * ld + k, n)) : _mm512_setzero_ps();
    transpose16(out);
}

} // namespace

// Rows [m0, m0 + mc) x k [k0, k0 + kc) of A into 14-row panels of bf16 pairs.
void gemm_pack_a_bf16(const void * A, DType dtype, int64_t lda, int64_t m0, int64_t mc, int64_t k0, int64_t kc, void * dst_bytes) {
    uint16_t * dst = static_cast<uint16_t *>(dst_bytes);
    const int64_t kp_all = (kc + 1) / 2; // pairs per panel
    for (int64_t p = 0; p * MR < mc; ++p) {
        uint16_t * d = dst + p * kp_all * 2 * MR;
        const int64_t rows = min64(MR, mc - p * MR);
        const int64_t row0 = (m0 + p * MR) * lda + k0;
        for (int64_t k = 0; k < kc; k += 32) {
            const int64_t n = min64(32, kc - k);
            __m512 r[16];
            rows_to_pairs(A, dtype, row0, lda, rows, k, n, r);
            for (int64_t q = 0; q < (n + 1) / 2; ++q)
                _mm512_mask_storeu_ps(reinterpret_cast<float *>(d + (k / 2 + q) * 2 * MR), first_lanes(MR), r[q]);
        }
    }
}

// k [k0, k0 + kc) x columns [n0, n0 + nc) of op(B) into 32-column panels of bf16 pairs.
void gemm_pack_b_bf16(const MatB & B, int64_t k0, int64_t kc, int64_t n0, int64_t nc, void * dst_bytes) {
    uint16_t * dst = static_cast<uint16_t *>(dst_bytes);
    const int64_t kp_all = (kc + 1) / 2;
    for (int64_t p = 0; p * NR < nc; ++p) {
        uint16_t * d = dst + p * kp_all * 2 * NR;
        const int64_t cols = min64(NR, nc - p * NR);
        const int64_t col0 = n0 + p * NR;
        if (!B.trans) {
            // Rows k and k + 1 of the panel's columns, rounded, interleaved into pairs.
            for (int64_t k = 0; k < kc; k += 2) {
                const int64_t at = (k0 + k) * B.ld + col0;
                for (int64_t half = 0; half < 2; ++half) {
                    const int64_t n = cols - half * 16;
                    const __m512 x = load16(B.data, B.dtype, at + half * 16, n);
                    const __m512 y = k + 1 < kc ? load16(B.data, B.dtype, at + B.ld + half * 16, n) : _mm512_setzero_ps();
                    _mm512_storeu_si512(d + (k / 2) * 2 * NR + half * 32, bf16_pairs(x, y));
                }
            }
            continue;
        }
        for (int64_t k = 0; k < kc; k += 32) {
            const int64_t n = min64(32, kc - k);
            for (int64_t half = 0; half < 2; ++half) {
                __m512 r[16];
                rows_to_pairs(B.data, B.dtype, (col0 + half * 16) * B.ld + k0, B.ld, cols - half * 16, k, n, r);
                for (int64_t q = 0; q < (n + 1) / 2; ++q) _mm512_storeu_ps(reinterpret_cast<float *>(d + (k / 2 + q) * 2 * NR + half * 32), r[q]);
            }
        }
    }
}

// ---- bf16 on AMX tiles ------------------------------------------------------------------------------

namespace {

constexpr int64_t AMX_MR = kAmxMR, AMX_NR = kAmxNR, AMX_K = kAmxK;
static_assert(AMX_MR == 32 && AMX_NR == NR && AMX_K == 32, "two 16-row A tiles, the bf16 set's 32-column B panels, 16 k pairs");

} // namespace

// C[0:32, 0:32] (+)= A B over kc (a multiple of 32) steps of k. A panel: per 32 k, rows 0-31 of 32 bf16
// (a[(k / 32) * 1024 + i * 32 + k % 32]); B panel: the bf16 set's (b[(k / 2) * 64 + 2 j + k % 2]), so
// the B tile of columns 16 h .. 16 h + 15 over pairs [p, p + 16) starts at b + p * 64 + 32 h with rows
// 128 bytes apart. The sums leave the tiles through a 32 x 32 buffer into the shared epilogue.
void gemm_kernel_amx(int64_t kc, const void * a_packed, const void * b_packed, float * c, int64_t ldc, const Tile & tile) {
    tiles_configure();
    const uint16_t * a = static_cast<const uint16_t *>(a_packed);
    const uint16_t * b = static_cast<const uint16_t *>(b_packed);
    prefetch_c(c, ldc, tile.m);
    sum_tiles_zero();
    for (int64_t k = 0; k < kc; k += AMX_K, a += AMX_MR * AMX_K, b += AMX_K * NR) {
        _tile_loadd(4, a, 64);
        _tile_loadd(5, a + 16 * AMX_K, 64);
        _tile_loadd(6, b, 128);
        _tile_loadd(7, b + 32, 128);
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        _tile_dpbf16ps(2, 5, 6);
        _tile_dpbf16ps(3, 5, 7);
    }
    sum_tiles_epilogue(c, ldc, tile);
}

// Rows [m0, m0 + mc) x k [k0, k0 + kc) of A into 32-row panels: per 32 steps of k, each row's 32 values
// rounded to bf16 (zeros past kc and past mc).
void gemm_pack_a_amx(const void * A, DType dtype, int64_t lda, int64_t m0, int64_t mc, int64_t k0, int64_t kc, void * dst_bytes) {
    uint16_t * dst = static_cast<uint16_t *>(dst_bytes);
    const int64_t kc_pad = (kc + AMX_K - 1) / AMX_K * AMX_K;
    for (int64_t p = 0; p * AMX_MR < mc; ++p) {
        uint16_t * d = dst + p * kc_pad * AMX_MR;
        const int64_t rows = min64(AMX_MR, mc - p * AMX_MR);
        const int64_t row0 = (m0 + p * AMX_MR) * lda + k0;
        for (int64_t k = 0; k < kc_pad; k += AMX_K, d += AMX_MR * AMX_K) {
            const int64_t n = min64(AMX_K, kc - k);
            for (int64_t i = 0; i < AMX_MR; ++i)
                _mm512_storeu_si512(d + i * AMX_K, i < rows ? load32_bf16(A, dtype, row0 + i * lda + k, n) : _mm512_setzero_si512());
        }
    }
}

// k [k0, k0 + kc) x columns [n0, n0 + nc) of op(B) into the bf16 set's 32-column panels, k padded with
// zero pairs to a multiple of 32.
void gemm_pack_b_amx(const MatB & B, int64_t k0, int64_t kc, int64_t n0, int64_t nc, void * dst_bytes) {
    uint16_t * dst = static_cast<uint16_t *>(dst_bytes);
    const int64_t kc_pad = (kc + AMX_K - 1) / AMX_K * AMX_K, pairs = (kc + 1) / 2;
    for (int64_t p = 0; p * NR < nc; ++p) {
        uint16_t * d = dst + p * kc_pad * NR;
        gemm_pack_b_bf16(B, k0, kc, n0 + p * NR, min64(NR, nc - p * NR), d);
        std::memset(d + pairs * 2 * NR, 0, static_cast<size_t>(kc_pad / 2 - pairs) * 2 * NR * sizeof(uint16_t));
    }
}

} // namespace sdn::x86::avx512
