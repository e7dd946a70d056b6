// binding_models.cc — N-API functions of the models family: load an SD 1.x model, run its text
// encoder, UNet and VAE on a worker thread (Promises), cancel tokens, model info.
//
// A loaded model and a cancel token cross to JS as type-tagged externals (native/ts/models.ts wraps
// them in classes). Each async call holds its own shared_ptr to the model, so dispose() during a
// run frees the weights only when the run has finished.
#include <atomic>
#include <cstring>
#include <functional>
#include <memory>

#include <cmath>

#include "../models/model.h"
#include "../models/unet/unet_memory.h"
#include "../models/vae/vae_memory.h"
#include "napi_util.h"

namespace sdn::binding {

namespace {

const napi_type_tag kModelTag = {0x6c6174656e74666cULL, 0x6f772d6d6f64656cULL};  // "latentflow-model"
const napi_type_tag kCancelTag = {0x6c6174656e74666cULL, 0x6f772d63616e636cULL}; // "latentflow-cancl"

struct ModelHolder {
    std::shared_ptr<Model> model;
};

struct CancelHolder {
    std::shared_ptr<std::atomic<bool>> flag = std::make_shared<std::atomic<bool>>(false);
};

template <typename T>
Napi::External<T> make_tagged(Napi::Env env, T * data, const napi_type_tag & tag) {
    auto external = Napi::External<T>::New(env, data, [](Napi::Env, T * p) { delete p; });
    NAPI_THROW_IF_FAILED(env, napi_type_tag_object(env, external, &tag), Napi::External<T>());
    return external;
}

template <typename T>
T * unwrap_tagged(const Napi::CallbackInfo & info, size_t i, const napi_type_tag & tag, const char * what) {
    Napi::Env env = info.Env();
    bool ok = false;
    if (i < info.Length() && info[i].IsExternal()) NAPI_THROW_IF_FAILED(env, napi_check_object_type_tag(env, info[i], &tag, &ok), nullptr);
    if (!ok) throw Napi::TypeError::New(env, std::string("argument \"") + what + "\" must be a " + what + " handle");
    return info[i].As<Napi::External<T>>().Data();
}

std::shared_ptr<Model> arg_model(const Napi::CallbackInfo & info, size_t i) {
    ModelHolder * holder = unwrap_tagged<ModelHolder>(info, i, kModelTag, "model");
    if (!holder->model) throw make_error(info.Env(), SDN_STATUS_BAD_ARGUMENT, "the model was disposed; load it again");
    return holder->model;
}

// null / undefined -> no token.
std::shared_ptr<std::atomic<bool>> arg_cancel(const Napi::CallbackInfo & info, size_t i) {
    if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return nullptr;
    return unwrap_tagged<CancelHolder>(info, i, kCancelTag, "cancel")->flag;
}

AttentionMode arg_attention(const Napi::CallbackInfo & info, size_t i) {
    const std::string s = arg_string(info, i, "attention");
    if (s == "naive") return AttentionMode::Naive;
    if (s == "sliced") return AttentionMode::Sliced;
    if (s == "flash") return AttentionMode::Flash;
    throw Napi::TypeError::New(info.Env(), "attention must be \"naive\", \"sliced\" or \"flash\", got \"" + s + "\"");
}

Napi::Int32Array arg_i32(const Napi::CallbackInfo & info, size_t i, const char * name) {
    if (i >= info.Length() || !info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
        throw Napi::TypeError::New(info.Env(), std::string("argument \"") + name + "\" must be an Int32Array");
    return info[i].As<Napi::Int32Array>();
}

Shape arg_shape4(const Napi::CallbackInfo & info, size_t i, const char * name) {
    Shape shape = arg_shape(info, i, name);
    if (shape.size() != 4) throw Napi::TypeError::New(info.Env(), std::string("argument \"") + name + "\" must be [B, C, H, W]");
    return shape;
}


Napi::Array ints_js(Napi::Env env, const std::vector<int> & v) {
    Napi::Array a = Napi::Array::New(env, v.size());
    for (size_t i = 0; i < v.size(); ++i) a.Set(i, Napi::Number::New(env, v[i]));
    return a;
}

Napi::Array strings_js(Napi::Env env, const std::vector<std::string> & v) {
    Napi::Array a = Napi::Array::New(env, v.size());
    for (size_t i = 0; i < v.size(); ++i) a.Set(i, Napi::String::New(env, v[i]));
    return a;
}

// Shared shape of a worker job that produces one tensor.
struct TensorResult {
    Tensor value;
};

Napi::Promise run_tensor_job(Napi::Env env, std::function<Tensor()> work, std::vector<Napi::Reference<Napi::Value>> keep_alive) {
    auto result = std::make_shared<TensorResult>();
    AsyncJob job;
    job.execute = [result, work = std::move(work)] { result->value = work(); };
    job.complete = [result](Napi::Env e) -> Napi::Value {
        Napi::Value out = array_of(e, result->value);
        result->value = Tensor(); // the arena block goes back now, not when the job is destroyed
        return out;
    };
    job.keep_alive = std::move(keep_alive);
    return run_async(env, std::move(job));
}

// ---------------------------------------------------------------------------------------------------

// ---- Memory estimates -------------------------------------------------------------------------

// A property of a plain JS object: an integer >= min, or `fallback` when absent (required: TypeError).
int64_t prop_int(const Napi::Object & o, const char * key, const char * where, int64_t min, int64_t fallback, bool required) {
    Napi::Value v = o.Get(key);
    if (v.IsUndefined() && !required) return fallback;
    const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
    if (!(d >= static_cast<double>(min) && d <= 9.0e15 && d == std::floor(d)))
        throw Napi::TypeError::New(o.Env(), std::string(where) + "." + key + " must be an integer >= " + std::to_string(min));
    return static_cast<int64_t>(d);
}

bool prop_bool(const Napi::Object & o, const char * key, bool fallback) {
    Napi::Value v = o.Get(key);
    return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : fallback;
}

std::vector<int> prop_ints(const Napi::Object & o, const char * key, const char * where) {
    Napi::Value v = o.Get(key);
    if (!v.IsArray()) throw Napi::TypeError::New(o.Env(), std::string(where) + "." + key + " must be an array of integers");
    Napi::Array a = v.As<Napi::Array>();
    std::vector<int> out;
    for (uint32_t i = 0; i < a.Length(); ++i) {
        Napi::Value e = a.Get(i);
        const double d = e.IsNumber() ? e.As<Napi::Number>().DoubleValue() : NAN;
        if (!(d >= 1 && d <= 1e6 && d == std::floor(d)))
            throw Napi::TypeError::New(o.Env(), std::string(where) + "." + key + " must be an array of positive integers");
        out.push_back(static_cast<int>(d));
    }
    return out;
}

std::vector<std::string> prop_strings(const Napi::Object & o, const char * key, const char * where) {
    Napi::Value v = o.Get(key);
    if (!v.IsArray()) throw Napi::TypeError::New(o.Env(), std::string(where) + "." + key + " must be an array of strings");
    Napi::Array a = v.As<Napi::Array>();
    std::vector<std::string> out;
    for (uint32_t i = 0; i < a.Length(); ++i) {
        Napi::Value e = a.Get(i);
        if (!e.IsString()) throw Napi::TypeError::New(o.Env(), std::string(where) + "." + key + " must be an array of strings");
        out.push_back(e.As<Napi::String>().Utf8Value());
    }
    return out;
}

Napi::Object arg_plain_object(const Napi::CallbackInfo & info, size_t i, const char * name) {
    if (i >= info.Length() || !info[i].IsObject() || info[i].IsArray())
        throw Napi::TypeError::New(info.Env(), std::string("argument \"") + name + "\" must be an object");
    return info[i].As<Napi::Object>();
}

// The UNetConfig of modelInfo().unet (camelCase): the fields that shape the forward's memory.
UNetConfig unet_config_of(const Napi::Object & o) {
    UNetConfig c;
    c.in_channels = static_cast<int>(prop_int(o, "inChannels", "config", 1, 4, true));
    c.out_channels = static_cast<int>(prop_int(o, "outChannels", "config", 1, 4, true));
    c.block_out_channels = prop_ints(o, "blockOutChannels", "config");
    c.down_block_types = prop_strings(o, "downBlockTypes", "config");
    c.up_block_types = prop_strings(o, "upBlockTypes", "config");
    c.layers_per_block = static_cast<int>(prop_int(o, "layersPerBlock", "config", 1, 2, true));
    c.num_attention_heads = prop_ints(o, "numAttentionHeads", "config");
    c.cross_attention_dim = static_cast<int>(prop_int(o, "crossAttentionDim", "config", 1, 768, true));
    c.transformer_layers_per_block = static_cast<int>(prop_int(o, "transformerLayersPerBlock", "config", 1, 1, false));
    return c;
}

// The VAEConfig of modelInfo().vae.
VAEConfig vae_config_of(const Napi::Object & o) {
    VAEConfig c;
    c.out_channels = static_cast<int>(prop_int(o, "outChannels", "config", 1, 3, true));
    c.latent_channels = static_cast<int>(prop_int(o, "latentChannels", "config", 1, 4, true));
    c.block_out_channels = prop_ints(o, "blockOutChannels", "config");
    c.layers_per_block = static_cast<int>(prop_int(o, "layersPerBlock", "config", 1, 2, true));
    c.mid_block_add_attention = prop_bool(o, "midBlockAddAttention", true);
    c.use_post_quant_conv = prop_bool(o, "usePostQuantConv", true);
    return c;
}

AttentionMode attention_of(const Napi::Object & o) {
    Napi::Value v = o.Get("attention");
    if (!v.IsString()) throw Napi::TypeError::New(o.Env(), "query.attention must be \"naive\", \"sliced\" or \"flash\"");
    return attention_mode_parse(v.As<Napi::String>().Utf8Value().c_str());
}

Napi::Object estimate_js(Napi::Env env, const MemoryEstimate & e) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("peakBytes", static_cast<double>(e.peak.bytes));
    o.Set("attentionBytes", static_cast<double>(e.attention_bytes));
    Napi::Object b = Napi::Object::New(env);
    b.Set("at", e.peak.where);
    b.Set("skipBytes", static_cast<double>(e.peak.skip_bytes));
    b.Set("transientBytes", static_cast<double>(e.peak.transient_bytes));
    b.Set("activationBytes", static_cast<double>(e.peak.bytes - e.peak.skip_bytes - e.peak.transient_bytes));
    b.Set("outputBytes", static_cast<double>(e.output_bytes));
    b.Set("attentionAt", e.attention_where);
    o.Set("breakdown", b);
    return o;
}

UNetMemoryQuery unet_query_of(const Napi::Object & q) {
    UNetMemoryQuery query;
    query.batch = prop_int(q, "batch", "query", 1, 1, true);
    query.height = prop_int(q, "latentHeight", "query", 1, 64, true);
    query.width = prop_int(q, "latentWidth", "query", 1, 64, true);
    query.context_tokens = prop_int(q, "contextTokens", "query", 1, 77, false);
    query.mode = attention_of(q);
    return query;
}

VAEDecodeMemoryQuery vae_query_of(const Napi::Object & q) {
    VAEDecodeMemoryQuery query;
    query.batch = prop_int(q, "batch", "query", 1, 1, true);
    query.height = prop_int(q, "latentHeight", "query", 1, 64, true);
    query.width = prop_int(q, "latentWidth", "query", 1, 64, true);
    query.mode = attention_of(q);
    return query;
}

// unetMemoryEstimate(config, { batch, latentHeight, latentWidth, contextTokens?, attention }) -> estimate
Napi::Value unet_memory_estimate_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    return guard(env, [&]() -> Napi::Value {
        const UNetConfig config = unet_config_of(arg_plain_object(info, 0, "config"));
        return estimate_js(env, unet_memory_estimate(config, unet_query_of(arg_plain_object(info, 1, "query"))));
    });
}

// vaeDecodeMemoryEstimate(config, { batch, latentHeight, latentWidth, attention }) -> estimate
Napi::Value vae_decode_memory_estimate_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    return guard(env, [&]() -> Napi::Value {
        const VAEConfig config = vae_config_of(arg_plain_object(info, 0, "config"));
        return estimate_js(env, vae_decode_memory_estimate(config, vae_query_of(arg_plain_object(info, 1, "query"))));
    });
}

