// norm_stats.h — group norm split in two, for work that visits an image region by region (the VAE's
// tiled decode, models/vae/vae_tiled.cc): statistics accumulated from the regions as they are written,
// and a region read back normalised with the statistics of the WHOLE image.
//
// A feature map here is [B, C, H, W] with rows of W floats, planes of H * W and a batch stride of
// `batch_stride` floats (>= C * H * W: the map may live in the first channels of a larger buffer).
// Regions are rectangles [y0, y0 + rh) x [x0, x0 + rw) in image coordinates; they may reach outside
// the image (the halo a 3x3 convolution needs): those pixels read as 0.
#pragma once

#include <cstdint>

namespace sdn {

struct MapView {
    float * data;
    int64_t B, C, H, W;
    int64_t batch_stride; // floats between batch elements
};

// Per (batch, group) sum and sum of squares in double, accumulated over everything written so far.
// sum, sum_sq: [B, groups]; count: values per group so far (the same for every (b, g)).
struct GroupSums {
    double * sum;
    double * sum_sq;
    int64_t groups;
};

// The affine a group norm applies, from whole-image statistics (same formulas as group_norm):
// mean[b, g] = sum / n, var = sum_sq / n - mean^2 (biased), inv[b, g] = 1 / sqrt(var + eps), with
// n = (C / groups) * H * W. mean, inv: [B, groups].
void group_moments(const double * sum, const double * sum_sq, int64_t B, int64_t groups, int64_t count, float eps, float * mean,
                   float * inv);

// How region_gather transforms what it reads: y = (x - mean[b, g]) * inv[b, g] * gamma[c] + beta[c],
// then SiLU if `silu`. Padding outside the image stays 0 (applied after the normalisation, as a
// convolution pads the normalised map).
struct GroupNormApply {
    const float * mean; // [B, groups]
    const float * inv;  // [B, groups]
    const float * gamma, * beta; // [C]
    int64_t groups;
    bool silu;
};

// out: [B, C, rh, rw] (contiguous) = region [y0, y0 + rh) x [x0, x0 + rw) of the map up-sampled
// `upsample` times (nearest: image pixel (iy, ix) is src[iy / f, ix / f]; the up-sampled image is
// f H x f W), normalised by `norm` when not null; 0 outside the (up-sampled) image.
void region_gather(const MapView & src, int64_t y0, int64_t x0, int64_t rh, int64_t rw, int64_t upsample,
                   const GroupNormApply * norm, float * out);

// dst[b, c, y0 + i, x0 + j] = tile[b, c, i, j] + residual[b, c, y0 + i, x0 + j] (residual may be null,
// may be dst itself: in place), for the region inside dst; tile: [B, C, rh, rw] contiguous, the region
// entirely inside the image. When `sums` is not null the values written are added to it, per
// (batch, group) of dst's C channels.
void region_scatter(const float * tile, const MapView & dst, int64_t y0, int64_t x0, int64_t rh, int64_t rw, const MapView * residual,
                    const GroupSums * sums);

// Adds a whole map's values to `sums` (the statistics of a map computed in one piece).
void group_sums_add(const MapView & src, const GroupSums & sums);

// The specification of region_gather: one loop over every output value, std::exp for SiLU.
void region_gather_naive(const MapView & src, int64_t y0, int64_t x0, int64_t rh, int64_t rw, int64_t upsample,
                         const GroupNormApply * norm, float * out);

} // namespace sdn
