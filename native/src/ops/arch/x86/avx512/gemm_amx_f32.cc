// f32 products on AMX tiles: the avx512 path's f32 GEMM kernel set where the CPU has AMX (cpu_amx()).
//
// The tile unit multiplies bf16 only, 14 times as fast as AVX-512 FMAs here (docs/BENCHMARKS.md, Speed II).
// An f32 value x splits exactly into three bf16 values: x0 = x with the low 16 bits of its pattern cleared
// (the top 8 significant bits), r = x - x0 (exact), x1 = r cleared the same way, x2 = r - x1 (at most 8
// significant bits left, so exact in bf16). Then
//   a b = sum over i, j of a_i b_j,   |a_i b_j| <= 2^(-8 (i + j)) |a b|,
// and each a_i b_j is exact in f32 (8 x 8 significant bits). The kernel sums the six with i + j <= 2 in f32
// (tdpbf16ps); the three left out are each below 2^-24 |a b| (a_1 b_2 and a_2 b_1: 2^-8 x 2^-17 relative at
// most), under f32's own rounding of the product. Values from f16 weights split into two pieces (11
// significant bits) and from bf16 into one, so their products need five and three tile products: the driver
// says how many pieces each side has (Tile::a_pieces / b_pieces). Accuracy is f32's, as the op tests check
// against the f64 definition; only the order of the sums differs from the FMA kernels. Bf16 flushes values
// below 2^-126 to zero (the tile unit treats bf16 denormals as zero): pieces that small carry less than
// 2^-126 of a product.
//
// Layouts (the bf16 AMX set's, three times): per 32 steps of k, a panel holds one 32 x 32 block per piece.
//   A panel: block of piece p at p * 1024, row i's 32 values of k at i * 32          (two 16-row tiles)
//   B panel: block of piece p at p * 1024, k pair q, column j at q * 64 + 2 j + k % 2  (two 16-column tiles)
// Weights pre-packed narrow keep one piece's layout, with the weight's own f16 / bf16 values (the "wide"
// layout in f32 while packing), and are split block by block as the driver goes (gemm_expand_amx_f32).
#include <immintrin.h>

#include <cstring>

#include "../arch_util.h"
#include "avx512_util.h"
#include "../x86.h"

namespace sdn::x86::avx512 {

using gemm_detail::Tile;

namespace {

constexpr int64_t TR = kAmxMR, TC = kAmxNR, TK = kAmxK; // 32 rows, 32 columns, 32 steps of k per block
constexpr int64_t kBlock = TR * TK;                       // elements of one piece's 32 x 32 block
static_assert(TR == 32 && TC == 32 && TK == 32, "32 x 32 blocks: two 16-row A tiles, two 16-column B tiles");

int64_t k_padded(int64_t kc) { return (kc + TK - 1) / TK * TK; }

// x = p0 + p1 + p2 exactly, each with a bf16-exact pattern (low 16 bits zero); all of x's sign.
inline void split3(__m512 x, __m512 & p0, __m512 & p1, __m512 & p2) {
    const __m512i keep = _mm512_set1_epi32(static_cast<int>(0xFFFF0000u));
    p0 = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), keep));
    const __m512 r = _mm512_sub_ps(x, p0);
    p1 = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(r), keep));
    p2 = _mm512_sub_ps(r, p1);
}

// The bf16 patterns of 32 bf16-exact floats (v0: 0-15, v1: 16-31), in order: their high halves.
inline __m512i bf16_row(__m512 v0, __m512 v1) {
    static const __m512i odd = [] {
        alignas(64) int16_t idx[32];
        for (int i = 0; i < 32; ++i) idx[i] = static_cast<int16_t>(2 * i + 1);
        return _mm512_load_si512(idx);
    }();
    return _mm512_permutex2var_epi16(_mm512_castps_si512(v0), odd, _mm512_castps_si512(v1));
}

// 32 values (v0, v1) as a row of each piece: d[p * kBlock + 0 .. 31].
inline void store_pieces(uint16_t * d, __m512 v0, __m512 v1) {
    __m512 a0, a1, a2, b0, b1, b2;
    split3(v0, a0, a1, a2);
    split3(v1, b0, b1, b2);
    _mm512_storeu_si512(d, bf16_row(a0, b0));
    _mm512_storeu_si512(d + kBlock, bf16_row(a1, b1));
    _mm512_storeu_si512(d + 2 * kBlock, bf16_row(a2, b2));
}

// Rows k (x) and k + 1 (y) of 16 columns as 16 pairs per piece: d[p * kBlock + 2 j + t].
inline void store_pair_pieces(uint16_t * d, __m512 x, __m512 y) {
    __m512 x0, x1, x2, y0, y1, y2;
    split3(x, x0, x1, x2);
    split3(y, y0, y1, y2);
    // Lane j: x's pattern's high half in the low 16 bits, y's in the high 16 (y's low half is zero).
    const auto pairs = [](__m512 lo, __m512 hi) {
        return _mm512_or_si512(_mm512_srli_epi32(_mm512_castps_si512(lo), 16), _mm512_castps_si512(hi));
    };
    _mm512_storeu_si512(d, pairs(x0, y0));
    _mm512_storeu_si512(d + kBlock, pairs(x1, y1));
    _mm512_storeu_si512(d + 2 * kBlock, pairs(x2, y2));
}

