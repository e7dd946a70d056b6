// gemm.h — general matrix multiply, the engine's workhorse (linears, convolutions as implicit GEMM,
// attention matmuls).
//
//   C[M, N] (+)= A[M, K] * op(B)[K, N]        all row-major; A and C are f32
//
// B is usually a weight and may be stored f32, f16 or bf16 (widened to f32 while packing):
//   op(B)[k][n] = trans ? B[n * ld + k] : B[k * ld + n]
// A PyTorch Linear weight [N, K] (out, in) is B with trans = true, ld = K.
#pragma once

#include <cstdint>

#include "../core/tensor.h"

namespace sdn {

struct MatB {
    const void * data;
    DType dtype;
    bool trans;
    int64_t ld;
};

// bias (length N, may be null) is added to every row; accumulate = true adds to C instead of
// overwriting it. The fast path (packed, AVX2/FMA, threaded) and the naive twin compute the same sums
// in a different order: they agree to ~1e-6 relative.
void gemm(int64_t M, int64_t N, int64_t K, const float * A, int64_t lda, const MatB & B, float * C, int64_t ldc,
          const float * bias, bool accumulate);

// The specification: three loops, double accumulation, no threads.
void gemm_naive(int64_t M, int64_t N, int64_t K, const float * A, int64_t lda, const MatB & B, float * C, int64_t ldc,
                const float * bias, bool accumulate);

// B element (k, n) widened to f32.
inline float matb_at(const MatB & B, int64_t k, int64_t n);

} // namespace sdn

#include "../core/half.h"

namespace sdn {

inline float matb_at(const MatB & B, int64_t k, int64_t n) {
    const int64_t i = B.trans ? n * B.ld + k : k * B.ld + n;
    switch (B.dtype) {
        case DType::F32: return static_cast<const float *>(B.data)[i];
        case DType::F16: return f16_to_f32(static_cast<const uint16_t *>(B.data)[i]);
        case DType::BF16: return bf16_to_f32(static_cast<const uint16_t *>(B.data)[i]);
    }
    return 0.0f;
}

} // namespace sdn
