// model.cc — sdn.h's files and models sections: safetensors inspection, single-file inference, model
// load / retain / free / info / weights.
#include "../io/config_json.h"
#include "../io/json.h"
#include "../io/safetensors.h"
#include "api.h"

using namespace sdn;

namespace {

JsonValue shape_json(const Shape & shape) {
    JsonValue a = JsonValue::make_array();
    for (int64_t d : shape) a.array.push_back(JsonValue::make_number(static_cast<double>(d)));
    return a;
}

JsonValue configs_json(const CLIPConfig * clip, const UNetConfig & unet, const VAEConfig & vae, const CLIPConfig * clip2) {
    JsonValue j = JsonValue::make_object();
    if (clip) j.set("text_encoder", clip_config_to_json(*clip)); // none: an SDXL refiner
    if (clip2) j.set("text_encoder_2", clip_config_to_json(*clip2));
    j.set("unet", unet_config_to_json(unet));
    j.set("vae", vae_config_to_json(vae));
    return j;
}

std::string string_field(const JsonValue & root, const char * key, const std::string & fallback, const std::string & where) {
    const JsonValue * v = root.find(key);
    if (!v || v->is_null()) return fallback;
    require(v->is_string(), SDN_STATUS_BAD_ARGUMENT, where + ": \"" + key + "\" must be a string");
    return v->string;
}

const JsonValue * object_field(const JsonValue & root, const char * key, const std::string & where) {
    const JsonValue * v = root.find(key);
    if (!v || v->is_null()) return nullptr;
    require(v->is_object(), SDN_STATUS_BAD_ARGUMENT, where + ": \"" + key + "\" must be an object (a config.json)");
    return v;
}

std::string model_info_json(const Model & m) {
    const Checkpoint & c = m.checkpoint;
    JsonValue j = configs_json(c.clip || !c.clip2 ? &c.clip_config : nullptr, c.unet_config, c.vae_config, c.clip2 ? &c.clip2_config : nullptr);
    j.set("source", JsonValue::make_string(c.source));
    j.set("layout", JsonValue::make_string(c.layout));
    j.set("weight_dtype", JsonValue::make_string(weight_storage_name(c.unet ? c.unet->storage() : c.vae->storage())));
    j.set("compute_dtype", JsonValue::make_string(m.precision == Precision::BF16 ? "bf16" : "f32"));
    JsonValue bytes = JsonValue::make_object();
    bytes.set("text_encoder", JsonValue::make_number(c.clip ? static_cast<double>(weight_store_bytes(*c.clip)) : 0.0));
    if (c.clip2) bytes.set("text_encoder_2", JsonValue::make_number(static_cast<double>(weight_store_bytes(*c.clip2))));
    bytes.set("unet", JsonValue::make_number(c.unet ? static_cast<double>(weight_store_bytes(*c.unet)) : 0.0));
    bytes.set("vae", JsonValue::make_number(static_cast<double>(weight_store_bytes(*c.vae))));
    j.set("weight_bytes", bytes);
    return json_write(j);
}

const WeightStore & network_weights(const Model & m, const std::string & network) {
    const Checkpoint & c = m.checkpoint;
    const auto part = [&](const std::shared_ptr<WeightStore> & ws) -> const WeightStore & {
        require(ws != nullptr, SDN_STATUS_BAD_ARGUMENT,
                "\"" + c.source + "\" is " + (c.clip2 ? "an SDXL refiner" : "a standalone VAE") + ": it has no " + network);
        return *ws;
    };
    if (network == "text_encoder") return part(c.clip);
    if (network == "text_encoder_2" && c.clip2) return *c.clip2;
    if (network == "unet") return part(c.unet);
    if (network == "vae") return part(c.vae);
    throw Error(SDN_STATUS_BAD_ARGUMENT, "network must be \"text_encoder\", \"text_encoder_2\" (SDXL), \"unet\" or \"vae\", got \"" + network + "\"");
}

sdn_dtype dtype_of(DType d) { return d == DType::F16 ? SDN_DTYPE_F16 : d == DType::BF16 ? SDN_DTYPE_BF16 : d == DType::Q8_0 ? SDN_DTYPE_Q8_0 : SDN_DTYPE_F32; }

} // namespace

