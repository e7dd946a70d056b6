// attention_call.h — the one place the models call scaled dot-product attention, so the attention
// mode (naive | sliced | flash) is chosen in one function for all three networks.
#pragma once

#include "../../ops/attention.h"

namespace sdn {

// Same contract as attention.h:  q: [B, H, Tq, D]  k, v: [B, H, Tk, D]  out: [B, H, Tq, D] (strided).
void attention_call(AttentionMode mode, const AttentionShape & s, const AttentionOperand & q, const AttentionOperand & k,
                    const AttentionOperand & v, const AttentionOperand & out);

// Causal self-attention (CLIP's text encoder): query i sees keys 0..i only (Tq == Tk). The masked
// scores get probability exactly 0, as with transformers' additive finfo.min mask. One [Tq, Tk] score
// matrix at a time (CLIP's sequences are 77 tokens: 23 KiB).
void attention_causal_naive(const AttentionShape & s, const AttentionOperand & q, const AttentionOperand & k,
                            const AttentionOperand & v, const AttentionOperand & out);

} // namespace sdn
