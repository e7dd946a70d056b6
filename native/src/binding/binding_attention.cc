// binding_attention.cc — N-API functions of the attention family (see native/ts/attention.ts):
//   attention(mode, q, k, v, shape, layout, options) -> Promise<{ out, peakBytes }>
//   attentionExtraBytes(mode, shape, options) -> number
//   attentionExp(x) -> Float32Array      (the flash kernel's exp, for its accuracy test)
#include <algorithm>
#include <cmath>
#include <memory>

#include "../core/arena.h"
#include "../ops/attention.h"
#include "../ops/attention_flash.h"
#include "napi_util.h"

namespace sdn::binding {

namespace {

// An optional integer property of an options/shape object; throws a TypeError naming it.
int64_t prop_int(const Napi::Object & object, const char * key, const char * where, bool required, int64_t fallback) {
    Napi::Env env = object.Env();
    Napi::Value value = object.Get(key);
    if (value.IsUndefined()) {
        if (required) throw Napi::TypeError::New(env, std::string(where) + "." + key + " is missing");
        return fallback;
    }
    const double d = value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : NAN;
    if (!(d >= 0 && d <= 9.0e15 && d == std::floor(d)))
        throw Napi::TypeError::New(env, std::string(where) + "." + key + " must be a non-negative integer");
    return static_cast<int64_t>(d);
}

Napi::Object arg_object(const Napi::CallbackInfo & info, size_t i, const char * name, bool optional) {
    if (i >= info.Length() || info[i].IsUndefined() || info[i].IsNull()) {
        if (optional) return Napi::Object::New(info.Env());
        throw Napi::TypeError::New(info.Env(), std::string("missing argument \"") + name + "\"");
    }
    if (!info[i].IsObject()) throw Napi::TypeError::New(info.Env(), std::string("argument \"") + name + "\" must be an object");
    return info[i].As<Napi::Object>();
}

// shape {B, H, Tq, Tk, D} and options {scale?, sliceHeads?, sliceBytes?, memoryLimitBytes?}
struct Parsed {
    AttentionMode mode;
    AttentionShape shape;
    AttentionOptions options;
};

Parsed parse(const Napi::CallbackInfo & info, size_t mode_i, size_t shape_i, size_t options_i) {
    Parsed p{};
    const std::string mode = arg_string(info, mode_i, "mode");
    p.mode = attention_mode_parse(mode.c_str());
    Napi::Object shape = arg_object(info, shape_i, "shape", false);
    constexpr int64_t kMaxDim = int64_t(1) << 31;
    p.shape.B = prop_int(shape, "B", "shape", true, 0);
    p.shape.H = prop_int(shape, "H", "shape", true, 0);
    p.shape.Tq = prop_int(shape, "Tq", "shape", true, 0);
    p.shape.Tk = prop_int(shape, "Tk", "shape", true, 0);
    p.shape.D = prop_int(shape, "D", "shape", true, 0);
    for (int64_t dim : {p.shape.B, p.shape.H, p.shape.Tq, p.shape.Tk, p.shape.D})
        require(dim < kMaxDim, SDN_STATUS_BAD_SHAPE, "attention: every dimension of shape must be below 2^31");
    Napi::Object options = arg_object(info, options_i, "options", true);
    Napi::Value scale = options.Get("scale");
    if (scale.IsUndefined()) {
        p.shape.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(std::max<int64_t>(1, p.shape.D))));
    } else {
        if (!scale.IsNumber()) throw Napi::TypeError::New(info.Env(), "options.scale must be a number");
        p.shape.scale = static_cast<float>(scale.As<Napi::Number>().DoubleValue());
    }
    p.options.slice_heads = prop_int(options, "sliceHeads", "options", false, 0);
    p.options.slice_bytes = prop_int(options, "sliceBytes", "options", false, 0);
    p.options.memory_limit_bytes = prop_int(options, "memoryLimitBytes", "options", false, 0);
    return p;
}

