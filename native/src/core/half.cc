#include "half.h"

#include "cpu.h"
#include "../ops/arch/x86/x86.h"

namespace sdn {

// Each bulk conversion runs on the current path's vectors (F16C on avx2, AVX-512 on avx512), else
// through the scalar specification.
void convert_f16_to_f32(const uint16_t * src, float * dst, int64_t n) {
    SDN_X86_DISPATCH(convert_f16_to_f32, src, dst, n)
    for (int64_t i = 0; i < n; ++i) dst[i] = f16_to_f32(src[i]);
}

void convert_f32_to_f16(const float * src, uint16_t * dst, int64_t n) {
    SDN_X86_DISPATCH(convert_f32_to_f16, src, dst, n)
    for (int64_t i = 0; i < n; ++i) dst[i] = f32_to_f16(src[i]);
}

void convert_bf16_to_f32(const uint16_t * src, float * dst, int64_t n) {
    SDN_X86_DISPATCH(convert_bf16_to_f32, src, dst, n)
    for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(src[i]);
}

void convert_f32_to_bf16(const float * src, uint16_t * dst, int64_t n) {
#if SDN_X86
    if (cpu_isa() == Isa::Avx512) return x86::avx512::convert_f32_to_bf16(src, dst, n);
#endif
    for (int64_t i = 0; i < n; ++i) dst[i] = f32_to_bf16(src[i]);
}

} // namespace sdn
