// winograd_avx2.cc: conv2d_winograd_kernels.h's transforms built with AVX2/FMA (the lane loops
// become 8-float vectors). Only called when ops_use_x86().
#include "../../conv2d_winograd_kernels.h"
#include "x86.h"

namespace sdn::x86 {

void winograd_input_transform(const float * d, float * v, int64_t e_stride) { wino::input_transform(d, v, e_stride); }
void winograd_output_transform(const float * m, int64_t e_stride, float * o) { wino::output_transform(m, e_stride, o); }

} // namespace sdn::x86
