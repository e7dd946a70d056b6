// binding.cc — the addon: a thin N-API layer over the engine's C API (include/sdn.h). It converts
// arguments, runs every heavy call on a libuv worker thread behind a Promise, turns a non-OK status
// into a JS Error whose `code` is the status name and whose message is sdn_last_error() (read on the
// thread that failed), forwards progress through a thread-safe function and lets nothing else cross.
// Configurations cross as JSON text (native/ts/ parses it). The test attention surface
// (binding_attention.cc) registers its own functions; the kernels are tested by test/native/ops.
#include <array>
#include <cstring>
#include <memory>

#include "napi_util.h"
#include "sdn.h"

namespace sdn::binding {

namespace {

const napi_type_tag kModelTag = {0x6c6174656e74666cULL, 0x6f772d6d6f64656cULL};  // "latentflow-model"
const napi_type_tag kCancelTag = {0x6c6174656e74666cULL, 0x6f772d63616e636cULL}; // "latentflow-cancl"
const napi_type_tag kLoraTag = {0x6c6174656e74666cULL, 0x6f772d6c6f72612eULL};   // "latentflow-lora."
const napi_type_tag kTaesdTag = {0x6c6174656e74666cULL, 0x6f772d7461657364ULL};  // "latentflow-taesd"
const napi_type_tag kUpscalerTag = {0x6c6174656e74666cULL, 0x6f772d7570736361ULL}; // "latentflow-upsca"
const napi_type_tag kControlNetTag = {0x6c6174656e74666cULL, 0x6f772d636e65742eULL}; // "latentflow-cnet."

// A failed C call on this thread, as the JS Error it becomes.
void check(Napi::Env env, sdn_status status) {
    if (status != SDN_STATUS_OK) throw make_error(env, status, sdn_last_error());
}
// A failed C call on a worker thread: rethrown as sdn::Error, which the worker turns into a rejection.
void check_worker(sdn_status status) {
    if (status != SDN_STATUS_OK) throw Error(status, sdn_last_error());
}

// ---- handles ---------------------------------------------------------------------------------------

struct ModelHolder {
    sdn_model_t model = nullptr;
    ~ModelHolder() { sdn_model_free(model); }
};

struct LoraHolder {
    sdn_lora_t lora = nullptr;
    ~LoraHolder() { sdn_lora_free(lora); }
};

struct TaesdHolder {
    sdn_taesd_t taesd = nullptr;
    ~TaesdHolder() { sdn_taesd_free(taesd); }
};

struct UpscalerHolder {
    sdn_upscaler_t upscaler = nullptr;
    ~UpscalerHolder() { sdn_upscaler_free(upscaler); }
};

struct ControlNetHolder {
    sdn_controlnet_t controlnet = nullptr;
    ~ControlNetHolder() { sdn_controlnet_free(controlnet); }
};

struct CancelHolder {
    sdn_cancel_t cancel = sdn_cancel_new();
    ~CancelHolder() { sdn_cancel_free(cancel); }
};

template <typename T>
Napi::External<T> make_tagged(Napi::Env env, T * data, const napi_type_tag & tag) {
    auto external = Napi::External<T>::New(env, data, [](Napi::Env, T * p) { delete p; });
    NAPI_THROW_IF_FAILED(env, napi_type_tag_object(env, external, &tag), Napi::External<T>());
    return external;
}

template <typename T>
T * unwrap_tagged(Napi::Env env, Napi::Value value, const napi_type_tag & tag, const char * what) {
    bool ok = false;
    if (value.IsExternal()) NAPI_THROW_IF_FAILED(env, napi_check_object_type_tag(env, value, &tag, &ok), nullptr);
    if (!ok) throw Napi::TypeError::New(env, std::string("argument \"") + what + "\" must be a " + what + " handle");
    return value.As<Napi::External<T>>().Data();
}

// A reference to the model for a call queued now (released when the job goes, whatever happens).
std::shared_ptr<sdn_model> arg_model(const Napi::CallbackInfo & info, size_t i) {
    Napi::Env env = info.Env();
    ModelHolder * holder = unwrap_tagged<ModelHolder>(env, i < info.Length() ? info[i] : env.Undefined(), kModelTag, "model");
    if (!holder->model) throw make_error(env, SDN_STATUS_BAD_ARGUMENT, "the model was disposed; load it again");
    return std::shared_ptr<sdn_model>(sdn_model_retain(holder->model), sdn_model_free);
}

// A reference to the TAESD for a call queued now.
std::shared_ptr<sdn_taesd> arg_taesd(const Napi::CallbackInfo & info, size_t i) {
    Napi::Env env = info.Env();
    TaesdHolder * holder = unwrap_tagged<TaesdHolder>(env, i < info.Length() ? info[i] : env.Undefined(), kTaesdTag, "taesd");
    if (!holder->taesd) throw make_error(env, SDN_STATUS_BAD_ARGUMENT, "the TAESD was disposed; load it again");
    return std::shared_ptr<sdn_taesd>(sdn_taesd_retain(holder->taesd), sdn_taesd_free);
}

// A reference to the upscale model for a call queued now.
std::shared_ptr<sdn_upscaler> arg_upscaler(const Napi::CallbackInfo & info, size_t i) {
    Napi::Env env = info.Env();
    UpscalerHolder * holder = unwrap_tagged<UpscalerHolder>(env, i < info.Length() ? info[i] : env.Undefined(), kUpscalerTag, "upscaler");
    if (!holder->upscaler) throw make_error(env, SDN_STATUS_BAD_ARGUMENT, "the upscale model was disposed; load it again");
    return std::shared_ptr<sdn_upscaler>(sdn_upscaler_retain(holder->upscaler), sdn_upscaler_free);
}

// An engine-allocated result, freed with its owner.
struct Result {
    sdn_tensor tensor{};
    ~Result() { sdn_tensor_free(&tensor); }
    Napi::Float32Array to_js(Napi::Env env) {
        int64_t n = 1;
        for (int i = 0; i < tensor.rank; ++i) n *= tensor.shape[i];
        Napi::Float32Array out = Napi::Float32Array::New(env, static_cast<size_t>(n));
        if (n > 0) std::memcpy(out.Data(), tensor.data, static_cast<size_t>(n) * sizeof(float));
        sdn_tensor_free(&tensor); // the arena block goes back now, not when the job is collected
        return out;
    }
};

std::string take_string(char * text) {
    std::string s(text ? text : "");
    sdn_string_free(text);
    return s;
}

// ---- run options: { attention, cancel, memoryLimitBytes, precision, onProgress } --------------------

// What a queued call needs besides its arguments: the options, and what keeps them alive.
struct CallOptions {
    sdn_run_options options{};
    std::vector<sdn_control> controls;                       // options.controls points here
    std::vector<std::shared_ptr<sdn_controlnet>> control_refs; // the ControlNets, retained for the call
    std::shared_ptr<Napi::ThreadSafeFunction> progress; // released with the job
    std::function<void(int64_t, int64_t)> report;
};

sdn_attention attention_of(Napi::Env env, Napi::Value v) {
    if (v.IsUndefined()) return SDN_ATTENTION_NAIVE;
    const std::string s = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
    if (s == "naive") return SDN_ATTENTION_NAIVE;
    if (s == "sliced") return SDN_ATTENTION_SLICED;
    if (s == "flash") return SDN_ATTENTION_FLASH;
    throw Napi::TypeError::New(env, "attention must be \"naive\", \"sliced\" or \"flash\", got \"" + s + "\"");
}

// "fp32" | "bf16"; absent: the model's.
sdn_compute compute_of(Napi::Env env, Napi::Value v) {
    if (v.IsUndefined() || v.IsNull()) return SDN_COMPUTE_MODEL;
    const std::string s = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
    if (s == "fp32") return SDN_COMPUTE_F32;
    if (s == "bf16") return SDN_COMPUTE_BF16;
    throw Napi::TypeError::New(env, "precision must be \"fp32\" or \"bf16\", got \"" + s + "\"");
}

// options.controls: [{ controlnet, hint: Float32Array, hintShape: [B, C, H, W], strength, globalAveragePooling }]
// (a memory estimate's hints may be null: only their shapes count).
void parse_controls(Napi::Env env, Napi::Value value, CallOptions & o, AsyncJob * job) {
    if (value.IsUndefined() || value.IsNull()) return;
    if (!value.IsArray()) throw Napi::TypeError::New(env, "options.controls must be an array");
    Napi::Array list = value.As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); ++i) {
        const std::string where = "options.controls[" + std::to_string(i) + "]";
        Napi::Value item = list.Get(i);
        if (!item.IsObject()) throw Napi::TypeError::New(env, where + " must be an object");
        Napi::Object c = item.As<Napi::Object>();
        ControlNetHolder * holder = unwrap_tagged<ControlNetHolder>(env, c.Get("controlnet"), kControlNetTag, "controlnet");
        if (!holder->controlnet) throw make_error(env, SDN_STATUS_BAD_ARGUMENT, "the ControlNet was disposed; load it again");
        o.control_refs.emplace_back(sdn_controlnet_retain(holder->controlnet), sdn_controlnet_free);
        sdn_control control{};
        control.controlnet = holder->controlnet;
        Napi::Value shape = c.Get("hintShape");
        if (!shape.IsArray() || shape.As<Napi::Array>().Length() != 4) throw Napi::TypeError::New(env, where + ".hintShape must be [B, C, H, W]");
        double need = 1;
        for (uint32_t k = 0; k < 4; ++k) {
            Napi::Value d = shape.As<Napi::Array>().Get(k);
            if (!d.IsNumber()) throw Napi::TypeError::New(env, where + ".hintShape must hold numbers");
            control.hint_shape[k] = d.As<Napi::Number>().Int64Value();
            need *= static_cast<double>(control.hint_shape[k]);
        }
        Napi::Value hint = c.Get("hint");
        if (!hint.IsUndefined() && !hint.IsNull()) {
            if (!hint.IsTypedArray() || hint.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
                throw Napi::TypeError::New(env, where + ".hint must be a Float32Array");
            Napi::Float32Array h = hint.As<Napi::Float32Array>();
            if (static_cast<double>(h.ElementLength()) != need)
                throw make_error(env, SDN_STATUS_BAD_SHAPE, where + ".hint has " + std::to_string(h.ElementLength()) + " values, its shape needs " +
                                                                std::to_string(static_cast<int64_t>(need)));
            control.hint = h.Data();
            if (job) job->keep_alive.push_back(keep(hint));
        } else if (job) {
            throw Napi::TypeError::New(env, where + ".hint must be a Float32Array");
        }
        Napi::Value strength = c.Get("strength");
        control.strength = strength.IsNumber() ? strength.As<Napi::Number>().FloatValue() : 1.0f;
        control.global_average_pooling = c.Get("globalAveragePooling").ToBoolean().Value() ? 1 : 0;
        o.controls.push_back(control);
    }
    o.options.controls = o.controls.data();
    o.options.n_controls = static_cast<int32_t>(o.controls.size());
}

std::shared_ptr<CallOptions> arg_options(const Napi::CallbackInfo & info, size_t i, AsyncJob & job) {
    Napi::Env env = info.Env();
    auto o = std::make_shared<CallOptions>();
    if (i >= info.Length() || info[i].IsUndefined() || info[i].IsNull()) return o;
    if (!info[i].IsObject()) throw Napi::TypeError::New(env, "argument \"options\" must be an object");
    Napi::Object js = info[i].As<Napi::Object>();
    o->options.attention = attention_of(env, js.Get("attention"));
    Napi::Value cancel = js.Get("cancel");
    if (!cancel.IsUndefined() && !cancel.IsNull()) {
        o->options.cancel = unwrap_tagged<CancelHolder>(env, cancel, kCancelTag, "cancel")->cancel;
        job.keep_alive.push_back(keep(cancel)); // the token outlives the run
    }
    Napi::Value limit = js.Get("memoryLimitBytes");
    if (!limit.IsUndefined() && !limit.IsNull()) {
        const double d = limit.IsNumber() ? limit.As<Napi::Number>().DoubleValue() : -1;
        if (!(d >= 0 && d <= 9.0e18)) throw Napi::TypeError::New(env, "options.memoryLimitBytes must be a number >= 0");
        o->options.memory_limit_bytes = static_cast<uint64_t>(d);
    }
    o->options.compute = compute_of(env, js.Get("precision"));
    parse_controls(env, js.Get("controls"), *o, &job);
    Napi::Value progress = js.Get("onProgress");
    if (!progress.IsUndefined() && !progress.IsNull()) {
        if (!progress.IsFunction()) throw Napi::TypeError::New(env, "options.onProgress must be a function");
        // Each call is queued to the JS thread (never blocking the worker); an error thrown by it is ignored.
        o->progress = std::shared_ptr<Napi::ThreadSafeFunction>(
            new Napi::ThreadSafeFunction(Napi::ThreadSafeFunction::New(env, progress.As<Napi::Function>(), "latentflow:progress", 0, 1)),
            [](Napi::ThreadSafeFunction * f) {
                f->Release();
                delete f;
            });
        o->report = [tsfn = o->progress](int64_t done, int64_t total) {
            tsfn->NonBlockingCall([done, total](Napi::Env e, Napi::Function fn) {
                try {
                    fn.Call({Napi::Number::New(e, static_cast<double>(done)), Napi::Number::New(e, static_cast<double>(total))});
                } catch (const Napi::Error &) {
                }
            });
        };
        o->options.progress = [](void * user, int64_t done, int64_t total) { (*static_cast<std::function<void(int64_t, int64_t)> *>(user))(done, total); };
        o->options.progress_user = &o->report;
    }
    return o;
}

void shape4(const Napi::CallbackInfo & info, size_t i, const char * name, int64_t out[4]) {
    const std::vector<int64_t> s = arg_shape(info, i, name);
    if (s.size() != 4) throw Napi::TypeError::New(info.Env(), std::string("argument \"") + name + "\" must be [B, C, H, W]");
    for (int k = 0; k < 4; ++k) out[k] = s[k];
}

Napi::Float32Array arg_f32_of(const Napi::CallbackInfo & info, size_t i, const char * name, const int64_t shape[4]) {
    Napi::Float32Array a = arg_f32(info, i, name);
    const double need = double(shape[0]) * double(shape[1]) * double(shape[2]) * double(shape[3]);
    if (double(a.ElementLength()) != need)
        throw make_error(info.Env(), SDN_STATUS_BAD_SHAPE, std::string("\"") + name + "\" has " + std::to_string(a.ElementLength()) +
                                                               " values, its shape needs " + std::to_string(static_cast<int64_t>(need)));
    return a;
}

// ---- engine ----------------------------------------------------------------------------------------

Napi::Value cpu_features_js(const Napi::CallbackInfo & info) {
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("avx2Fma", sdn_cpu_has_avx2_fma() != 0);
    o.Set("f16c", sdn_cpu_has_f16c() != 0);
    o.Set("avx512", sdn_cpu_has_avx512() != 0);
    o.Set("avx512Bf16", sdn_cpu_has_avx512_bf16() != 0);
    o.Set("avx512Vnni", sdn_cpu_has_avx512_vnni() != 0);
    o.Set("isa", sdn_cpu_isa()); // the path the kernels take (LATENTFLOW_ISA caps it)
    o.Set("bf16", sdn_cpu_bf16() != 0);
    o.Set("amxBf16", sdn_cpu_has_amx_bf16() != 0);
    o.Set("amx", sdn_cpu_amx() != 0); // bf16 products on AMX tiles (LATENTFLOW_AMX=0 turns it off)
    o.Set("amxFp32", sdn_cpu_amx_fp32() != 0); // fp32 products on AMX tiles, as bf16 pieces (LATENTFLOW_AMX_FP32=0 turns it off)
    return o;
}

Napi::Value threads_get_js(const Napi::CallbackInfo & info) { return Napi::Number::New(info.Env(), sdn_threads_get()); }

Napi::Value threads_set_js(const Napi::CallbackInfo & info) {
    const int64_t n = arg_int(info, 0, "threads");
    if (n < 0 || n > 256) throw Napi::RangeError::New(info.Env(), "threads must be 0 (all cores) .. 256");
    sdn_threads_set(static_cast<int>(n));
    return Napi::Number::New(info.Env(), sdn_threads_get());
}

Napi::Value memory_stats_js(const Napi::CallbackInfo & info) {
    sdn_memory_stats s;
    sdn_memory_stats_get(&s);
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("activationsCurrent", static_cast<double>(s.activations_current));
    o.Set("activationsPeak", static_cast<double>(s.activations_peak));
    o.Set("weightsCurrent", static_cast<double>(s.weights_current));
    o.Set("mappedCurrent", static_cast<double>(s.mapped_current));
    o.Set("activationsCached", static_cast<double>(s.activations_cached));
    return o;
}

Napi::Value memory_peak_reset_js(const Napi::CallbackInfo & info) {
    sdn_memory_peak_reset();
    return info.Env().Undefined();
}

Napi::Value memory_trim_js(const Napi::CallbackInfo & info) {
    sdn_memory_trim();
    return info.Env().Undefined();
}

sdn_dtype half_kind(const Napi::CallbackInfo & info, size_t i) {
    const std::string kind = arg_string(info, i, "kind");
    if (kind == "f16") return SDN_DTYPE_F16;
    if (kind == "bf16") return SDN_DTYPE_BF16;
    throw Napi::TypeError::New(info.Env(), "kind must be \"f16\" or \"bf16\"");
}

// halfToF32(src: Uint16Array, "f16" | "bf16") -> Float32Array; f32ToHalf(src: Float32Array, kind) -> Uint16Array
Napi::Value half_to_f32_js(const Napi::CallbackInfo & info) {
    Napi::Uint16Array src = arg_u16(info, 0, "src");
    const sdn_dtype kind = half_kind(info, 1);
    Napi::Float32Array dst = Napi::Float32Array::New(info.Env(), src.ElementLength());
    check(info.Env(), sdn_convert(src.Data(), kind, dst.Data(), SDN_DTYPE_F32, static_cast<int64_t>(src.ElementLength())));
    return dst;
}

Napi::Value f32_to_half_js(const Napi::CallbackInfo & info) {
    Napi::Float32Array src = arg_f32(info, 0, "src");
    const sdn_dtype kind = half_kind(info, 1);
    Napi::Uint16Array dst = Napi::Uint16Array::New(info.Env(), src.ElementLength());
    check(info.Env(), sdn_convert(src.Data(), SDN_DTYPE_F32, dst.Data(), kind, static_cast<int64_t>(src.ElementLength())));
    return dst;
}

Napi::Value profile_collect_js(const Napi::CallbackInfo & info) {
    sdn_profile_collect(info.Length() > 0 && info[0].ToBoolean().Value());
    return info.Env().Undefined();
}

Napi::Value profile_last_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    sdn_profile_report r;
    sdn_profile_last(&r);
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", r.name);
    o.Set("totalSeconds", r.total_seconds);
    o.Set("totalCpuSeconds", r.total_cpu_seconds);
    Napi::Array ops = Napi::Array::New(env, static_cast<size_t>(r.n_ops));
    for (int32_t i = 0; i < r.n_ops; ++i) {
        Napi::Object e = Napi::Object::New(env);
        e.Set("op", r.ops[i].op);
        e.Set("calls", static_cast<double>(r.ops[i].calls));
        e.Set("seconds", r.ops[i].seconds);
        e.Set("cpuSeconds", r.ops[i].cpu_seconds);
        e.Set("flops", r.ops[i].flops);
        ops.Set(static_cast<uint32_t>(i), e);
    }
    o.Set("ops", ops);
    return o;
}

