// binding_io.cc — N-API functions of the io family: safetensors inspection and reading, and a
// test/tool view of a loaded checkpoint (configurations, tensor list, optionally the stored bytes).
#include <cstring>

#include "../core/arena.h"
#include "../io/checkpoint.h"
#include "../io/config_json.h"
#include "../io/safetensors.h"
#include "../io/yaml.h"
#include "napi_util.h"

namespace sdn::binding {

namespace {

Napi::Value js_of_json(Napi::Env env, const JsonValue & v) {
    switch (v.type) {
        case JsonValue::Type::Null: return env.Null();
        case JsonValue::Type::Bool: return Napi::Boolean::New(env, v.boolean);
        case JsonValue::Type::Number: return Napi::Number::New(env, v.number);
        case JsonValue::Type::String: return Napi::String::New(env, v.string);
        case JsonValue::Type::Array: {
            Napi::Array a = Napi::Array::New(env, v.array.size());
            for (size_t i = 0; i < v.array.size(); ++i) a.Set(static_cast<uint32_t>(i), js_of_json(env, v.array[i]));
            return a;
        }
        case JsonValue::Type::Object: {
            Napi::Object o = Napi::Object::New(env);
            for (const auto & [k, value] : v.object) o.Set(k, js_of_json(env, value));
            return o;
        }
    }
    return env.Undefined();
}

Napi::Array js_shape(Napi::Env env, const Shape & shape) {
    Napi::Array a = Napi::Array::New(env, shape.size());
    for (size_t i = 0; i < shape.size(); ++i) a.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(shape[i])));
    return a;
}

// inspectSafetensors(path) -> Promise<{ path, headerBytes, dataBytes, metadata, tensors }>
Napi::Value inspect_safetensors_js(const Napi::CallbackInfo & info) {
    const std::string path = arg_string(info, 0, "path");
    auto file = std::make_shared<std::shared_ptr<SafetensorsFile>>();
    AsyncJob job;
    job.execute = [path, file] { *file = SafetensorsFile::open(path); };
    job.complete = [file](Napi::Env env) -> Napi::Value {
        const SafetensorsFile & f = **file;
        Napi::Object o = Napi::Object::New(env);
        o.Set("path", f.path());
        o.Set("headerBytes", Napi::Number::New(env, static_cast<double>(f.header_bytes())));
        o.Set("dataBytes", Napi::Number::New(env, static_cast<double>(f.data_bytes())));
        Napi::Object metadata = Napi::Object::New(env);
        for (const auto & [k, v] : f.metadata()) metadata.Set(k, v);
        o.Set("metadata", metadata);
        Napi::Array tensors = Napi::Array::New(env, f.entries().size());
        for (size_t i = 0; i < f.entries().size(); ++i) {
            const SafetensorsEntry & e = f.entries()[i];
            Napi::Object t = Napi::Object::New(env);
            t.Set("name", e.name);
            t.Set("dtype", e.dtype);
            t.Set("shape", js_shape(env, e.shape));
            Napi::Array offsets = Napi::Array::New(env, 2);
            offsets.Set(0u, Napi::Number::New(env, static_cast<double>(e.begin)));
            offsets.Set(1u, Napi::Number::New(env, static_cast<double>(e.end)));
            t.Set("dataOffsets", offsets);
            tensors.Set(static_cast<uint32_t>(i), t);
        }
        o.Set("tensors", tensors);
        file->reset(); // unmap now rather than when the job is collected
        return o;
    };
    return run_async(info.Env(), std::move(job));
}

// readSafetensorsTensor(path, name) -> Promise<Float32Array>
Napi::Value read_safetensors_tensor_js(const Napi::CallbackInfo & info) {
    const std::string path = arg_string(info, 0, "path");
    const std::string name = arg_string(info, 1, "name");
    auto values = std::make_shared<std::vector<float>>();
    AsyncJob job;
    job.execute = [path, name, values] { *values = SafetensorsFile::open(path)->copy_f32(name); };
    job.complete = [values](Napi::Env env) -> Napi::Value {
        Napi::Float32Array out = Napi::Float32Array::New(env, values->size());
        if (!values->empty()) std::memcpy(out.Data(), values->data(), values->size() * sizeof(float));
        return out;
    };
    return run_async(info.Env(), std::move(job));
}

WeightStorage arg_storage(const Napi::CallbackInfo & info, size_t i) {
    const std::string s = arg_string(info, i, "storage");
    if (s == "f32") return WeightStorage::F32;
    if (s == "f16") return WeightStorage::F16;
    throw Napi::TypeError::New(info.Env(), "argument \"storage\" must be \"f32\" or \"f16\"");
}