// vaeDecodeTiledMemoryEstimate(config, { batch, latentHeight, latentWidth, attention, tile }) -> estimate
Napi::Value vae_decode_tiled_memory_estimate_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    return guard(env, [&]() -> Napi::Value {
        const VAEConfig config = vae_config_of(arg_plain_object(info, 0, "config"));
        const Napi::Object q = arg_plain_object(info, 1, "query");
        const VAEDecodeTiledMemoryQuery query{vae_query_of(q), prop_int(q, "tile", "query", 1, 64, true)};
        return estimate_js(env, vae_decode_tiled_memory_estimate(config, query));
    });
}

// An optional memory limit in bytes (absent, null or 0: none).
int64_t arg_limit(const Napi::CallbackInfo & info, size_t i) {
    if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return 0;
    const double d = info[i].IsNumber() ? info[i].As<Napi::Number>().DoubleValue() : NAN;
    if (!(d >= 0 && d <= 9.0e18)) throw Napi::TypeError::New(info.Env(), "argument \"memoryLimitBytes\" must be a number >= 0");
    return static_cast<int64_t>(d);
}

// "fp32" | "bf16" at argument i (absent, null or undefined: `fallback`).
Precision arg_precision(const Napi::CallbackInfo & info, size_t i, Precision fallback) {
    if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return fallback;
    const std::string s = arg_string(info, i, "precision");
    if (s == "fp32") return Precision::F32;
    if (s == "bf16") return Precision::BF16;
    throw Napi::TypeError::New(info.Env(), "precision must be \"fp32\" or \"bf16\", got \"" + s + "\"");
}