// ---- files -----------------------------------------------------------------------------------------

// A C call that answers JSON text, on a worker: inspectSafetensors(path), checkpointInfer(path) -> Promise<string>
template <sdn_status (*Fn)(const char *, char **)>
Napi::Value json_of_path_js(const Napi::CallbackInfo & info) {
    const std::string path = arg_string(info, 0, "path");
    auto text = std::make_shared<std::string>();
    AsyncJob job;
    job.execute = [path, text] {
        char * json = nullptr;
        check_worker(Fn(path.c_str(), &json));
        *text = take_string(json);
    };
    job.complete = [text](Napi::Env env) -> Napi::Value { return Napi::String::New(env, *text); };
    return run_async(info.Env(), std::move(job));
}

// readSafetensorsTensor(path, name) -> Promise<Float32Array>
Napi::Value read_safetensors_tensor_js(const Napi::CallbackInfo & info) {
    const std::string path = arg_string(info, 0, "path"), name = arg_string(info, 1, "name");
    auto result = std::make_shared<Result>();
    AsyncJob job;
    job.execute = [path, name, result] { check_worker(sdn_safetensors_read(path.c_str(), name.c_str(), &result->tensor)); };
    job.complete = [result](Napi::Env env) -> Napi::Value { return result->to_js(env); };
    return run_async(info.Env(), std::move(job));
}

