#include "attention_call.h"

#include <cstring>

#include "../../core/arena.h"
#include "../../core/error.h"
#include "../../core/profile.h"
#include "../../ops/gemm.h"
#include "../../ops/softmax.h"

namespace sdn {

// Every attention of the UNet and VAE goes through here, in the run's mode (ops/attention.h). A measure
// pass takes the mode's own buffers (scores, slices or tiles) as the attention's workspace.
void attention_call(AttentionMode mode, const AttentionShape & s, const AttentionOperand & q, const AttentionOperand & k,
                    const AttentionOperand & v, const AttentionOperand & out) {
    if (arena_measuring()) return arena_attention_workspace(attention_extra_bytes(mode, s));
    ProfileScope prof(ProfOp::Attention, 4.0 * s.B * s.H * s.Tq * s.Tk * s.D);
    attention(mode, s, q, k, v, out);
}

void attention_causal_naive(const AttentionShape & s, const AttentionOperand & q, const AttentionOperand & k,
                            const AttentionOperand & v, const AttentionOperand & out) {
    require(s.Tq == s.Tk, SDN_STATUS_INTERNAL, "causal attention needs Tq == Tk");
    ProfileScope prof(ProfOp::Attention, 4.0 * s.B * s.H * s.Tq * s.Tk * s.D);
    Buffer<float> scores(static_cast<size_t>(s.Tq * s.Tk));
    if (arena_measuring()) { // the two GEMMs' packing buffers, one call after the other
        arena_workspace(gemm_workspace_bytes(s.Tq, s.Tk, s.D));
        arena_workspace(gemm_workspace_bytes(s.Tq, s.D, s.Tk));
        return;
    }
    float * S = scores.data();
    for (int64_t b = 0; b < s.B; ++b)
        for (int64_t h = 0; h < s.H; ++h) {
            const float * qp = q.data + b * q.stride_b + h * q.stride_h;
            const float * kp = k.data + b * k.stride_b + h * k.stride_h;
            const float * vp = v.data + b * v.stride_b + h * v.stride_h;
            float * op = out.data + b * out.stride_b + h * out.stride_h;
            gemm(s.Tq, s.Tk, s.D, qp, q.stride_t, MatB{kp, DType::F32, true, k.stride_t}, S, s.Tk, nullptr, false); // S = q k^T  [Tq, Tk]
            for (int64_t i = 0; i < s.Tq; ++i) {
                float * row = S + i * s.Tk;
                softmax_rows(row, 1, i + 1, s.scale);                           // keys 0..i
                std::memset(row + i + 1, 0, sizeof(float) * (s.Tk - i - 1));   // keys i+1..: probability 0
            }
            gemm(s.Tq, s.D, s.Tk, S, s.Tk, MatB{vp, DType::F32, false, v.stride_t}, op, out.stride_t, nullptr, false); // P v  [Tq, D]
        }
}

} // namespace sdn
