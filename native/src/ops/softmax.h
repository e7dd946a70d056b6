// softmax.h — row-wise softmax, numerically stable (subtract the row max).
#pragma once

#include <cstdint>

namespace sdn {

// x: [M, N], in place: x[m][n] = exp(scale * x[m][n] - max) / sum
void softmax_rows(float * x, int64_t M, int64_t N, float scale);

} // namespace sdn
