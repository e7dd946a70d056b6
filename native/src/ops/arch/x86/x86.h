// x86.h — declarations of the x86 SIMD kernels, one namespace per instruction-set path:
//   x86::avx2    files in avx2/,   built with -mavx2 -mfma -mf16c
//   x86::avx512  files in avx512/, built with -mavx512f -mavx512bw -mavx512vl -mavx512dq (and BF16)
// Each folder is its own gyp target with those flags; call a path's functions only when cpu_isa()
// (core/cpu.h) is at least that path (the bf16 ones only when cpu_bf16()). Both namespaces declare
// the same element-wise families (one generic source in simd/, instantiated per path).
//
// One rule keeps a wider path's instructions out of a narrower path: the files built with these flags
// define only functions of their own namespace (or internal ones) and call no inline function with
// external linkage from a shared header (core/half.h's scalar converters, std::min, ...). Such a
// function compiled here would be an out-of-line copy the linker may pick for every caller, the
// portable ones included (test/native/arch-symbols.test.ts checks the built objects).
#pragma once

#include <cstdint>

#include "../../../core/cpu.h"
#include "../../gemm.h"

#if defined(__x86_64__)
#define SDN_X86 1
#else
#define SDN_X86 0
#endif

// Inside a function of the portable family: returns fn(args...) of the current path's namespace when
// cpu_isa() is avx2 or avx512 (the one dispatch of a family, see STYLE.md), else falls through to the
// portable code that follows it.
#if SDN_X86
#define SDN_X86_DISPATCH(fn, ...)                                          \
    switch (::sdn::cpu_isa()) {                                            \
        case ::sdn::Isa::Avx512: return ::sdn::x86::avx512::fn(__VA_ARGS__); \
        case ::sdn::Isa::Avx2: return ::sdn::x86::avx2::fn(__VA_ARGS__);     \
        case ::sdn::Isa::Portable: break;                                  \
    }
#else
#define SDN_X86_DISPATCH(fn, ...)
#endif

namespace sdn {
struct FlashTiling;
struct FlashTask;
} // namespace sdn

// The families every path has, with the same signatures (see the generic sources they come from).
#define SDN_X86_COMMON_DECLARATIONS                                                                                   \
    /* half.cc's bulk conversions */                                                                                  \
    void convert_f16_to_f32(const uint16_t * src, float * dst, int64_t n);                                            \
    void convert_f32_to_f16(const float * src, uint16_t * dst, int64_t n);                                            \
    void convert_bf16_to_f32(const uint16_t * src, float * dst, int64_t n);                                           \
    /* the GEMM kernel set of the path (f32) */                                                                       \
    void gemm_kernel(int64_t kc, const void * a, const void * b, float * c, int64_t ldc, const gemm_detail::Tile & tile); \
    void gemm_pack_a(const void * A, DType dtype, int64_t lda, int64_t m0, int64_t mc, int64_t k0, int64_t kc, void * dst); \
    void gemm_pack_b(const MatB & B, int64_t k0, int64_t kc, int64_t n0, int64_t nc, void * dst);                     \
    /* the F(4x4, 3x3) tile transforms of conv2d_winograd_kernels.h over 16 tiles */                                 \
    void winograd_input_transform(const float * d, float * v, int64_t e_stride);                                      \
    void winograd_output_transform(const float * m, int64_t e_stride, float * o);                                     \
    void winograd_weight_transform(const float * g, int64_t n, float * u, int64_t e_stride);                          \
    void winograd_gather_row_panel(const float * src, int64_t ld, float * d);                                         \
    void winograd_scatter_row_panel(const float * o, float bias, const float * residual, float * y, int64_t ld);      \
    /* activations on the vectorised exp / erf (simd/vmath.h) */                                                      \
    void silu(const float * x, float * y, int64_t n, float k); /* x * sigmoid(k x): SiLU (k = 1), quick GELU (1.702) */ \
    void gelu_erf(const float * x, float * y, int64_t n);                                                             \
    void gelu_tanh(const float * x, float * y, int64_t n);                                                            \
    void geglu_row(const float * x, float * y, int64_t D); /* x: [value | gate] of 2D, y: D */                      \
    void math_apply(int fn, const float * x, float * y, int64_t n); /* 0 exp, 1 erf, 2 erfc */                        \
    /* softmax of one row */                                                                                          \
    void softmax_row(float * row, int64_t N, float scale);                                                            \
    /* group norm / layer norm building blocks */                                                                     \
    double norm_sum(const float * x, int64_t n);                                                                      \
    double norm_sum_sq_dev(const float * x, int64_t n, float mean);                                                   \
    void norm_affine(const float * x, float * y, int64_t n, float mean, float a, float b, bool silu);                 \
    void layer_norm_apply(const float * x, float * y, int64_t D, float mean, float inv, const float * gamma, const float * beta); \
    /* flash attention's tile kernel and exp (attention_flash.h) */                                                   \
    void attention_flash_tile(const FlashTiling & t, const FlashTask & task, float * workspace);                      \
    void attention_exp(const float * x, float * y, int64_t n);

