// engine.cc — sdn.h's engine section (memory, conversion, profile) and the shared result types.
// sdn_threads_* live in core/threads.cc, sdn_cpu_* in core/cpu.cc (but sdn_cpu_amx_fp32, the GEMM's choice,
// here), sdn_memory_stats_get in core/arena.cc.
#include <cstdlib>

#include "../core/arena.h"
#include "../core/half.h"
#include "../core/q8_0.h"
#include "../core/profile.h"
#include "../ops/gemm.h"
#include "api.h"

using namespace sdn;

extern "C" int sdn_cpu_amx_fp32(void) { return f32_on_amx() ? 1 : 0; }

namespace sdn::api {

AttentionMode attention_of(const sdn_run_options * options) {
    const sdn_attention a = options ? options->attention : SDN_ATTENTION_NAIVE;
    require(a == SDN_ATTENTION_NAIVE || a == SDN_ATTENTION_SLICED || a == SDN_ATTENTION_FLASH, SDN_STATUS_BAD_ARGUMENT,
            "attention must be SDN_ATTENTION_NAIVE, _SLICED or _FLASH, got " + std::to_string(static_cast<int>(a)));
    return a == SDN_ATTENTION_FLASH ? AttentionMode::Flash : a == SDN_ATTENTION_SLICED ? AttentionMode::Sliced : AttentionMode::Naive;
}

std::optional<Precision> precision_of(const sdn_run_options * options) {
    const sdn_compute c = options ? options->compute : SDN_COMPUTE_MODEL;
    require(c == SDN_COMPUTE_MODEL || c == SDN_COMPUTE_F32 || c == SDN_COMPUTE_BF16, SDN_STATUS_BAD_ARGUMENT,
            "compute must be SDN_COMPUTE_MODEL, _F32 or _BF16, got " + std::to_string(static_cast<int>(c)));
    if (c == SDN_COMPUTE_MODEL) return std::nullopt;
    return c == SDN_COMPUTE_BF16 ? Precision::BF16 : Precision::F32;
}

void tensor_out(const Tensor & t, sdn_tensor * out) {
    require(t.dtype == DType::F32 && t.is_contiguous() && t.rank() <= 4, SDN_STATUS_INTERNAL, "a call's result is not a contiguous f32 tensor");
    out->data = static_cast<float *>(t.data);
    out->rank = t.rank();
    for (int i = 0; i < 4; ++i) out->shape[i] = i < t.rank() ? t.shape[i] : 1;
    out->owner = new std::shared_ptr<void>(t.owner);
}

Tensor input4(const float * data, const int64_t shape[4], const char * what) {
    need(shape, "shape");
    const Shape s{shape[0], shape[1], shape[2], shape[3]};
    for (int64_t d : s) require(d >= 1, SDN_STATUS_BAD_SHAPE, std::string(what) + " has shape " + shape_str(s) + ": every size must be >= 1");
    return Tensor::view(const_cast<float *>(need(data, what)), s, DType::F32, nullptr, Storage::External);
}

char * string_out(const std::string & text) {
    char * p = static_cast<char *>(std::malloc(text.size() + 1));
    require(p != nullptr, SDN_STATUS_OUT_OF_MEMORY, "out of memory");
    std::memcpy(p, text.c_str(), text.size() + 1);
    return p;
}

} // namespace sdn::api

extern "C" {

void sdn_memory_trim(void) { arena_trim(); }

sdn_status sdn_convert(const void * src, sdn_dtype src_dtype, void * dst, sdn_dtype dst_dtype, int64_t n) {
    return api::call([&] {
        require(n >= 0, SDN_STATUS_BAD_ARGUMENT, "convert: n must be >= 0");
        if (n == 0) return;
        api::need(src, "src");
        api::need(dst, "dst");
        const auto * h = static_cast<const uint16_t *>(src);
        const auto * f = static_cast<const float *>(src);
        if (src_dtype == SDN_DTYPE_F16 && dst_dtype == SDN_DTYPE_F32) convert_f16_to_f32(h, static_cast<float *>(dst), n);
        else if (src_dtype == SDN_DTYPE_BF16 && dst_dtype == SDN_DTYPE_F32) convert_bf16_to_f32(h, static_cast<float *>(dst), n);
        else if (src_dtype == SDN_DTYPE_F32 && dst_dtype == SDN_DTYPE_F16) convert_f32_to_f16(f, static_cast<uint16_t *>(dst), n);
        else if (src_dtype == SDN_DTYPE_F32 && dst_dtype == SDN_DTYPE_BF16) convert_f32_to_bf16(f, static_cast<uint16_t *>(dst), n);
        else if (src_dtype == SDN_DTYPE_Q8_0 && dst_dtype == SDN_DTYPE_F32) convert_q8_0_to_f32(src, 0, static_cast<float *>(dst), n);
        else throw Error(SDN_STATUS_BAD_ARGUMENT, "convert: only f16/bf16 <-> f32 and q8_0 -> f32 are supported");
    });
}

void sdn_profile_collect(int on) { profile_force(on != 0); }

void sdn_profile_last(sdn_profile_report * out) {
    if (!out) return;
    static thread_local ProfileReport last; // keeps `name` alive for the caller
    last = profile_last();
    *out = sdn_profile_report{};
    out->name = last.name;
    out->total_seconds = last.total_seconds;
    out->total_cpu_seconds = last.total_cpu_seconds;
    for (int i = 0; i < static_cast<int>(ProfOp::Count) && out->n_ops < 16; ++i) {
        if (last.totals.calls[i] == 0) continue;
        out->ops[out->n_ops++] = sdn_profile_op{prof_op_name(static_cast<ProfOp>(i)), last.totals.calls[i], last.totals.seconds[i],
                                                last.totals.cpu_seconds[i], last.totals.flops[i]};
    }
}

void sdn_tensor_free(sdn_tensor * tensor) {
    if (!tensor) return;
    delete static_cast<std::shared_ptr<void> *>(tensor->owner);
    *tensor = sdn_tensor{};
}

void sdn_string_free(char * text) { std::free(text); }

} // extern "C"
