#include "resample.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "../core/threads.h"

namespace sdn {

void upsample_nearest_naive(const float * x, float * y, int64_t B, int64_t C, int64_t H, int64_t W, int64_t Ho, int64_t Wo) {
    for (int64_t bc = 0; bc < B * C; ++bc) {
        const float * xp = x + bc * H * W;
        float * yp = y + bc * Ho * Wo;
        for (int64_t oy = 0; oy < Ho; ++oy) {
            const int64_t iy = oy * H / Ho;
            for (int64_t ox = 0; ox < Wo; ++ox) yp[oy * Wo + ox] = xp[iy * W + ox * W / Wo];
        }
    }
}

// Planes in parallel. 2x: each input row is widened once (pairs) and the widened row is copied to
// the second output row; other sizes: a source-column table, and rows that repeat a source row are
// copied from the previous output row.
void upsample_nearest(const float * x, float * y, int64_t B, int64_t C, int64_t H, int64_t W, int64_t Ho, int64_t Wo) {
    if (B * C == 0 || Ho == 0 || Wo == 0) return;
    std::vector<int64_t> src_x(static_cast<size_t>(Wo));
    for (int64_t ox = 0; ox < Wo; ++ox) src_x[ox] = ox * W / Wo;
    const bool twice = Ho == 2 * H && Wo == 2 * W;
    const int64_t grain = std::max<int64_t>(1, 32768 / (Ho * Wo));
    parallel_for(B * C, grain, [&](int64_t p0, int64_t p1, int) {
        for (int64_t bc = p0; bc < p1; ++bc) {
            const float * xp = x + bc * H * W;
            float * yp = y + bc * Ho * Wo;
            int64_t prev_iy = -1;
            for (int64_t oy = 0; oy < Ho; ++oy) {
                const int64_t iy = oy * H / Ho;
                float * out = yp + oy * Wo;
                if (iy == prev_iy) {
                    std::memcpy(out, out - Wo, sizeof(float) * Wo);
                    continue;
                }
                prev_iy = iy;
                const float * in = xp + iy * W;
                if (twice) {
                    for (int64_t ix = 0; ix < W; ++ix) {
                        out[2 * ix] = in[ix];
                        out[2 * ix + 1] = in[ix];
                    }
                } else {
                    for (int64_t ox = 0; ox < Wo; ++ox) out[ox] = in[src_x[ox]];
                }
            }
        }
    });
}

void concat_channels_naive(const float * a, int64_t Ca, const float * b, int64_t Cb, float * y, int64_t B, int64_t S) {
    for (int64_t i = 0; i < B; ++i) {
        for (int64_t c = 0; c < Ca; ++c)
            for (int64_t s = 0; s < S; ++s) y[(i * (Ca + Cb) + c) * S + s] = a[(i * Ca + c) * S + s];
        for (int64_t c = 0; c < Cb; ++c)
            for (int64_t s = 0; s < S; ++s) y[(i * (Ca + Cb) + Ca + c) * S + s] = b[(i * Cb + c) * S + s];
    }
}

// Two contiguous copies per batch item, cut into ~256 KiB pieces shared by the threads.
void concat_channels(const float * a, int64_t Ca, const float * b, int64_t Cb, float * y, int64_t B, int64_t S) {
    const int64_t na = Ca * S, nb = Cb * S, total = B * (na + nb);
    if (total == 0) return;
    constexpr int64_t piece = 65536;
    parallel_for(total, piece, [&](int64_t o0, int64_t o1, int) {
        // Output range [o0, o1): walk the (batch, part) runs it overlaps.
        int64_t o = o0;
        while (o < o1) {
            const int64_t i = o / (na + nb), r = o % (na + nb);
            const bool in_a = r < na;
            const int64_t run_end = std::min(o1, i * (na + nb) + (in_a ? na : na + nb));
            const float * src = in_a ? a + i * na + r : b + i * nb + (r - na);
            std::memcpy(y + o, src, sizeof(float) * (run_end - o));
            o = run_end;
        }
    });
}

} // namespace sdn
