// conv2d_winograd.h — stride-1 3x3 convolutions by Winograd minimal filtering F(4x4, 3x3)
// (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2015), and the one decision
// between it and the direct (implicit-GEMM) convolution of conv2d.cc.
//
//   x: [B, Cin, H / f, W / f] (read through the nearest f-times up-sampling, as conv2d)
//   w: [Cout, Cin, 3, 3] f32/f16/bf16   bias: [Cout] or null   residual: like y or null (may alias y)
//   y: [B, Cout, Ho, Wo]   Ho = H + 2 pad - 2, Wo = W + 2 pad - 2
//
// The output is cut into 4x4 tiles (the last row/column of tiles may stick out: those outputs are
// not written); tile (ty, tx) reads the 6x6 input patch at (4 ty - pad, 4 tx - pad). With
// B^T (6x6), G (6x3), A^T (4x6) of the points 0, +-1, +-2 (and infinity):
//   U[e][co][ci]  = (G w[co][ci] G^T)[e]        weight transform, 36 values e = 6 i + j per 3x3 kernel
//   V[e][ci][t]   = (B^T d[ci][t] B)[e]         input transform of the patch d of tile t
//   M[e][co][t]   = sum_ci U[e][co][ci] V[e][ci][t]   36 independent GEMMs (the packed micro-kernel of gemm.h)
//   y[co][tile t] = A^T M[.][co][t] A + bias[co] + residual   output transform (4x4), epilogue fused
// 36 multiplies per 16 outputs and input channel instead of 144 for the direct convolution.
//
// Memory: the transformed weight U of a block of output channels, V of a chunk of tiles and M of
// both, all from the activation arena, sized by caps (see conv2d_winograd.cc) so the workspace stays
// in the tens of MiB whatever the layer; transformed weights are never kept beyond the call.
#pragma once

#include <cstdint>

#include "../core/tensor.h"
#include "conv2d.h"

namespace sdn {

enum class ConvAlgo { Direct, Winograd };
// How conv2d_algo() decides: per shape (Auto), or Direct / Winograd wherever Winograd applies.
enum class ConvAlgoMode { Auto = 0, Direct = 1, Winograd = 2 };

// The convolution conv2d() runs for this shape (and conv2d_workspace_bytes() reports): Winograd for
// stride-1 3x3 convolutions with enough channels and tiles to pay for the transforms, else direct.
// LATENTFLOW_CONV=direct|winograd|auto (read once; a production knob) or testing::conv_algo_set
// (ops/testing.h) override it; forcing winograd still needs a 3x3 stride-1 kernel
// (conv2d_winograd_supports).
ConvAlgo conv2d_algo(const Conv2dShape & s);

// 3x3 kernel, stride 1, padding <= 2.
bool conv2d_winograd_supports(const Conv2dShape & s);

// The Winograd convolution (s must be supported); w, bias, residual and y as conv2d(). Agrees with
// conv2d_naive within ~1e-5 of max |y| in f32 (measured in test/native/ops/op_cases.cc). The
// transforms and their 36 products are f32 whatever s.precision says.
void conv2d_winograd(const Conv2dShape & s, const float * x, const Tensor & w, const float * bias, const float * residual,
                     float * y);

// Activation-arena bytes conv2d_winograd() holds while it runs (U, V and M blocks).
int64_t conv2d_winograd_workspace_bytes(const Conv2dShape & s);

} // namespace sdn