extern "C" {

sdn_status sdn_safetensors_inspect(const char * path, char ** out_json) {
    return api::call([&] {
        const auto f = SafetensorsFile::open(api::need(path, "path"));
        JsonValue j = JsonValue::make_object();
        j.set("header_bytes", JsonValue::make_number(static_cast<double>(f->header_bytes())));
        j.set("data_bytes", JsonValue::make_number(static_cast<double>(f->data_bytes())));
        JsonValue metadata = JsonValue::make_object();
        for (const auto & [k, v] : f->metadata()) metadata.set(k, JsonValue::make_string(v));
        j.set("metadata", metadata);
        JsonValue tensors = JsonValue::make_array();
        for (const SafetensorsEntry & e : f->entries()) {
            JsonValue t = JsonValue::make_object();
            t.set("name", JsonValue::make_string(e.name));
            t.set("dtype", JsonValue::make_string(e.dtype));
            t.set("shape", shape_json(e.shape));
            JsonValue offsets = JsonValue::make_array();
            offsets.array.push_back(JsonValue::make_number(static_cast<double>(e.begin)));
            offsets.array.push_back(JsonValue::make_number(static_cast<double>(e.end)));
            t.set("data_offsets", offsets);
            tensors.array.push_back(std::move(t));
        }
        j.set("tensors", tensors);
        *api::need(out_json, "out_json") = api::string_out(json_write(j));
    });
}

sdn_status sdn_safetensors_read(const char * path, const char * name, sdn_tensor * out) {
    return api::call([&] {
        api::need(out, "out");
        const auto f = SafetensorsFile::open(api::need(path, "path"));
        const std::vector<float> values = f->copy_f32(api::need(name, "name"));
        Tensor t = Tensor::view(nullptr, {static_cast<int64_t>(values.size())}, DType::F32, nullptr, Storage::External);
        auto storage = std::make_shared<std::vector<float>>(values);
        t.data = storage->data();
        t.owner = storage;
        api::tensor_out(t, out);
    });
}

sdn_status sdn_checkpoint_infer(const char * path, char ** out_json) {
    return api::call([&] {
        const CheckpointConfigs c = checkpoint_infer_single_file(api::need(path, "path"));
        *api::need(out_json, "out_json") = api::string_out(json_write(configs_json(c.has_clip ? &c.clip : nullptr, c.unet, c.vae, c.has_clip2 ? &c.clip2 : nullptr)));
    });
}

sdn_status sdn_model_load(const char * config_json, sdn_model_t * out_model) {
    return api::call([&] {
        api::need(out_model, "out_model");
        const std::string where = "model load configuration";
        const JsonValue root = json_parse(api::need(config_json, "config_json"), where);
        require(root.is_object(), SDN_STATUS_BAD_ARGUMENT, where + ": expected a JSON object");
        CheckpointSpec spec;
        spec.path = string_field(root, "path", "", where);
        require(!spec.path.empty(), SDN_STATUS_BAD_ARGUMENT, where + ": \"path\" is missing");
        spec.layout = string_field(root, "layout", "", where);
        const std::string weights = string_field(root, "weight_dtype", "f32", where);
        require(weights == "f32" || weights == "f16" || weights == "q8_0", SDN_STATUS_BAD_ARGUMENT,
                where + ": weight_dtype must be \"f32\", \"f16\" or \"q8_0\", got \"" + weights + "\"");
        spec.storage = weights == "q8_0" ? WeightStorage::Q8_0 : weights == "f16" ? WeightStorage::F16 : WeightStorage::F32;
        const std::string compute = string_field(root, "compute_dtype", "f32", where);
        require(compute == "f32" || compute == "bf16", SDN_STATUS_BAD_ARGUMENT, where + ": compute_dtype must be \"f32\" or \"bf16\", got \"" + compute + "\"");
        const Precision precision = compute == "bf16" ? Precision::BF16 : Precision::F32;
        spec.text_encoder = object_field(root, "text_encoder", where);
        spec.unet = object_field(root, "unet", where);
        spec.vae = object_field(root, "vae", where);
        spec.text_encoder_2 = object_field(root, "text_encoder_2", where);
        if (const JsonValue * sources = object_field(root, "sources", where)) {
            spec.text_encoder_source = string_field(*sources, "text_encoder", "", where + ".sources");
            spec.unet_source = string_field(*sources, "unet", "", where + ".sources");
            spec.vae_source = string_field(*sources, "vae", "", where + ".sources");
            spec.text_encoder_2_source = string_field(*sources, "text_encoder_2", "", where + ".sources");
        }
        auto handle = std::make_unique<sdn_model>();
        handle->model = model_load(spec, precision);
        handle->info_json = model_info_json(*handle->model);
        *out_model = handle.release();
    });
}

sdn_model_t sdn_model_retain(sdn_model_t model) {
    return api::retain(model);
}

void sdn_model_free(sdn_model_t model) {
    api::release(model);
}

const char * sdn_model_info(sdn_model_t model) { return model ? model->info_json.c_str() : "null"; }

sdn_status sdn_model_weights(sdn_model_t model, char ** out_json) {
    return api::call([&] {
        const Model & m = api::model_of(model);
        JsonValue list = JsonValue::make_array();
        for (const char * network : {"text_encoder", "text_encoder_2", "unet", "vae"}) {
            if (std::string(network) != "vae" && m.checkpoint.layout == "vae") continue; // a standalone VAE
            if (std::string(network) == "text_encoder_2" && !m.checkpoint.clip2) continue;
            if (std::string(network) == "text_encoder" && !m.checkpoint.clip) continue; // an SDXL refiner
            const WeightStore & ws = network_weights(m, network);
            for (const std::string & name : ws.names()) {
                const Tensor & t = ws.get(name);
                JsonValue e = JsonValue::make_object();
                e.set("network", JsonValue::make_string(network));
                e.set("name", JsonValue::make_string(name));
                e.set("dtype", JsonValue::make_string(dtype_name(t.dtype)));
                e.set("shape", shape_json(t.shape));
                e.set("storage", JsonValue::make_string(t.storage == Storage::Mapped ? "mapped" : "owned"));
                list.array.push_back(std::move(e));
            }
        }
        *api::need(out_json, "out_json") = api::string_out(json_write(list));
    });
}

sdn_status sdn_model_weight(sdn_model_t model, const char * network, const char * name, sdn_weight * out) {
    return api::call([&] {
        const Tensor & t = network_weights(api::model_of(model), api::need(network, "network")).get(api::need(name, "name"));
        *api::need(out, "out") = sdn_weight{t.data, dtype_of(t.dtype), t.numel()};
    });
}

} // extern "C"
