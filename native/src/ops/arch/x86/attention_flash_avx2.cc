// AVX2/FMA twin of attention_flash_tile_portable (ops/attention_flash.cc): the same workspace
// (see ops/attention_flash.h), the same online-softmax maths, with register-blocked micro-kernels.
// Vectors always run over 8 consecutive queries of the transposed workspace; K and V elements are
// broadcast straight from the caller's (strided) rows, so nothing but the query tile is packed.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "../../attention_flash.h"
#include "x86.h"

namespace sdn::x86 {

namespace {

// exp(x) for x <= 88, ~1e-7 relative: Cephes' expf. x = n ln2 + r with n = round(x / ln2) and
// |r| <= ln2 / 2 (ln2 split in a short high part and a low part so n * ln2_hi is exact), exp(r) by a
// degree-6 polynomial, 2^n put straight into the exponent bits. Below -87.33654 (exp(x) < FLT_MIN)
// the result is exactly 0, which also makes exp(-inf) = 0; NaN stays NaN.
inline __m256 exp8(__m256 x) {
    const __m256 keep = _mm256_cmp_ps(x, _mm256_set1_ps(-87.33654f), _CMP_NLT_UQ);
    // max/min return their second operand when one is NaN: x second keeps NaN.
    x = _mm256_min_ps(_mm256_set1_ps(88.0f), _mm256_max_ps(_mm256_set1_ps(-87.5f), x));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 y = _mm256_set1_ps(1.9875691500e-4f);
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.3981999507e-3f));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(8.3334519073e-3f));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(4.1665795894e-2f));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.6666665459e-1f));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(5.0000001201e-1f));
    y = _mm256_fmadd_ps(y, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_and_ps(_mm256_mul_ps(y, _mm256_castsi256_ps(e)), keep);
}