// ---- models ----------------------------------------------------------------------------------------

// modelLoad(configJson) -> Promise<External>
Napi::Value model_load_js(const Napi::CallbackInfo & info) {
    const std::string config = arg_string(info, 0, "config");
    auto holder = std::make_shared<ModelHolder>();
    AsyncJob job;
    job.execute = [config, holder] { check_worker(sdn_model_load(config.c_str(), &holder->model)); };
    job.complete = [holder](Napi::Env env) -> Napi::Value {
        auto * h = new ModelHolder{holder->model};
        holder->model = nullptr;
        return make_tagged(env, h, kModelTag);
    };
    return run_async(info.Env(), std::move(job));
}

// modelDispose(model): drops the JS handle's reference; weights go when no running call holds one.
Napi::Value model_dispose_js(const Napi::CallbackInfo & info) {
    ModelHolder * holder = unwrap_tagged<ModelHolder>(info.Env(), info.Length() ? info[0] : info.Env().Undefined(), kModelTag, "model");
    sdn_model_free(holder->model);
    holder->model = nullptr;
    return info.Env().Undefined();
}

// modelInfo(model) -> string (JSON)
Napi::Value model_info_js(const Napi::CallbackInfo & info) { return Napi::String::New(info.Env(), sdn_model_info(arg_model(info, 0).get())); }

// modelWeights(model) -> string (JSON list)
Napi::Value model_weights_js(const Napi::CallbackInfo & info) {
    char * json = nullptr;
    check(info.Env(), sdn_model_weights(arg_model(info, 0).get(), &json));
    return Napi::String::New(info.Env(), take_string(json));
}

