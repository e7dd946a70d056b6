// half_simd.h — bulk f16 / bf16 -> f32 and f32 -> f16 conversions (core/half.h), generic over the
// vector type S; the same results as the scalar specification in core/half.h (round to nearest
// even). Tails go through the same vector code on a zero-padded copy.
#pragma once

#include <cstdint>
#include <cstring>

namespace sdn::x86::simd {

template <class S>
inline void convert_f16_to_f32(const uint16_t * src, float * dst, int64_t n) {
    int64_t i = 0;
    for (; i + S::W <= n; i += S::W) S::storeu(dst + i, S::load_f16(src + i));
    if (i < n) {
        alignas(64) uint16_t tmp[S::W] = {};
        std::memcpy(tmp, src + i, sizeof(uint16_t) * (n - i));
        S::store_first(dst + i, n - i, S::load_f16(tmp));
    }
}

template <class S>
inline void convert_f32_to_f16(const float * src, uint16_t * dst, int64_t n) {
    int64_t i = 0;
    for (; i + S::W <= n; i += S::W) S::store_f16(dst + i, S::loadu(src + i));
    if (i < n) {
        alignas(64) uint16_t tmp[S::W];
        S::store_f16(tmp, S::load_first(src + i, n - i));
        std::memcpy(dst + i, tmp, sizeof(uint16_t) * (n - i));
    }
}

template <class S>
inline void convert_bf16_to_f32(const uint16_t * src, float * dst, int64_t n) {
    int64_t i = 0;
    for (; i + S::W <= n; i += S::W) S::storeu(dst + i, S::load_bf16(src + i));
    if (i < n) {
        alignas(64) uint16_t tmp[S::W] = {};
        std::memcpy(tmp, src + i, sizeof(uint16_t) * (n - i));
        S::store_first(dst + i, n - i, S::load_bf16(tmp));
    }
}

} // namespace sdn::x86::simd