// Scores of RK keys x 16 queries: st[i][c] = scale * sum_d k_i[d] * qt[d][c], and the running tile
// max of each query. k: first key row (row stride ldk); qt, st, tmax: at the block's first query.
template <int RK>
inline void scores_block(const float * k, int64_t ldk, const float * qt, int64_t Br, int64_t D, float * st,
                         float * tmax, __m256 scale) {
    __m256 acc[RK][2];
    for (int i = 0; i < RK; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
    for (int64_t d = 0; d < D; ++d) {
        const __m256 q0 = _mm256_load_ps(qt + d * Br);
        const __m256 q1 = _mm256_load_ps(qt + d * Br + 8);
        for (int i = 0; i < RK; ++i) {
            const __m256 kb = _mm256_broadcast_ss(k + i * ldk + d);
            acc[i][0] = _mm256_fmadd_ps(kb, q0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(kb, q1, acc[i][1]);
        }
    }
    __m256 mx0 = _mm256_load_ps(tmax), mx1 = _mm256_load_ps(tmax + 8);
    for (int i = 0; i < RK; ++i) {
        const __m256 s0 = _mm256_mul_ps(acc[i][0], scale);
        const __m256 s1 = _mm256_mul_ps(acc[i][1], scale);
        _mm256_store_ps(st + i * Br, s0);
        _mm256_store_ps(st + i * Br + 8, s1);
        mx0 = _mm256_max_ps(mx0, s0);
        mx1 = _mm256_max_ps(mx1, s1);
    }
    _mm256_store_ps(tmax, mx0);
    _mm256_store_ps(tmax + 8, mx1);
}

// Output of RD dims x 16 queries: ot[i][c] = ot[i][c] * alpha[c] + sum_j v_j[i] * p[j][c].
// v: first key row at the block's first dim (row stride ldv); p, ot, alpha: at the first query.
template <int RD>
inline void output_block(const float * v, int64_t ldv, const float * p, int64_t Br, int64_t nk, float * ot,
                         const float * alpha) {
    const __m256 a0 = _mm256_load_ps(alpha), a1 = _mm256_load_ps(alpha + 8);
    __m256 acc[RD][2];
    for (int i = 0; i < RD; ++i) {
        acc[i][0] = _mm256_mul_ps(_mm256_load_ps(ot + i * Br), a0);
        acc[i][1] = _mm256_mul_ps(_mm256_load_ps(ot + i * Br + 8), a1);
    }
    for (int64_t j = 0; j < nk; ++j) {
        const __m256 p0 = _mm256_load_ps(p + j * Br);
        const __m256 p1 = _mm256_load_ps(p + j * Br + 8);
        const float * vrow = v + j * ldv;
        for (int i = 0; i < RD; ++i) {
            const __m256 vb = _mm256_broadcast_ss(vrow + i);
            acc[i][0] = _mm256_fmadd_ps(vb, p0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(vb, p1, acc[i][1]);
        }
    }
    for (int i = 0; i < RD; ++i) {
        _mm256_store_ps(ot + i * Br, acc[i][0]);
        _mm256_store_ps(ot + i * Br + 8, acc[i][1]);
    }
}

template <template <int> class Block, typename... Args>
inline void with_rows(int64_t rows, Args &&... args) {
    switch (rows) {
        case 1: Block<1>::run(args...); break;
        case 2: Block<2>::run(args...); break;
        case 3: Block<3>::run(args...); break;
        case 4: Block<4>::run(args...); break;
        case 5: Block<5>::run(args...); break;
        default: Block<6>::run(args...); break;
    }
}

template <int R>
struct Scores {
    template <typename... A>
    static void run(A &&... a) { scores_block<R>(a...); }
};

template <int R>
struct Output {
    template <typename... A>
    static void run(A &&... a) { output_block<R>(a...); }
};

} // namespace

void attention_flash_tile_avx2(const FlashTiling & t, const FlashTask & task, float * ws) {
    const int64_t D = t.D, Br = t.Br, nq = task.nq;
    float * qt = ws + t.off_qt;   // [D, Br]
    float * st = ws + t.off_st;   // [Bc, Br]
    float * ot = ws + t.off_ot;   // [D, Br]
    float * m = ws + t.off_m;     // [Br]
    float * l = ws + t.off_l;
    float * tmax = ws + t.off_tmax;
    float * alpha = ws + t.off_alpha;
    const __m256 scale = _mm256_set1_ps(task.scale);
    const __m256 minus_inf = _mm256_set1_ps(-INFINITY);

    // Pack the query tile transposed (queries past nq are zero: their scores are 0, never used).
    for (int64_t d = 0; d < D; ++d) {
        float * row = qt + d * Br;
        for (int64_t r = 0; r < nq; ++r) row[r] = task.q[r * task.ldq + d];
        for (int64_t r = nq; r < Br; ++r) row[r] = 0.0f;
    }
    for (int64_t i = 0; i < D * Br; i += 8) _mm256_store_ps(ot + i, _mm256_setzero_ps());
    for (int64_t r = 0; r < Br; r += 8) {
        _mm256_store_ps(m + r, minus_inf);
        _mm256_store_ps(l + r, _mm256_setzero_ps());
    }

    for (int64_t k0 = 0; k0 < task.Tk; k0 += t.Bc) {
        const int64_t nk = std::min(t.Bc, task.Tk - k0);
        const float * k = task.k + k0 * task.ldk;
        const float * v = task.v + k0 * task.ldv;

        // 1. Scores and each query's tile max.
        for (int64_t r = 0; r < Br; r += 8) _mm256_store_ps(tmax + r, minus_inf);
        for (int64_t j = 0; j < nk; j += 6)
            for (int64_t c = 0; c < Br; c += 16)
                with_rows<Scores>(std::min<int64_t>(6, nk - j), k + j * task.ldk, task.ldk, qt + c, Br, D,
                                  st + j * Br + c, tmax + c, scale);

        // 2. New max m' = max(m, tmax), alpha = exp(m - m'), weights p = exp(s - m'), l = l * alpha + sum p.
        for (int64_t r = 0; r < Br; r += 8) {
            const __m256 m_old = _mm256_load_ps(m + r);
            const __m256 m_new = _mm256_max_ps(m_old, _mm256_load_ps(tmax + r));
            const __m256 a = exp8(_mm256_sub_ps(m_old, m_new)); // m_old = -inf: exp(-inf) = 0
            __m256 sum0 = _mm256_setzero_ps(), sum1 = _mm256_setzero_ps();
            int64_t j = 0;
            for (; j + 2 <= nk; j += 2) {
                const __m256 p0 = exp8(_mm256_sub_ps(_mm256_load_ps(st + j * Br + r), m_new));
                const __m256 p1 = exp8(_mm256_sub_ps(_mm256_load_ps(st + (j + 1) * Br + r), m_new));
                _mm256_store_ps(st + j * Br + r, p0);
                _mm256_store_ps(st + (j + 1) * Br + r, p1);
                sum0 = _mm256_add_ps(sum0, p0);
                sum1 = _mm256_add_ps(sum1, p1);
            }
            for (; j < nk; ++j) {
                const __m256 p0 = exp8(_mm256_sub_ps(_mm256_load_ps(st + j * Br + r), m_new));
                _mm256_store_ps(st + j * Br + r, p0);
                sum0 = _mm256_add_ps(sum0, p0);
            }
            _mm256_store_ps(m + r, m_new);
            _mm256_store_ps(alpha + r, a);
            _mm256_store_ps(l + r, _mm256_fmadd_ps(_mm256_load_ps(l + r), a, _mm256_add_ps(sum0, sum1)));
        }

        // 3. o = o * alpha + sum_j p_j v_j
        for (int64_t d = 0; d < D; d += 6)
            for (int64_t c = 0; c < Br; c += 16)
                with_rows<Output>(std::min<int64_t>(6, D - d), v + d, task.ldv, st + c, Br, nk, ot + d * Br + c,
                                  alpha + c);
    }

    // out = o / l
    for (int64_t r = 0; r < Br; r += 8)
        _mm256_store_ps(alpha + r, _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_load_ps(l + r)));
    for (int64_t r = 0; r < nq; ++r) {
        float * dst = task.out + r * task.ldo;
        for (int64_t d = 0; d < D; ++d) dst[d] = ot[d * Br + r] * alpha[r];
    }
}

void exp_avx2(const float * x, float * y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, exp8(_mm256_loadu_ps(x + i)));
    if (i < n) {
        float in[8] = {0}, out[8];
        for (int64_t j = i; j < n; ++j) in[j - i] = x[j];
        _mm256_storeu_ps(out, exp8(_mm256_loadu_ps(in)));
        for (int64_t j = i; j < n; ++j) y[j] = out[j - i];
    }
}

} // namespace sdn::x86
