// controlnet.cc — sdn.h's ControlNet section: load / retain / free / info, and the sdn_control list of a
// UNet call's options as the engine runs it (models/controlnet/control_residuals.h).
#include "../core/arena.h"
#include "../io/config_json.h"
#include "../io/control_lora_file.h"
#include "../io/controlnet_file.h"
#include "../io/json.h"
#include "../io/safetensors.h"
#include "../io/t2i_adapter_file.h"
#include "../models/network_call.h"
#include "api.h"

using namespace sdn;

std::vector<ControlApply> api::controls_of(const sdn_run_options * o, bool measuring) {
    std::vector<ControlApply> out;
    if (!o || o->n_controls == 0) return out;
    require(o->n_controls > 0 && o->controls != nullptr, SDN_STATUS_BAD_ARGUMENT,
            "run options: controls is NULL with n_controls " + std::to_string(o->n_controls));
    for (int32_t i = 0; i < o->n_controls; ++i) {
        const sdn_control & c = o->controls[i];
        const std::string what = "control " + std::to_string(i);
        ControlApply a;
        const sdn_controlnet * h = need(c.controlnet, (what + ".controlnet").c_str());
        require(!h->control_lora, SDN_STATUS_BAD_ARGUMENT,
                what + " is a Control-LoRA that was not resolved against the model: resolve it first (sdn_controlnet_resolve; "
                       "the sampling nodes do it when sampling starts, as ComfyUI does)");
        a.net = h->net.get();
        a.adapter = h->adapter.get();
        const Shape shape{c.hint_shape[0], c.hint_shape[1], c.hint_shape[2], c.hint_shape[3]};
        for (int64_t d : shape) require(d >= 1, SDN_STATUS_BAD_SHAPE, what + ": hint has shape " + shape_str(shape) + ": every size must be >= 1");
        require(measuring || c.hint != nullptr, SDN_STATUS_BAD_ARGUMENT, what + ".hint is NULL");
        a.hint = Tensor::view(const_cast<float *>(c.hint), shape, DType::F32, nullptr, Storage::External);
        a.strength = c.strength;
        a.global_average_pooling = c.global_average_pooling != 0;
        out.push_back(std::move(a));
    }
    return out;
}

namespace {

// A ControlNet's handle and its info (see sdn_controlnet_info); weight_bytes: what it holds beyond other handles.
std::unique_ptr<sdn_controlnet> controlnet_handle(const ControlNetFile & file, const std::string & weights, uint64_t weight_bytes) {
    auto handle = std::make_unique<sdn_controlnet>();
    handle->net = std::make_shared<ControlNet>(file.config, file.weights);
    JsonValue info = JsonValue::make_object();
    info.set("kind", JsonValue::make_string("controlnet"));
    info.set("source", JsonValue::make_string(file.source));
    info.set("layout", JsonValue::make_string(file.layout));
    info.set("difference", JsonValue::make_bool(file.difference));
    info.set("weight_dtype", JsonValue::make_string(weights));
    info.set("config", controlnet_config_to_json(file.config));
    info.set("hint_factor", JsonValue::make_number(static_cast<double>(handle->net->hint_factor())));
    info.set("hint_channels", JsonValue::make_number(static_cast<double>(file.config.conditioning_channels)));
    info.set("residuals", JsonValue::make_number(static_cast<double>(handle->net->down_residuals() + 1)));
    info.set("reads_context", JsonValue::make_bool(handle->net->reads_context()));
    info.set("weight_bytes", JsonValue::make_number(static_cast<double>(weight_bytes)));
    handle->info_json = json_write(info);
    return handle;
}

} // namespace

