// resample.h — nearest-neighbour up-sampling and channel concatenation (NCHW).
// Memory-bound: the fast paths are plain C++ the compiler vectorises, threaded over planes/chunks.
#pragma once

#include <cstdint>

namespace sdn {

// x: [B, C, H, W] -> y: [B, C, Ho, Wo], y[.., oy, ox] = x[.., floor(oy * H / Ho), floor(ox * W / Wo)]
// (torch.nn.functional.interpolate(mode="nearest"); Ho = 2H, Wo = 2W is the 2x up-sample).
void upsample_nearest(const float * x, float * y, int64_t B, int64_t C, int64_t H, int64_t W, int64_t Ho, int64_t Wo);
void upsample_nearest_naive(const float * x, float * y, int64_t B, int64_t C, int64_t H, int64_t W, int64_t Ho, int64_t Wo);

// a: [B, Ca, S], b: [B, Cb, S] -> y: [B, Ca + Cb, S]   (torch.cat([a, b], dim=1))
void concat_channels(const float * a, int64_t Ca, const float * b, int64_t Cb, float * y, int64_t B, int64_t S);
void concat_channels_naive(const float * a, int64_t Ca, const float * b, int64_t Cb, float * y, int64_t B, int64_t S);

} // namespace sdn
