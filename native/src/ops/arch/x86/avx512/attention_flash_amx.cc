// Flash attention with bf16 products on AMX tiles (attention_flash.h: FlashTiling::amx; the algorithm
// and its online softmax as in attention_flash.cc). A task (up to Br queries of one batch element and
// head) first packs all its keys and values into B tiles, then walks its queries 32 at a time:
//   per block of 32 keys: s = q k^T (two A tiles of queries x two B tiles of keys per 32 of d, four
//   tdpbf16ps), the scores through the tiles into f32; the softmax update in AVX-512 on the 32 x 32
//   block (scale, running max, exp, row sums), the weights rounded to bf16; p v (per 16 of d, two
//   tdpbf16ps) into f32, and o = o * alpha + p v.
// Everything rounded to bf16 is an operand of a product (q, k, v, the weights); scores, sums, the
// running max and the output stay f32.
#include <immintrin.h>

#include <cmath>

#include "../../../attention_flash.h"
#include "../arch_util.h"
#include "../simd/simd_avx512.h"
#include "../simd/attention_flash_simd.h"
#include "../x86.h"
#include "avx512_util.h"

namespace sdn::x86::avx512 {

namespace {

// The f32 flash kernel's exp (simd/attention_flash_simd.h: < 1e-7 relative, 0 below -87.34 and for -inf).
inline __m512 vexp16(__m512 x) { return simd::flash_exp<Avx512>(x); }

} // namespace

void attention_flash_tile_amx(const FlashTiling & t, const FlashTask & task, float * ws) {
    tiles_configure();
    const int64_t D = t.D, Dk = t.Dk, Dv = t.Dv, Tk = task.Tk, nq = task.nq;
    const int64_t kt = (Tk + 31) / 32, dk_blocks = Dk / 32, dv_groups = Dv / 16;
    uint16_t * kp = reinterpret_cast<uint16_t *>(ws + t.off_kp); // tile (16 keys g, 32 d db) at (g * dk_blocks + db) * 512
    uint16_t * vp = reinterpret_cast<uint16_t *>(ws + t.off_vp); // tile (32 keys kb, 16 d c) at (kb * dv_groups + c) * 512
    uint16_t * qp = reinterpret_cast<uint16_t *>(ws + t.off_qp); // tile rows: (db, query i) at db * 1024 + i * 32
    float * sb = ws + t.off_s;                                    // [32][32]
    uint16_t * pb = reinterpret_cast<uint16_t *>(ws + t.off_p);  // [32][32] bf16
    float * pv = ws + t.off_pv;                                   // [32][Dv]
    float * o = ws + t.off_o;                                     // [32][Dv]
    float * m = ws + t.off_m, * l = ws + t.off_l, * m_new = ws + t.off_tmax, * alpha = ws + t.off_alpha, * rowsum = ws + t.off_rowsum;

    // Keys: 16 key rows of 32 d as bf16 pairs, transposed, are one tile of 16 pair rows x 16 keys.
    for (int64_t g = 0; g < 2 * kt; ++g)
        for (int64_t db = 0; db < dk_blocks; ++db) {
            __m512 r[16];
            for (int64_t j = 0; j < 16; ++j) {
                const int64_t key = g * 16 + j;
                r[j] = key < Tk ? _mm512_castsi512_ps(load32_bf16(task.k, DType::F32, key * task.ldk + db * 32, D - db * 32)) : _mm512_setzero_ps();
            }
            transpose16(r);
            uint16_t * tile = kp + (g * dk_blocks + db) * 512;
            for (int64_t q = 0; q < 16; ++q) _mm512_storeu_ps(tile + q * 32, r[q]);
        }
    // Values: rows 2p and 2p + 1 of 16 d, rounded and interleaved into one tile row of pairs.
    for (int64_t kb = 0; kb < kt; ++kb)
        for (int64_t c = 0; c < dv_groups; ++c) {
            uint16_t * tile = vp + (kb * dv_groups + c) * 512;
            const __mmask16 dm = first_lanes(D - c * 16);
            for (int64_t p = 0; p < 16; ++p) {
                const int64_t key = kb * 32 + 2 * p;
                const __m512 x = key < Tk ? _mm512_maskz_loadu_ps(dm, task.v + key * task.ldv + c * 16) : _mm512_setzero_ps();
                const __m512 y = key + 1 < Tk ? _mm512_maskz_loadu_ps(dm, task.v + (key + 1) * task.ldv + c * 16) : _mm512_setzero_ps();
                _mm512_storeu_si512(tile + p * 32, bf16_pairs(x, y));
            }
        }

    const __m512 scale = _mm512_set1_ps(task.scale), minus_inf = _mm512_set1_ps(-INFINITY);
    for (int64_t r0 = 0; r0 < nq; r0 += 32) {
        const int64_t rows = min64(32, nq - r0);
        for (int64_t db = 0; db < dk_blocks; ++db)
            for (int64_t i = 0; i < 32; ++i)
                _mm512_storeu_ps(qp + db * 1024 + i * 32,
                                 i < rows ? _mm512_castsi512_ps(load32_bf16(task.q, DType::F32, (r0 + i) * task.ldq + db * 32, D - db * 32)) : _mm512_setzero_ps());
        for (int64_t i = 0; i < 32 * Dv; i += 16) _mm512_storeu_ps(o + i, _mm512_setzero_ps());
        for (int64_t i = 0; i < 32; ++i) m[i] = -INFINITY, l[i] = 0.0f;

        for (int64_t kb = 0; kb < kt; ++kb) {
            const int64_t nk = min64(32, Tk - kb * 32);
            _tile_zero(0);
            _tile_zero(1);
            _tile_zero(2);
            _tile_zero(3);
            for (int64_t db = 0; db < dk_blocks; ++db) {
                _tile_loadd(4, qp + db * 1024, 64);
                _tile_loadd(5, qp + db * 1024 + 512, 64);
                _tile_loadd(6, kp + (2 * kb * dk_blocks + db) * 512, 64);
                _tile_loadd(7, kp + ((2 * kb + 1) * dk_blocks + db) * 512, 64);
                _tile_dpbf16ps(0, 4, 6);
                _tile_dpbf16ps(1, 4, 7);
                _tile_dpbf16ps(2, 5, 6);
                _tile_dpbf16ps(3, 5, 7);
            }
            _tile_stored(0, sb, 128);
            _tile_stored(1, sb + 16, 128);
            _tile_stored(2, sb + 16 * 32, 128);
            _tile_stored(3, sb + 16 * 32 + 16, 128);

            // The softmax update, 16 rows at a time: scores past the last key are -inf (weight 0). Each
            // row's max and sum are taken across the rows' vectors after a 16 x 16 transpose (lane i of
            // the result is row i), not by a horizontal reduction per row.
            const __mmask16 k0 = first_lanes(nk), k1 = first_lanes(nk - 16);
            for (int64_t h = 0; h < 32; h += 16) {
                const auto score = [&](int64_t i, int half) {
                    return _mm512_mask_mul_ps(minus_inf, half ? k1 : k0, _mm512_loadu_ps(sb + i * 32 + 16 * half), scale);
                };
                __m512 r[16];
                for (int64_t i = 0; i < 16; ++i) r[i] = _mm512_max_ps(score(h + i, 0), score(h + i, 1));
                transpose16(r);
                __m512 mx = _mm512_loadu_ps(m + h);
                for (int64_t j = 0; j < 16; ++j) mx = _mm512_max_ps(mx, r[j]);
                _mm512_storeu_ps(m_new + h, mx);
                for (int64_t i = 0; i < 16; ++i) {
                    const __m512 mv = _mm512_set1_ps(m_new[h + i]);
                    const __m512 p0 = vexp16(_mm512_sub_ps(score(h + i, 0), mv)), p1 = vexp16(_mm512_sub_ps(score(h + i, 1), mv));
                    _mm512_storeu_si512(pb + (h + i) * 32, reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(p1, p0)));
                    r[i] = _mm512_add_ps(p0, p1);
                }
                transpose16(r);
                __m512 sum = r[0];
                for (int64_t j = 1; j < 16; ++j) sum = _mm512_add_ps(sum, r[j]);
                _mm512_storeu_ps(rowsum + h, sum);
            }
            for (int64_t h = 0; h < 32; h += 16) {
                const __m512 mo = _mm512_loadu_ps(m + h), mn = _mm512_loadu_ps(m_new + h);
                const __mmask16 first = _mm512_cmp_ps_mask(mo, minus_inf, _CMP_EQ_OQ);
                const __m512 a = _mm512_mask_mov_ps(vexp16(_mm512_sub_ps(mo, mn)), first, _mm512_setzero_ps());
                _mm512_storeu_ps(alpha + h, a);
                _mm512_storeu_ps(l + h, _mm512_fmadd_ps(_mm512_loadu_ps(l + h), a, _mm512_loadu_ps(rowsum + h)));
                _mm512_storeu_ps(m + h, mn);
            }

            _tile_loadd(4, pb, 64);
            _tile_loadd(5, pb + 16 * 32, 64);
            for (int64_t c = 0; c < dv_groups; ++c) {
                _tile_zero(0);
                _tile_zero(1);
                _tile_loadd(6, vp + (kb * dv_groups + c) * 512, 64);
                _tile_dpbf16ps(0, 4, 6);
                _tile_dpbf16ps(1, 5, 6);
                _tile_stored(0, pv + c * 16, Dv * sizeof(float));
                _tile_stored(1, pv + 16 * Dv + c * 16, Dv * sizeof(float));
            }
            for (int64_t i = 0; i < 32; ++i) {
                const __m512 a = _mm512_set1_ps(alpha[i]);
                for (int64_t d = 0; d < Dv; d += 16)
                    _mm512_storeu_ps(o + i * Dv + d, _mm512_fmadd_ps(_mm512_loadu_ps(o + i * Dv + d), a, _mm512_loadu_ps(pv + i * Dv + d)));
            }
        }

        for (int64_t i = 0; i < rows; ++i) {
            const __m512 inv = _mm512_set1_ps(1.0f / l[i]);
            float * dst = task.out + (r0 + i) * task.ldo;
            for (int64_t d = 0; d < D; d += 16) _mm512_mask_storeu_ps(dst + d, first_lanes(D - d), _mm512_mul_ps(_mm512_loadu_ps(o + i * Dv + d), inv));
        }
    }
}

} // namespace sdn::x86::avx512
