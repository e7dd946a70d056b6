// conv2d_winograd_kernels.h — the F(4x4, 3x3) tile transforms, written over L = 16 lanes (16 tiles,
// one GEMM column panel) with the lane loop innermost, so the compiler vectorises them for whatever
// ISA the including file is built for: conv2d_winograd.cc (portable baseline) and
// arch/x86/winograd_avx2.cc (AVX2/FMA). Internal linkage: each file gets its own copy.
//
// 1-D transforms (Lavin & Gray 2015, points 0, 1, -1, 2, -2, infinity); 2-D = rows then columns:
//   G g:   u0 = g0 / 4,  u1 = -(g0 + g1 + g2) / 6,  u2 = -(g0 - g1 + g2) / 6,
//          u3 = g0 / 24 + g1 / 12 + g2 / 6,  u4 = g0 / 24 - g1 / 12 + g2 / 6,  u5 = g2
//   B^T d: r0 = 4 d0 - 5 d2 + d4          A^T m: o0 = m0 + m1 + m2 + m3 + m4
//          r1 = -4 (d1 + d2) + d3 + d4           o1 = (m1 - m2) + 2 (m3 - m4)
//          r2 =  4 (d1 - d2) - d3 + d4           o2 = (m1 + m2) + 4 (m3 + m4)
//          r3 =  2 (d3 - d1) - d2 + d4           o3 = (m1 - m2) + 8 (m3 - m4) + m5
//          r4 = -2 (d3 - d1) - d2 + d4
//          r5 = 4 d1 - 5 d3 + d5
#pragma once

#include <cstdint>

