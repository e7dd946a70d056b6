// vmath_avx2.h — vectorised exp, erf and erfc for 8 floats (AVX2/FMA), max relative error ~3e-7
// over their float range (tested against std::exp / std::erf / std::erfc in test/native/ops).
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

#include <immintrin.h>

namespace sdn::x86 {

static inline __m256 exp8(__m256 x) {
    const __m256 hi_limit = _mm256_set1_ps(88.3762626647949f);
    const __m256 lo_limit = _mm256_set1_ps(-87.3365447505531f);
    const __m256 overflow = _mm256_cmp_ps(x, hi_limit, _CMP_GT_OQ);
    const __m256 underflow = _mm256_cmp_ps(x, lo_limit, _CMP_LT_OQ);
    const __m256 xc = _mm256_min_ps(_mm256_max_ps(x, lo_limit), hi_limit);
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), xc);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440054690583e-4f), r);
    __m256 p = _mm256_set1_ps(0.0013933648495822299f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.008363179546760309f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.041666464931325309f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.16666576979249995f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.50000000134667055f));
    const __m256 r2 = _mm256_mul_ps(r, r);
    const __m256 e = _mm256_add_ps(_mm256_fmadd_ps(r2, p, r), _mm256_set1_ps(1.0f));
    // 2^n for n in [-126, 127]: the exponent field. exp(-87.33) ~ 2^-126 stays normal.
    const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    __m256 y = _mm256_mul_ps(e, _mm256_castsi256_ps(bits));
    y = _mm256_blendv_ps(y, _mm256_set1_ps(__builtin_inff()), overflow);
    y = _mm256_andnot_ps(underflow, y); // below the normal range: 0
    return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q)); // NaN stays NaN
}

// erfc(a) for a >= 1 (any a >= 0 evaluates, but is only accurate from 1 on).
static inline __m256 erfc_tail8(__m256 a) {
    const __m256 ac = _mm256_min_ps(a, _mm256_set1_ps(10.0f));
    const __m256 t = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(ac, _mm256_set1_ps(0.5f), _mm256_set1_ps(1.0f)));
    __m256 p = _mm256_set1_ps(-0.039291582536272629f);
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.22345152225933515f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.40936146230862519f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.22567080907002662f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.0068647464387117914f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.19869533574173426f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.2434364383584402f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.28238393641002663f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.28208423180804609f));
    const __m256 hi = _mm256_mul_ps(ac, ac);
    const __m256 lo = _mm256_fmsub_ps(ac, ac, hi); // a^2 - hi, exact
    const __m256 e = _mm256_mul_ps(exp8(_mm256_sub_ps(_mm256_setzero_ps(), hi)), _mm256_sub_ps(_mm256_set1_ps(1.0f), lo));
    const __m256 y = _mm256_mul_ps(e, _mm256_mul_ps(t, p));
    return _mm256_andnot_ps(_mm256_cmp_ps(a, _mm256_set1_ps(10.0f), _CMP_GT_OQ), y); // erfc(> 10) underflows: 0
}

// erf(x) / x for |x| <= 1, as a polynomial in x^2.
static inline __m256 erf_core8(__m256 x2) {
    __m256 p = _mm256_set1_ps(7.8539738056405544e-05f);
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-0.00080102308438464629f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(0.0051883324304721097f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-0.026853814844263534f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(0.11283585235529942f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-0.37612625835398505f));
    return _mm256_fmadd_ps(p, x2, _mm256_set1_ps(1.1283791657308206f));
}

static inline __m256 abs8(__m256 x) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x); }

static inline __m256 erf8(__m256 x) {
    const __m256 a = abs8(x);
    const __m256 small = _mm256_cmp_ps(a, _mm256_set1_ps(1.0f), _CMP_LE_OQ);
    const __m256 ys = _mm256_mul_ps(x, erf_core8(_mm256_mul_ps(x, x)));
    if (_mm256_movemask_ps(small) == 0xFF) return ys;
    const __m256 sign = _mm256_and_ps(x, _mm256_set1_ps(-0.0f));
    const __m256 yl = _mm256_or_ps(sign, _mm256_sub_ps(_mm256_set1_ps(1.0f), erfc_tail8(a)));
    const __m256 y = _mm256_blendv_ps(yl, ys, small);
    return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

static inline __m256 erfc8(__m256 x) {
    const __m256 a = abs8(x);
    const __m256 small = _mm256_cmp_ps(a, _mm256_set1_ps(1.0f), _CMP_LT_OQ);
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 ys = _mm256_sub_ps(one, _mm256_mul_ps(x, erf_core8(_mm256_mul_ps(x, x))));
    if (_mm256_movemask_ps(small) == 0xFF) return ys;
    const __m256 tail = erfc_tail8(a);
    const __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
    const __m256 yl = _mm256_blendv_ps(tail, _mm256_sub_ps(_mm256_set1_ps(2.0f), tail), neg);
    const __m256 y = _mm256_blendv_ps(yl, ys, small);
    return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

} // namespace sdn::x86
