// attention.h — scaled dot-product attention in three modes with one contract.
//
//   q: [B, H, Tq, D]  k, v: [B, H, Tk, D]  out: [B, H, Tq, D]   out = softmax(q k^T * scale) v
//
// Each operand is strided (d is contiguous), so the projections' natural [B, T, H*D] layout is used
// in place: stride_b = T*H*D, stride_h = D, stride_t = H*D. The fixtures' [B, H, T, D] layout is
// stride_b = H*T*D, stride_h = T*D, stride_t = D. `out` must not overlap q, k or v.
//
// The three modes compute the same numbers (within 1e-5 relative) with different working memory:
//   naive   all B*H score matrices [Tq, Tk] at once                          B*H*Tq*Tk floats
//   sliced  one slice at a time: `slice_heads` heads of one batch element, and when one head's
//           [Tq, Tk] is over the byte budget, blocks of query rows (diffusers' attention slicing)
//                                                                             heads*rows*Tk floats
//   flash   FlashAttention's tiled loop with an online softmax: K/V streamed in tiles, never an
//           N x M matrix (Dao et al. 2022, https://arxiv.org/abs/2205.14135)   O(tile) per thread
// Every mode takes its working memory from the arena, so attention_extra_bytes() (the prediction)
// can be checked against arena_peak_bytes() (the measurement).
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
    // bf16 compute (a network run in bf16 precision): flash may round q, k, v and the softmax weights to
    // bf16 for its products, f32 sums and softmax; it does on AMX tiles (cpu_amx(), D <= 256, Tk >= 256),
    // else the f32 kernels run. The other modes compute in f32 either way.
    bool bf16 = false;
};

// The two contiguous layouts: BHTD = [B, H, T, D] (the fixtures); BTHD = [B, T, H, D], i.e. the
// q/k/v projections' [B, T, H*D] used in place (what the UNet and CLIP pass).
enum class AttentionLayout { BHTD, BTHD };

// The operand of `data` in `layout`, with T = s.Tq for q and out, s.Tk for k and v.
inline AttentionOperand attention_operand(float * data, const AttentionShape & s, int64_t T, AttentionLayout layout) {
    if (layout == AttentionLayout::BTHD) return {data, T * s.H * s.D, s.D, s.H * s.D};
    return {data, s.H * T * s.D, T * s.D, s.D};
}

struct AttentionOptions {
    // sliced: heads per slice; 0 = diffusers' "auto" (H / 2, at least 1).
    int64_t slice_heads = 0;
    // sliced: most bytes one slice's scores may take; heads, then query rows, are cut to fit.
    // 0 = kAttentionSliceBytesDefault.
    int64_t slice_bytes = 0;
    // Any mode: refuse (SDN_STATUS_OUT_OF_MEMORY, with the estimate) when the predicted extra working
    // memory is above this. 0 = no limit.
    int64_t memory_limit_bytes = 0;
};

constexpr int64_t kAttentionSliceBytesDefault = int64_t(64) << 20; // one SD 1.5 head at 4096 tokens

// The one entry point: checks the arguments (shape >= 1, finite scale, memory limit) and runs `mode`.
void attention(AttentionMode mode, const AttentionShape & s, const AttentionOperand & q, const AttentionOperand & k,
               const AttentionOperand & v, const AttentionOperand & out, const AttentionOptions & options = {});

// Bytes of arena memory `mode` takes on top of its inputs and output (rounded to the arena's block
// sizes), for the current thread count: exactly what arena_peak_bytes() rises by during the call.
int64_t attention_extra_bytes(AttentionMode mode, const AttentionShape & s, const AttentionOptions & options = {});

// "naive" | "sliced" | "flash"; parse throws SDN_STATUS_BAD_ARGUMENT naming the accepted values.
const char * attention_mode_name(AttentionMode mode);
AttentionMode attention_mode_parse(const char * name);

// The modes themselves (no argument checks: call attention()).
// naive: materialises the whole [Tq, Tk] score matrix of every (b, h) at once: B*H*Tq*Tk floats.
void attention_naive(const AttentionShape & s, const AttentionOperand & q, const AttentionOperand & k,
                     const AttentionOperand & v, const AttentionOperand & out);
// sliced: S = q k^T, softmax, S v for one slice (heads x query rows) at a time; see AttentionSlicing.
void attention_sliced(const AttentionShape & s, const AttentionOperand & q, const AttentionOperand & k,
                      const AttentionOperand & v, const AttentionOperand & out, const AttentionOptions & options = {});
// flash: tiles of queries x tiles of keys with an online softmax; threaded over (b, h, query tile).
void attention_flash(const AttentionShape & s, const AttentionOperand & q, const AttentionOperand & k,
                     const AttentionOperand & v, const AttentionOperand & out);

// How sliced mode cuts the work: `heads` heads of one batch element and `rows` query rows per slice.
struct AttentionSlicing {
    int64_t heads, rows;
};
AttentionSlicing attention_slicing(const AttentionShape & s, const AttentionOptions & options);

} // namespace sdn