// modelWeight(model, network, name) -> Float32Array | Uint16Array (a copy; f16/bf16 as raw bits, q8_0 widened
// to f32: its blocks are the engine's own layout)
Napi::Value model_weight_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    const auto model = arg_model(info, 0);
    sdn_weight w;
    check(env, sdn_model_weight(model.get(), arg_string(info, 1, "network").c_str(), arg_string(info, 2, "name").c_str(), &w));
    if (w.dtype == SDN_DTYPE_Q8_0) {
        Napi::Float32Array a = Napi::Float32Array::New(env, static_cast<size_t>(w.numel));
        check(env, sdn_convert(w.data, SDN_DTYPE_Q8_0, a.Data(), SDN_DTYPE_F32, w.numel));
        return a;
    }
    if (w.dtype == SDN_DTYPE_F32) {
        Napi::Float32Array a = Napi::Float32Array::New(env, static_cast<size_t>(w.numel));
        if (w.numel) std::memcpy(a.Data(), w.data, static_cast<size_t>(w.numel) * 4);
        return a;
    }
    Napi::Uint16Array a = Napi::Uint16Array::New(env, static_cast<size_t>(w.numel));
    if (w.numel) std::memcpy(a.Data(), w.data, static_cast<size_t>(w.numel) * 2);
    return a;
}

// ---- LoRA ------------------------------------------------------------------------------------------

// loraLoad(path) -> Promise<External>
Napi::Value lora_load_js(const Napi::CallbackInfo & info) {
    const std::string path = arg_string(info, 0, "path");
    auto holder = std::make_shared<LoraHolder>();
    AsyncJob job;
    job.execute = [path, holder] { check_worker(sdn_lora_load(path.c_str(), &holder->lora)); };
    job.complete = [holder](Napi::Env env) -> Napi::Value {
        auto * h = new LoraHolder{holder->lora};
        holder->lora = nullptr;
        return make_tagged(env, h, kLoraTag);
    };
    return run_async(info.Env(), std::move(job));
}

// loraInfo(lora) -> string (JSON)
Napi::Value lora_info_js(const Napi::CallbackInfo & info) {
    LoraHolder * h = unwrap_tagged<LoraHolder>(info.Env(), info.Length() ? info[0] : info.Env().Undefined(), kLoraTag, "lora");
    return Napi::String::New(info.Env(), sdn_lora_info(h->lora));
}

// modelWithLoras(model, [{lora, strengthUnet, strengthTextEncoder}], "runtime" | "merge") -> Promise<{model: External, report: string}>
Napi::Value model_with_loras_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    const auto model = arg_model(info, 0);
    if (info.Length() < 2 || !info[1].IsArray()) throw Napi::TypeError::New(env, "argument \"loras\" must be an array");
    Napi::Array list = info[1].As<Napi::Array>();
    const std::string mode = arg_string(info, 2, "mode");
    if (mode != "runtime" && mode != "merge") throw Napi::TypeError::New(env, "mode must be \"runtime\" or \"merge\", got \"" + mode + "\"");
    AsyncJob job;
    auto applies = std::make_shared<std::vector<sdn_lora_apply>>();
    for (uint32_t i = 0; i < list.Length(); ++i) {
        Napi::Value v = list.Get(i);
        if (!v.IsObject()) throw Napi::TypeError::New(env, "loras[" + std::to_string(i) + "] must be an object");
        Napi::Object o = v.As<Napi::Object>();
        LoraHolder * h = unwrap_tagged<LoraHolder>(env, o.Get("lora"), kLoraTag, "lora");
        if (!h->lora) throw make_error(env, SDN_STATUS_BAD_ARGUMENT, "the LoRA was disposed; load it again");
        const auto number = [&](const char * key) {
            Napi::Value n = o.Get(key);
            if (!n.IsNumber()) throw Napi::TypeError::New(env, std::string("loras[") + std::to_string(i) + "]." + key + " must be a number");
            return n.As<Napi::Number>().FloatValue();
        };
        applies->push_back(sdn_lora_apply{h->lora, number("strengthUnet"), number("strengthTextEncoder")});
        job.keep_alive.push_back(keep(o.Get("lora"))); // the LoRA handle outlives the job
    }
    auto holder = std::make_shared<ModelHolder>();
    auto report = std::make_shared<std::string>();
    const sdn_lora_mode m = mode == "merge" ? SDN_LORA_MERGE : SDN_LORA_RUNTIME;
    job.execute = [model, applies, m, holder, report] {
        char * json = nullptr;
        check_worker(sdn_model_with_loras(model.get(), applies->data(), static_cast<int32_t>(applies->size()), m, &holder->model, &json));
        *report = take_string(json);
    };
    job.complete = [holder, report](Napi::Env e) -> Napi::Value {
        auto * h = new ModelHolder{holder->model};
        holder->model = nullptr;
        Napi::Object o = Napi::Object::New(e);
        o.Set("model", make_tagged(e, h, kModelTag));
        o.Set("report", Napi::String::New(e, *report));
        return o;
    };
    return run_async(env, std::move(job));
}

// ---- calls -----------------------------------------------------------------------------------------

// Queues one call: `work` runs the C call on the worker with the options; the Promise resolves to
// what `complete` makes of the results.
Napi::Promise queue_call(AsyncJob & job, Napi::Env env, std::function<sdn_status(const sdn_run_options *)> work,
                         const std::shared_ptr<CallOptions> & options) {
    job.execute = [work = std::move(work), options] { check_worker(work(&options->options)); };
    return run_async(env, std::move(job));
}

// Queues a call that answers one tensor: keeps `inputs` alive, resolves to the result as a Float32Array.
Napi::Promise queue_tensor_call(Napi::Env env, AsyncJob & job, const std::shared_ptr<CallOptions> & options,
                                std::initializer_list<Napi::Value> inputs, std::function<sdn_status(const sdn_run_options *, sdn_tensor *)> work) {
    for (Napi::Value v : inputs) job.keep_alive.push_back(keep(v));
    auto result = std::make_shared<Result>();
    job.complete = [result](Napi::Env e) -> Napi::Value { return result->to_js(e); };
    return queue_call(job, env, [work = std::move(work), result](const sdn_run_options * o) { return work(o, &result->tensor); }, options);
}

// The text encoder calls' arguments from info[at]: ids: Int32Array [B * T], tokensPerPrompt, clipSkip, finalLayerNorm.
struct TextArgs {
    Napi::Int32Array ids;
    int64_t n = 0, T = 0, clip_skip = 0;
    bool final_norm = true;
};
TextArgs arg_text(const Napi::CallbackInfo & info, size_t at) {
    Napi::Env env = info.Env();
    if (info.Length() <= at || !info[at].IsTypedArray() || info[at].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
        throw Napi::TypeError::New(env, "argument \"ids\" must be an Int32Array");
    TextArgs a;
    a.ids = info[at].As<Napi::Int32Array>();
    a.T = arg_int(info, at + 1, "tokensPerPrompt");
    a.clip_skip = arg_int(info, at + 2, "clipSkip");
    if (info.Length() <= at + 3 || !info[at + 3].IsBoolean()) throw Napi::TypeError::New(env, "argument \"finalLayerNorm\" must be a boolean");
    a.final_norm = info[at + 3].As<Napi::Boolean>().Value();
    a.n = static_cast<int64_t>(a.ids.ElementLength());
    if (!(a.T >= 1 && a.n >= a.T && a.n % a.T == 0))
        throw make_error(env, SDN_STATUS_BAD_SHAPE, "encodeText: ids has " + std::to_string(a.n) + " entries, expected a positive multiple of " +
                                                        std::to_string(a.T) + " (B prompts x T tokens)");
    return a;
}

// modelEncodeText(model, ids: Int32Array [B * T], tokensPerPrompt, clipSkip, finalLayerNorm, options) -> Promise<Float32Array>
Napi::Value model_encode_text_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    const auto model = arg_model(info, 0);
    const TextArgs a = arg_text(info, 1);
    AsyncJob job;
    const auto options = arg_options(info, 5, job);
    const int32_t * data = a.ids.Data();
    const int64_t n = a.n, T = a.T, clip_skip = a.clip_skip;
    const bool final_norm = a.final_norm;
    // vectors (optional): Float32Array [count * hidden_size], injected token vectors (ids vocab_size + i)
    Napi::Float32Array vectors = info.Length() > 6 && !info[6].IsUndefined() && !info[6].IsNull() ? arg_f32(info, 6, "vectors") : Napi::Float32Array::New(env, 0);
    const int64_t hidden = static_cast<int64_t>(info.Length() > 7 ? arg_int(info, 7, "hiddenSize") : 1);
    if (hidden < 1 || static_cast<int64_t>(vectors.ElementLength()) % hidden != 0)
        throw make_error(env, SDN_STATUS_BAD_SHAPE, "encodeText: vectors has " + std::to_string(vectors.ElementLength()) + " values, not a multiple of the hidden size " + std::to_string(hidden));
    const float * v = vectors.Data();
    const int64_t n_vectors = static_cast<int64_t>(vectors.ElementLength()) / hidden;
    return queue_tensor_call(env, job, options, {a.ids, vectors}, [model, data, n, T, clip_skip, final_norm, v, n_vectors](const sdn_run_options * o, sdn_tensor * out) {
        return sdn_text_encode_vectors(model.get(), 0, data, n / T, T, static_cast<int32_t>(clip_skip), final_norm, v, n_vectors, o, out, nullptr);
    });
}

