// binding_core.cc — engine-wide functions: CPU features, threads, memory counters, f16/bf16.
#include "../core/arena.h"
#include "../core/cpu.h"
#include "../core/half.h"
#include "../core/profile.h"
#include "../core/threads.h"
#include "napi_util.h"

namespace sdn::binding {

static Napi::Value cpu_features_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    const CpuFeatures & f = cpu_features();
    o.Set("avx2Fma", Napi::Boolean::New(env, f.avx2_fma));
    o.Set("f16c", Napi::Boolean::New(env, f.f16c));
    o.Set("avx512", Napi::Boolean::New(env, f.avx512));
    o.Set("avx512Bf16", Napi::Boolean::New(env, f.avx512_bf16));
    o.Set("avx512Vnni", Napi::Boolean::New(env, f.avx512_vnni));
    o.Set("isa", Napi::String::New(env, isa_name(cpu_isa()))); // the path the kernels take (LATENTFLOW_ISA caps it)
    o.Set("bf16", Napi::Boolean::New(env, cpu_bf16()));
    return o;
}

static Napi::Value threads_get_js(const Napi::CallbackInfo & info) {
    return Napi::Number::New(info.Env(), threads_count());
}

static Napi::Value threads_set_js(const Napi::CallbackInfo & info) {
    int64_t n = arg_int(info, 0, "threads");
    if (n < 0 || n > 256) throw Napi::RangeError::New(info.Env(), "threads must be 0 (all cores) .. 256");
    threads_set(static_cast<int>(n));
    return Napi::Number::New(info.Env(), threads_count());
}

static Napi::Value memory_stats_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    sdn_memory_stats s;
    sdn_memory_stats_get(&s);
    Napi::Object o = Napi::Object::New(env);
    o.Set("activationsCurrent", Napi::Number::New(env, static_cast<double>(s.activations_current)));
    o.Set("activationsPeak", Napi::Number::New(env, static_cast<double>(s.activations_peak)));
    o.Set("weightsCurrent", Napi::Number::New(env, static_cast<double>(s.weights_current)));
    o.Set("mappedCurrent", Napi::Number::New(env, static_cast<double>(s.mapped_current)));
    o.Set("activationsCached", Napi::Number::New(env, static_cast<double>(s.activations_cached)));
    return o;
}

static Napi::Value memory_peak_reset_js(const Napi::CallbackInfo & info) {
    sdn_memory_peak_reset();
    return info.Env().Undefined();
}

static Napi::Value memory_trim_js(const Napi::CallbackInfo & info) {
    arena_trim();
    return info.Env().Undefined();
}

// convertHalf(src, "f16" | "bf16") -> Float32Array ; convertToHalf(src, "f16" | "bf16") -> Uint16Array
static Napi::Value half_to_f32_js(const Napi::CallbackInfo & info) {
    Napi::Uint16Array src = arg_u16(info, 0, "src");
    std::string kind = arg_string(info, 1, "kind");
    Napi::Float32Array dst = Napi::Float32Array::New(info.Env(), src.ElementLength());
    const int64_t n = static_cast<int64_t>(src.ElementLength());
    if (kind == "f16") convert_f16_to_f32(src.Data(), dst.Data(), n);
    else if (kind == "bf16") convert_bf16_to_f32(src.Data(), dst.Data(), n);
    else throw Napi::TypeError::New(info.Env(), "kind must be \"f16\" or \"bf16\"");
    return dst;
}

static Napi::Value f32_to_half_js(const Napi::CallbackInfo & info) {
    Napi::Float32Array src = arg_f32(info, 0, "src");
    std::string kind = arg_string(info, 1, "kind");
    Napi::Uint16Array dst = Napi::Uint16Array::New(info.Env(), src.ElementLength());
    const int64_t n = static_cast<int64_t>(src.ElementLength());
    if (kind == "f16") convert_f32_to_f16(src.Data(), dst.Data(), n);
    else if (kind == "bf16") convert_f32_to_bf16(src.Data(), dst.Data(), n);
    else throw Napi::TypeError::New(info.Env(), "kind must be \"f16\" or \"bf16\"");
    return dst;
}

// profileCollect(on): collect the op-level profile of every network call (as LATENTFLOW_PROFILE=1 does,
// without printing it). profileLast(): the totals of the last call, per op family.
static Napi::Value profile_collect_js(const Napi::CallbackInfo & info) {
    profile_force(info.Length() > 0 && info[0].ToBoolean().Value());
    return info.Env().Undefined();
}

static Napi::Value profile_last_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    const ProfileReport r = profile_last();
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", Napi::String::New(env, r.name));
    o.Set("totalSeconds", Napi::Number::New(env, r.total_seconds));
    o.Set("totalCpuSeconds", Napi::Number::New(env, r.total_cpu_seconds));
    Napi::Array ops = Napi::Array::New(env);
    uint32_t n = 0;
    for (int i = 0; i < static_cast<int>(ProfOp::Count); ++i) {
        if (r.totals.calls[i] == 0) continue;
        Napi::Object e = Napi::Object::New(env);
        e.Set("op", Napi::String::New(env, prof_op_name(static_cast<ProfOp>(i))));
        e.Set("calls", Napi::Number::New(env, static_cast<double>(r.totals.calls[i])));
        e.Set("seconds", Napi::Number::New(env, r.totals.seconds[i]));
        e.Set("cpuSeconds", Napi::Number::New(env, r.totals.cpu_seconds[i]));
        e.Set("flops", Napi::Number::New(env, r.totals.flops[i]));
        ops.Set(n++, e);
    }
    o.Set("ops", ops);
    return o;
}

void register_core(Napi::Env env, Napi::Object exports) {
    exports.Set("profileCollect", Napi::Function::New(env, profile_collect_js));
    exports.Set("profileLast", Napi::Function::New(env, profile_last_js));
    exports.Set("cpuFeatures", Napi::Function::New(env, cpu_features_js));
    exports.Set("threadsGet", Napi::Function::New(env, threads_get_js));
    exports.Set("threadsSet", Napi::Function::New(env, threads_set_js));
    exports.Set("memoryStats", Napi::Function::New(env, memory_stats_js));
    exports.Set("memoryPeakReset", Napi::Function::New(env, memory_peak_reset_js));
    exports.Set("memoryTrim", Napi::Function::New(env, memory_trim_js));
    exports.Set("halfToF32", Napi::Function::New(env, half_to_f32_js));
    exports.Set("f32ToHalf", Napi::Function::New(env, f32_to_half_js));
}

} // namespace sdn::binding