namespace sdn::x86::avx2 {
SDN_X86_COMMON_DECLARATIONS
} // namespace sdn::x86::avx2

namespace sdn::x86::avx512 {
SDN_X86_COMMON_DECLARATIONS

// f32 -> bf16 (round to nearest even, as core/half.h's f32_to_bf16; avx2 has no bf16 instructions and
// takes the scalar loop).
void convert_f32_to_bf16(const float * src, uint16_t * dst, int64_t n);

// The f32 and bf16 GEMM kernel sets share their tile: 14 rows x 32 columns in 28 ZMM accumulators.
constexpr int64_t kGemmMR = 14;
constexpr int64_t kGemmNR = 32;
// bf16 (AVX512_BF16, only when cpu_bf16()): inputs rounded to bf16 while packing, k in pairs.
void gemm_kernel_bf16(int64_t kc, const void * a, const void * b, float * c, int64_t ldc, const gemm_detail::Tile & tile);
void gemm_pack_a_bf16(const void * A, DType dtype, int64_t lda, int64_t m0, int64_t mc, int64_t k0, int64_t kc, void * dst);
void gemm_pack_b_bf16(const MatB & B, int64_t k0, int64_t kc, int64_t n0, int64_t nc, void * dst);

// bf16 on AMX tiles (only when cpu_amx()): a 32 x 32 tile of C in four 16 x 16 f32 tile registers,
// k in steps of 32 (16 pairs). B panels as the bf16 set's (32 columns of k pairs), k padded to 32;
// A panels row-major per 32-step of k (two 16-row tiles of 64 bytes per row).
constexpr int64_t kAmxMR = 32;
constexpr int64_t kAmxNR = 32;
constexpr int64_t kAmxK = 32;
void gemm_kernel_amx(int64_t kc, const void * a, const void * b, float * c, int64_t ldc, const gemm_detail::Tile & tile);
void gemm_pack_a_amx(const void * A, DType dtype, int64_t lda, int64_t m0, int64_t mc, int64_t k0, int64_t kc, void * dst);
void gemm_pack_b_amx(const MatB & B, int64_t k0, int64_t kc, int64_t n0, int64_t nc, void * dst);
// f32 products on AMX tiles (gemm_amx_f32.cc, only when cpu_amx()): each f32 split into three bf16 pieces
// (hi + mid + lo, exactly), the products of the pieces that matter summed in f32. The same 32 x 32 tile and
// k steps as the bf16 AMX set; a packed element is its three pieces (6 bytes), per 32 steps of k one
// 32 x 32 block per piece. Weights pre-packed narrow keep one piece's layout in f16 / bf16 (expand).
void gemm_kernel_amx_f32(int64_t kc, const void * a, const void * b, float * c, int64_t ldc, const gemm_detail::Tile & tile);
void gemm_pack_a_amx_f32(const void * A, DType dtype, int64_t lda, int64_t m0, int64_t mc, int64_t k0, int64_t kc, void * dst);
void gemm_pack_b_amx_f32(const MatB & B, int64_t k0, int64_t kc, int64_t n0, int64_t nc, void * dst);
void gemm_pack_a_amx_wide(const void * A, DType dtype, int64_t lda, int64_t m0, int64_t mc, int64_t k0, int64_t kc, void * dst);
void gemm_pack_b_amx_wide(const MatB & B, int64_t k0, int64_t kc, int64_t n0, int64_t nc, void * dst);
void gemm_expand_amx_f32(DType narrow, const uint16_t * src, int64_t elems, void * dst);
// Flash attention's tile kernel with bf16 products on AMX tiles (FlashTiling::amx; attention_flash.h).
void attention_flash_tile_amx(const FlashTiling & t, const FlashTask & task, float * workspace);
} // namespace sdn::x86::avx512

#undef SDN_X86_COMMON_DECLARATIONS
