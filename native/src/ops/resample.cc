#include "resample.h"

#include <cstring>

namespace sdn {

void upsample_nearest(const float * x, float * y, int64_t B, int64_t C, int64_t H, int64_t W, int64_t Ho, int64_t Wo) {
    for (int64_t bc = 0; bc < B * C; ++bc) {
        const float * xp = x + bc * H * W;
        float * yp = y + bc * Ho * Wo;
        for (int64_t oy = 0; oy < Ho; ++oy) {
            const int64_t iy = oy * H / Ho;
            for (int64_t ox = 0; ox < Wo; ++ox) yp[oy * Wo + ox] = xp[iy * W + ox * W / Wo];
        }
    }
}

void concat_channels(const float * a, int64_t Ca, const float * b, int64_t Cb, float * y, int64_t B, int64_t S) {
    for (int64_t i = 0; i < B; ++i) {
        std::memcpy(y + i * (Ca + Cb) * S, a + i * Ca * S, sizeof(float) * Ca * S);
        std::memcpy(y + (i * (Ca + Cb) + Ca) * S, b + i * Cb * S, sizeof(float) * Cb * S);
    }
}

} // namespace sdn
