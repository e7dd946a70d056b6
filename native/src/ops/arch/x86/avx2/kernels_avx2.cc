// The avx2 path's element-wise kernel families (activations, norms, softmax, flash attention's tile,
// Winograd's transforms, f16/bf16 conversions), from the generic sources in ../simd/ on 8-float
// vectors; the GEMM kernel set is in gemm_avx2.cc.
#include "../simd/simd_avx2.h"

#define SDN_SIMD_PATH avx2
#define SDN_SIMD_TYPE Avx2
#include "../simd/path_kernels.inc"

