// The avx2 path's GEMM kernel set: a 6 x 16 f32 micro-kernel (12 YMM accumulators) and the packing
// routines that widen f16 (F16C) / bf16 weights to f32 on the way into the packed panels. See
// gemm.h for the packed formats and the blocking around them.
#include <immintrin.h>

#include "../arch_util.h"
#include "avx2_util.h"
#include "../x86.h"

namespace sdn::x86::avx2 {

using gemm_detail::Tile;
constexpr int64_t MR = 6, NR = 16;

// Combines one row of sums (16 floats in two registers) with C as the tile asks. Full rows use
// plain loads and stores; a partial row (t.n < 16) masked ones, which neither read nor write past
// column t.n (masked-off lanes never fault).
template <bool kMasked>
static inline void epilogue_row(float * c, __m256 v0, __m256 v1, int i, const Tile & t, __m256i mk0 = _mm256_setzero_si256(),
                                __m256i mk1 = _mm256_setzero_si256()) {
    const auto load = [&](const float * p, __m256i mk) { return kMasked ? _mm256_maskload_ps(p, mk) : _mm256_loadu_ps(p); };
    if (!t.first || t.accumulate) {
        v0 = _mm256_add_ps(v0, load(c, mk0));
        v1 = _mm256_add_ps(v1, load(c + 8, mk1));
    }
    if (t.first) {
        if (t.bias_col) {
            v0 = _mm256_add_ps(v0, load(t.bias_col, mk0));
            v1 = _mm256_add_ps(v1, load(t.bias_col + 8, mk1));
        }
        if (t.bias_row) {
            const __m256 b = _mm256_broadcast_ss(t.bias_row + i);
            v0 = _mm256_add_ps(v0, b);
            v1 = _mm256_add_ps(v1, b);
        }
        if (t.residual) {
            v0 = _mm256_add_ps(v0, load(t.residual + i * t.ldr, mk0));
            v1 = _mm256_add_ps(v1, load(t.residual + i * t.ldr + 8, mk1));
        }
    }
    if (kMasked) {
        _mm256_maskstore_ps(c, mk0, v0);
        _mm256_maskstore_ps(c + 8, mk1, v1);
    } else {
        _mm256_storeu_ps(c, v0);
        _mm256_storeu_ps(c + 8, v1);
    }
}

// Partial tiles (the last rows of M or columns of N): the valid t.m rows, masked when t.n < 16.
static void epilogue_partial(float * c, int64_t ldc, const float * sums, const Tile & t) {
    if (t.n == NR) {
        for (int i = 0; i < t.m; ++i) epilogue_row<false>(c + i * ldc, _mm256_load_ps(sums + i * NR), _mm256_load_ps(sums + i * NR + 8), i, t);
        return;
    }
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i mk0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(t.n), lane);
    const __m256i mk1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(t.n - 8), lane);
    for (int i = 0; i < t.m; ++i)
        epilogue_row<true>(c + i * ldc, _mm256_load_ps(sums + i * NR), _mm256_load_ps(sums + i * NR + 8), i, t, mk0, mk1);
}