// modelLoad(path, weights: "f32" | "f16", precision?: "fp32" | "bf16") -> Promise<External>
Napi::Value model_load_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    const std::string path = arg_string(info, 0, "path");
    const std::string weights = arg_string(info, 1, "weights");
    if (weights != "f32" && weights != "f16") throw Napi::TypeError::New(env, "weights must be \"f32\" or \"f16\", got \"" + weights + "\"");
    const WeightStorage storage = weights == "f16" ? WeightStorage::F16 : WeightStorage::F32;
    const Precision precision = arg_precision(info, 2, Precision::F32);
    auto loaded = std::make_shared<std::shared_ptr<Model>>();
    AsyncJob job;
    job.execute = [loaded, path, storage, precision] { *loaded = model_load(path, storage, precision); };
    job.complete = [loaded](Napi::Env e) -> Napi::Value {
        auto * holder = new ModelHolder{std::move(*loaded)};
        return make_tagged(e, holder, kModelTag);
    };
    return run_async(env, std::move(job));
}

// modelDispose(model): drops the engine's reference; weights go when no run uses them any more.
Napi::Value model_dispose_js(const Napi::CallbackInfo & info) {
    unwrap_tagged<ModelHolder>(info, 0, kModelTag, "model")->model.reset();
    return info.Env().Undefined();
}