extern "C" {

sdn_status sdn_controlnet_load(const char * config_json, sdn_model_t diff_base, sdn_controlnet_t * out_controlnet) {
    return api::call([&] {
        api::need(out_controlnet, "out_controlnet");
        const std::string where = "ControlNet load configuration";
        const JsonValue root = json_parse(api::need(config_json, "config_json"), where);
        require(root.is_object(), SDN_STATUS_BAD_ARGUMENT, where + ": expected a JSON object");
        const JsonValue * path = root.find("path");
        require(path && path->is_string() && !path->string.empty(), SDN_STATUS_BAD_ARGUMENT, where + ": \"path\" must be a file path");
        const JsonValue * dtype = root.find("weight_dtype");
        const std::string weights = dtype && dtype->is_string() ? dtype->string : "f32";
        require(weights == "f32" || weights == "f16", SDN_STATUS_BAD_ARGUMENT, where + ": weight_dtype must be \"f32\" or \"f16\", got \"" + weights + "\"");
        const JsonValue * config_value = root.find("config");
        ControlNetConfig config;
        const bool has_config = config_value && !config_value->is_null();
        if (has_config) config = controlnet_config_from_json(*config_value, where + ".config");
        const WeightStorage storage = weights == "f16" ? WeightStorage::F16 : WeightStorage::F32;
        bool adapter = false, control_lora = false;
        {
            std::vector<std::string> names;
            const auto file = SafetensorsFile::open(path->string); // held: entries() lives in it
            for (const SafetensorsEntry & e : file->entries()) names.push_back(e.name);
            control_lora = control_lora_names(names);
            adapter = !control_lora && t2i_adapter_names(names);
        }
        if (control_lora) {
            require(!has_config, SDN_STATUS_BAD_ARGUMENT, ("\"" + path->string + "\"") + " is a Control-LoRA: \"config\" (a ControlNetModel config) does not apply to it (its configuration is the model's)");
            auto file = std::make_shared<ControlLoraFile>(control_lora_file_load(path->string));
            auto handle = std::make_unique<sdn_controlnet>();
            JsonValue config = JsonValue::make_object();
            config.set("conditioning_channels", JsonValue::make_number(file->hint.conditioning_channels));
            JsonValue channels = JsonValue::make_array();
            for (int c : file->hint.conditioning_embedding_out_channels) channels.array.push_back(JsonValue::make_number(c));
            config.set("conditioning_embedding_out_channels", std::move(channels));
            config.set("rank", JsonValue::make_number(file->rank));
            config.set("lora_pairs", JsonValue::make_number(file->pairs));
            JsonValue info = JsonValue::make_object();
            info.set("kind", JsonValue::make_string("control_lora"));
            info.set("source", JsonValue::make_string(file->source));
            info.set("layout", JsonValue::make_string("ldm"));
            info.set("difference", JsonValue::make_bool(false));
            info.set("weight_dtype", JsonValue::make_string(weights));
            info.set("config", std::move(config));
            info.set("hint_factor", JsonValue::make_number(static_cast<double>(int64_t(1) << (file->hint.conditioning_embedding_out_channels.size() - 1))));
            info.set("hint_channels", JsonValue::make_number(file->hint.conditioning_channels));
            info.set("residuals", JsonValue::make_number(0)); // the model's: known once resolved
            info.set("weight_bytes", JsonValue::make_number(static_cast<double>(file->bytes)));
            handle->info_json = json_write(info);
            handle->control_lora = std::move(file);
            *out_controlnet = handle.release();
            return;
        }
        if (adapter) {
            // diff_base is unused, as for a ControlNet without a "difference" tensor (ComfyUI's DiffControlNetLoader
            // loads a T2I-Adapter the same way): an adapter is never stored as a difference from a UNet.
            require(!has_config, SDN_STATUS_BAD_ARGUMENT, ("\"" + path->string + "\"") + " is a T2I-Adapter: \"config\" (a ControlNetModel config) does not apply to it");
            const T2IAdapterFile file = t2i_adapter_file_load(path->string, storage);
            auto handle = std::make_unique<sdn_controlnet>();
            handle->adapter = std::make_shared<T2IAdapter>(file.config, file.weights);
            JsonValue config = JsonValue::make_object();
            config.set("light", JsonValue::make_bool(file.config.light));
            config.set("hint_channels", JsonValue::make_number(static_cast<double>(file.config.hint_channels)));
            JsonValue channels = JsonValue::make_array();
            for (int64_t c : file.config.channels) channels.array.push_back(JsonValue::make_number(static_cast<double>(c)));
            config.set("channels", std::move(channels));
            config.set("blocks_per_level", JsonValue::make_number(static_cast<double>(file.config.blocks_per_level)));
            config.set("ksize", JsonValue::make_number(static_cast<double>(file.config.ksize)));
            config.set("xl", JsonValue::make_bool(file.config.xl));
            JsonValue info = JsonValue::make_object();
            info.set("kind", JsonValue::make_string("t2i_adapter"));
            info.set("source", JsonValue::make_string(file.source));
            info.set("layout", JsonValue::make_string(file.layout));
            info.set("difference", JsonValue::make_bool(false));
            info.set("weight_dtype", JsonValue::make_string(weights));
            info.set("config", std::move(config));
            info.set("hint_factor", JsonValue::make_number(static_cast<double>(T2IAdapter::kHintFactor)));
            info.set("hint_channels", JsonValue::make_number(static_cast<double>(file.config.hint_channels)));
            info.set("residuals", JsonValue::make_number(static_cast<double>(file.config.channels.size())));
            info.set("weight_bytes", JsonValue::make_number(static_cast<double>(weight_store_bytes(*file.weights))));
            handle->info_json = json_write(info);
            *out_controlnet = handle.release();
            return;
        }
        const WeightStore * base = nullptr;
        if (diff_base) {
            const Model & m = api::model_of(diff_base);
            require(m.checkpoint.unet != nullptr, SDN_STATUS_BAD_ARGUMENT, "the diff ControlNet's model is a standalone VAE: it has no UNet");
            base = m.checkpoint.unet.get();
        }
        const ControlNetFile file = controlnet_file_load(path->string, storage, has_config ? &config : nullptr, base);
        *out_controlnet = controlnet_handle(file, weights, weight_store_bytes(*file.weights)).release();
    });
}

sdn_status sdn_controlnet_resolve(sdn_controlnet_t control_lora, sdn_model_t model, sdn_controlnet_t * out_controlnet) {
    return api::call([&] {
        api::need(out_controlnet, "out_controlnet");
        const sdn_controlnet & handle = *api::need(control_lora, "control_lora");
        require(handle.control_lora != nullptr, SDN_STATUS_BAD_ARGUMENT, "sdn_controlnet_resolve: this is not a Control-LoRA (no \"lora_controlnet\" tensor); it runs as loaded");
        const Model & m = api::model_of(model);
        require(m.checkpoint.unet != nullptr, SDN_STATUS_BAD_ARGUMENT, "sdn_controlnet_resolve: the model is a standalone VAE: a Control-LoRA needs a model with a UNet");
        const ResolvedControlLora r = control_lora_resolve(*handle.control_lora, m.checkpoint.unet_config, *m.checkpoint.unet, api::loras_of(model, ModelPart::UNet),
                                                             "the model \"" + m.checkpoint.source + "\"");
        const std::string weights = weight_storage_name(storage_for_network(m.checkpoint.unet->storage(), false));
        *out_controlnet = controlnet_handle(r.net, weights, r.resolved_bytes).release();
    });
}

sdn_controlnet_t sdn_controlnet_retain(sdn_controlnet_t controlnet) {
    return api::retain(controlnet);
}

void sdn_controlnet_free(sdn_controlnet_t controlnet) {
    api::release(controlnet);
}

const char * sdn_controlnet_info(sdn_controlnet_t controlnet) { return controlnet ? controlnet->info_json.c_str() : "null"; }

int64_t sdn_controlnet_cache_hits(sdn_controlnet_t controlnet) { return controlnet && controlnet->adapter ? controlnet->adapter->cache_hits() : 0; }

sdn_status sdn_controlnet_forward(sdn_controlnet_t controlnet, const float * latent, const int64_t shape[4], const float * timesteps,
                                  const float * context, const int64_t context_shape[3], const float * hint, const int64_t hint_shape[4],
                                  const sdn_unet_added * added, const sdn_run_options * options, sdn_tensor * out_residuals, int32_t n_out) {
    return api::call([&] {
        const sdn_controlnet & handle = *api::need(controlnet, "controlnet");
        require(!handle.control_lora, SDN_STATUS_BAD_ARGUMENT,
                "sdn_controlnet_forward: this is a Control-LoRA: resolve it against a model first (sdn_controlnet_resolve)");
        require(handle.net != nullptr, SDN_STATUS_BAD_ARGUMENT,
                "sdn_controlnet_forward: this is a T2I-Adapter, which runs only inside a UNet call (sdn_run_options.controls), not on its own");
        const ControlNet & net = *handle.net;
        api::need(out_residuals, "out_residuals");
        require(n_out == net.down_residuals() + 1, SDN_STATUS_BAD_ARGUMENT,
                "ControlNet: n_out is " + std::to_string(n_out) + ", this ControlNet gives " + std::to_string(net.down_residuals() + 1) + " residuals");
        const Tensor x = api::input4(latent, shape, "latent");
        const Tensor h = api::input4(hint, hint_shape, "hint");
        api::need(context_shape, "context_shape");
        const Shape cs{context_shape[0], context_shape[1], context_shape[2]};
        for (int64_t d : cs) require(d >= 1, SDN_STATUS_BAD_SHAPE, "ControlNet: context has shape " + shape_str(cs) + ": every size must be >= 1");
        const Tensor c = Tensor::view(const_cast<float *>(api::need(context, "context")), cs, DType::F32, nullptr, Storage::External);
        const AttentionMode mode = api::attention_of(options);
        const std::atomic<bool> * cancel = options && options->cancel ? &options->cancel->flag : nullptr;
        AddedConditioning a;
        if (added) a = AddedConditioning{added->text_embeds, added->text_embeds_dim, added->time_ids, added->time_ids_dim};
        require(!added || net.sdxl(), SDN_STATUS_BAD_ARGUMENT, "ControlNet: added conditioning given, but this ControlNet (SD 1.x / 2.x) takes none");
        require(added || !net.sdxl(), SDN_STATUS_BAD_ARGUMENT,
                "ControlNet: this is an SDXL ControlNet: give the added conditioning (pooled text embedding and the 6 size ids per latent)");
        const NetworkCall call = controlnet_call(net, x, api::need(timesteps, "timesteps"), c, h, cancel, a);
        const PrecisionScope precision(api::precision_of(options).value_or(Precision::F32));
        network_call_check(call, mode, options ? static_cast<int64_t>(std::min<uint64_t>(options->memory_limit_bytes, uint64_t(INT64_MAX))) : 0);
        arena_window_begin();
        const std::vector<Tensor> out = call.run(mode);
        for (size_t i = 0; i < out.size(); ++i) api::tensor_out(out[i], &out_residuals[i]);
    });
}

} // extern "C"
