#include "gemm.h"

namespace sdn {

void gemm_naive(int64_t M, int64_t N, int64_t K, const float * A, int64_t lda, const MatB & B, float * C, int64_t ldc,
                const float * bias, bool accumulate) {
    for (int64_t m = 0; m < M; ++m) {
        for (int64_t n = 0; n < N; ++n) {
            double sum = 0.0; // C[m][n] = sum_k A[m][k] * B[k][n]
            for (int64_t k = 0; k < K; ++k) sum += static_cast<double>(A[m * lda + k]) * matb_at(B, k, n);
            if (bias) sum += bias[n];
            float & c = C[m * ldc + n];
            c = accumulate ? c + static_cast<float>(sum) : static_cast<float>(sum);
        }
    }
}

// TODO(kernels): packed, threaded AVX2/FMA path; until then the naive twin.
void gemm(int64_t M, int64_t N, int64_t K, const float * A, int64_t lda, const MatB & B, float * C, int64_t ldc,
          const float * bias, bool accumulate) {
    gemm_naive(M, N, K, A, lda, B, C, ldc, bias, accumulate);
}

} // namespace sdn