AttentionOperand operand(Napi::Float32Array array, const AttentionShape & s, int64_t T, bool bthd,
                         const char * name) {
    const double expected = double(s.B) * double(s.H) * double(T) * double(s.D);
    require(double(array.ElementLength()) == expected, SDN_STATUS_BAD_SHAPE,
            std::string("attention: \"") + name + "\" has " + std::to_string(array.ElementLength()) +
                " elements, shape needs B*H*" + (name[0] == 'q' || name[0] == 'o' ? "Tq" : "Tk") + "*D = " +
                std::to_string(static_cast<int64_t>(expected)));
    return attention_operand(array.Data(), s, T, bthd ? AttentionLayout::BTHD : AttentionLayout::BHTD);
}

Napi::Value attention_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    return guard(env, [&]() -> Napi::Value {
        const Parsed p = parse(info, 0, 4, 6);
        Napi::Float32Array q = arg_f32(info, 1, "q"), k = arg_f32(info, 2, "k"), v = arg_f32(info, 3, "v");
        const std::string layout = arg_string(info, 5, "layout");
        require(layout == "bhtd" || layout == "bthd", SDN_STATUS_BAD_ARGUMENT,
                "attention: layout must be \"bhtd\" ([B, H, T, D]) or \"bthd\" ([B, T, H*D]), got \"" + layout + "\"");
        const bool bthd = layout == "bthd";
        const AttentionShape & s = p.shape;
        // Checked here, on the JS thread, so a bad call fails before any work is queued: shape and
        // scale (inside attention_extra_bytes), then the element counts.
        attention_extra_bytes(p.mode, s, p.options);
        const AttentionOperand qo = operand(q, s, s.Tq, bthd, "q");
        const AttentionOperand ko = operand(k, s, s.Tk, bthd, "k");
        const AttentionOperand vo = operand(v, s, s.Tk, bthd, "v");
        Napi::Float32Array out = Napi::Float32Array::New(env, q.ElementLength());
        const AttentionOperand oo = operand(out, s, s.Tq, bthd, "out");

        auto peak = std::make_shared<uint64_t>(0);
        AsyncJob job;
        job.execute = [p, qo, ko, vo, oo, peak] {
            // Extra bytes = how far the arena's peak rises above what was in use when the call began.
            arena_peak_reset();
            const uint64_t before = arena_current_bytes();
            attention(p.mode, p.shape, qo, ko, vo, oo, p.options);
            *peak = arena_peak_bytes() - before;
        };
        job.keep_alive.push_back(keep(q));
        job.keep_alive.push_back(keep(k));
        job.keep_alive.push_back(keep(v));
        auto out_ref = std::make_shared<Napi::Reference<Napi::Value>>(keep(out));
        job.complete = [peak, out_ref](Napi::Env e) -> Napi::Value {
            Napi::Object result = Napi::Object::New(e);
            result.Set("out", out_ref->Value());
            result.Set("peakBytes", Napi::Number::New(e, static_cast<double>(*peak)));
            return result;
        };
        return run_async(env, std::move(job));
    });
}

Napi::Value attention_extra_bytes_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    return guard(env, [&]() -> Napi::Value {
        const Parsed p = parse(info, 0, 1, 2);
        return Napi::Number::New(env, static_cast<double>(attention_extra_bytes(p.mode, p.shape, p.options)));
    });
}

Napi::Value attention_exp_js(const Napi::CallbackInfo & info) {
    Napi::Float32Array x = arg_f32(info, 0, "x");
    Napi::Float32Array y = Napi::Float32Array::New(info.Env(), x.ElementLength());
    attention_exp(x.Data(), y.Data(), static_cast<int64_t>(x.ElementLength()));
    return y;
}

} // namespace

void register_attention(Napi::Env env, Napi::Object exports) {
    exports.Set("attention", Napi::Function::New(env, attention_js));
    exports.Set("attentionExtraBytes", Napi::Function::New(env, attention_extra_bytes_js));
    exports.Set("attentionExp", Napi::Function::New(env, attention_exp_js));
}

} // namespace sdn::binding
