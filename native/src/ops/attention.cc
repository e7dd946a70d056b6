// attention(): argument checks, the memory estimate and the dispatch to the three modes.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "../core/error.h"
#include "attention.h"
#include "attention_flash.h"
#include "gemm.h"
#include "../core/arena.h"

namespace sdn {

namespace {

std::string mib(int64_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
    return text;
}

void check_shape(const AttentionShape & s) {
    const bool positive = s.B >= 1 && s.H >= 1 && s.Tq >= 1 && s.Tk >= 1 && s.D >= 1;
    require(positive, SDN_STATUS_BAD_SHAPE,
            "attention: every dimension of {B, H, Tq, Tk, D} must be >= 1, got {" + std::to_string(s.B) + ", " +
                std::to_string(s.H) + ", " + std::to_string(s.Tq) + ", " + std::to_string(s.Tk) + ", " +
                std::to_string(s.D) + "}");
    // Every product the modes form (scores B*H*Tq*Tk, operands B*H*T*D) must fit int64 bytes.
    const double bh = double(s.B) * double(s.H);
    const double largest = std::max({bh * double(s.Tq) * double(s.Tk), bh * double(s.Tq) * double(s.D),
                                     bh * double(s.Tk) * double(s.D)});
    require(largest * sizeof(float) < 0x1p62, SDN_STATUS_BAD_SHAPE,
            "attention: shape {B, H, Tq, Tk, D} is too large to address (B*H*Tq*Tk*4 bytes over 2^62)");
    require(std::isfinite(s.scale), SDN_STATUS_BAD_ARGUMENT,
            "attention: scale must be a finite number (usually 1 / sqrt(D))");
}

} // namespace

const char * attention_mode_name(AttentionMode mode) {
    switch (mode) {
        case AttentionMode::Naive: return "naive";
        case AttentionMode::Sliced: return "sliced";
        case AttentionMode::Flash: return "flash";
    }
    return "?";
}

AttentionMode attention_mode_parse(const char * name) {
    for (AttentionMode mode : {AttentionMode::Naive, AttentionMode::Sliced, AttentionMode::Flash})
        if (std::strcmp(name, attention_mode_name(mode)) == 0) return mode;
    throw Error(SDN_STATUS_BAD_ARGUMENT,
                std::string("attention: unknown mode \"") + name + "\"; use \"naive\", \"sliced\" or \"flash\"");
}

int64_t attention_extra_bytes(AttentionMode mode, const AttentionShape & s, const AttentionOptions & options) {
    check_shape(s);
    const int64_t f = sizeof(float);
    switch (mode) {
        // naive and sliced: their score buffer, plus the larger packing buffer of their two GEMMs
        // (S = q k^T, then P v), which the GEMM takes from the arena while the scores are alive.
        case AttentionMode::Naive:
            return arena_block_bytes(s.B * s.H * s.Tq * s.Tk * f) +
                   std::max(gemm_workspace_bytes(s.Tq, s.Tk, s.D), gemm_workspace_bytes(s.Tq, s.D, s.Tk));
        case AttentionMode::Sliced: {
            const AttentionSlicing slicing = attention_slicing(s, options);
            return arena_block_bytes(slicing.heads * slicing.rows * s.Tk * f) +
                   std::max(gemm_workspace_bytes(slicing.rows, s.Tk, s.D), gemm_workspace_bytes(slicing.rows, s.D, s.Tk));
        }
        case AttentionMode::Flash: {
            const FlashTiling t = flash_tiling(s);
            return arena_block_bytes(flash_workers(s, t) * t.floats_per_thread * f);
        }
    }
    return 0;
}

void attention(AttentionMode mode, const AttentionShape & s, const AttentionOperand & q, const AttentionOperand & k,
               const AttentionOperand & v, const AttentionOperand & out, const AttentionOptions & options) {
    check_shape(s);
    require(q.data && k.data && v.data && out.data, SDN_STATUS_BAD_ARGUMENT, "attention: q, k, v and out must not be null");
    if (options.memory_limit_bytes > 0) {
        const int64_t need = attention_extra_bytes(mode, s, options);
        require(need <= options.memory_limit_bytes, SDN_STATUS_OUT_OF_MEMORY,
                std::string("attention: mode \"") + attention_mode_name(mode) + "\" needs " + mib(need) +
                    " of working memory, over the limit of " + mib(options.memory_limit_bytes) +
                    "; use mode \"flash\" (or \"sliced\") or raise the limit");
    }
    switch (mode) {
        case AttentionMode::Naive: attention_naive(s, q, k, v, out); break;
        case AttentionMode::Sliced: attention_sliced(s, q, k, v, out, options); break;
        case AttentionMode::Flash: attention_flash(s, q, k, v, out); break;
    }
}

} // namespace sdn
