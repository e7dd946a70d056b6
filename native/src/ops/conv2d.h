// conv2d.h — 2-D convolution, NCHW, as in torch.nn.Conv2d (groups = 1, dilation = 1).
//
//   x: [B, Cin, H, W]   w: [Cout, Cin, KH, KW] (f32/f16/bf16)   bias: [Cout] f32 or null
//   y: [B, Cout, Ho, Wo]   Ho = (H + 2*pad - KH) / stride + 1   (same for Wo)
//
// With upsample = f > 1 the convolution reads the nearest-neighbour f-times up-sampling of x without
// materialising it (diffusers' Upsample2D: interpolate(nearest, 2x) then a 3x3 conv): x is stored
// [B, Cin, H / f, W / f] and pixel (iy, ix) of the convolved image is x[ci, iy / f, ix / f].
#pragma once

#include <cstdint>

#include "../core/tensor.h"
#include "gemm.h"

namespace sdn {

struct Conv2dShape {
    int64_t B, Cin, H, W;
    int64_t Cout, KH, KW;
    int64_t stride, pad;
    int64_t upsample = 1; // H and W (multiples of it) are the up-sampled sizes; x is stored H / upsample x W / upsample
    Precision precision = Precision::F32; // of the products (gemm.h); Winograd's transforms stay f32
    int64_t out_h() const { return (H + 2 * pad - KH) / stride + 1; }
    int64_t out_w() const { return (W + 2 * pad - KW) / stride + 1; }
};

// Fast path: implicit GEMM (conv2d.cc), or Winograd F(4x4, 3x3) for stride-1 3x3 convolutions where
// conv2d_algo() (conv2d_winograd.h) picks it. `residual` (same shape as y, may be null, may alias y) is
// added to the output. Any stride >= 1, padding >= 0 and kernel size; w f32, f16 or bf16.
//
// `w_packed` (may be null): w packed once by conv2d_pack_weight for s.precision, read instead of packing w
// again where conv2d_takes_packed_weight(s) (Winograd transforms w itself); same sums, same order (but for
// weights over gemm.h's k_slice cap, which the per-call path cuts into K slices).
void conv2d(const Conv2dShape & s, const float * x, const Tensor & w, const float * bias, const float * residual, float * y,
            const void * w_packed = nullptr);

// ---- The weight packed once (gemm.h, "Weights packed once") --------------------------------------
// Whether conv2d() of this shape reads a packed weight when given one: the implicit-GEMM shapes.
bool conv2d_takes_packed_weight(const Conv2dShape & s);
// Bytes of a weight of `w_dtype` packed as the implicit GEMM's A for s.precision (gemm_packed_narrow: f16
// weights stay 2 bytes an element for f32 products); depends on Cout, Cin KH KW and the precision only.
int64_t conv2d_packed_weight_bytes(const Conv2dShape & s, DType w_dtype);
// Packs w (threaded) into `dst` (conv2d_packed_weight_bytes, 64-byte aligned).
void conv2d_pack_weight(const Conv2dShape & s, const Tensor & w, void * dst);

// Activation-arena bytes one conv2d() call of this shape holds while it runs (the weight's packing
// buffer, unless it comes packed (w_packed), for images of >= 512 output pixels; below that the weight is packed block by block into
// per-thread scratch, once for the whole batch when the batch has several images whose output pixels
// are a multiple of the kernels' panel width, and the product then lands in a [Cout, B * pixels]
// buffer before y; Winograd's U/V/M blocks where conv2d_algo() picks it). For memory estimates;
// mirrors conv2d().
int64_t conv2d_workspace_bytes(const Conv2dShape & s, bool w_packed = false);

// The specification: seven loops, double accumulation (with s.precision = BF16, x and w rounded to
// bf16 first, as gemm_naive).
void conv2d_naive(const Conv2dShape & s, const float * x, const Tensor & w, const float * bias, const float * residual,
                  float * y);

} // namespace sdn
