// attention.h — scaled dot-product attention in three modes with one contract.
//
//   q: [B, H, Tq, D]  k, v: [B, H, Tk, D]  out: [B, H, Tq, D]   out = softmax(q k^T * scale) v
//
// Each operand is strided (d is contiguous), so the projections' natural [B, T, H*D] layout is used
// in place: stride_b = T*H*D, stride_h = D, stride_t = H*D. The fixtures' [B, H, T, D] layout is
// stride_b = H*T*D, stride_h = T*D, stride_t = D.
#pragma once

#include <cstdint>

namespace sdn {

enum class AttentionMode { Naive, Sliced, Flash };

struct AttentionOperand {
    float * data;
    int64_t stride_b, stride_h, stride_t;
};

struct AttentionShape {
    int64_t B, H, Tq, Tk, D;
    float scale; // usually 1 / sqrt(D)
};

// naive: materialises the whole [Tq, Tk] score matrix of every (b, h) at once: B*H*Tq*Tk floats.
void attention_naive(const AttentionShape & s, const AttentionOperand & q, const AttentionOperand & k,
                     const AttentionOperand & v, const AttentionOperand & out);

} // namespace sdn
