// vmath.h — vectorised exp, erf and erfc, generic over the vector type S (simd_avx2.h: 8 floats,
// simd_avx512.h: 16), max relative error ~3e-7 over their float range (tested against double
// references in test/native/ops/op_cases.cc).
//
// exp: x = n ln2 + r with |r| <= ln2 / 2 (Cody-Waite: ln2 split in a short high part, exact in n * hi,
//   and a low part), exp(r) = 1 + r + r^2 P(r) with P of degree 4 fitted to (exp(r) - 1 - r) / r^2
//   (relative error 1e-8), times 2^n built in the exponent bits.
// erf:  |x| <= 1: x P1(x^2), P1 of degree 6 fitted to erf(x) / x (relative error 1.2e-9);
//       |x| > 1: 1 - erfc(|x|) with the sign of x.
// erfc: a = |x| >= 1: exp(-a^2) t P2(t), t = 1 / (1 + a / 2), P2 of degree 8 fitted to
//       erfc(a) exp(a^2) / t on a in [1, 10] (relative error 2.3e-9); a^2 = hi + lo exactly (FMA),
//       exp(-a^2) = exp(-hi) (1 - lo), so the rounding of a^2 does not cost accuracy.
//       |x| < 1: 1 - erf(x); x < 0: 2 - erfc(|x|).
// The polynomials were fitted (weighted least squares iterated towards minimax on the relative
// error, in double precision against mpmath) for this project.
#pragma once

namespace sdn::x86::simd {

template <class S>
inline typename S::F vexp(typename S::F x) {
    using F = typename S::F;
    const F hi_limit = S::set1(88.3762626647949f);
    const F lo_limit = S::set1(-87.3365447505531f);
    const auto overflow = S::gt(x, hi_limit);
    const auto underflow = S::lt(x, lo_limit);
    const F xc = S::min(S::max(x, lo_limit), hi_limit);
    const F n = S::round_nearest(S::mul(xc, S::set1(1.44269504088896341f)));
    F r = S::fnmadd(n, S::set1(0.693359375f), xc);
    r = S::fnmadd(n, S::set1(-2.12194440054690583e-4f), r);
    F p = S::set1(0.0013933648495822299f);
    p = S::fmadd(p, r, S::set1(0.008363179546760309f));
    p = S::fmadd(p, r, S::set1(0.041666464931325309f));
    p = S::fmadd(p, r, S::set1(0.16666576979249995f));
    p = S::fmadd(p, r, S::set1(0.50000000134667055f));
    const F r2 = S::mul(r, r);
    const F e = S::add(S::fmadd(r2, p, r), S::set1(1.0f));
    // 2^n for n in [-126, 127]: the exponent field. exp(-87.33) ~ 2^-126 stays normal.
    F y = S::mul(e, S::pow2i(n));
    y = S::select(overflow, S::set1(__builtin_inff()), y);
    y = S::zero_where(underflow, y); // below the normal range: 0
    return S::select(S::is_nan(x), x, y); // NaN stays NaN
}

// erfc(a) for a >= 1 (any a >= 0 evaluates, but is only accurate from 1 on).
template <class S>
inline typename S::F verfc_tail(typename S::F a) {
    using F = typename S::F;
    const F ac = S::min(a, S::set1(10.0f));
    const F t = S::div(S::set1(1.0f), S::fmadd(ac, S::set1(0.5f), S::set1(1.0f)));
    F p = S::set1(-0.039291582536272629f);
    p = S::fmadd(p, t, S::set1(0.22345152225933515f));
    p = S::fmadd(p, t, S::set1(-0.40936146230862519f));
    p = S::fmadd(p, t, S::set1(0.22567080907002662f));
    p = S::fmadd(p, t, S::set1(-0.0068647464387117914f));
    p = S::fmadd(p, t, S::set1(0.19869533574173426f));
    p = S::fmadd(p, t, S::set1(0.2434364383584402f));
    p = S::fmadd(p, t, S::set1(0.28238393641002663f));
    p = S::fmadd(p, t, S::set1(0.28208423180804609f));
    const F hi = S::mul(ac, ac);
    const F lo = S::fmsub(ac, ac, hi); // a^2 - hi, exact
    const F e = S::mul(vexp<S>(S::sub(S::zero(), hi)), S::sub(S::set1(1.0f), lo));
    const F y = S::mul(e, S::mul(t, p));
    return S::zero_where(S::gt(a, S::set1(10.0f)), y); // erfc(> 10) underflows: 0
}

// erf(x) / x for |x| <= 1, as a polynomial in x^2.
template <class S>
inline typename S::F verf_core(typename S::F x2) {
    using F = typename S::F;
    F p = S::set1(7.8539738056405544e-05f);
    p = S::fmadd(p, x2, S::set1(-0.00080102308438464629f));
    p = S::fmadd(p, x2, S::set1(0.0051883324304721097f));
    p = S::fmadd(p, x2, S::set1(-0.026853814844263534f));
    p = S::fmadd(p, x2, S::set1(0.11283585235529942f));
    p = S::fmadd(p, x2, S::set1(-0.37612625835398505f));
    return S::fmadd(p, x2, S::set1(1.1283791657308206f));
}

template <class S>
inline typename S::F verf(typename S::F x) {
    using F = typename S::F;
    const F a = S::abs(x);
    const auto small = S::le(a, S::set1(1.0f));
    const F ys = S::mul(x, verf_core<S>(S::mul(x, x)));
    if (S::all(small)) return ys;
    const F yl = S::or_bits(S::sign_bits(x), S::sub(S::set1(1.0f), verfc_tail<S>(a)));
    const F y = S::select(small, ys, yl);
    return S::select(S::is_nan(x), x, y);
}

template <class S>
inline typename S::F verfc(typename S::F x) {
    using F = typename S::F;
    const F a = S::abs(x);
    const auto small = S::lt(a, S::set1(1.0f));
    const F ys = S::sub(S::set1(1.0f), S::mul(x, verf_core<S>(S::mul(x, x))));
    if (S::all(small)) return ys;
    const F tail = verfc_tail<S>(a);
    const F yl = S::select(S::lt(x, S::zero()), S::sub(S::set1(2.0f), tail), tail);
    const F y = S::select(small, ys, yl);
    return S::select(S::is_nan(x), x, y);
}

// Applies f to n floats, W at a time; the tail through the same vector code on a zero-padded
// vector (masked loads and stores), so every element sees identical arithmetic.
template <class S, class Fn>
inline void map(const float * x, float * y, int64_t n, Fn && f) {
    int64_t i = 0;
    for (; i + S::W <= n; i += S::W) S::storeu(y + i, f(S::loadu(x + i)));
    if (i < n) S::store_first(y + i, n - i, f(S::load_first(x + i, n - i)));
}

} // namespace sdn::x86::simd