// Columns [col0, col0 + cols) of op(B), k [k, k + n) (n <= 32), as f32 rows of 32: stage[kk * 32 + j], zero
// past n rows and past cols columns (the f32 set's packer, one 32-column panel).
inline void stage_b(const MatB & B, int64_t k, int64_t n, int64_t col0, int64_t cols, float * stage) {
    gemm_pack_b(B, k, n, col0, cols, stage);
    std::memset(stage + n * TC, 0, sizeof(float) * static_cast<size_t>((TK - n) * TC));
}

// Walks rows [m0, m0 + mc) x k [k0, k0 + kc) of A as the A panels hold them: row(block, i, v0, v1) for row i
// of every 32 x 32 block (blocks numbered in order: panels of 32 rows, each over kc padded to 32) with the
// row's 32 values (v0: k 0-15, v1: 16-31; zeros past kc and past mc).
template <class Row>
inline void for_each_a_row(const void * A, DType dtype, int64_t lda, int64_t m0, int64_t mc, int64_t k0, int64_t kc, Row row) {
    const int64_t kc_pad = k_padded(kc);
    int64_t block = 0;
    for (int64_t p = 0; p * TR < mc; ++p) {
        const int64_t rows = min64(TR, mc - p * TR);
        const int64_t row0 = (m0 + p * TR) * lda + k0;
        for (int64_t k = 0; k < kc_pad; k += TK, ++block) {
            const int64_t n = min64(TK, kc - k);
            for (int64_t i = 0; i < TR; ++i) {
                const bool valid = i < rows;
                row(block, i, valid ? load16(A, dtype, row0 + i * lda + k, n) : _mm512_setzero_ps(),
                    valid ? load16(A, dtype, row0 + i * lda + k + 16, n - 16) : _mm512_setzero_ps());
            }
        }
    }
}

// Walks k [k0, k0 + kc) x columns [n0, n0 + nc) of op(B) as the B panels hold them: pair(at, x, y) for rows
// k (x) and k + 1 (y) of each 16 columns, `at` the element offset of that pair row in one piece's layout
// (blocks of 32 k x 32 columns, 32-column panels over kc padded to 32; zeros past kc and past nc).
template <class Pair>
inline void for_each_b_pair(const MatB & B, int64_t k0, int64_t kc, int64_t n0, int64_t nc, Pair pair) {
    const int64_t kc_pad = k_padded(kc);
    alignas(64) float stage[TK * TC];
    int64_t block = 0;
    for (int64_t p = 0; p * TC < nc; ++p) {
        const int64_t cols = min64(TC, nc - p * TC), col0 = n0 + p * TC;
        for (int64_t k = 0; k < kc_pad; k += TK, ++block) {
            stage_b(B, k0 + k, min64(TK, kc - k), col0, cols, stage);
            for (int64_t q = 0; q < TK / 2; ++q)
                for (int64_t h = 0; h < 2; ++h)
                    pair(block * kBlock + q * 2 * TC + h * 32, _mm512_load_ps(stage + 2 * q * TC + h * 16),
                         _mm512_load_ps(stage + (2 * q + 1) * TC + h * 16));
        }
    }
}

// The tile products of one 32-step of k for AP pieces of A and BP of B: those a_i b_j with i + j <= 2,
// ordered to load few tiles (tiles 4-5 hold an A piece, 6-7 a B piece, 0-3 the sums).
template <int AP, int BP>
inline void k_step(const uint16_t * a, const uint16_t * b) {
    const auto load_a = [a](int p) {
        _tile_loadd(4, a + p * kBlock, 64);
        _tile_loadd(5, a + p * kBlock + 16 * TK, 64);
    };
    const auto load_b = [b](int p) {
        _tile_loadd(6, b + p * kBlock, 128);
        _tile_loadd(7, b + p * kBlock + 32, 128);
    };
    const auto mul = [] {
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        _tile_dpbf16ps(2, 5, 6);
        _tile_dpbf16ps(3, 5, 7);
    };
    load_a(0);
    load_b(0);
    mul(); // a0 b0
    if constexpr (BP >= 2) {
        load_b(1);
        mul(); // a0 b1
    }
    if constexpr (AP == 1 && BP >= 3) {
        load_b(2);
        mul(); // a0 b2
    }
    if constexpr (AP >= 2) {
        load_a(1);
        if constexpr (BP >= 2) {
            mul(); // a1 b1
            load_b(0);
        }
        mul(); // a1 b0
        if constexpr (AP >= 3) {
            load_a(2);
            mul(); // a2 b0
        }
        if constexpr (BP >= 3) {
            load_a(0);
            load_b(2);
            mul(); // a0 b2
        }
    }
}

template <int AP, int BP>
void sweep(int64_t kc, const uint16_t * a, const uint16_t * b) {
    for (int64_t k = 0; k < kc; k += TK, a += 3 * kBlock, b += 3 * kBlock) k_step<AP, BP>(a, b);
}