// modelInfo(model) -> { source, layout, weights, clip, unet, vae, tokenizerDir, schedulerConfigJson, weightBytes }
Napi::Value model_info_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    return guard(env, [&]() -> Napi::Value {
        std::shared_ptr<Model> m = arg_model(info, 0);
        const Checkpoint & c = m->checkpoint;
        Napi::Object o = Napi::Object::New(env);
        o.Set("source", c.source);
        o.Set("layout", c.layout);
        o.Set("weights", c.unet->storage() == WeightStorage::F16 ? "f16" : "f32");
        o.Set("precision", precision_name(m->precision));

        const CLIPConfig & cc = c.clip_config;
        Napi::Object clip = Napi::Object::New(env);
        clip.Set("vocabSize", cc.vocab_size);
        clip.Set("hiddenSize", cc.hidden_size);
        clip.Set("numHiddenLayers", cc.num_hidden_layers);
        clip.Set("numAttentionHeads", cc.num_attention_heads);
        clip.Set("intermediateSize", cc.intermediate_size);
        clip.Set("maxPositionEmbeddings", cc.max_position_embeddings);
        clip.Set("layerNormEps", cc.layer_norm_eps);
        clip.Set("hiddenAct", cc.hidden_act);
        o.Set("clip", clip);

        const UNetConfig & uc = c.unet_config;
        Napi::Object unet = Napi::Object::New(env);
        unet.Set("inChannels", uc.in_channels);
        unet.Set("outChannels", uc.out_channels);
        unet.Set("blockOutChannels", ints_js(env, uc.block_out_channels));
        unet.Set("downBlockTypes", strings_js(env, uc.down_block_types));
        unet.Set("upBlockTypes", strings_js(env, uc.up_block_types));
        unet.Set("layersPerBlock", uc.layers_per_block);
        unet.Set("numAttentionHeads", ints_js(env, uc.num_attention_heads));
        unet.Set("crossAttentionDim", uc.cross_attention_dim);
        unet.Set("normNumGroups", uc.norm_num_groups);
        unet.Set("normEps", uc.norm_eps);
        unet.Set("useLinearProjection", uc.use_linear_projection);
        unet.Set("transformerLayersPerBlock", uc.transformer_layers_per_block);
        unet.Set("flipSinToCos", uc.flip_sin_to_cos);
        unet.Set("freqShift", uc.freq_shift);
        unet.Set("sampleSize", uc.sample_size);
        o.Set("unet", unet);

        const VAEConfig & vc = c.vae_config;
        Napi::Object vae = Napi::Object::New(env);
        vae.Set("inChannels", vc.in_channels);
        vae.Set("outChannels", vc.out_channels);
        vae.Set("latentChannels", vc.latent_channels);
        vae.Set("blockOutChannels", ints_js(env, vc.block_out_channels));
        vae.Set("layersPerBlock", vc.layers_per_block);
        vae.Set("normNumGroups", vc.norm_num_groups);
        vae.Set("scalingFactor", vc.scaling_factor);
        vae.Set("sampleSize", vc.sample_size);
        vae.Set("downscaleFactor", static_cast<double>(m->vae->downscale_factor()));
        vae.Set("midBlockAddAttention", vc.mid_block_add_attention);
        vae.Set("usePostQuantConv", vc.use_post_quant_conv);
        o.Set("vae", vae);

        o.Set("tokenizerDir", c.tokenizer_dir);
        o.Set("schedulerConfigJson", c.scheduler_config_json);
        Napi::Object bytes = Napi::Object::New(env);
        bytes.Set("clip", static_cast<double>(weight_store_bytes(*c.clip)));
        bytes.Set("unet", static_cast<double>(weight_store_bytes(*c.unet)));
        bytes.Set("vae", static_cast<double>(weight_store_bytes(*c.vae)));
        o.Set("weightBytes", bytes);
        return o;
    });
}