// C[0:6, 0:16] (+)= sum_k a[k * 6 + i] * b[k * 16 + j]: per k, two B loads, six A broadcasts, twelve
// FMAs. Two FMA pipes x 4-5 cycles latency need >= 10 independent chains: 12 accumulators do.
// The k loop is inline assembly: from intrinsics GCC 12 reorders the 12 accumulators through
// vfmadd132/213 forms, register copies and stack spills (a third of the loop's instructions were
// not FMAs), ~10% below what the same schedule reaches by hand. Here the accumulators are the asm's
// operands (ymm4-15 in practice), ymm0/1 hold the B row and ymm2/3 the broadcasts; k is unrolled by 4
// and the B panel is prefetched 8 k-steps (two loop turns) ahead.
void gemm_kernel(int64_t kc, const void * a_packed, const void * b_packed, float * c, int64_t ldc, const Tile & tile) {
    const float * a = static_cast<const float *>(a_packed);
    const float * b = static_cast<const float *>(b_packed);
    __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51; // zeroed by the asm
    // The C rows this tile will read and write: in cache by the time the k loop ends.
    for (int i = 0; i < tile.m; ++i) {
        _mm_prefetch(reinterpret_cast<const char *>(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char *>(c + i * ldc + NR - 1), _MM_HINT_T0);
    }

#define SDN_STEP(K)                                                         \
    "vmovups " #K "*64(%[b]), %%ymm0\n\t"                                   \
    "vmovups " #K "*64+32(%[b]), %%ymm1\n\t"                                \
    "vbroadcastss " #K "*24+0(%[a]), %%ymm2\n\t"                            \
    "vbroadcastss " #K "*24+4(%[a]), %%ymm3\n\t"                            \
    "vfmadd231ps %%ymm0, %%ymm2, %[c00]\n\t"                                \
    "vfmadd231ps %%ymm1, %%ymm2, %[c01]\n\t"                                \
    "vfmadd231ps %%ymm0, %%ymm3, %[c10]\n\t"                                \
    "vfmadd231ps %%ymm1, %%ymm3, %[c11]\n\t"                                \
    "vbroadcastss " #K "*24+8(%[a]), %%ymm2\n\t"                            \
    "vbroadcastss " #K "*24+12(%[a]), %%ymm3\n\t"                           \
    "vfmadd231ps %%ymm0, %%ymm2, %[c20]\n\t"                                \
    "vfmadd231ps %%ymm1, %%ymm2, %[c21]\n\t"                                \
    "vfmadd231ps %%ymm0, %%ymm3, %[c30]\n\t"                                \
    "vfmadd231ps %%ymm1, %%ymm3, %[c31]\n\t"                                \
    "vbroadcastss " #K "*24+16(%[a]), %%ymm2\n\t"                           \
    "vbroadcastss " #K "*24+20(%[a]), %%ymm3\n\t"                           \
    "vfmadd231ps %%ymm0, %%ymm2, %[c40]\n\t"                                \
    "vfmadd231ps %%ymm1, %%ymm2, %[c41]\n\t"                                \
    "vfmadd231ps %%ymm0, %%ymm3, %[c50]\n\t"                                \
    "vfmadd231ps %%ymm1, %%ymm3, %[c51]\n\t"

    int64_t n4 = kc / 4, n1 = kc % 4;
    asm volatile(
        "vxorps %[c00], %[c00], %[c00]\n\t"
        "vxorps %[c01], %[c01], %[c01]\n\t"
        "vxorps %[c10], %[c10], %[c10]\n\t"
        "vxorps %[c11], %[c11], %[c11]\n\t"
        "vxorps %[c20], %[c20], %[c20]\n\t"
        "vxorps %[c21], %[c21], %[c21]\n\t"
        "vxorps %[c30], %[c30], %[c30]\n\t"
        "vxorps %[c31], %[c31], %[c31]\n\t"
        "vxorps %[c40], %[c40], %[c40]\n\t"
        "vxorps %[c41], %[c41], %[c41]\n\t"
        "vxorps %[c50], %[c50], %[c50]\n\t"
        "vxorps %[c51], %[c51], %[c51]\n\t"
        "test %[n4], %[n4]\n\t"
        "jz 2f\n\t"
        ".p2align 5\n\t"
        "1:\n\t"
        "prefetcht0 512(%[b])\n\t"
        SDN_STEP(0)
        "prefetcht0 576(%[b])\n\t"
        SDN_STEP(1)
        "prefetcht0 640(%[b])\n\t"
        SDN_STEP(2)
        "prefetcht0 704(%[b])\n\t"
        SDN_STEP(3)
        "add $96, %[a]\n\t"
        "add $256, %[b]\n\t"
        "dec %[n4]\n\t"
        "jnz 1b\n\t"
        "2:\n\t"
        "test %[n1], %[n1]\n\t"
        "jz 4f\n\t"
        "3:\n\t"
        SDN_STEP(0)
        "add $24, %[a]\n\t"
        "add $64, %[b]\n\t"
        "dec %[n1]\n\t"
        "jnz 3b\n\t"
        "4:\n\t"
        : [a] "+r"(a), [b] "+r"(b), [n4] "+r"(n4), [n1] "+r"(n1),
          [c00] "=&x"(c00), [c01] "=&x"(c01), [c10] "=&x"(c10), [c11] "=&x"(c11), [c20] "=&x"(c20), [c21] "=&x"(c21),
          [c30] "=&x"(c30), [c31] "=&x"(c31), [c40] "=&x"(c40), [c41] "=&x"(c41), [c50] "=&x"(c50), [c51] "=&x"(c51)
        :
        : "xmm0", "xmm1", "xmm2", "xmm3", "cc", "memory");
#undef SDN_STEP

    if (tile.m == MR && tile.n == NR) {
        epilogue_row<false>(c + 0 * ldc, c00, c01, 0, tile);
        epilogue_row<false>(c + 1 * ldc, c10, c11, 1, tile);
        epilogue_row<false>(c + 2 * ldc, c20, c21, 2, tile);
        epilogue_row<false>(c + 3 * ldc, c30, c31, 3, tile);
        epilogue_row<false>(c + 4 * ldc, c40, c41, 4, tile);
        epilogue_row<false>(c + 5 * ldc, c50, c51, 5, tile);
        return;
    }
    alignas(32) float sums[MR * NR];
    _mm256_store_ps(sums + 0 * 16, c00), _mm256_store_ps(sums + 0 * 16 + 8, c01);
    _mm256_store_ps(sums + 1 * 16, c10), _mm256_store_ps(sums + 1 * 16 + 8, c11);
    _mm256_store_ps(sums + 2 * 16, c20), _mm256_store_ps(sums + 2 * 16 + 8, c21);
    _mm256_store_ps(sums + 3 * 16, c30), _mm256_store_ps(sums + 3 * 16 + 8, c31);
    _mm256_store_ps(sums + 4 * 16, c40), _mm256_store_ps(sums + 4 * 16 + 8, c41);
    _mm256_store_ps(sums + 5 * 16, c50), _mm256_store_ps(sums + 5 * 16 + 8, c51);
    epilogue_partial(c, ldc, sums, tile);
}

// Rows [m0, m0 + mc) x k [k0, k0 + kc) of A into MR-row panels: 8 k-columns of 6 rows at a time are
// loaded (widened), transposed in registers, and stored as 8 groups of 6 (a 4 + 2 float store, so
// nothing is written past the group: panels of one buffer may be packed by different threads).
void gemm_pack_a(const void * A, DType dtype, int64_t lda, int64_t m0, int64_t mc, int64_t k0, int64_t kc, void * dst_bytes) {
    float * dst = static_cast<float *>(dst_bytes);
    for (int64_t p = 0; p * MR < mc; ++p) {
        float * d = dst + p * kc * MR;
        const int64_t rows = min64(MR, mc - p * MR);
        const int64_t row0 = (m0 + p * MR) * lda + k0; // element index of (first row, k0)
        int64_t k = 0;
        for (; k + 8 <= kc; k += 8) {
            __m256 r[8];
            for (int64_t i = 0; i < 8; ++i) r[i] = i < rows ? load8(A, dtype, row0 + i * lda + k) : _mm256_setzero_ps();
            transpose8(r);
            for (int64_t j = 0; j < 8; ++j) {
                float * g = d + (k + j) * MR;
                _mm_storeu_ps(g, _mm256_castps256_ps128(r[j]));
                _mm_storel_pi(reinterpret_cast<__m64 *>(g + 4), _mm256_extractf128_ps(r[j], 1));
            }
        }
        for (; k < kc; ++k)
            for (int64_t i = 0; i < MR; ++i) d[k * MR + i] = i < rows ? load1(A, dtype, row0 + i * lda + k) : 0.0f;
    }
}

// k [k0, k0 + kc) x columns [n0, n0 + nc) of op(B) into NR-column panels. Non-transposed B: each k
// row of a panel is 16 contiguous elements (two widening loads). Transposed B (a linear's weight,
// [N, K]): each panel column is a contiguous run along k, so 8 k x 8 n blocks are transposed in registers.
void gemm_pack_b(const MatB & B, int64_t k0, int64_t kc, int64_t n0, int64_t nc, void * dst_bytes) {
    float * dst = static_cast<float *>(dst_bytes);
    for (int64_t p = 0; p * NR < nc; ++p) {
        float * d = dst + p * kc * NR;
        const int64_t cols = min64(NR, nc - p * NR);
        const int64_t col0 = n0 + p * NR;
        if (!B.trans) {
            for (int64_t k = 0; k < kc; ++k) {
                const int64_t at = (k0 + k) * B.ld + col0;
                __m256 v0, v1;
                if (cols == NR) {
                    v0 = load8(B.data, B.dtype, at);
                    v1 = load8(B.data, B.dtype, at + 8);
                } else {
                    v0 = cols >= 8 ? load8(B.data, B.dtype, at) : load_partial(B.data, B.dtype, at, cols);
                    v1 = cols > 8 ? load_partial(B.data, B.dtype, at + 8, cols - 8) : _mm256_setzero_ps();
                }
                _mm256_storeu_ps(d + k * NR, v0);
                _mm256_storeu_ps(d + k * NR + 8, v1);
            }
            continue;
        }
        int64_t k = 0;
        for (; k + 8 <= kc; k += 8) {
            for (int64_t half = 0; half < 2; ++half) {
                __m256 r[8];
                for (int64_t j = 0; j < 8; ++j) {
                    const int64_t c = half * 8 + j;
                    r[j] = c < cols ? load8(B.data, B.dtype, (col0 + c) * B.ld + k0 + k) : _mm256_setzero_ps();
                }
                transpose8(r);
                for (int64_t i = 0; i < 8; ++i) _mm256_storeu_ps(d + (k + i) * NR + half * 8, r[i]);
            }
        }
        for (; k < kc; ++k)
            for (int64_t c = 0; c < NR; ++c) d[k * NR + c] = c < cols ? load1(B.data, B.dtype, (col0 + c) * B.ld + k0 + k) : 0.0f;
    }
}

} // namespace sdn::x86::avx2