// modelEncodeTextPooled(model, encoder (0 | 1), ids: Int32Array [B * T], tokensPerPrompt, clipSkip, finalLayerNorm, options, vectors?, hiddenSize?)
//   -> Promise<{ hidden: Float32Array [B, T, D], pooled: Float32Array [B, P] }>
Napi::Value model_encode_text_pooled_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    const auto model = arg_model(info, 0);
    const int64_t encoder = arg_int(info, 1, "encoder");
    const TextArgs a = arg_text(info, 2);
    AsyncJob job;
    const auto options = arg_options(info, 6, job);
    job.keep_alive.push_back(keep(a.ids));
    const int64_t n = a.n, T = a.T, clip_skip = a.clip_skip;
    const bool final_norm = a.final_norm;
    auto hidden = std::make_shared<Result>(), pooled = std::make_shared<Result>();
    job.complete = [hidden, pooled](Napi::Env e) -> Napi::Value {
        Napi::Object o = Napi::Object::New(e);
        o.Set("hidden", hidden->to_js(e));
        o.Set("pooled", pooled->to_js(e));
        return o;
    };
    // vectors (optional, argument 7): Float32Array [count * hiddenSize (argument 8)], injected token vectors (ids vocab_size + i)
    Napi::Float32Array vectors = info.Length() > 7 && !info[7].IsUndefined() && !info[7].IsNull() ? arg_f32(info, 7, "vectors") : Napi::Float32Array::New(env, 0);
    const int64_t width = static_cast<int64_t>(info.Length() > 8 ? arg_int(info, 8, "hiddenSize") : 1);
    if (width < 1 || static_cast<int64_t>(vectors.ElementLength()) % width != 0)
        throw make_error(env, SDN_STATUS_BAD_SHAPE, "encodeTextPooled: vectors has " + std::to_string(vectors.ElementLength()) + " values, not a multiple of the hidden size " + std::to_string(width));
    job.keep_alive.push_back(keep(vectors));
    const float * v = vectors.Data();
    const int64_t n_vectors = static_cast<int64_t>(vectors.ElementLength()) / width;
    const int32_t * data = a.ids.Data();
    return queue_call(job, env, [model, encoder, data, n, T, clip_skip, final_norm, v, n_vectors, hidden, pooled](const sdn_run_options * o) {
        return sdn_text_encode_vectors(model.get(), static_cast<int32_t>(encoder), data, n / T, T, static_cast<int32_t>(clip_skip), final_norm, v, n_vectors, o,
                                       &hidden->tensor, &pooled->tensor);
    }, options);
}

// The SDXL added conditioning argument at `index`: { textEmbeds: Float32Array [B, P], timeIds: Float32Array [B, 6] },
// or null / absent (false). The arrays are kept alive by `job`.
bool arg_added(const Napi::CallbackInfo & info, size_t index, int64_t B, const char * fn, AsyncJob & job, sdn_unet_added & added) {
    Napi::Env env = info.Env();
    if (info.Length() <= index || !info[index].IsObject()) return false;
    Napi::Object a = info[index].As<Napi::Object>();
    const auto array = [&](const char * key) {
        Napi::Value v = a.Get(key);
        if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
            throw Napi::TypeError::New(env, std::string("argument \"added.") + key + "\" must be a Float32Array");
        job.keep_alive.push_back(keep(v));
        return v.As<Napi::Float32Array>();
    };
    Napi::Float32Array te = array("textEmbeds"), ti = array("timeIds");
    if (te.ElementLength() % B != 0 || ti.ElementLength() % B != 0)
        throw make_error(env, SDN_STATUS_BAD_SHAPE, std::string(fn) + ": added conditioning of " + std::to_string(te.ElementLength()) + " pooled values and " +
                                                        std::to_string(ti.ElementLength()) + " time ids is not a multiple of the batch " + std::to_string(B));
    added = sdn_unet_added{te.Data(), static_cast<int64_t>(te.ElementLength()) / B, ti.Data(), static_cast<int64_t>(ti.ElementLength()) / B};
    return true;
}

// modelUnetForward(model, latent, shape [B, C, H, W], timesteps [B], context [B, T, ctx], contextTokens, options,
//   added: { textEmbeds: Float32Array [B, P], timeIds: Float32Array [B, 6] } | null (SDXL)) -> Promise<Float32Array>
Napi::Value model_unet_forward_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    const auto model = arg_model(info, 0);
    int64_t shape[4];
    shape4(info, 2, "shape", shape);
    Napi::Float32Array latent = arg_f32_of(info, 1, "latent", shape);
    Napi::Float32Array timesteps = arg_f32(info, 3, "timesteps");
    Napi::Float32Array context = arg_f32(info, 4, "context");
    const int64_t tokens = arg_int(info, 5, "contextTokens");
    const int64_t B = shape[0];
    if (static_cast<int64_t>(timesteps.ElementLength()) != B)
        throw make_error(env, SDN_STATUS_BAD_SHAPE, "unetForward: timesteps has " + std::to_string(timesteps.ElementLength()) +
                                                        " values, expected one per latent (" + std::to_string(B) + ")");
    if (tokens < 1 || static_cast<int64_t>(context.ElementLength()) % (B * tokens) != 0)
        throw make_error(env, SDN_STATUS_BAD_SHAPE, "unetForward: context has " + std::to_string(context.ElementLength()) + " values, expected [" +
                                                        std::to_string(B) + ", " + std::to_string(tokens) + ", cross-attention dim]");
    const int64_t ctx = static_cast<int64_t>(context.ElementLength()) / (B * tokens);
    AsyncJob job;
    const auto options = arg_options(info, 6, job);
    const float * x = latent.Data(), * t = timesteps.Data(), * c = context.Data();
    const std::array<int64_t, 4> s{shape[0], shape[1], shape[2], shape[3]};
    const std::array<int64_t, 3> cs{B, tokens, ctx};
    sdn_unet_added added{};
    const bool has_added = arg_added(info, 7, B, "unetForward", job, added);
    return queue_tensor_call(env, job, options, {latent, timesteps, context}, [model, x, s, t, c, cs, added, has_added](const sdn_run_options * o, sdn_tensor * out) {
        return sdn_unet_forward(model.get(), x, s.data(), t, c, cs.data(), has_added ? &added : nullptr, o, out);
    });
}