// modelEncodeText(model, ids: Int32Array [B * T], tokensPerPrompt, clipSkip, finalLayerNorm, cancel?) -> Promise<Float32Array [B, T, hidden]>
Napi::Value model_encode_text_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    return guard(env, [&]() -> Napi::Value {
        std::shared_ptr<Model> m = arg_model(info, 0);
        Napi::Int32Array ids = arg_i32(info, 1, "ids");
        const int64_t T = arg_int(info, 2, "tokensPerPrompt");
        const int64_t clip_skip = arg_int(info, 3, "clipSkip");
        if (info.Length() <= 4 || !info[4].IsBoolean()) throw Napi::TypeError::New(env, "argument \"finalLayerNorm\" must be a boolean");
        const bool final_norm = info[4].As<Napi::Boolean>().Value();
        auto cancel = arg_cancel(info, 5);
        const int64_t n = static_cast<int64_t>(ids.ElementLength());
        require(T >= 1 && n >= T && n % T == 0, SDN_STATUS_BAD_SHAPE,
                "encodeText: ids has " + std::to_string(n) + " entries, expected a positive multiple of " + std::to_string(T) + " (B prompts x T tokens)");
        const int32_t * data = ids.Data();
        return run_tensor_job(
            env, [m, data, n, T, clip_skip, final_norm, cancel] {
                const ModelCall call = model_begin_call(*m, ModelPart::TextEncoder);
                return m->clip->forward(data, n / T, T, static_cast<int>(clip_skip), final_norm, cancel.get());
            },
            [&] { std::vector<Napi::Reference<Napi::Value>> k; k.push_back(keep(ids)); return k; }());
    });
}

