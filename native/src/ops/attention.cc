// attention(): argument checks, the memory estimate and the dispatch to the three modes.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "../core/error.h"
#include "attention.h"
#include "attention_flash.h"

namespace sdn {

namespace {

// The bytes the arena hands out for a request: it rounds to size classes (64-byte steps up to 64 KiB,
// then 1/16 of the next power of two). Mirrors size_class() in core/arena.cc; the peak-bytes tests
// (test/native/ops/attention.test.ts) fail if the two drift apart.
int64_t arena_block_bytes(int64_t bytes) {
    if (bytes <= 0) return 0; // Buffer<T>(0) does not allocate
    const uint64_t b = static_cast<uint64_t>(bytes);
    if (b <= 65536) return static_cast<int64_t>((b + 63) & ~uint64_t(63));
    uint64_t p = 65536;
    while (p < b) p <<= 1;
    const uint64_t step = p / 16;
    return static_cast<int64_t>((b + step - 1) / step * step);
}

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
        // naive and sliced count their score buffers only: gemm() and softmax_rows() take no arena
        // memory today. If the GEMM ever packs into arena buffers, add its workspace here (the
        // peak-bytes tests will say so).
        case AttentionMode::Naive: return arena_block_bytes(s.B * s.H * s.Tq * s.Tk * f);
        case AttentionMode::Sliced: {
            const AttentionSlicing slicing = attention_slicing(s, options);
            return arena_block_bytes(slicing.heads * slicing.rows * s.Tk * f);
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
