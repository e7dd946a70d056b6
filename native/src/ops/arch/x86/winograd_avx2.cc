// winograd_avx2.cc: conv2d_winograd_kernels.h's transforms built with AVX2/FMA (the lane loops
// become 8-float vectors). Only called when ops_use_x86().
#include "../../conv2d_winograd_kernels.h"
#include "x86.h"

namespace sdn::x86 {

void winograd_input_transform(const float * d, float * v, int64_t e_stride) { wino::input_transform(d, v, e_stride); }
void winograd_output_transform(const float * m, int64_t e_stride, float * o) { wino::output_transform(m, e_stride, o); }
void winograd_gather_row_panel(const float * src, int64_t ld, float * d) { wino::gather_row_panel(src, ld, d); }
void winograd_scatter_row_panel(const float * o, float bias, const float * residual, float * y, int64_t ld) {
    wino::scatter_row_panel(o, bias, residual, y, ld);
}
void winograd_weight_transform(const float * g, int64_t n, float * u, int64_t e_stride) { wino::weight_transform(g, n, u, e_stride); }

} // namespace sdn::x86