// modelVaeDecode(model, latent, shape [B, L, h, w], tile (0: in one piece), options) -> Promise<Float32Array>
Napi::Value model_vae_decode_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    const auto model = arg_model(info, 0);
    int64_t shape[4];
    shape4(info, 2, "shape", shape);
    Napi::Float32Array latent = arg_f32_of(info, 1, "latent", shape);
    const int64_t tile = arg_int(info, 3, "tile");
    if (tile < 0) throw Napi::RangeError::New(env, "argument \"tile\" must be >= 1 latent cell (or 0 for the whole latent), got " + std::to_string(tile));
    AsyncJob job;
    const auto options = arg_options(info, 4, job);
    const float * x = latent.Data();
    const std::array<int64_t, 4> s{shape[0], shape[1], shape[2], shape[3]};
    return queue_tensor_call(env, job, options, {latent}, [model, x, s, tile](const sdn_run_options * o, sdn_tensor * out) {
        return sdn_vae_decode(model.get(), x, s.data(), tile, o, out);
    });
}

// modelVaeEncode(model, image, shape [B, 3, H, W], options) -> Promise<{ mean, logvar }>
Napi::Value model_vae_encode_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    const auto model = arg_model(info, 0);
    int64_t shape[4];
    shape4(info, 2, "shape", shape);
    Napi::Float32Array image = arg_f32_of(info, 1, "image", shape);
    AsyncJob job;
    const auto options = arg_options(info, 3, job);
    job.keep_alive.push_back(keep(image));
    auto mean = std::make_shared<Result>(), logvar = std::make_shared<Result>();
    job.complete = [mean, logvar](Napi::Env e) -> Napi::Value {
        Napi::Object o = Napi::Object::New(e);
        o.Set("mean", mean->to_js(e));
        o.Set("logvar", logvar->to_js(e));
        return o;
    };
    const float * x = image.Data();
    const std::array<int64_t, 4> s{shape[0], shape[1], shape[2], shape[3]};
    return queue_call(job, env, [model, x, s, mean, logvar](const sdn_run_options * o) {
        return sdn_vae_encode(model.get(), x, s.data(), o, &mean->tensor, &logvar->tensor);
    }, options);
}

Napi::Object estimate_js(Napi::Env env, const sdn_memory_estimate & e);

// A memory estimate's { batch, height, width, tokens, tile } argument.
sdn_call_shape call_shape_arg(const Napi::CallbackInfo & info, size_t i) {
    Napi::Env env = info.Env();
    if (info.Length() <= i || !info[i].IsObject()) throw Napi::TypeError::New(env, "argument \"shape\" must be an object");
    Napi::Object js = info[i].As<Napi::Object>();
    const auto field = [&](const char * key) -> int64_t {
        Napi::Value v = js.Get(key);
        if (v.IsUndefined()) return 0;
        const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : 0.5;
        if (d != static_cast<double>(static_cast<int64_t>(d))) throw Napi::TypeError::New(env, std::string("shape.") + key + " must be an integer");
        return static_cast<int64_t>(d);
    };
    return sdn_call_shape{field("batch"), field("height"), field("width"), field("tokens"), field("tile"), field("margin")};
}

// memoryEstimate(model | null, configJson | null, call, { batch, height, width, tokens, tile }, attention) -> estimate
Napi::Value memory_estimate_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    std::shared_ptr<sdn_model> model;
    if (info.Length() > 0 && !info[0].IsNull() && !info[0].IsUndefined()) model = arg_model(info, 0);
    const std::string config = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
    const std::string call = arg_string(info, 2, "call");
    sdn_call c;
    if (call == "textEncode") c = SDN_CALL_TEXT_ENCODE;
    else if (call == "unet") c = SDN_CALL_UNET;
    else if (call == "vaeDecode") c = SDN_CALL_VAE_DECODE;
    else if (call == "vaeEncode") c = SDN_CALL_VAE_ENCODE;
    else throw Napi::TypeError::New(env, "call must be \"textEncode\", \"unet\", \"vaeDecode\" or \"vaeEncode\", got \"" + call + "\"");
    const sdn_call_shape shape = call_shape_arg(info, 3);
    CallOptions o;
    o.options.attention = attention_of(env, info.Length() > 4 ? info[4] : env.Undefined());
    o.options.compute = compute_of(env, info.Length() > 5 ? info[5] : env.Undefined());
    if (info.Length() > 6) parse_controls(env, info[6], o, nullptr);
    sdn_memory_estimate e;
    check(env, sdn_estimate_memory(model.get(), config.empty() ? nullptr : config.c_str(), c, &shape, &o.options, &e));
    return estimate_js(env, e);
}

Napi::Object estimate_js(Napi::Env env, const sdn_memory_estimate & e) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("peakBytes", static_cast<double>(e.peak_bytes));
    o.Set("attentionBytes", static_cast<double>(e.attention_bytes));
    Napi::Object b = Napi::Object::New(env);
    b.Set("at", e.peak_at);
    b.Set("workspaceBytes", static_cast<double>(e.workspace_bytes));
    b.Set("outputBytes", static_cast<double>(e.output_bytes));
    b.Set("attentionAt", e.attention_at);
    o.Set("breakdown", b);
    return o;
}

// ---- ControlNet ------------------------------------------------------------------------------------

// An async job's result: the ControlNet its worker put into `holder`, handed to JavaScript.
std::function<Napi::Value(Napi::Env)> controlnet_result(std::shared_ptr<ControlNetHolder> holder) {
    return [holder](Napi::Env e) -> Napi::Value {
        auto * h = new ControlNetHolder{holder->controlnet};
        holder->controlnet = nullptr;
        return make_tagged(e, h, kControlNetTag);
    };
}

// controlNetLoad(configJson, diffBase: model | null) -> Promise<External>
Napi::Value controlnet_load_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    const std::string config = arg_string(info, 0, "configJson");
    std::shared_ptr<sdn_model> base;
    if (info.Length() > 1 && !info[1].IsNull() && !info[1].IsUndefined()) base = arg_model(info, 1);
    auto holder = std::make_shared<ControlNetHolder>();
    AsyncJob job;
    job.execute = [config, base, holder] { check_worker(sdn_controlnet_load(config.c_str(), base.get(), &holder->controlnet)); };
    job.complete = controlnet_result(holder);
    return run_async(env, std::move(job));
}

// controlNetResolve(controlLora, model) -> Promise<External>: the Control-LoRA's ControlNet for the model
Napi::Value controlnet_resolve_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    ControlNetHolder * lora = unwrap_tagged<ControlNetHolder>(env, info.Length() ? info[0] : env.Undefined(), kControlNetTag, "controlLora");
    if (!lora->controlnet) throw make_error(env, SDN_STATUS_BAD_ARGUMENT, "the Control-LoRA was disposed; load it again");
    std::shared_ptr<sdn_model> model = arg_model(info, 1);
    std::shared_ptr<sdn_controlnet> source(sdn_controlnet_retain(lora->controlnet), sdn_controlnet_free); // held while the job runs
    auto holder = std::make_shared<ControlNetHolder>();
    AsyncJob job;
    job.execute = [source, model, holder] { check_worker(sdn_controlnet_resolve(source.get(), model.get(), &holder->controlnet)); };
    job.complete = controlnet_result(holder);
    return run_async(env, std::move(job));
}

// controlNetDispose(controlnet)
Napi::Value controlnet_dispose_js(const Napi::CallbackInfo & info) {
    ControlNetHolder * holder = unwrap_tagged<ControlNetHolder>(info.Env(), info.Length() ? info[0] : info.Env().Undefined(), kControlNetTag, "controlnet");
    sdn_controlnet_free(holder->controlnet);
    holder->controlnet = nullptr;
    return info.Env().Undefined();
}

// controlNetInfo(controlnet) -> string (JSON)
Napi::Value controlnet_info_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    ControlNetHolder * holder = unwrap_tagged<ControlNetHolder>(env, info.Length() ? info[0] : env.Undefined(), kControlNetTag, "controlnet");
    if (!holder->controlnet) throw make_error(env, SDN_STATUS_BAD_ARGUMENT, "the ControlNet was disposed; load it again");
    return Napi::String::New(env, sdn_controlnet_info(holder->controlnet));
}