namespace sdn {
namespace {
namespace wino {

constexpr int L = 16; // lanes (tiles) per call

// d: [36][L] (patch element 6 i + j of each lane's tile) -> v[e * e_stride + lane], e = 6 i + j.
inline void input_transform(const float * __restrict d, float * __restrict v, int64_t e_stride) {
    float t[36][L]; // B^T d: rows transformed, t[6 i + j] = sum_k B^T[i][k] d[6 k + j]
    for (int j = 0; j < 6; ++j)
        for (int l = 0; l < L; ++l) {
            const float d0 = d[(0 + j) * L + l], d1 = d[(6 + j) * L + l], d2 = d[(12 + j) * L + l];
            const float d3 = d[(18 + j) * L + l], d4 = d[(24 + j) * L + l], d5 = d[(30 + j) * L + l];
            t[0 + j][l] = 4.0f * d0 - 5.0f * d2 + d4;
            t[6 + j][l] = -4.0f * (d1 + d2) + (d3 + d4);
            t[12 + j][l] = 4.0f * (d1 - d2) + (d4 - d3);
            t[18 + j][l] = 2.0f * (d3 - d1) + (d4 - d2);
            t[24 + j][l] = -2.0f * (d3 - d1) + (d4 - d2);
            t[30 + j][l] = 4.0f * d1 - 5.0f * d3 + d5;
        }
    for (int i = 0; i < 6; ++i) {
        // Into a local row first: stores through v at six offsets would look aliased to the
        // vectoriser (and stay scalar).
        float r[6][L];
        for (int l = 0; l < L; ++l) {
            const float d0 = t[6 * i + 0][l], d1 = t[6 * i + 1][l], d2 = t[6 * i + 2][l];
            const float d3 = t[6 * i + 3][l], d4 = t[6 * i + 4][l], d5 = t[6 * i + 5][l];
            r[0][l] = 4.0f * d0 - 5.0f * d2 + d4;
            r[1][l] = -4.0f * (d1 + d2) + (d3 + d4);
            r[2][l] = 4.0f * (d1 - d2) + (d4 - d3);
            r[3][l] = 2.0f * (d3 - d1) + (d4 - d2);
            r[4][l] = -2.0f * (d3 - d1) + (d4 - d2);
            r[5][l] = 4.0f * d1 - 5.0f * d3 + d5;
        }
        for (int j = 0; j < 6; ++j) {
            float * dst = v + (6 * i + j) * e_stride;
            for (int l = 0; l < L; ++l) dst[l] = r[j][l];
        }
    }
}

// m[e * e_stride + lane] (e = 6 i + j) -> o: [16][L] (output element 4 i + j of each lane's tile).
inline void output_transform(const float * __restrict m, int64_t e_stride, float * __restrict o) {
    float t[24][L]; // A^T m: t[6 i + j] = sum_k A^T[i][k] m[6 k + j], i < 4
    for (int j = 0; j < 6; ++j) {
        const float * mj = m + j * e_stride;
        for (int l = 0; l < L; ++l) {
            const float m0 = mj[0 * e_stride + l], m1 = mj[6 * e_stride + l], m2 = mj[12 * e_stride + l];
            const float m3 = mj[18 * e_stride + l], m4 = mj[24 * e_stride + l], m5 = mj[30 * e_stride + l];
            const float a = m1 + m2, b = m1 - m2, c = m3 + m4, d = m3 - m4;
            t[0 + j][l] = m0 + a + c;
            t[6 + j][l] = b + 2.0f * d;
            t[12 + j][l] = a + 4.0f * c;
            t[18 + j][l] = b + 8.0f * d + m5;
        }
    }
    for (int i = 0; i < 4; ++i)
        for (int l = 0; l < L; ++l) {
            const float m0 = t[6 * i + 0][l], m1 = t[6 * i + 1][l], m2 = t[6 * i + 2][l];
            const float m3 = t[6 * i + 3][l], m4 = t[6 * i + 4][l], m5 = t[6 * i + 5][l];
            const float a = m1 + m2, b = m1 - m2, c = m3 + m4, d = m3 - m4;
            o[(4 * i + 0) * L + l] = m0 + a + c;
            o[(4 * i + 1) * L + l] = b + 2.0f * d;
            o[(4 * i + 2) * L + l] = a + 4.0f * c;
            o[(4 * i + 3) * L + l] = b + 8.0f * d + m5;
        }
}

// g: [9][n] (kernel element 3 i + j of n kernels) -> u[e * e_stride + lane], e = 6 i + j, for n
// kernels at a time (any n; the loop over them is the vector one).
inline void weight_transform(const float * __restrict g, int64_t n, float * __restrict u, int64_t e_stride) {
    constexpr int64_t C = 64; // kernels per step: the [18][C] intermediate stays in L1
    for (int64_t c0 = 0; c0 < n; c0 += C) {
        const int64_t cn = n - c0 < C ? n - c0 : C;
        float t[18][C]; // G g: t[3 i + j] = sum_k G[i][k] g[3 k + j]
        for (int j = 0; j < 3; ++j)
            for (int64_t l = 0; l < cn; ++l) {
                const float g0 = g[(0 + j) * n + c0 + l], g1 = g[(3 + j) * n + c0 + l], g2 = g[(6 + j) * n + c0 + l];
                t[0 + j][l] = 0.25f * g0;
                t[3 + j][l] = (-1.0f / 6) * (g0 + g1 + g2);
                t[6 + j][l] = (-1.0f / 6) * (g0 - g1 + g2);
                t[9 + j][l] = (1.0f / 24) * g0 + (1.0f / 12) * g1 + (1.0f / 6) * g2;
                t[12 + j][l] = (1.0f / 24) * g0 - (1.0f / 12) * g1 + (1.0f / 6) * g2;
                t[15 + j][l] = g2;
            }
        for (int i = 0; i < 6; ++i) {
            float r[6][C]; // a local row first (see input_transform)
            for (int64_t l = 0; l < cn; ++l) {
                const float g0 = t[3 * i + 0][l], g1 = t[3 * i + 1][l], g2 = t[3 * i + 2][l];
                r[0][l] = 0.25f * g0;
                r[1][l] = (-1.0f / 6) * (g0 + g1 + g2);
                r[2][l] = (-1.0f / 6) * (g0 - g1 + g2);
                r[3][l] = (1.0f / 24) * g0 + (1.0f / 12) * g1 + (1.0f / 6) * g2;
                r[4][l] = (1.0f / 24) * g0 - (1.0f / 12) * g1 + (1.0f / 6) * g2;
                r[5][l] = g2;
            }
            for (int j = 0; j < 6; ++j) {
                float * dst = u + (6 * i + j) * e_stride + c0;
                for (int64_t l = 0; l < cn; ++l) dst[l] = r[j][l];
            }
        }
    }
}

// The patches of 16 tiles side by side on one tile row, all inside the image (no up-sampling):
// tile l's patch starts at src + 4 l (row stride ld). d: [36][L] as input_transform reads it.
inline void gather_row_panel(const float * __restrict src, int64_t ld, float * __restrict d) {
    for (int i = 0; i < 6; ++i) {
        const float * row = src + i * ld;
        for (int j = 0; j < 6; ++j)
            for (int l = 0; l < L; ++l) d[(6 * i + j) * L + l] = row[4 * l + j];
    }
}

// The 4x4 outputs o: [16][L] of 16 tiles side by side on one tile row, all inside the image: tile l
// covers columns 4 l .. 4 l + 3 of y rows y, y + ld, y + 2 ld, y + 3 ld; + bias, + residual (same
// layout as y, may alias it, may be null).
inline void scatter_row_panel(const float * __restrict o, float bias, const float * residual, float * y, int64_t ld) {
    for (int i = 0; i < 4; ++i) {
        float row[4 * L];
        for (int l = 0; l < L; ++l)
            for (int j = 0; j < 4; ++j) row[4 * l + j] = o[(4 * i + j) * L + l] + bias;
        float * dst = y + i * ld;
        if (residual) {
            const float * res = residual + i * ld;
            for (int c = 0; c < 4 * L; ++c) dst[c] = row[c] + res[c];
        } else {
            for (int c = 0; c < 4 * L; ++c) dst[c] = row[c];
        }
    }
}

} // namespace wino
} // namespace
} // namespace sdn
