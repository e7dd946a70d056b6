// Sliced attention: the naive maths one slice at a time (diffusers' attention slicing,
// https://huggingface.co/docs/diffusers/optimization/memory#sliced-attention-for-additional-memory-savings).
//
//   q: [B, H, Tq, D]  k, v: [B, H, Tk, D]  out: [B, H, Tq, D]   strided as in attention.h
//   extra memory: one slice's scores, heads * rows * Tk floats (see attention_slicing()).
//
// A slice is `heads` consecutive heads of one batch element; when one head's [Tq, Tk] scores are
// still over the byte budget, the slice is one head and a block of `rows` query rows. Within a slice
// every (head, row block) is S = q k^T, P = softmax(scale * S) row-wise, out = P v, with the GEMM.
#include <algorithm>

#include "../core/arena.h"
#include "attention.h"
#include "gemm.h"
#include "softmax.h"

namespace sdn {

AttentionSlicing attention_slicing(const AttentionShape & s, const AttentionOptions & options) {
    const int64_t budget = options.slice_bytes > 0 ? options.slice_bytes : kAttentionSliceBytesDefault;
    const int64_t head_bytes = s.Tq * s.Tk * int64_t(sizeof(float));
    int64_t heads = options.slice_heads > 0 ? options.slice_heads : std::max<int64_t>(1, s.H / 2);
    heads = std::clamp<int64_t>(heads, 1, s.H);
    if (heads * head_bytes > budget) heads = std::max<int64_t>(1, budget / head_bytes);
    int64_t rows = s.Tq;
    if (head_bytes > budget) rows = std::clamp<int64_t>(budget / (s.Tk * int64_t(sizeof(float))), 1, s.Tq);
    return {heads, rows};
}

void attention_sliced(const AttentionShape & s, const AttentionOperand & q, const AttentionOperand & k,
                      const AttentionOperand & v, const AttentionOperand & out, const AttentionOptions & options) {
    const AttentionSlicing slicing = attention_slicing(s, options);
    Buffer<float> scores(static_cast<size_t>(slicing.heads * slicing.rows * s.Tk)); // one slice, reused

    for (int64_t b = 0; b < s.B; ++b)
        for (int64_t h0 = 0; h0 < s.H; h0 += slicing.heads)
            for (int64_t r0 = 0; r0 < s.Tq; r0 += slicing.rows) {
                const int64_t n_heads = std::min(slicing.heads, s.H - h0);
                const int64_t n_rows = std::min(slicing.rows, s.Tq - r0);
                for (int64_t i = 0; i < n_heads; ++i) {
                    const int64_t h = h0 + i;
                    float * S = scores.data() + i * slicing.rows * s.Tk; // [n_rows, Tk]
                    const float * qp = q.data + b * q.stride_b + h * q.stride_h + r0 * q.stride_t;
                    const float * kp = k.data + b * k.stride_b + h * k.stride_h;
                    const float * vp = v.data + b * v.stride_b + h * v.stride_h;
                    float * op = out.data + b * out.stride_b + h * out.stride_h + r0 * out.stride_t;
                    gemm(n_rows, s.Tk, s.D, qp, q.stride_t, MatB{kp, DType::F32, true, k.stride_t}, S, s.Tk, nullptr, false);
                    softmax_rows(S, n_rows, s.Tk, s.scale);
                    gemm(n_rows, s.D, s.Tk, S, s.Tk, MatB{vp, DType::F32, false, v.stride_t}, op, out.stride_t, nullptr, false);
                }
            }
}

} // namespace sdn