// controlNetCacheHits(controlnet) -> number (a T2I-Adapter's feature cache hits)
Napi::Value controlnet_cache_hits_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    ControlNetHolder * holder = unwrap_tagged<ControlNetHolder>(env, info.Length() ? info[0] : env.Undefined(), kControlNetTag, "controlnet");
    if (!holder->controlnet) throw make_error(env, SDN_STATUS_BAD_ARGUMENT, "the ControlNet was disposed; load it again");
    return Napi::Number::New(env, static_cast<double>(sdn_controlnet_cache_hits(holder->controlnet)));
}

// controlNetForward(controlnet, latent, shape [B, C, H, W], timesteps [B], context [B, T, ctx], contextTokens, hint,
//   hintShape [Bh, C, fH, fW], residuals, options, added (SDXL, as modelUnetForward's) | null) -> Promise<Float32Array[]> (the down
//   residuals, then the mid one)
Napi::Value controlnet_forward_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    ControlNetHolder * holder = unwrap_tagged<ControlNetHolder>(env, info.Length() ? info[0] : env.Undefined(), kControlNetTag, "controlnet");
    if (!holder->controlnet) throw make_error(env, SDN_STATUS_BAD_ARGUMENT, "the ControlNet was disposed; load it again");
    std::shared_ptr<sdn_controlnet> net(sdn_controlnet_retain(holder->controlnet), sdn_controlnet_free);
    int64_t shape[4], hint_shape[4];
    shape4(info, 2, "shape", shape);
    Napi::Float32Array latent = arg_f32_of(info, 1, "latent", shape);
    Napi::Float32Array timesteps = arg_f32(info, 3, "timesteps");
    Napi::Float32Array context = arg_f32(info, 4, "context");
    const int64_t tokens = arg_int(info, 5, "contextTokens");
    shape4(info, 7, "hintShape", hint_shape);
    Napi::Float32Array hint = arg_f32_of(info, 6, "hint", hint_shape);
    const int64_t n = arg_int(info, 8, "residuals");
    const int64_t B = shape[0];
    if (static_cast<int64_t>(timesteps.ElementLength()) != B)
        throw make_error(env, SDN_STATUS_BAD_SHAPE, "controlNetForward: timesteps has " + std::to_string(timesteps.ElementLength()) + " values, expected " + std::to_string(B));
    if (tokens < 1 || static_cast<int64_t>(context.ElementLength()) % (B * tokens) != 0)
        throw make_error(env, SDN_STATUS_BAD_SHAPE, "controlNetForward: context has " + std::to_string(context.ElementLength()) + " values, not [B, tokens, dim]");
    if (n < 1 || n > 1024) throw Napi::RangeError::New(env, "argument \"residuals\" must be in 1..1024");
    AsyncJob job;
    const auto options = arg_options(info, 9, job);
    sdn_unet_added added{};
    const bool has_added = arg_added(info, 10, B, "controlNetForward", job, added);
    for (Napi::Value v : {Napi::Value(latent), Napi::Value(timesteps), Napi::Value(context), Napi::Value(hint)}) job.keep_alive.push_back(keep(v));
    auto results = std::make_shared<std::vector<Result>>(static_cast<size_t>(n));
    job.complete = [results](Napi::Env e) -> Napi::Value {
        Napi::Array out = Napi::Array::New(e, results->size());
        for (size_t i = 0; i < results->size(); ++i) out.Set(static_cast<uint32_t>(i), (*results)[i].to_js(e));
        return out;
    };
    const float * x = latent.Data(), * t = timesteps.Data(), * c = context.Data(), * h = hint.Data();
    const std::array<int64_t, 4> s{shape[0], shape[1], shape[2], shape[3]}, hs{hint_shape[0], hint_shape[1], hint_shape[2], hint_shape[3]};
    const std::array<int64_t, 3> cs{B, tokens, static_cast<int64_t>(context.ElementLength()) / (B * tokens)};
    return queue_call(job, env, [net, x, s, t, c, cs, h, hs, added, has_added, results](const sdn_run_options * o) {
        std::vector<sdn_tensor> raw(results->size());
        const sdn_status status = sdn_controlnet_forward(net.get(), x, s.data(), t, c, cs.data(), h, hs.data(), has_added ? &added : nullptr, o, raw.data(),
                                                         static_cast<int32_t>(raw.size()));
        if (status == SDN_STATUS_OK)
            for (size_t i = 0; i < raw.size(); ++i) (*results)[i].tensor = raw[i];
        return status;
    }, options);
}

// ---- TAESD -----------------------------------------------------------------------------------------

// taesdLoad(configJson) -> Promise<External>
Napi::Value taesd_load_js(const Napi::CallbackInfo & info) {
    const std::string config = arg_string(info, 0, "config");
    auto holder = std::make_shared<TaesdHolder>();
    AsyncJob job;
    job.execute = [config, holder] { check_worker(sdn_taesd_load(config.c_str(), &holder->taesd)); };
    job.complete = [holder](Napi::Env env) -> Napi::Value {
        auto * h = new TaesdHolder{holder->taesd};
        holder->taesd = nullptr;
        return make_tagged(env, h, kTaesdTag);
    };
    return run_async(info.Env(), std::move(job));
}

// taesdDispose(taesd)
Napi::Value taesd_dispose_js(const Napi::CallbackInfo & info) {
    TaesdHolder * holder = unwrap_tagged<TaesdHolder>(info.Env(), info.Length() ? info[0] : info.Env().Undefined(), kTaesdTag, "taesd");
    sdn_taesd_free(holder->taesd);
    holder->taesd = nullptr;
    return info.Env().Undefined();
}

// taesdInfo(taesd) -> string (JSON)
Napi::Value taesd_info_js(const Napi::CallbackInfo & info) { return Napi::String::New(info.Env(), sdn_taesd_info(arg_taesd(info, 0).get())); }

// taesdDecode(taesd, latent, shape [B, L, h, w], options) / taesdEncode(taesd, image, shape [B, 3, H, W], options) -> Promise<Float32Array>
template <sdn_status (*Call)(sdn_taesd_t, const float *, const int64_t *, const sdn_run_options *, sdn_tensor *)>
Napi::Value taesd_call_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    const auto taesd = arg_taesd(info, 0);
    int64_t shape[4];
    shape4(info, 2, "shape", shape);
    Napi::Float32Array input = arg_f32_of(info, 1, "input", shape);
    AsyncJob job;
    const auto options = arg_options(info, 3, job);
    const float * x = input.Data();
    const std::array<int64_t, 4> s{shape[0], shape[1], shape[2], shape[3]};
    return queue_tensor_call(env, job, options, {input}, [taesd, x, s](const sdn_run_options * o, sdn_tensor * out) {
        return Call(taesd.get(), x, s.data(), o, out);
    });
}

// taesdMemoryEstimate(taesd | null, configJson | null, "decode" | "encode", { batch, height, width }, precision) -> estimate
Napi::Value taesd_memory_estimate_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    std::shared_ptr<sdn_taesd> taesd;
    if (info.Length() > 0 && !info[0].IsNull() && !info[0].IsUndefined()) taesd = arg_taesd(info, 0);
    const std::string config = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
    const std::string call = arg_string(info, 2, "call");
    if (call != "decode" && call != "encode") throw Napi::TypeError::New(env, "call must be \"decode\" or \"encode\", got \"" + call + "\"");
    const sdn_call_shape shape = call_shape_arg(info, 3);
    sdn_run_options options{};
    options.compute = compute_of(env, info.Length() > 4 ? info[4] : env.Undefined());
    sdn_memory_estimate e;
    check(env, sdn_taesd_estimate_memory(taesd.get(), config.empty() ? nullptr : config.c_str(), call == "decode" ? SDN_CALL_VAE_DECODE : SDN_CALL_VAE_ENCODE,
                                         &shape, &options, &e));
    return estimate_js(env, e);
}

