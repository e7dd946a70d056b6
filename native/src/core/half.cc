#include "half.h"

#include "cpu.h"
#include "threads.h"
#include "../ops/arch/x86/x86.h"

namespace sdn {

namespace {

// Large conversions (a checkpoint's weights widened at load) run on every thread, in chunks of 256K
// elements: one core converts f16 to f32 well below memory bandwidth, and each thread first-touches
// the pages it writes. Small ones (and calls from inside a parallel region) run on the caller.
template <typename Src, typename Dst>
void converted(const Src * src, Dst * dst, int64_t n, void (*one)(const Src *, Dst *, int64_t)) {
    constexpr int64_t kChunk = int64_t(1) << 18;
    if (n < 4 * kChunk) return one(src, dst, n);
    parallel_for(n, kChunk, [&](int64_t b, int64_t e, int) { one(src + b, dst + b, e - b); });
}

void f16_to_f32_one(const uint16_t * src, float * dst, int64_t n) {
    SDN_X86_DISPATCH(convert_f16_to_f32, src, dst, n)
    for (int64_t i = 0; i < n; ++i) dst[i] = f16_to_f32(src[i]);
}

void f32_to_f16_one(const float * src, uint16_t * dst, int64_t n) {
    SDN_X86_DISPATCH(convert_f32_to_f16, src, dst, n)
    for (int64_t i = 0; i < n; ++i) dst[i] = f32_to_f16(src[i]);
}

void bf16_to_f32_one(const uint16_t * src, float * dst, int64_t n) {
    SDN_X86_DISPATCH(convert_bf16_to_f32, src, dst, n)
    for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(src[i]);
}

void f32_to_bf16_one(const float * src, uint16_t * dst, int64_t n) {
#if SDN_X86
    if (cpu_isa() == Isa::Avx512) return x86::avx512::convert_f32_to_bf16(src, dst, n);
#endif
    for (int64_t i = 0; i < n; ++i) dst[i] = f32_to_bf16(src[i]);
}

} // namespace

// Each bulk conversion runs on the current path's vectors (F16C on avx2, AVX-512 on avx512), else
// through the scalar specification; large ones on every thread.
void convert_f16_to_f32(const uint16_t * src, float * dst, int64_t n) { converted(src, dst, n, f16_to_f32_one); }
void convert_f32_to_f16(const float * src, uint16_t * dst, int64_t n) { converted(src, dst, n, f32_to_f16_one); }
void convert_bf16_to_f32(const uint16_t * src, float * dst, int64_t n) { converted(src, dst, n, bf16_to_f32_one); }
void convert_f32_to_bf16(const float * src, uint16_t * dst, int64_t n) { converted(src, dst, n, f32_to_bf16_one); }

} // namespace sdn