// modelUnetForward(model, latent, shape [B, C, H, W], timesteps: Float32Array [B], context: Float32Array [B, T, ctx],
//                  attention, cancel?, memoryLimitBytes?, precision?) -> Promise<Float32Array [B, out, H, W]>
// precision ("fp32" | "bf16"; absent: the model's) is the products' precision of this call.
// With a memory limit the run is refused up front (SDN_STATUS_OUT_OF_MEMORY, with the estimate) when
// unet_memory_estimate exceeds it.
Napi::Value model_unet_forward_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    return guard(env, [&]() -> Napi::Value {
        std::shared_ptr<Model> m = arg_model(info, 0);
        Napi::Float32Array latent = arg_f32(info, 1, "latent");
        const Shape shape = arg_shape4(info, 2, "shape");
        Napi::Float32Array timesteps = arg_f32(info, 3, "timesteps");
        Napi::Float32Array context = arg_f32(info, 4, "context");
        const AttentionMode mode = arg_attention(info, 5);
        auto cancel = arg_cancel(info, 6);
        const int64_t B = shape[0], ctx = m->unet->config().cross_attention_dim;
        require(static_cast<int64_t>(timesteps.ElementLength()) == B, SDN_STATUS_BAD_SHAPE,
                "unetForward: timesteps has " + std::to_string(timesteps.ElementLength()) + " values, expected one per latent (" + std::to_string(B) + ")");
        const int64_t cn = static_cast<int64_t>(context.ElementLength());
        require(B >= 1 && cn > 0 && cn % (B * ctx) == 0, SDN_STATUS_BAD_SHAPE,
                "unetForward: context has " + std::to_string(cn) + " values, expected [" + std::to_string(B) + ", tokens, " + std::to_string(ctx) + "]");
        Tensor x = tensor_of(latent, shape, "latent");
        Tensor c = tensor_of(context, {B, cn / (B * ctx), ctx}, "context");
        unet_memory_check(m->unet->config(), UNetMemoryQuery{B, shape[2], shape[3], cn / (B * ctx), mode}, arg_limit(info, 7));
        const Precision precision = arg_precision(info, 8, m->precision);
        precision_check(precision, "unetForward");
        const float * t = timesteps.Data();
        std::vector<Napi::Reference<Napi::Value>> k;
        k.push_back(keep(latent));
        k.push_back(keep(timesteps));
        k.push_back(keep(context));
        return run_tensor_job(env, [m, x, t, c, mode, cancel, precision] {
            const ModelCall call = model_begin_call(*m, ModelPart::UNet, &precision);
            return m->unet->forward(x, t, c, mode, cancel.get());
        }, std::move(k));
    });
}

