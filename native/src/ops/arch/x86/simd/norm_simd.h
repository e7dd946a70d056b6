// norm_simd.h — the building blocks of group norm and layer norm (see ops/norm.cc for the
// algorithm), generic over the vector type S.
#pragma once

#include <cstdint>

#include "../arch_util.h"
#include "vmath.h"

namespace sdn::x86::simd {

// Sum of n floats: 4 vectors of lanes over runs of 1024 elements, the runs added in double.
template <class S>
inline double norm_sum(const float * x, int64_t n) {
    using F = typename S::F;
    constexpr int64_t W = S::W;
    double total = 0.0;
    for (int64_t i0 = 0; i0 < n; i0 += 1024) {
        const int64_t i1 = min64(n, i0 + 1024);
        F a0 = S::zero(), a1 = S::zero(), a2 = S::zero(), a3 = S::zero();
        int64_t i = i0;
        for (; i + 4 * W <= i1; i += 4 * W) {
            a0 = S::add(a0, S::loadu(x + i));
            a1 = S::add(a1, S::loadu(x + i + W));
            a2 = S::add(a2, S::loadu(x + i + 2 * W));
            a3 = S::add(a3, S::loadu(x + i + 3 * W));
        }
        for (; i + W <= i1; i += W) a0 = S::add(a0, S::loadu(x + i));
        float part = S::hsum(S::add(S::add(a0, a1), S::add(a2, a3)));
        for (; i < i1; ++i) part += x[i];
        total += part;
    }
    return total;
}

// Sum of (x - mean)^2, same blocking.
template <class S>
inline double norm_sum_sq_dev(const float * x, int64_t n, float mean) {
    using F = typename S::F;
    constexpr int64_t W = S::W;
    const F m = S::set1(mean);
    double total = 0.0;
    for (int64_t i0 = 0; i0 < n; i0 += 1024) {
        const int64_t i1 = min64(n, i0 + 1024);
        F a0 = S::zero(), a1 = S::zero(), a2 = S::zero(), a3 = S::zero();
        int64_t i = i0;
        for (; i + 4 * W <= i1; i += 4 * W) {
            const F d0 = S::sub(S::loadu(x + i), m), d1 = S::sub(S::loadu(x + i + W), m);
            const F d2 = S::sub(S::loadu(x + i + 2 * W), m), d3 = S::sub(S::loadu(x + i + 3 * W), m);
            a0 = S::fmadd(d0, d0, a0);
            a1 = S::fmadd(d1, d1, a1);
            a2 = S::fmadd(d2, d2, a2);
            a3 = S::fmadd(d3, d3, a3);
        }
        for (; i + W <= i1; i += W) {
            const F d = S::sub(S::loadu(x + i), m);
            a0 = S::fmadd(d, d, a0);
        }
        float part = S::hsum(S::add(S::add(a0, a1), S::add(a2, a3)));
        for (; i < i1; ++i) part += (x[i] - mean) * (x[i] - mean);
        total += part;
    }
    return total;
}

// y = (x - mean) * a + b, then SiLU when asked (y may alias x).
template <class S>
inline void norm_affine(const float * x, float * y, int64_t n, float mean, float a, float b, bool silu) {
    using F = typename S::F;
    const F mv = S::set1(mean), av = S::set1(a), bv = S::set1(b), one = S::set1(1.0f);
    const auto affine = [&](F v) { return S::fmadd(S::sub(v, mv), av, bv); };
    if (silu) {
        map<S>(x, y, n, [&](F v) {
            const F t = affine(v);
            return S::div(t, S::add(one, vexp<S>(S::sub(S::zero(), t))));
        });
        return;
    }
    map<S>(x, y, n, affine);
}

// y[d] = (x[d] - mean) * inv * gamma[d] + beta[d]
template <class S>
inline void layer_norm_apply(const float * x, float * y, int64_t D, float mean, float inv, const float * gamma, const float * beta) {
    using F = typename S::F;
    const F m = S::set1(mean), s = S::set1(inv);
    int64_t d = 0;
    for (; d + S::W <= D; d += S::W) {
        const F v = S::mul(S::sub(S::loadu(x + d), m), s);
        S::storeu(y + d, S::fmadd(v, S::loadu(gamma + d), S::loadu(beta + d)));
    }
    if (d < D) {
        const int64_t r = D - d;
        const F v = S::mul(S::sub(S::load_first(x + d, r), m), s);
        S::store_first(y + d, r, S::fmadd(v, S::load_first(gamma + d, r), S::load_first(beta + d, r)));
    }
}

} // namespace sdn::x86::simd
