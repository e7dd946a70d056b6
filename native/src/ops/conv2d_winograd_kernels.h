// conv2d_winograd_kernels.h — the F(4x4, 3x3) tile transforms, written over L = 16 lanes (16 tiles,
// one GEMM column panel) with the lane loop innermost, so the compiler vectorises them for whatever
// ISA the including file is built for: conv2d_winograd.cc (portable baseline) and
// arch/x86/winograd_avx2.cc (AVX2/FMA). Internal linkage: each file gets its own copy.
//
// 1-D transforms (Lavin & Gray 2015, points 0, 1, -1, 2, -2, infinity); 2-D = rows then columns:
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
        float * v0 = v + (6 * i) * e_stride;
        for (int l = 0; l < L; ++l) {
            const float d0 = t[6 * i + 0][l], d1 = t[6 * i + 1][l], d2 = t[6 * i + 2][l];
            const float d3 = t[6 * i + 3][l], d4 = t[6 * i + 4][l], d5 = t[6 * i + 5][l];
            v0[0 * e_stride + l] = 4.0f * d0 - 5.0f * d2 + d4;
            v0[1 * e_stride + l] = -4.0f * (d1 + d2) + (d3 + d4);
            v0[2 * e_stride + l] = 4.0f * (d1 - d2) + (d4 - d3);
            v0[3 * e_stride + l] = 2.0f * (d3 - d1) + (d4 - d2);
            v0[4 * e_stride + l] = -2.0f * (d3 - d1) + (d4 - d2);
            v0[5 * e_stride + l] = 4.0f * d1 - 5.0f * d3 + d5;
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

} // namespace wino
} // namespace
} // namespace sdn
