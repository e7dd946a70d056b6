// softmax_simd.h — softmax of one row (ops/softmax.h), generic over the vector type S: max, exp and
// sum (float lanes, summed into double every 64 vectors), scale.
#pragma once

#include <cmath>
#include <cstdint>

#include "vmath.h"

namespace sdn::x86::simd {

template <class S>
inline void softmax_row(float * row, int64_t N, float scale) {
    using F = typename S::F;
    const F s = S::set1(scale);
    const int64_t nv = N / S::W * S::W;
    F mv = S::set1(-INFINITY);
    for (int64_t i = 0; i < nv; i += S::W) mv = S::max(mv, S::mul(S::loadu(row + i), s));
    float mx = S::hmax(mv);
    for (int64_t i = nv; i < N; ++i) mx = __builtin_fmaxf(mx, row[i] * scale); // a builtin, not std::fmax (see ../x86.h)
    const F mxv = S::set1(mx);
    double sum = 0.0;
    F acc = S::zero();
    int64_t since = 0;
    for (int64_t i = 0; i < nv; i += S::W) {
        const F e = vexp<S>(S::fmsub(S::loadu(row + i), s, mxv));
        S::storeu(row + i, e);
        acc = S::add(acc, e);
        if (++since == 64) {
            sum += S::hsum(acc);
            acc = S::zero();
            since = 0;
        }
    }
    sum += S::hsum(acc);
    if (nv < N) {
        alignas(64) float tmp[S::W];
        for (int64_t i = 0; i < S::W; ++i) tmp[i] = nv + i < N ? row[nv + i] * scale - mx : -INFINITY;
        S::store(tmp, vexp<S>(S::load(tmp)));
        for (int64_t i = nv; i < N; ++i) {
            row[i] = tmp[i - nv];
            sum += tmp[i - nv];
        }
    }
    const F inv = S::set1(static_cast<float>(1.0 / sum));
    for (int64_t i = 0; i < nv; i += S::W) S::storeu(row + i, S::mul(S::loadu(row + i), inv));
    for (int64_t i = nv; i < N; ++i) row[i] *= static_cast<float>(1.0 / sum);
}

} // namespace sdn::x86::simd
