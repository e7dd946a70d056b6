// activation_simd.h — the activations of ops/activation.h on the vectorised exp / erf of vmath.h,
// generic over the vector type S; instantiated by avx2/activation_avx2.cc and
// avx512/activation_avx512.cc.
#pragma once

#include <cstdint>

#include "vmath.h"

namespace sdn::x86::simd {

// v * sigmoid(k v) = v / (1 + exp(-k v))
template <class S>
inline typename S::F silu(typename S::F v, typename S::F k) {
    const auto e = vexp<S>(S::mul(S::sub(S::zero(), k), v));
    return S::div(v, S::add(S::set1(1.0f), e));
}

// v Phi(v) = 0.5 v erfc(-v / sqrt 2)  (erfc keeps the accuracy of small Phi for negative v)
template <class S>
inline typename S::F gelu_erf(typename S::F v) {
    const auto z = S::mul(v, S::set1(-0.70710678118654752f));
    return S::mul(S::mul(S::set1(0.5f), v), verfc<S>(z));
}

// 0.5 v (1 + tanh(u)) = v * sigmoid(2u), u = sqrt(2/pi) (v + 0.044715 v^3)
template <class S>
inline typename S::F gelu_tanh(typename S::F v) {
    const auto v3 = S::mul(S::mul(v, v), v);
    const auto u = S::mul(S::set1(0.79788456080286536f), S::fmadd(S::set1(0.044715f), v3, v));
    const auto e = vexp<S>(S::mul(S::set1(-2.0f), u));
    return S::div(v, S::add(S::set1(1.0f), e));
}

template <class S>
inline void silu_array(const float * x, float * y, int64_t n, float k) {
    const auto kv = S::set1(k);
    map<S>(x, y, n, [&](typename S::F v) { return silu<S>(v, kv); });
}

template <class S>
inline void gelu_erf_array(const float * x, float * y, int64_t n) {
    map<S>(x, y, n, [](typename S::F v) { return gelu_erf<S>(v); });
}

template <class S>
inline void gelu_tanh_array(const float * x, float * y, int64_t n) {
    map<S>(x, y, n, [](typename S::F v) { return gelu_tanh<S>(v); });
}

// y[d] = value[d] * gelu(gate[d]) for one row x = [value | gate] of 2D (y may be x).
template <class S>
inline void geglu_row(const float * x, float * y, int64_t D) {
    const float * value = x;
    const float * gate = x + D;
    int64_t i = 0;
    for (; i + S::W <= D; i += S::W) S::storeu(y + i, S::mul(S::loadu(value + i), gelu_erf<S>(S::loadu(gate + i))));
    if (i < D) S::store_first(y + i, D - i, S::mul(S::load_first(value + i, D - i), gelu_erf<S>(S::load_first(gate + i, D - i))));
}

// 0 exp, 1 erf, 2 erfc
template <class S>
inline void math_apply(int fn, const float * x, float * y, int64_t n) {
    if (fn == 0) map<S>(x, y, n, [](typename S::F v) { return vexp<S>(v); });
    else if (fn == 1) map<S>(x, y, n, [](typename S::F v) { return verf<S>(v); });
    else map<S>(x, y, n, [](typename S::F v) { return verfc<S>(v); });
}

} // namespace sdn::x86::simd