// loadCheckpointInfo(path, storage, withData) -> Promise<CheckpointInfo> (see native/ts/io.ts)
Napi::Value load_checkpoint_info_js(const Napi::CallbackInfo & info) {
    const std::string path = arg_string(info, 0, "path");
    const WeightStorage storage = arg_storage(info, 1);
    const bool with_data = info.Length() > 2 && info[2].ToBoolean().Value();
    struct Result {
        Checkpoint checkpoint;
        int64_t weights_bytes = 0, mapped_bytes = 0;
    };
    auto result = std::make_shared<Result>();
    AsyncJob job;
    job.execute = [path, storage, result] {
        const int64_t weights_before = static_cast<int64_t>(weights_current_bytes());
        const int64_t mapped_before = static_cast<int64_t>(mapped_current_bytes());
        result->checkpoint = checkpoint_load(path, storage);
        result->weights_bytes = static_cast<int64_t>(weights_current_bytes()) - weights_before;
        result->mapped_bytes = static_cast<int64_t>(mapped_current_bytes()) - mapped_before;
    };
    job.complete = [result, with_data](Napi::Env env) -> Napi::Value {
        const Checkpoint & c = result->checkpoint;
        Napi::Object o = Napi::Object::New(env);
        o.Set("source", c.source);
        o.Set("layout", c.layout);
        Napi::Object configs = Napi::Object::New(env);
        configs.Set("clip", js_of_json(env, clip_config_to_json(c.clip_config)));
        configs.Set("unet", js_of_json(env, unet_config_to_json(c.unet_config)));
        configs.Set("vae", js_of_json(env, vae_config_to_json(c.vae_config)));
        o.Set("configs", configs);
        o.Set("schedulerConfig", c.scheduler_config_json.empty() ? env.Null() : Napi::String::New(env, c.scheduler_config_json));
        o.Set("tokenizerDir", c.tokenizer_dir.empty() ? env.Null() : Napi::String::New(env, c.tokenizer_dir));
        Napi::Object memory = Napi::Object::New(env);
        memory.Set("weightsBytes", Napi::Number::New(env, static_cast<double>(result->weights_bytes)));
        memory.Set("mappedBytes", Napi::Number::New(env, static_cast<double>(result->mapped_bytes)));
        o.Set("memory", memory);

        Napi::Array tensors = Napi::Array::New(env);
        uint32_t n = 0;
        struct Part { const char * name; const std::shared_ptr<WeightStore> & store; };
        for (const Part & part : {Part{"clip", c.clip}, Part{"unet", c.unet}, Part{"vae", c.vae}}) {
            for (const std::string & name : part.store->names()) {
                const Tensor & t = part.store->get(name);
                Napi::Object e = Napi::Object::New(env);
                e.Set("component", part.name);
                e.Set("name", name);
                e.Set("dtype", dtype_name(t.dtype));
                e.Set("shape", js_shape(env, t.shape));
                e.Set("storage", t.storage == Storage::Mapped ? "mapped" : "owned");
                if (with_data) {
                    if (t.dtype == DType::F32) {
                        Napi::Float32Array a = Napi::Float32Array::New(env, static_cast<size_t>(t.numel()));
                        std::memcpy(a.Data(), t.data, t.nbytes());
                        e.Set("data", a);
                    } else {
                        Napi::Uint16Array a = Napi::Uint16Array::New(env, static_cast<size_t>(t.numel()));
                        std::memcpy(a.Data(), t.data, t.nbytes());
                        e.Set("data", a);
                    }
                }
                tensors.Set(n++, e);
            }
        }
        o.Set("tensors", tensors);
        result->checkpoint = Checkpoint{}; // release the weights and the mapping now
        return o;
    };
    return run_async(info.Env(), std::move(job));
}

// parseYaml(text) -> the value (the YAML subset of LDM configs, see io/yaml.h); synchronous, small inputs.
Napi::Value parse_yaml_js(const Napi::CallbackInfo & info) {
    const std::string text = arg_string(info, 0, "text");
    return guard(info.Env(), [&] { return js_of_json(info.Env(), yaml_parse(text, "YAML text")); });
}

} // namespace

void register_io(Napi::Env env, Napi::Object exports) {
    exports.Set("inspectSafetensors", Napi::Function::New(env, inspect_safetensors_js));
    exports.Set("readSafetensorsTensor", Napi::Function::New(env, read_safetensors_tensor_js));
    exports.Set("loadCheckpointInfo", Napi::Function::New(env, load_checkpoint_info_js));
    exports.Set("parseYaml", Napi::Function::New(env, parse_yaml_js));
}

} // namespace sdn::binding
