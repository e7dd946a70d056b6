// x86.h — declarations of the AVX2/FMA/F16C kernels. These files are compiled with
// -mavx2 -mfma -mf16c (a separate gyp target); only call them after checking cpu_features().
#pragma once

#include <cstdint>

#include "../../gemm.h"

#if defined(__x86_64__)
#define SDN_X86 1
#else
#define SDN_X86 0
#endif

namespace sdn::x86 {

void convert_f16_to_f32(const uint16_t * src, float * dst, int64_t n);
void convert_f32_to_f16(const float * src, uint16_t * dst, int64_t n);

// gemm_avx2.cc: the 6x16 FMA micro-kernel and the packing routines (F16C widening) of gemm.h.
void gemm_kernel_6x16(int64_t kc, const float * a, const float * b, float * c, int64_t ldc, const gemm_detail::Tile & tile);
void gemm_pack_a(const void * A, DType dtype, int64_t lda, int64_t m0, int64_t mc, int64_t k0, int64_t kc, float * dst);
void gemm_pack_b(const MatB & B, int64_t k0, int64_t kc, int64_t n0, int64_t nc, float * dst);

// winograd_avx2.cc: the F(4x4, 3x3) tile transforms of conv2d_winograd_kernels.h over 16 tiles.
void winograd_input_transform(const float * d, float * v, int64_t e_stride);
void winograd_output_transform(const float * m, int64_t e_stride, float * o);
void winograd_weight_transform(const float * g, int64_t n, float * u, int64_t e_stride);
void winograd_gather_row_panel(const float * src, int64_t ld, float * d);
void winograd_scatter_row_panel(const float * o, float bias, const float * residual, float * y, int64_t ld);

// activation_avx2.cc (vmath_avx2.h: exp / erf / erfc of 8 floats)
void silu(const float * x, float * y, int64_t n, float k); // x * sigmoid(k x): SiLU (k = 1), quick GELU (1.702)
void gelu_erf(const float * x, float * y, int64_t n);
void gelu_tanh(const float * x, float * y, int64_t n);
void geglu_row(const float * x, float * y, int64_t D); // x: [value | gate] of 2D, y: D
void math_apply(int fn, const float * x, float * y, int64_t n); // 0 exp, 1 erf, 2 erfc

// softmax_avx2.cc
void softmax_row(float * row, int64_t N, float scale);

// norm_avx2.cc
double norm_sum(const float * x, int64_t n);
double norm_sum_sq_dev(const float * x, int64_t n, float mean);
void norm_affine(const float * x, float * y, int64_t n, float mean, float a, float b, bool silu);
void layer_norm_apply(const float * x, float * y, int64_t D, float mean, float inv, const float * gamma, const float * beta);

} // namespace sdn::x86