// modelVaeDecode(model, latent, shape [B, L, h, w], attention, cancel?, memoryLimitBytes?) -> Promise<Float32Array [B, 3, 8h, 8w]>
Napi::Value model_vae_decode_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    return guard(env, [&]() -> Napi::Value {
        std::shared_ptr<Model> m = arg_model(info, 0);
        Napi::Float32Array latent = arg_f32(info, 1, "latent");
        Tensor z = tensor_of(latent, arg_shape4(info, 2, "shape"), "latent");
        const AttentionMode mode = arg_attention(info, 3);
        auto cancel = arg_cancel(info, 4);
        vae_decode_memory_check(m->vae->config(), VAEDecodeMemoryQuery{z.dim(0), z.dim(2), z.dim(3), mode}, arg_limit(info, 5));
        std::vector<Napi::Reference<Napi::Value>> k;
        k.push_back(keep(latent));
        return run_tensor_job(env, [m, z, mode, cancel] {
            const ModelCall call = model_begin_call(*m, ModelPart::VAE);
            return m->vae->decode(z, mode, cancel.get());
        }, std::move(k));
    });
}

// An optional JS progress callback fn(done, total), callable from the worker thread: each call is
// queued to the JS thread (never blocking the worker; an error thrown by fn is ignored). The function
// is released when the last copy of the returned callback goes (with the job).
std::function<void(int64_t, int64_t)> arg_progress(const Napi::CallbackInfo & info, size_t i) {
    if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return {};
    if (!info[i].IsFunction()) throw Napi::TypeError::New(info.Env(), "argument \"onProgress\" must be a function");
    auto tsfn = std::shared_ptr<Napi::ThreadSafeFunction>(
        new Napi::ThreadSafeFunction(Napi::ThreadSafeFunction::New(info.Env(), info[i].As<Napi::Function>(), "latentflow:progress", 0, 1)),
        [](Napi::ThreadSafeFunction * f) {
            f->Release();
            delete f;
        });
    return [tsfn](int64_t done, int64_t total) {
        tsfn->NonBlockingCall([done, total](Napi::Env env, Napi::Function fn) {
            try {
                fn.Call({Napi::Number::New(env, static_cast<double>(done)), Napi::Number::New(env, static_cast<double>(total))});
            } catch (const Napi::Error &) {
                // a throwing progress callback must not stop (or crash) the decode
            }
        });
    };
}

// modelVaeDecodeTiled(model, latent, shape [B, L, h, w], tile, attention, cancel?, memoryLimitBytes?, onProgress?)
//   -> Promise<Float32Array [B, 3, 8h, 8w]>   (AutoencoderKL::decode_tiled: equal to modelVaeDecode)
Napi::Value model_vae_decode_tiled_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    return guard(env, [&]() -> Napi::Value {
        std::shared_ptr<Model> m = arg_model(info, 0);
        Napi::Float32Array latent = arg_f32(info, 1, "latent");
        Tensor z = tensor_of(latent, arg_shape4(info, 2, "shape"), "latent");
        const int64_t tile = arg_int(info, 3, "tile");
        if (tile < 1) throw Napi::RangeError::New(env, "argument \"tile\" must be >= 1 (latent cells), got " + std::to_string(tile));
        const AttentionMode mode = arg_attention(info, 4);
        auto cancel = arg_cancel(info, 5);
        vae_decode_tiled_memory_check(m->vae->config(), VAEDecodeTiledMemoryQuery{VAEDecodeMemoryQuery{z.dim(0), z.dim(2), z.dim(3), mode}, tile},
                                      arg_limit(info, 6));
        auto progress = arg_progress(info, 7);
        std::vector<Napi::Reference<Napi::Value>> k;
        k.push_back(keep(latent));
        return run_tensor_job(
            env,
            [m, z, tile, mode, cancel, progress] {
                const ModelCall call = model_begin_call(*m, ModelPart::VAE);
                return m->vae->decode_tiled(z, tile, mode, cancel.get(), progress);
            },
            std::move(k));
    });
}

