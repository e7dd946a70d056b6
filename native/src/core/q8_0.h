// q8_0.h — 8-bit weights in blocks: GGML's Q8_0 format (stable-diffusion.cpp's q8_0), a storage type.
//
// Values are stored in blocks of 32 consecutive elements, each block 34 bytes: its scale d as f16, then 32
// signed bytes q. Element j of the block is d * q[j]. Quantizing a block takes d = max|x| / 127 (rounded
// to f16) and q[j] = round(x[j] / d), so the largest element is kept to f16's precision and every other
// within d / 2. 8.5 bits an element: about half of f16's memory.
//
// The engine never multiplies these bytes as integers: the GEMM packers widen each element to f32 (or
// round it to bf16) where they read it, exactly as they widen f16, so the products and sums are those of
// the dequantized weight in the call's precision. A tensor of this type is contiguous and its element
// count is a multiple of 32: blocks run over the flat element order (the loaders quantize
// only such weights).
#pragma once

#include <cstdint>
#include <cstring>

#include "half.h"

namespace sdn {

constexpr int64_t kQ8Block = 32;       // elements a block
constexpr int64_t kQ8BlockBytes = 34;  // f16 scale + 32 bytes

// Element i of Q8_0 data (a run of whole blocks), widened: the specification the vector loaders match.
inline float q8_0_at(const void * data, int64_t i) {
    const auto * block = static_cast<const uint8_t *>(data) + (i / kQ8Block) * kQ8BlockBytes;
    uint16_t d;
    std::memcpy(&d, block, sizeof d);
    return f16_to_f32(d) * static_cast<float>(static_cast<int8_t>(block[2 + i % kQ8Block]));
}

// Bytes of n elements (n a multiple of kQ8Block).
inline int64_t q8_0_bytes(int64_t n) { return n / kQ8Block * kQ8BlockBytes; }

// Quantizes n f32 values (a multiple of kQ8Block) into n / 32 blocks at dst. Threaded.
void quantize_q8_0(const float * src, void * dst, int64_t n);
// Elements [i0, i0 + n) of Q8_0 data widened to f32 (any i0, n).
void convert_q8_0_to_f32(const void * src, int64_t i0, float * dst, int64_t n);

} // namespace sdn
