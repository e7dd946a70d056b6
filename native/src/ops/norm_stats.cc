// Group norm in two halves (see norm_stats.h). Memory-bound loops, threaded over planes or groups;
// the statistics are summed in double per value (one pass: var = E[x^2] - mean^2 loses nothing
// visible in double for activations whose mean is within ~1e4 standard deviations).
#include "norm_stats.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "../core/threads.h"
#include "activation.h"

namespace sdn {

void group_moments(const double * sum, const double * sum_sq, int64_t B, int64_t groups, int64_t count, float eps, float * mean,
                   float * inv) {
    for (int64_t i = 0; i < B * groups; ++i) {
        const double m = sum[i] / static_cast<double>(count);
        const double var = std::max(0.0, sum_sq[i] / static_cast<double>(count) - m * m);
        mean[i] = static_cast<float>(m);
        inv[i] = static_cast<float>(1.0 / std::sqrt(var + eps));
    }
}

namespace {

// One row of a region: out[j] = image pixel (iy, x0 + j) for j in [0, rw), 0 outside the image.
// Returns the valid span [jb, je) (normalisation applies there only).
void gather_row(const float * plane, int64_t H, int64_t W, int64_t f, int64_t iy, int64_t x0, int64_t rw, float * out, int64_t & jb,
                int64_t & je) {
    jb = 0;
    je = 0;
    if (iy < 0 || iy >= f * H) {
        std::memset(out, 0, sizeof(float) * rw);
        return;
    }
    jb = std::clamp<int64_t>(-x0, 0, rw);
    je = std::clamp<int64_t>(f * W - x0, jb, rw);
    const float * row = plane + (iy / f) * W;
    for (int64_t j = 0; j < jb; ++j) out[j] = 0.0f;
    if (f == 1)
        std::memcpy(out + jb, row + x0 + jb, sizeof(float) * (je - jb));
    else
        for (int64_t j = jb; j < je; ++j) out[j] = row[(x0 + j) / f];
    for (int64_t j = je; j < rw; ++j) out[j] = 0.0f;
}

} // namespace

void region_gather(const MapView & src, int64_t y0, int64_t x0, int64_t rh, int64_t rw, int64_t upsample,
                   const GroupNormApply * norm, float * out) {
    const int64_t B = src.B, C = src.C, H = src.H, W = src.W, f = upsample;
    parallel_for(B * C, 1, [&](int64_t p0, int64_t p1, int) {
        for (int64_t p = p0; p < p1; ++p) {
            const int64_t b = p / C, c = p % C;
            const float * plane = src.data + b * src.batch_stride + c * H * W;
            float * o = out + p * rh * rw;
            float mean = 0.0f, a = 1.0f, shift = 0.0f;
            if (norm) {
                const int64_t g = b * norm->groups + c / (C / norm->groups);
                mean = norm->mean[g];
                a = norm->gamma[c] * norm->inv[g];
                shift = norm->beta[c];
            }
            for (int64_t i = 0; i < rh; ++i) {
                float * row = o + i * rw;
                int64_t jb, je;
                gather_row(plane, H, W, f, y0 + i, x0, rw, row, jb, je);
                if (!norm || je <= jb) continue;
                for (int64_t j = jb; j < je; ++j) row[j] = (row[j] - mean) * a + shift;
                if (norm->silu) silu(row + jb, row + jb, je - jb);
            }
        }
    });
}

void region_gather_naive(const MapView & src, int64_t y0, int64_t x0, int64_t rh, int64_t rw, int64_t upsample,
                         const GroupNormApply * norm, float * out) {
    const int64_t f = upsample;
    for (int64_t b = 0; b < src.B; ++b)
        for (int64_t c = 0; c < src.C; ++c)
            for (int64_t i = 0; i < rh; ++i)
                for (int64_t j = 0; j < rw; ++j) {
                    const int64_t iy = y0 + i, ix = x0 + j;
                    float v = 0.0f; // zero padding outside the up-sampled image
                    if (iy >= 0 && iy < f * src.H && ix >= 0 && ix < f * src.W) {
                        v = src.data[b * src.batch_stride + (c * src.H + iy / f) * src.W + ix / f];
                        if (norm) {
                            const int64_t g = b * norm->groups + c / (src.C / norm->groups);
                            v = (v - norm->mean[g]) * norm->inv[g] * norm->gamma[c] + norm->beta[c];
                            if (norm->silu) v = v / (1.0f + std::exp(-v));
                        }
                    }
                    out[((b * src.C + c) * rh + i) * rw + j] = v;
                }
}

void region_scatter(const float * tile, const MapView & dst, int64_t y0, int64_t x0, int64_t rh, int64_t rw, const MapView * residual,
                    const GroupSums * sums) {
    const int64_t B = dst.B, C = dst.C, S = dst.H * dst.W;
    const int64_t groups = sums ? sums->groups : C, cpg = C / groups;
    // One task per (batch, group): its sums have a single writer.
    parallel_tasks(B * groups, [&](int64_t task, int) {
        const int64_t b = task / groups, g = task % groups;
        double s = 0.0, ss = 0.0;
        for (int64_t c = g * cpg; c < (g + 1) * cpg; ++c) {
            float * plane = dst.data + b * dst.batch_stride + c * S;
            const float * res = residual ? residual->data + b * residual->batch_stride + c * S : nullptr;
            for (int64_t i = 0; i < rh; ++i) {
                const int64_t o = (y0 + i) * dst.W + x0;
                const float * t = tile + ((b * C + c) * rh + i) * rw;
                float * d = plane + o;
                if (res) {
                    const float * r = res + o;
                    for (int64_t j = 0; j < rw; ++j) d[j] = t[j] + r[j];
                } else {
                    std::memcpy(d, t, sizeof(float) * rw);
                }
                if (sums)
                    for (int64_t j = 0; j < rw; ++j) {
                        s += d[j];
                        ss += static_cast<double>(d[j]) * d[j];
                    }
            }
        }
        if (sums) {
            sums->sum[task] += s;
            sums->sum_sq[task] += ss;
        }
    });
}

void group_sums_add(const MapView & src, const GroupSums & sums) {
    const int64_t C = src.C, S = src.H * src.W, cpg = C / sums.groups;
    parallel_tasks(src.B * sums.groups, [&](int64_t task, int) {
        const int64_t b = task / sums.groups, g = task % sums.groups;
        const float * x = src.data + b * src.batch_stride + g * cpg * S;
        double s = 0.0, ss = 0.0;
        for (int64_t i = 0; i < cpg * S; ++i) {
            s += x[i];
            ss += static_cast<double>(x[i]) * x[i];
        }
        sums.sum[task] += s;
        sums.sum_sq[task] += ss;
    });
}

} // namespace sdn