// modelVaeEncode(model, image, shape [B, 3, H, W], attention, cancel?) -> Promise<{ mean, logvar }> each [B, L, H/8, W/8]
Napi::Value model_vae_encode_js(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    return guard(env, [&]() -> Napi::Value {
        std::shared_ptr<Model> m = arg_model(info, 0);
        Napi::Float32Array image = arg_f32(info, 1, "image");
        Tensor x = tensor_of(image, arg_shape4(info, 2, "shape"), "image");
        const AttentionMode mode = arg_attention(info, 3);
        auto cancel = arg_cancel(info, 4);
        auto moments = std::make_shared<Tensor>();
        AsyncJob job;
        job.execute = [m, x, mode, cancel, moments] {
            const ModelCall call = model_begin_call(*m, ModelPart::VAE);
            *moments = m->vae->encode_moments(x, mode, cancel.get());
        };
        job.complete = [moments](Napi::Env e) -> Napi::Value {
            // moments [B, 2L, h, w]: mean = channels [0, L), logvar = clamp(channels [L, 2L), -30, 20)
            const int64_t B = moments->dim(0), L = moments->dim(1) / 2, S = moments->dim(2) * moments->dim(3);
            Napi::Float32Array mean = Napi::Float32Array::New(e, static_cast<size_t>(B * L * S));
            Napi::Float32Array logvar = Napi::Float32Array::New(e, static_cast<size_t>(B * L * S));
            const float * src = moments->f32();
            for (int64_t b = 0; b < B; ++b) {
                std::memcpy(mean.Data() + b * L * S, src + b * 2 * L * S, sizeof(float) * L * S);
                const float * lv = src + (b * 2 + 1) * L * S;
                float * dst = logvar.Data() + b * L * S;
                for (int64_t i = 0; i < L * S; ++i) dst[i] = std::min(std::max(lv[i], -30.0f), 20.0f);
            }
            *moments = Tensor();
            Napi::Object o = Napi::Object::New(e);
            o.Set("mean", mean);
            o.Set("logvar", logvar);
            return o;
        };
        job.keep_alive.push_back(keep(image));
        return run_async(env, std::move(job));
    });
}

// cancelTokenCreate() -> External; cancelTokenCancel(token); cancelTokenIsCancelled(token) -> boolean
Napi::Value cancel_token_create_js(const Napi::CallbackInfo & info) { return make_tagged(info.Env(), new CancelHolder(), kCancelTag); }

Napi::Value cancel_token_cancel_js(const Napi::CallbackInfo & info) {
    unwrap_tagged<CancelHolder>(info, 0, kCancelTag, "cancel")->flag->store(true);
    return info.Env().Undefined();
}

Napi::Value cancel_token_is_cancelled_js(const Napi::CallbackInfo & info) {
    return Napi::Boolean::New(info.Env(), unwrap_tagged<CancelHolder>(info, 0, kCancelTag, "cancel")->flag->load());
}

} // namespace

void register_models(Napi::Env env, Napi::Object exports) {
    exports.Set("modelLoad", Napi::Function::New(env, model_load_js));
    exports.Set("modelDispose", Napi::Function::New(env, model_dispose_js));
    exports.Set("modelInfo", Napi::Function::New(env, model_info_js));
    exports.Set("modelEncodeText", Napi::Function::New(env, model_encode_text_js));
    exports.Set("modelUnetForward", Napi::Function::New(env, model_unet_forward_js));
    exports.Set("modelVaeDecode", Napi::Function::New(env, model_vae_decode_js));
    exports.Set("modelVaeDecodeTiled", Napi::Function::New(env, model_vae_decode_tiled_js));
    exports.Set("modelVaeEncode", Napi::Function::New(env, model_vae_encode_js));
    exports.Set("unetMemoryEstimate", Napi::Function::New(env, unet_memory_estimate_js));
    exports.Set("vaeDecodeMemoryEstimate", Napi::Function::New(env, vae_decode_memory_estimate_js));
    exports.Set("vaeDecodeTiledMemoryEstimate", Napi::Function::New(env, vae_decode_tiled_memory_estimate_js));
    exports.Set("cancelTokenCreate", Napi::Function::New(env, cancel_token_create_js));
    exports.Set("cancelTokenCancel", Napi::Function::New(env, cancel_token_cancel_js));
    exports.Set("cancelTokenIsCancelled", Napi::Function::New(env, cancel_token_is_cancelled_js));
}

} // namespace sdn::binding
