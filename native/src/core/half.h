// half.h — IEEE binary16 (f16) and bfloat16 (bf16) <-> f32 conversion.
// Scalar functions are the specification; the bulk converters run on the current path's vectors
// (F16C / AVX-512, see core/cpu.h) with the same results.
#pragma once

#include <cstdint>
#include <cstring>

namespace sdn {

// f16 -> f32, exact for every input (normals, subnormals, inf, NaN).
inline float f16_to_f32(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    uint32_t exponent = (h >> 10) & 0x1Fu;
    uint32_t mantissa = h & 0x3FFu;
    uint32_t bits;
    if (exponent == 0) {
        if (mantissa == 0) {
            bits = sign; // +-0
        } else { // subnormal: normalise
            exponent = 127 - 15 + 1;
            while ((mantissa & 0x400u) == 0) { mantissa <<= 1; --exponent; }
            mantissa &= 0x3FFu;
            bits = sign | (exponent << 23) | (mantissa << 13);
        }
    } else if (exponent == 0x1F) {
        bits = sign | 0x7F800000u | (mantissa << 13); // inf / NaN
    } else {
        bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
    }
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

// f32 -> f16, round to nearest even (as torch's .half() and F16C with rounding mode 0).
inline uint16_t f32_to_f16(float f) {
    uint32_t x;
    std::memcpy(&x, &f, sizeof x);
    const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
    const uint32_t abs = x & 0x7FFFFFFFu;
    if (abs >= 0x7F800000u) { // inf or NaN
        return sign | 0x7C00u | (abs > 0x7F800000u ? 0x200u : 0u);
    }
    if (abs >= 0x477FF000u) return sign | 0x7C00u; // rounds to >= 65520: overflow to inf
    if (abs < 0x38800000u) { // result is subnormal or zero
        if (abs < 0x33000000u) return sign; // < 2^-25 rounds to 0
        const uint32_t exponent = abs >> 23;
        const uint32_t mantissa = (abs & 0x7FFFFFu) | 0x800000u;
        const uint32_t shift = 126 - exponent; // 14 + (113 - exponent)
        // mantissa has 24 bits; the subnormal keeps (24 - shift) of them: round to nearest even
        const uint32_t rem = mantissa & ((1u << shift) - 1);
        const uint32_t halfway = 1u << (shift - 1);
        uint32_t half_mant = mantissa >> shift;
        if (rem > halfway || (rem == halfway && (half_mant & 1u))) ++half_mant;
        return sign | static_cast<uint16_t>(half_mant);
    }
    uint32_t rebased = abs - (112u << 23); // exponent bias 127 -> 15
    uint32_t h = rebased >> 13;
    const uint32_t rem = rebased & 0x1FFFu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h; // may carry into the exponent: correct
    return sign | static_cast<uint16_t>(h);
}

inline float bf16_to_f32(uint16_t b) {
    const uint32_t bits = static_cast<uint32_t>(b) << 16;
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

// f32 -> bf16, round to nearest even; NaN stays NaN.
inline uint16_t f32_to_bf16(float f) {
    uint32_t x;
    std::memcpy(&x, &f, sizeof x);
    if ((x & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);
    const uint32_t rounding = 0x7FFFu + ((x >> 16) & 1u);
    return static_cast<uint16_t>((x + rounding) >> 16);
}

// Bulk conversions (vectorised on the avx2 and avx512 paths).
void convert_f16_to_f32(const uint16_t * src, float * dst, int64_t n);
void convert_f32_to_f16(const float * src, uint16_t * dst, int64_t n);
void convert_bf16_to_f32(const uint16_t * src, float * dst, int64_t n);
void convert_f32_to_bf16(const float * src, uint16_t * dst, int64_t n);

} // namespace sdn
