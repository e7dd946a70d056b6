#include "attention.h"

#include "../core/arena.h"
#include "gemm.h"
#include "softmax.h"

namespace sdn {

// The reference: for every (b, h), S = q k^T (all B*H score matrices live at once, as diffusers'
// AttnProcessor's baddbmm does), P = softmax(scale * S) row-wise, out = P v.
void attention_naive(const AttentionShape & s, const AttentionOperand & q, const AttentionOperand & k,
                     const AttentionOperand & v, const AttentionOperand & out) {
    Buffer<float> scores(static_cast<size_t>(s.B * s.H * s.Tq * s.Tk));
    for (int64_t b = 0; b < s.B; ++b)
        for (int64_t h = 0; h < s.H; ++h) {
            float * S = scores.data() + (b * s.H + h) * s.Tq * s.Tk;
            const float * qp = q.data + b * q.stride_b + h * q.stride_h;
            const float * kp = k.data + b * k.stride_b + h * k.stride_h;
            const float * vp = v.data + b * v.stride_b + h * v.stride_h;
            float * op = out.data + b * out.stride_b + h * out.stride_h;
            gemm(s.Tq, s.Tk, s.D, qp, q.stride_t, MatB{kp, DType::F32, true, k.stride_t}, S, s.Tk, nullptr, false);
            softmax_rows(S, s.Tq, s.Tk, s.scale);
            gemm(s.Tq, s.D, s.Tk, S, s.Tk, MatB{vp, DType::F32, false, v.stride_t}, op, out.stride_t, nullptr, false);
        }
}

} // namespace sdn
