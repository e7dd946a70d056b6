// attention_flash_simd.h — the SIMD twin of attention_flash_tile_portable (ops/attention_flash.cc),
// generic over the vector type S: the same workspace (see ops/attention_flash.h), the same online-
// softmax maths, with register-blocked micro-kernels. Vectors run over W consecutive queries of the
// transposed workspace, two vectors (a block of 2W queries) at a time; K and V elements are broadcast
// straight from the caller's (strided) rows, so nothing but the query tile is packed. Instantiated by
// avx2/attention_flash_avx2.cc (blocks of 16 queries, up to 6 keys or dims per block: 12 accumulators
// of 16 registers) and avx512/attention_flash_avx512.cc (32 queries, up to 12: 24 of 32).
#pragma once

#include <cmath>
#include <cstdint>

#include "../../../attention_flash.h"
#include "../arch_util.h"

namespace sdn::x86::simd {

// exp(x) for x <= 88, ~1e-7 relative: Cephes' expf. x = n ln2 + r with n = round(x / ln2) and
// |r| <= ln2 / 2 (ln2 split in a short high part and a low part so n * ln2_hi is exact), exp(r) by a
// degree-6 polynomial, 2^n put straight into the exponent bits. Below -87.33654 (exp(x) < FLT_MIN)
// the result is exactly 0, which also makes exp(-inf) = 0; NaN stays NaN.
template <class S>
inline typename S::F flash_exp(typename S::F x) {
    using F = typename S::F;
    const auto keep = S::nlt(x, S::set1(-87.33654f));
    // max/min return their second operand when one is NaN: x second keeps NaN.
    x = S::min(S::set1(88.0f), S::max(S::set1(-87.5f), x));
    const F n = S::round_nearest(S::mul(x, S::set1(1.44269504088896341f)));
    F r = S::fnmadd(n, S::set1(0.693359375f), x);
    r = S::fnmadd(n, S::set1(-2.12194440e-4f), r);
    F y = S::set1(1.9875691500e-4f);
    y = S::fmadd(y, r, S::set1(1.3981999507e-3f));
    y = S::fmadd(y, r, S::set1(8.3334519073e-3f));
    y = S::fmadd(y, r, S::set1(4.1665795894e-2f));
    y = S::fmadd(y, r, S::set1(1.6666665459e-1f));
    y = S::fmadd(y, r, S::set1(5.0000001201e-1f));
    y = S::fmadd(y, S::mul(r, r), S::add(r, S::set1(1.0f)));
    return S::keep_where(keep, S::mul(y, S::pow2i(n)));
}

template <class S>
inline void flash_exp_array(const float * x, float * y, int64_t n) {
    int64_t i = 0;
    for (; i + S::W <= n; i += S::W) S::storeu(y + i, flash_exp<S>(S::loadu(x + i)));
    if (i < n) S::store_first(y + i, n - i, flash_exp<S>(S::load_first(x + i, n - i)));
}

// Most keys (or dims) per register block: 2 accumulators each, plus 2 query vectors and a broadcast.
template <class S>
constexpr int kFlashRows = (S::kRegisters - 4) / 2 > 12 ? 12 : (S::kRegisters - 4) / 2;

// Scores of RK keys x 2W queries: st[i][c] = scale * sum_d k_i[d] * qt[d][c], and the running tile
// max of each query. k: first key row (row stride ldk); qt, st, tmax: at the block's first query.
template <class S, int RK>
inline void scores_block(const float * k, int64_t ldk, const float * qt, int64_t Br, int64_t D, float * st, float * tmax,
                         typename S::F scale) {
    using F = typename S::F;
    constexpr int W = S::W;
    F acc[RK][2];
    for (int i = 0; i < RK; ++i) acc[i][0] = acc[i][1] = S::zero();
    for (int64_t d = 0; d < D; ++d) {
        const F q0 = S::load(qt + d * Br);
        const F q1 = S::load(qt + d * Br + W);
        for (int i = 0; i < RK; ++i) {
            const F kb = S::broadcast(k + i * ldk + d);
            acc[i][0] = S::fmadd(kb, q0, acc[i][0]);
            acc[i][1] = S::fmadd(kb, q1, acc[i][1]);
        }
    }
    F mx0 = S::load(tmax), mx1 = S::load(tmax + W);
    for (int i = 0; i < RK; ++i) {
        const F s0 = S::mul(acc[i][0], scale);
        const F s1 = S::mul(acc[i][1], scale);
        S::store(st + i * Br, s0);
        S::store(st + i * Br + W, s1);
        mx0 = S::max(mx0, s0);
        mx1 = S::max(mx1, s1);
    }
    S::store(tmax, mx0);
    S::store(tmax + W, mx1);
}

// Output of RD dims x 2W queries: ot[i][c] = ot[i][c] * alpha[c] + sum_j v_j[i] * p[j][c].
// v: first key row at the block's first dim (row stride ldv); p, ot, alpha: at the first query.
template <class S, int RD>
inline void output_block(const float * v, int64_t ldv, const float * p, int64_t Br, int64_t nk, float * ot, const float * alpha) {
    using F = typename S::F;
    constexpr int W = S::W;
    const F a0 = S::load(alpha), a1 = S::load(alpha + W);
    F acc[RD][2];
    for (int i = 0; i < RD; ++i) {
        acc[i][0] = S::mul(S::load(ot + i * Br), a0);
        acc[i][1] = S::mul(S::load(ot + i * Br + W), a1);
    }
    for (int64_t j = 0; j < nk; ++j) {
        const F p0 = S::load(p + j * Br);
        const F p1 = S::load(p + j * Br + W);
        const float * vrow = v + j * ldv;
        for (int i = 0; i < RD; ++i) {
            const F vb = S::broadcast(vrow + i);
            acc[i][0] = S::fmadd(vb, p0, acc[i][0]);
            acc[i][1] = S::fmadd(vb, p1, acc[i][1]);
        }
    }
    for (int i = 0; i < RD; ++i) {
        S::store(ot + i * Br, acc[i][0]);
        S::store(ot + i * Br + W, acc[i][1]);
    }
}

// Calls Block<R>::run(args...) for the compile-time R equal to `rows` (1 <= rows <= Max).
template <template <int> class Block, int Max, typename... Args>
inline void with_rows(int64_t rows, Args &&... args) {
    if constexpr (Max > 1) {
        if (rows < Max) return with_rows<Block, Max - 1>(rows, args...);
    }
    Block<Max>::run(args...);
}

template <class S>
struct FlashBlocks {
    template <int R>
    struct Scores {
        template <typename... A>
        static void run(A &&... a) { scores_block<S, R>(a...); }
    };
    template <int R>
    struct Output {
        template <typename... A>
        static void run(A &&... a) { output_block<S, R>(a...); }
    };
};

// Rows of equal-sized register blocks covering n (each at most kFlashRows<S>).
template <class S>
inline int64_t flash_block_rows(int64_t n) {
    const int64_t blocks = (n + kFlashRows<S> - 1) / kFlashRows<S>;
    return (n + blocks - 1) / blocks;
}

template <class S>
inline void attention_flash_tile(const FlashTiling & t, const FlashTask & task, float * ws) {
    using F = typename S::F;
    constexpr int W = S::W, QB = 2 * S::W; // queries per register block
    constexpr int R = kFlashRows<S>;
    const int64_t D = t.D, Br = t.Br, nq = task.nq;
    float * qt = ws + t.off_qt;   // [D, Br]
    float * st = ws + t.off_st;   // [Bc, Br]
    float * ot = ws + t.off_ot;   // [D, Br]
    float * m = ws + t.off_m;     // [Br]
    float * l = ws + t.off_l;
    float * tmax = ws + t.off_tmax;
    float * alpha = ws + t.off_alpha;
    const F scale = S::set1(task.scale);
    const F minus_inf = S::set1(-INFINITY);

    // Pack the query tile transposed (queries past nq are zero: their scores are 0, never used).
    for (int64_t d = 0; d < D; ++d) {
        float * row = qt + d * Br;
        for (int64_t r = 0; r < nq; ++r) row[r] = task.q[r * task.ldq + d];
        for (int64_t r = nq; r < Br; ++r) row[r] = 0.0f;
    }
    for (int64_t i = 0; i < D * Br; i += W) S::store(ot + i, S::zero());
    for (int64_t r = 0; r < Br; r += W) {
        S::store(m + r, minus_inf);
        S::store(l + r, S::zero());
    }
    const int64_t rd = flash_block_rows<S>(D);

    for (int64_t k0 = 0; k0 < task.Tk; k0 += t.Bc) {
        const int64_t nk = min64(t.Bc, task.Tk - k0);
        const float * k = task.k + k0 * task.ldk;
        const float * v = task.v + k0 * task.ldv;

        // 1. Scores and each query's tile max.
        for (int64_t r = 0; r < Br; r += W) S::store(tmax + r, minus_inf);
        const int64_t rk = flash_block_rows<S>(nk);
        for (int64_t j = 0; j < nk; j += rk)
            for (int64_t c = 0; c < Br; c += QB)
                with_rows<FlashBlocks<S>::template Scores, R>(min64(rk, nk - j), k + j * task.ldk, task.ldk, qt + c, Br, D,
                                                               st + j * Br + c, tmax + c, scale);

        // 2. New max m' = max(m, tmax), alpha = exp(m - m'), weights p = exp(s - m'), l = l * alpha + sum p.
        for (int64_t r = 0; r < Br; r += W) {
            const F m_old = S::load(m + r);
            const F m_new = S::max(m_old, S::load(tmax + r));
            const F a = flash_exp<S>(S::sub(m_old, m_new)); // m_old = -inf: exp(-inf) = 0
            F sum0 = S::zero(), sum1 = S::zero();
            int64_t j = 0;
            for (; j + 2 <= nk; j += 2) {
                const F p0 = flash_exp<S>(S::sub(S::load(st + j * Br + r), m_new));
                const F p1 = flash_exp<S>(S::sub(S::load(st + (j + 1) * Br + r), m_new));
                S::store(st + j * Br + r, p0);
                S::store(st + (j + 1) * Br + r, p1);
                sum0 = S::add(sum0, p0);
                sum1 = S::add(sum1, p1);
            }
            for (; j < nk; ++j) {
                const F p0 = flash_exp<S>(S::sub(S::load(st + j * Br + r), m_new));
                S::store(st + j * Br + r, p0);
                sum0 = S::add(sum0, p0);
            }
            S::store(m + r, m_new);
            S::store(alpha + r, a);
            S::store(l + r, S::fmadd(S::load(l + r), a, S::add(sum0, sum1)));
        }

        // 3. o = o * alpha + sum_j p_j v_j
        for (int64_t d = 0; d < D; d += rd)
            for (int64_t c = 0; c < Br; c += QB)
                with_rows<FlashBlocks<S>::template Output, R>(min64(rd, D - d), v + d, task.ldv, st + c, Br, nk,
                                                               ot + d * Br + c, alpha + c);
    }

    // out = o / l
    for (int64_t r = 0; r < Br; r += W) S::store(alpha + r, S::div(S::set1(1.0f), S::load(l + r)));
    for (int64_t r = 0; r < nq; ++r) {
        float * dst = task.out + r * task.ldo;
        for (int64_t d = 0; d < D; ++d) dst[d] = ot[d * Br + r] * alpha[r];
    }
}

} // namespace sdn::x86::simd
