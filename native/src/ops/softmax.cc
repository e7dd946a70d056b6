#include "softmax.h"

#include <cmath>

namespace sdn {

void softmax_rows(float * x, int64_t M, int64_t N, float scale) {
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

} // namespace sdn