using SweepFn = void (*)(int64_t, const uint16_t *, const uint16_t *);

SweepFn sweep_for(int ap, int bp) {
    static const SweepFn table[3][3] = {{sweep<1, 1>, sweep<1, 2>, sweep<1, 3>},
                                        {sweep<2, 1>, sweep<2, 2>, sweep<2, 3>},
                                        {sweep<3, 1>, sweep<3, 2>, sweep<3, 3>}};
    return table[min64(max64(ap, 1), 3) - 1][min64(max64(bp, 1), 3) - 1];
}

} // namespace

// C[0:32, 0:32] (+)= A B over kc (a multiple of 32) steps of k, from the pieces the tile says each side has.
void gemm_kernel_amx_f32(int64_t kc, const void * a_packed, const void * b_packed, float * c, int64_t ldc, const Tile & tile) {
    tiles_configure();
    prefetch_c(c, ldc, tile.m);
    sum_tiles_zero();
    sweep_for(tile.a_pieces, tile.b_pieces)(kc, static_cast<const uint16_t *>(a_packed), static_cast<const uint16_t *>(b_packed));
    sum_tiles_epilogue(c, ldc, tile);
}

// Rows [m0, m0 + mc) x k [k0, k0 + kc) of A into 32-row panels of pieces (zeros past kc and past mc).
void gemm_pack_a_amx_f32(const void * A, DType dtype, int64_t lda, int64_t m0, int64_t mc, int64_t k0, int64_t kc, void * dst_bytes) {
    uint16_t * dst = static_cast<uint16_t *>(dst_bytes);
    for_each_a_row(A, dtype, lda, m0, mc, k0, kc, [dst](int64_t block, int64_t i, __m512 v0, __m512 v1) {
        store_pieces(dst + block * 3 * kBlock + i * TK, v0, v1);
    });
}

// The same rows in one piece's layout, as f32 (for weights pre-packed narrow).
void gemm_pack_a_amx_wide(const void * A, DType dtype, int64_t lda, int64_t m0, int64_t mc, int64_t k0, int64_t kc, void * dst_bytes) {
    float * dst = static_cast<float *>(dst_bytes);
    for_each_a_row(A, dtype, lda, m0, mc, k0, kc, [dst](int64_t block, int64_t i, __m512 v0, __m512 v1) {
        _mm512_storeu_ps(dst + block * kBlock + i * TK, v0);
        _mm512_storeu_ps(dst + block * kBlock + i * TK + 16, v1);
    });
}

// k [k0, k0 + kc) x columns [n0, n0 + nc) of op(B) into 32-column panels of pieces, k padded to 32.
void gemm_pack_b_amx_f32(const MatB & B, int64_t k0, int64_t kc, int64_t n0, int64_t nc, void * dst_bytes) {
    uint16_t * dst = static_cast<uint16_t *>(dst_bytes);
    for_each_b_pair(B, k0, kc, n0, nc, [dst](int64_t at, __m512 x, __m512 y) { store_pair_pieces(dst + (at / kBlock) * 3 * kBlock + at % kBlock, x, y); });
}

// The same columns in one piece's layout, as f32 pairs (for weights pre-packed narrow).
void gemm_pack_b_amx_wide(const MatB & B, int64_t k0, int64_t kc, int64_t n0, int64_t nc, void * dst_bytes) {
    float * dst = static_cast<float *>(dst_bytes);
    const __m512i lo = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i hi = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
    for_each_b_pair(B, k0, kc, n0, nc, [&](int64_t at, __m512 x, __m512 y) {
        _mm512_storeu_ps(dst + at, _mm512_permutex2var_ps(x, lo, y));
        _mm512_storeu_ps(dst + at + 16, _mm512_permutex2var_ps(x, hi, y));
    });
}

// elems (a multiple of 1024) narrow elements in one piece's layout -> the packed pieces, block by block:
// f16 values have two pieces, bf16 one (the third, or second and third, are never read: Tile's pieces).
void gemm_expand_amx_f32(DType narrow, const uint16_t * src, int64_t elems, void * dst_bytes) {
    uint16_t * dst = static_cast<uint16_t *>(dst_bytes);
    for (int64_t blk = 0; blk < elems; blk += kBlock, src += kBlock, dst += 3 * kBlock) {
        if (narrow == DType::BF16) {
            std::memcpy(dst, src, sizeof(uint16_t) * kBlock);
            continue;
        }
        for (int64_t e = 0; e < kBlock; e += 32) {
            const __m512 v0 = load16(src, DType::F16, e), v1 = load16(src, DType::F16, e + 16);
            __m512 a0, a1, a2, b0, b1, b2;
            split3(v0, a0, a1, a2);
            split3(v1, b0, b1, b2);
            _mm512_storeu_si512(dst + e, bf16_row(a0, b0));
            _mm512_storeu_si512(dst + kBlock + e, bf16_row(a1, b1));
        }
    }
}

} // namespace sdn::x86::avx512
