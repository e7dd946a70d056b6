#include "q8_0.h"

#include <algorithm>
#include <cmath>

#include "threads.h"

namespace sdn {

namespace {

void quantize_block(const float * x, uint8_t * block) {
    float amax = 0.0f;
    for (int64_t j = 0; j < kQ8Block; ++j) amax = std::max(amax, std::fabs(x[j]));
    // A scale past f16's range (|x| > 8.3e6, never a trained weight) saturates at its largest finite value.
    const uint16_t d16 = std::min<uint16_t>(f32_to_f16(amax / 127.0f), 0x7BFF);
    const float d = f16_to_f32(d16);
    std::memcpy(block, &d16, sizeof d16);
    if (!(d > 0.0f)) { // a block of zeros (or of values below f16's smallest scale)
        std::memset(block + 2, 0, kQ8Block);
        return;
    }
    // Divide by the stored (rounded) scale: each q is the nearest step of the grid the reader uses. Rounding to
    // the nearest integer, ties to even, by adding and subtracting 1.5 * 2^23 (exact for |x / d| < 2^22): what
    // nearbyint gives in the default rounding mode, in a loop the compiler vectorizes with the baseline SSE2.
    constexpr float kRound = 12582912.0f;
    float q[kQ8Block];
    for (int64_t j = 0; j < kQ8Block; ++j) {
        const float r = (x[j] / d + kRound) - kRound;
        const float c = r < -127.0f ? -127.0f : r > 127.0f ? 127.0f : r;
        q[j] = c == c ? c : 0.0f; // a NaN weight becomes 0 (converting NaN to an integer is undefined)
    }
    for (int64_t j = 0; j < kQ8Block; ++j) block[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(q[j]));
}

} // namespace

void quantize_q8_0(const float * src, void * dst, int64_t n) {
    auto * out = static_cast<uint8_t *>(dst);
    parallel_for(n / kQ8Block, 1024, [&](int64_t begin, int64_t end, int) {
        for (int64_t b = begin; b < end; ++b) quantize_block(src + b * kQ8Block, out + b * kQ8BlockBytes);
    });
}

void convert_q8_0_to_f32(const void * src, int64_t i0, float * dst, int64_t n) {
    const auto * bytes = static_cast<const uint8_t *>(src);
    for (int64_t i = i0; i < i0 + n;) {
        const int64_t b = i / kQ8Block, lane = i % kQ8Block, run = std::min(kQ8Block - lane, i0 + n - i);
        const uint8_t * block = bytes + b * kQ8BlockBytes;
        uint16_t d16;
        std::memcpy(&d16, block, sizeof d16);
        const float d = f16_to_f32(d16);
        for (int64_t j = 0; j < run; ++j) dst[i - i0 + j] = d * static_cast<float>(static_cast<int8_t>(block[2 + lane + j]));
        i += run;
    }
}

} // namespace sdn