// ---- upscale models --------------------------------------------------------------------------------

// upscalerLoad(configJson) -> Promise<External>
Napi::Value upscaler_load_js(const Napi::CallbackInfo & info) {
    const std::string config = arg_string(info, 0, "config");
    auto holder = std::make_shared<UpscalerHolder>();
    AsyncJob job;
    job.execute = [config, holder] { check_worker(sdn_upscaler_load(config.c_str(), &holder->upscaler)); };
    job.complete = [holder](Napi::Env env) -> Napi::Value {
        auto * h = new UpscalerHolder{holder->upscaler};
        holder->upscaler = nullptr;
        return make_tagged(env, h, kUpscalerTag);
    };
    return run_async(info.Env(), std::move(job));
}

// upscalerDispose(upscaler)
Napi::Value upscaler_dispose_js(const Napi::CallbackInfo & info) {
    UpscalerHolder * holder = unwrap_tagged<UpscalerHolder>(info.Env(), info.Length() ? info[0] : info.Env().Undefined(), kUpscalerTag, "upscaler");
    sdn_upscaler_free(holder->upscaler);
    holder->upscaler = nullptr;
    return info.Env().Undefined();
}

// upscalerInfo(upscaler) -> string (JSON)
Napi::Value upscaler_info_js(const Napi::CallbackInfo & info) { return Napi::String::New(info.Env(), sdn_upscaler_info(arg_upscaler(info, 0).get())); }

// upscalerRun(upscaler, image, shape [B, 3, H, W], tile (0: whole pictures), margin (0: exact), options) -> Promise<Float32Array>
Napi::Value upscaler_run_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    const auto upscaler = arg_upscaler(info, 0);
    int64_t shape[4];
    shape4(info, 2, "shape", shape);
    Napi::Float32Array image = arg_f32_of(info, 1, "image", shape);
    const int64_t tile = arg_int(info, 3, "tile");
    if (tile < 0) throw Napi::RangeError::New(env, "argument \"tile\" must be >= 0 pixels (0: whole pictures), got " + std::to_string(tile));
    const int64_t margin = arg_int(info, 4, "margin");
    if (margin < 0) throw Napi::RangeError::New(env, "argument \"margin\" must be >= 0 pixels (0: the exact one), got " + std::to_string(margin));
    AsyncJob job;
    const auto options = arg_options(info, 5, job);
    const float * x = image.Data();
    const std::array<int64_t, 4> s{shape[0], shape[1], shape[2], shape[3]};
    return queue_tensor_call(env, job, options, {image}, [upscaler, x, s, tile, margin](const sdn_run_options * o, sdn_tensor * out) {
        return sdn_upscaler_run(upscaler.get(), x, s.data(), tile, margin, o, out);
    });
}

// upscalerMemoryEstimate(upscaler, { batch, height, width, tile, margin }, precision) -> estimate
Napi::Value upscaler_memory_estimate_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    const auto upscaler = arg_upscaler(info, 0);
    const sdn_call_shape shape = call_shape_arg(info, 1);
    sdn_run_options options{};
    options.compute = compute_of(env, info.Length() > 2 ? info[2] : env.Undefined());
    sdn_memory_estimate e;
    check(env, sdn_upscaler_estimate_memory(upscaler.get(), &shape, &options, &e));
    return estimate_js(env, e);
}

// cancelTokenCreate() -> External; cancelTokenCancel(token); cancelTokenIsCancelled(token) -> boolean
Napi::Value cancel_token_create_js(const Napi::CallbackInfo & info) { return make_tagged(info.Env(), new CancelHolder(), kCancelTag); }

Napi::Value cancel_token_cancel_js(const Napi::CallbackInfo & info) {
    sdn_cancel_set(unwrap_tagged<CancelHolder>(info.Env(), info.Length() ? info[0] : info.Env().Undefined(), kCancelTag, "cancel")->cancel);
    return info.Env().Undefined();
}

Napi::Value cancel_token_is_cancelled_js(const Napi::CallbackInfo & info) {
    return Napi::Boolean::New(info.Env(), sdn_cancel_is_set(unwrap_tagged<CancelHolder>(info.Env(), info.Length() ? info[0] : info.Env().Undefined(),
                                                                                     kCancelTag, "cancel")->cancel) != 0);
}

} // namespace

void register_engine(Napi::Env env, Napi::Object exports) {
    const auto fn = [&](const char * name, Napi::Function::Callback f) { exports.Set(name, Napi::Function::New(env, f, name)); };
    fn("cpuFeatures", cpu_features_js);
    fn("threadsGet", threads_get_js);
    fn("threadsSet", threads_set_js);
    fn("memoryStats", memory_stats_js);
    fn("memoryPeakReset", memory_peak_reset_js);
    fn("memoryTrim", memory_trim_js);
    fn("halfToF32", half_to_f32_js);
    fn("f32ToHalf", f32_to_half_js);
    fn("profileCollect", profile_collect_js);
    fn("profileLast", profile_last_js);
    fn("inspectSafetensors", json_of_path_js<sdn_safetensors_inspect>);
    fn("checkpointInfer", json_of_path_js<sdn_checkpoint_infer>);
    fn("readSafetensorsTensor", read_safetensors_tensor_js);
    fn("modelLoad", model_load_js);
    fn("modelDispose", model_dispose_js);
    fn("modelInfo", model_info_js);
    fn("modelWeights", model_weights_js);
    fn("modelWeight", model_weight_js);
    fn("modelEncodeText", model_encode_text_js);
    fn("modelEncodeTextPooled", model_encode_text_pooled_js);
    fn("modelUnetForward", model_unet_forward_js);
    fn("modelVaeDecode", model_vae_decode_js);
    fn("modelVaeEncode", model_vae_encode_js);
    fn("memoryEstimate", memory_estimate_js);
    fn("loraLoad", lora_load_js);
    fn("loraInfo", lora_info_js);
    fn("modelWithLoras", model_with_loras_js);
    fn("controlNetLoad", controlnet_load_js);
    fn("controlNetDispose", controlnet_dispose_js);
    fn("controlNetInfo", controlnet_info_js);
    fn("controlNetResolve", controlnet_resolve_js);
    fn("controlNetForward", controlnet_forward_js);
    fn("controlNetCacheHits", controlnet_cache_hits_js);
    fn("taesdLoad", taesd_load_js);
    fn("taesdDispose", taesd_dispose_js);
    fn("taesdInfo", taesd_info_js);
    fn("taesdDecode", taesd_call_js<sdn_taesd_decode>);
    fn("taesdEncode", taesd_call_js<sdn_taesd_encode>);
    fn("taesdMemoryEstimate", taesd_memory_estimate_js);
    fn("upscalerLoad", upscaler_load_js);
    fn("upscalerDispose", upscaler_dispose_js);
    fn("upscalerInfo", upscaler_info_js);
    fn("upscalerRun", upscaler_run_js);
    fn("upscalerMemoryEstimate", upscaler_memory_estimate_js);
    fn("cancelTokenCreate", cancel_token_create_js);
    fn("cancelTokenCancel", cancel_token_cancel_js);
    fn("cancelTokenIsCancelled", cancel_token_is_cancelled_js);
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
    register_engine(env, exports);
    register_attention(env, exports);
    return exports;
}

} // namespace sdn::binding

static Napi::Object init_module(Napi::Env env, Napi::Object exports) { return sdn::binding::init(env, exports); }

NODE_API_MODULE(latentflow, init_module)
