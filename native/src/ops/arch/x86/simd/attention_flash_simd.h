// attention_flash_simd.h — the SIMD twin of attention_flash_tile_portable (ops/attention_flash.cc),
// generic over the vector type S: the same workspace and loop order (see ops/attention_flash.h), the
// same online-softmax maths, with register-blocked micro-kernels. Vectors run over W consecutive
// queries of a query block, NV vectors (a sub-block of NV * W queries) at a time; K and V elements are
// broadcast from the chunk's rows (packed contiguously first when the caller's rows are strided, so a
// chunk is one dense run of memory: strided rows at the UNet's stride of H * D floats fall on a few
// L1 sets and evict each other). Instantiated by the avx2 path (sub-blocks of 16 queries, up to 6 keys
// or dims per register block: 12 accumulators of 16 registers) and the avx512 path (32 queries, up to
// 12: 24 of 32).
#pragma once

#include <cmath>
#include <cstdint>

#include <immintrin.h>

#include "../../../attention_flash.h"
#include "../arch_util.h"

namespace sdn::x86::simd {

// exp(x) for x <= 88, < 1e-7 relative: x = n ln2 + r with n = round(x / ln2) and |r| <= ln2 / 2 (ln2
// split in a short high part and a low part, Cephes' constants, so n * ln2_hi is exact), exp(r) by a
// degree-6 polynomial (relative minimax on [-ln2/2, ln2/2], 2e-9 before rounding; ~9e-8 measured in
// float), times 2^n (S::ldexp_keep: AVX-512's vscalefps, or the exponent bits on AVX2). n is rounded
// with the 1.5 * 2^23 trick (the FMA's own rounding), 2 cheap instructions instead of a round.
// Below -87.33654 (exp(x) < FLT_MIN) the result is exactly 0, which also makes exp(-inf) = 0; NaN stays
// NaN. About 12 instructions a vector (the degree-7 version this replaced took ~22).
template <class S>
inline typename S::F flash_exp(typename S::F x) {
    using F = typename S::F;
    const auto keep = S::nlt(x, S::set1(-87.33654f)); // !(x < -87.33654): true for NaN
    const F magic = S::set1(12582912.0f);               // 1.5 * 2^23: adding it rounds to an integer
    const F n = S::sub(S::fmadd(x, S::set1(1.44269504088896341f), magic), magic);
    F r = S::fnmadd(n, S::set1(0.693359375f), x);
    r = S::fnmadd(n, S::set1(-2.12194440e-4f), r);
    F y = S::set1(1.3843653723597527e-3f);
    y = S::fmadd(y, r, S::set1(8.37415549904108e-3f));
    y = S::fmadd(y, r, S::set1(4.166800156235695e-2f));
    y = S::fmadd(y, r, S::set1(1.6666431725025177e-1f));
    y = S::fmadd(y, r, S::set1(4.999999403953552e-1f));
    y = S::fmadd(y, r, S::set1(1.0f));
    y = S::fmadd(y, r, S::set1(1.0f));
    return S::ldexp_keep(keep, y, n);
}

template <class S>
inline void flash_exp_array(const float * x, float * y, int64_t n) {
    int64_t i = 0;
    for (; i + S::W <= n; i += S::W) S::storeu(y + i, flash_exp<S>(S::loadu(x + i)));
    if (i < n) S::store_first(y + i, n - i, flash_exp<S>(S::load_first(x + i, n - i)));
}

// Vectors per register block (NV: the sub-block of queries) and most keys (or dims) per block: NV
// accumulators each, plus NV query vectors (the K / V element comes as the FMA's broadcast operand).
template <class S>
constexpr int kFlashVectors = 32 / S::W > 2 ? 2 : 32 / S::W;
template <class S>
constexpr int kFlashRows = (S::kRegisters - 4) / kFlashVectors<S> > 12 ? 12 : (S::kRegisters - 4) / kFlashVectors<S>;

// Scores of RK keys x NV*W queries: st[i][c] = sum_d k_i[d] * qt[d][c] (qt holds q * scale), and the
// running chunk max of each query. k: first key row (row stride ldk); qt (row stride QB), st (row stride QB), tmax:
// at the sub-block's first query.
template <class S, int RK>
inline void scores_block(const float * k, int64_t ldk, const float * qt, int64_t D, float * st, float * tmax) {
    using F = typename S::F;
    constexpr int W = S::W, NV = kFlashVectors<S>;
    constexpr int64_t QB = kFlashQueryBlock;
    F acc[RK][NV];
    for (int i = 0; i < RK; ++i)
        for (int v = 0; v < NV; ++v) acc[i][v] = S::zero();
    for (int64_t d = 0; d < D; ++d) {
        F q[NV];
        for (int v = 0; v < NV; ++v) q[v] = S::load(qt + d * QB + v * W);
        for (int i = 0; i < RK; ++i) {
            const F kb = S::broadcast(k + i * ldk + d);
            for (int v = 0; v < NV; ++v) acc[i][v] = S::fmadd(kb, q[v], acc[i][v]);
        }
    }
    for (int v = 0; v < NV; ++v) {
        F mx = S::load(tmax + v * W);
        for (int i = 0; i < RK; ++i) {
            S::store(st + i * QB + v * W, acc[i][v]);
            mx = S::max(mx, acc[i][v]);
        }
        S::store(tmax + v * W, mx);
    }
}

// Output of RD dims x NV*W queries: ot[i][c] = ot[i][c] * alpha[c] + sum_j v_j[i] * p[j][c].
// v: first key row at the block's first dim (row stride ldv); p, ot (row stride QB), alpha: at the
// sub-block's first query.
template <class S, int RD>
inline void output_block(const float * v, int64_t ldv, const float * p, int64_t nk, float * ot, const float * alpha) {
    using F = typename S::F;
    constexpr int W = S::W, NV = kFlashVectors<S>;
    constexpr int64_t QB = kFlashQueryBlock;
    F a[NV], acc[RD][NV];
    for (int u = 0; u < NV; ++u) a[u] = S::load(alpha + u * W);
    for (int i = 0; i < RD; ++i)
        for (int u = 0; u < NV; ++u) acc[i][u] = S::mul(S::load(ot + i * QB + u * W), a[u]);
    for (int64_t j = 0; j < nk; ++j) {
        F pj[NV];
        for (int u = 0; u < NV; ++u) pj[u] = S::load(p + j * QB + u * W);
        const float * vrow = v + j * ldv;
        for (int i = 0; i < RD; ++i) {
            const F vb = S::broadcast(vrow + i);
            for (int u = 0; u < NV; ++u) acc[i][u] = S::fmadd(vb, pj[u], acc[i][u]);
        }
    }
    for (int i = 0; i < RD; ++i)
        for (int u = 0; u < NV; ++u) S::store(ot + i * QB + u * W, acc[i][u]);
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

// Rows of memory to be fetched into L1 ahead of use, asked for a few at a time between the
// micro-kernels (the rows are strided, so the hardware prefetchers miss them; asked for all at once,
// the requests would queue up on the line fill buffers and stall the core instead of overlapping the
// work): the next key chunk's K and V rows, and the next query block's query rows (first chunk) or
// output rows (last chunk). (Templates, like everything here: each path's copy is its own code.)
template <class S>
struct FlashRows {
    const char * p = nullptr;
    int64_t ld = 0;       // bytes
    int64_t rows = 0;     // left to ask for
    int64_t per_call = 0; // rows per step

    void set(const float * first, int64_t ld_floats, int64_t n, int64_t calls) {
        p = reinterpret_cast<const char *>(first), ld = ld_floats * 4, rows = n, per_call = (n + calls - 1) / calls;
    }
    void step(int64_t bytes) {
        for (int64_t n = min64(per_call, rows); n > 0; --n, --rows, p += ld) {
            for (int64_t b = 0; b < bytes; b += 64) _mm_prefetch(p + b, _MM_HINT_T0);
            _mm_prefetch(p + bytes - 1, _MM_HINT_T0);
        }
    }
};

template <class S>
struct FlashPrefetch {
    FlashRows<S> k, v, rows; // rows: the next block's query or output rows
    int64_t bytes;           // of a row (D floats)

    void step() {
        k.step(bytes);
        v.step(bytes);
        rows.step(bytes);
    }
};

// One query block's work on one key chunk of nk keys. k, v: the chunk's rows (row strides ldk, ldv);
// qt, ot: the block's [D][QB]; m, l: its [QB] state.
template <class S>
inline void flash_block(const float * k, int64_t ldk, const float * v, int64_t ldv, int64_t nk, int64_t D, const float * qt,
                        float * ot, float * st, float * m, float * l, float * tmax, float * alpha, FlashPrefetch<S> & pf) {
    using F = typename S::F;
    constexpr int W = S::W, SB = kFlashVectors<S> * S::W; // queries per sub-block
    constexpr int R = kFlashRows<S>;
    constexpr int64_t QB = kFlashQueryBlock;

    // 1. Scores and each query's chunk max.
    for (int64_t r = 0; r < QB; r += W) S::store(tmax + r, S::set1(-INFINITY));
    const int64_t rk = flash_block_rows<S>(nk);
    for (int64_t j = 0; j < nk; j += rk)
        for (int64_t c = 0; c < QB; c += SB) {
            pf.step();
            with_rows<FlashBlocks<S>::template Scores, R>(min64(rk, nk - j), k + j * ldk, ldk, qt + c, D, st + j * QB + c, tmax + c);
        }

    // 2. New max m' = max(m, tmax), alpha = exp(m - m'), weights p = exp(s - m'), l = l * alpha + sum p.
    for (int64_t r = 0; r < QB; r += W) {
        const F m_old = S::load(m + r);
        const F m_new = S::max(m_old, S::load(tmax + r));
        const F a = flash_exp<S>(S::sub(m_old, m_new)); // m_old = -inf: exp(-inf) = 0
        F sum0 = S::zero(), sum1 = S::zero();
        int64_t j = 0;
        for (; j + 2 <= nk; j += 2) {
            const F p0 = flash_exp<S>(S::sub(S::load(st + j * QB + r), m_new));
            const F p1 = flash_exp<S>(S::sub(S::load(st + (j + 1) * QB + r), m_new));
            S::store(st + j * QB + r, p0);
            S::store(st + (j + 1) * QB + r, p1);
            sum0 = S::add(sum0, p0);
            sum1 = S::add(sum1, p1);
        }
        for (; j < nk; ++j) {
            const F p0 = flash_exp<S>(S::sub(S::load(st + j * QB + r), m_new));
            S::store(st + j * QB + r, p0);
            sum0 = S::add(sum0, p0);
        }
        S::store(m + r, m_new);
        S::store(alpha + r, a);
        S::store(l + r, S::fmadd(S::load(l + r), a, S::add(sum0, sum1)));
    }

    // 3. o = o * alpha + sum_j p_j v_j
    const int64_t rd = flash_block_rows<S>(D);
    for (int64_t d = 0; d < D; d += rd)
        for (int64_t c = 0; c < QB; c += SB) {
            pf.step();
            with_rows<FlashBlocks<S>::template Output, R>(min64(rd, D - d), v + d, ldv, st + c, nk, ot + d * QB + c, alpha + c);
        }
}

// Copies rows [0, n) of D floats at stride ld into dst, densely.
template <class S>
inline void flash_pack_rows(const float * src, int64_t ld, int64_t n, int64_t D, float * dst) {
    for (int64_t j = 0; j < n; ++j)
        for (int64_t d = 0; d < D; ++d) dst[j * D + d] = src[j * ld + d];
}

template <class S>
inline void attention_flash_tile(const FlashTiling & t, const FlashTask & task, float * ws) {
    constexpr int W = S::W;
    constexpr int64_t QB = kFlashQueryBlock;
    const int64_t D = t.D, nq = task.nq;
    const int64_t blocks = (nq + QB - 1) / QB;
    float * qt = ws + t.off_qt; // [blocks][D][QB]
    float * ot = ws + t.off_ot; // [blocks][D][QB]
    float * st = ws + t.off_st; // [Bc][QB]
    float * kc = ws + t.off_kc; // [Bc][D]
    float * vc = ws + t.off_vc;
    float * m = ws + t.off_m; // [Br]
    float * l = ws + t.off_l;
    float * tmax = ws + t.off_tmax; // [QB]
    float * alpha = ws + t.off_alpha;
    for (int64_t i = 0; i < blocks * D * QB; i += W) S::store(ot + i, S::zero());
    for (int64_t r = 0; r < blocks * QB; r += W) {
        S::store(m + r, S::set1(-INFINITY));
        S::store(l + r, S::zero());
    }
    // A block's queries, transposed W x W at a time, times the scale (so the scores come out scaled);
    // queries past nq are zero (their scores are 0, never used).
    const auto scale = S::set1(task.scale);
    auto pack_queries = [&](int64_t c) {
        for (int64_t r = c * QB; r < (c + 1) * QB; r += W)
            for (int64_t d = 0; d < D; d += W)
                S::transpose(task.q + r * task.ldq + d, task.ldq, max64(0, min64(W, nq - r)), min64(W, D - d), scale,
                             qt + c * D * QB + d * QB + r % QB, QB, min64(W, D - d), W);
    };
    // A block's out = o / l, transposed back.
    auto write_output = [&](int64_t c) {
        for (int64_t r = c * QB; r < min64((c + 1) * QB, nq); r += W) {
            const auto inv = S::div(S::set1(1.0f), S::load(l + r));
            for (int64_t d = 0; d < D; d += W)
                S::transpose(ot + c * D * QB + d * QB + r % QB, QB, min64(W, D - d), W, inv, task.out + r * task.ldo + d,
                             task.ldo, min64(W, nq - r), min64(W, D - d));
        }
    };

    // Rows already dense (the [B, H, T, D] layout) are used in place; either way the chunk's row stride is D.
    const bool pack_k = task.ldk != D, pack_v = task.ldv != D;
    const int64_t rows_d = flash_block_rows<S>(D), sub_blocks = QB / (kFlashVectors<S> * W);
    for (int64_t k0 = 0; k0 < task.Tk; k0 += t.Bc) {
        const int64_t nk = min64(t.Bc, task.Tk - k0), rows_k = flash_block_rows<S>(nk);
        const bool first = k0 == 0, last = k0 + t.Bc >= task.Tk;
        const float * k = task.k + k0 * task.ldk;
        const float * v = task.v + k0 * task.ldv;
        // Micro-kernel calls of one block (its score and output register blocks), over which the
        // prefetches are spread: the next chunk's rows over all blocks', the next block's over this one's.
        const int64_t calls = sub_blocks * ((nk + rows_k - 1) / rows_k + (D + rows_d - 1) / rows_d);
        const int64_t next = max64(0, min64(t.Bc, task.Tk - k0 - t.Bc));
        FlashPrefetch<S> pf;
        pf.bytes = D * 4;
        pf.k.set(task.k + (k0 + t.Bc) * task.ldk, task.ldk, next, blocks * calls);
        pf.v.set(task.v + (k0 + t.Bc) * task.ldv, task.ldv, next, blocks * calls);
        if (pack_k) flash_pack_rows<S>(k, task.ldk, nk, D, kc), k = kc;
        if (pack_v) flash_pack_rows<S>(v, task.ldv, nk, D, vc), v = vc;
        for (int64_t c = 0; c < blocks; ++c) {
            if (first) pack_queries(c);
            const int64_t next_rows = c + 1 < blocks ? min64(QB, nq - (c + 1) * QB) : 0;
            if (first && next_rows > 0) pf.rows.set(task.q + (c + 1) * QB * task.ldq, task.ldq, next_rows, calls);
            else if (last && next_rows > 0) pf.rows.set(task.out + (c + 1) * QB * task.ldo, task.ldo, next_rows, calls);
            else pf.rows.rows = 0;
            flash_block<S>(k, D, v, D, nk, D, qt + c * D * QB, ot + c * D * QB, st, m + c * QB, l + c * QB, tmax, alpha, pf);
            if (last) write_output(c);
        }
    }
}

} // namespace sdn::x86::simd
