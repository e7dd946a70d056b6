// x86.h — declarations of the AVX2/FMA/F16C kernels. These files are compiled with
// -mavx2 -mfma -mf16c (a separate gyp target); only call them after checking cpu_features().
#pragma once

#include <cstdint>

#if defined(__x86_64__)
#define SDN_X86 1
#else
#define SDN_X86 0
#endif

namespace sdn::x86 {

void convert_f16_to_f32(const uint16_t * src, float * dst, int64_t n);
void convert_f32_to_f16(const float * src, uint16_t * dst, int64_t n);

} // namespace sdn::x86
