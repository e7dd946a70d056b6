#include "softmax.h"

#include <algorithm>
#include <cmath>

#include "../core/threads.h"
#include "arch/x86/x86.h"

namespace sdn {

void softmax_rows_naive(float * x, int64_t M, int64_t N, float scale) {
    for (int64_t m = 0; m < M; ++m) {
        float * row = x + m * N;
        float mx = -INFINITY;
        for (int64_t n = 0; n < N; ++n) mx = std::fmax(mx, row[n] * scale);
        double sum = 0.0;
        for (int64_t n = 0; n < N; ++n) {
            row[n] = std::exp(row[n] * scale - mx);
            sum += row[n];
        }
        const float inv = static_cast<float>(1.0 / sum);
        for (int64_t n = 0; n < N; ++n) row[n] *= inv;
    }
}

// One row on the current path (the SIMD kernel, else the naive twin).
static void softmax_row(float * row, int64_t N, float scale) {
    SDN_X86_DISPATCH(softmax_row, row, N, scale)
    softmax_rows_naive(row, 1, N, scale);
}

void softmax_rows(float * x, int64_t M, int64_t N, float scale) {
    if (M <= 0 || N <= 0) return;
    const int64_t grain = std::max<int64_t>(1, 16384 / N);
    parallel_for(M, grain, [&](int64_t m0, int64_t m1, int) {
        for (int64_t m = m0; m < m1; ++m) softmax_row(x + m * N, N, scale);
    });
}

} // namespace sdn
