// taesd.cc — sdn.h's TAESD section: load / retain / free / info, decode and encode (refused up front
// when their measured need is over the caller's limit), and memory estimates.
#include "../io/config_json.h"
#include "../io/json.h"
#include "../io/safetensors.h"
#include "../models/network_call.h"
#include "api.h"

using namespace sdn;

namespace {

Tensor no_data(const Shape & shape) { return Tensor::view(nullptr, shape, DType::F32, nullptr, Storage::External); }

// A TAESD part's weights: the file's tensors, under ComfyUI's "taesd_encoder." / "taesd_decoder." prefix when it has one.
std::shared_ptr<WeightStore> part_weights(const std::string & path, const std::string & comfy_prefix, WeightStorage storage, const char * label) {
    const auto file = SafetensorsFile::open(path);
    std::string prefix;
    for (const SafetensorsEntry & e : file->entries())
        if (e.name.rfind(comfy_prefix, 0) == 0) prefix = comfy_prefix;
    auto ws = std::make_shared<WeightStore>(storage);
    ws->set_label(label);
    ws->add_file(file, prefix);
    return ws;
}

std::string optional_path(const JsonValue & root, const char * key, const std::string & where) {
    const JsonValue * v = root.find(key);
    if (!v || v->is_null()) return "";
    require(v->is_string() && !v->string.empty(), SDN_STATUS_BAD_ARGUMENT, where + ": \"" + key + "\" must be a file path or null");
    return v->string;
}

JsonValue path_json(const std::string & path) { return path.empty() ? JsonValue() : JsonValue::make_string(path); }

struct Run {
    Precision precision = Precision::F32;
    const std::atomic<bool> * cancel = nullptr;
    int64_t memory_limit_bytes = 0;
};

Run run_of(const sdn_run_options * o) {
    Run r;
    if (!o) return r;
    r.precision = api::precision_of(o).value_or(Precision::F32);
    r.cancel = o->cancel ? &o->cancel->flag : nullptr;
    r.memory_limit_bytes = static_cast<int64_t>(std::min<uint64_t>(o->memory_limit_bytes, uint64_t(INT64_MAX)));
    return r;
}

Tensor run(const NetworkCall & call, const Run & r) {
    const PrecisionScope precision(r.precision);
    network_call_check(call, AttentionMode::Naive, r.memory_limit_bytes);
    return call.run(AttentionMode::Naive)[0];
}

const TAESD & taesd_of(sdn_taesd_t t) { return *api::need(t, "taesd")->taesd; }

} // namespace

extern "C" {

sdn_status sdn_taesd_load(const char * config_json, sdn_taesd_t * out_taesd) {
    return api::call([&] {
        api::need(out_taesd, "out_taesd");
        const std::string where = "TAESD load configuration";
        const JsonValue root = json_parse(api::need(config_json, "config_json"), where);
        require(root.is_object(), SDN_STATUS_BAD_ARGUMENT, where + ": expected a JSON object");
        const std::string encoder = optional_path(root, "encoder", where), decoder = optional_path(root, "decoder", where);
        require(!encoder.empty() || !decoder.empty(), SDN_STATUS_BAD_ARGUMENT, where + ": give \"encoder\", \"decoder\" or both");
        const JsonValue * dtype = root.find("weight_dtype");
        const std::string weights = dtype && dtype->is_string() ? dtype->string : "f32";
        require(weights == "f32" || weights == "f16", SDN_STATUS_BAD_ARGUMENT, where + ": weight_dtype must be \"f32\" or \"f16\", got \"" + weights + "\"");
        const WeightStorage storage = weights == "f16" ? WeightStorage::F16 : WeightStorage::F32;
        const JsonValue * config_value = root.find("config");
        const TAESDConfig config = config_value && !config_value->is_null() ? taesd_config_from_json(*config_value, where + ".config") : TAESDConfig{};
        auto enc = encoder.empty() ? nullptr : part_weights(encoder, "taesd_encoder.", storage, "TAESD encoder");
        auto dec = decoder.empty() ? nullptr : part_weights(decoder, "taesd_decoder.", storage, "TAESD decoder");
        auto handle = std::make_unique<sdn_taesd>();
        handle->taesd = std::make_shared<TAESD>(config, enc, dec);
        JsonValue info = JsonValue::make_object();
        info.set("encoder", path_json(encoder));
        info.set("decoder", path_json(decoder));
        info.set("weight_dtype", JsonValue::make_string(weights));
        info.set("config", taesd_config_to_json(config));
        info.set("weight_bytes", JsonValue::make_number(static_cast<double>((enc ? weight_store_bytes(*enc) : 0) + (dec ? weight_store_bytes(*dec) : 0))));
        handle->info_json = json_write(info);
        *out_taesd = handle.release();
    });
}

sdn_taesd_t sdn_taesd_retain(sdn_taesd_t taesd) {
    return api::retain(taesd);
}

void sdn_taesd_free(sdn_taesd_t taesd) {
    api::release(taesd);
}

const char * sdn_taesd_info(sdn_taesd_t taesd) { return taesd ? taesd->info_json.c_str() : "null"; }

sdn_status sdn_taesd_decode(sdn_taesd_t taesd, const float * latent, const int64_t shape[4], const sdn_run_options * options, sdn_tensor * out) {
    return api::call([&] {
        const TAESD & t = taesd_of(taesd);
        api::need(out, "out");
        api::tensor_out(run(taesd_decode_call(t, api::input4(latent, shape, "latent"), run_of(options).cancel), run_of(options)), out);
    });
}

sdn_status sdn_taesd_encode(sdn_taesd_t taesd, const float * image, const int64_t shape[4], const sdn_run_options * options, sdn_tensor * out) {
    return api::call([&] {
        const TAESD & t = taesd_of(taesd);
        api::need(out, "out");
        api::tensor_out(run(taesd_encode_call(t, api::input4(image, shape, "image"), run_of(options).cancel), run_of(options)), out);
    });
}

sdn_status sdn_taesd_estimate_memory(sdn_taesd_t taesd, const char * config_json, sdn_call call, const sdn_call_shape * shape,
                                     const sdn_run_options * options, sdn_memory_estimate * out) {
    return api::call([&] {
        api::need(out, "out");
        const sdn_call_shape s = *api::need(shape, "shape");
        require(call == SDN_CALL_VAE_DECODE || call == SDN_CALL_VAE_ENCODE, SDN_STATUS_BAD_ARGUMENT,
                "TAESD memory estimate: the call must be SDN_CALL_VAE_DECODE or SDN_CALL_VAE_ENCODE");
        require(s.tile == 0, SDN_STATUS_BAD_ARGUMENT, "TAESD memory estimate: TAESD decodes in one piece (tile must be 0)");
        api::check_call_shape(s, call);
        std::shared_ptr<const TAESD> t;
        if (taesd) {
            t = api::need(taesd, "taesd")->taesd;
        } else {
            const JsonValue config = json_parse(api::need(config_json, "config_json (or a taesd)"), "TAESD memory estimate configuration");
            const auto weights = WeightStore::placeholder();
            t = std::make_shared<TAESD>(taesd_config_from_json(config, "TAESD configuration"), weights, weights);
        }
        const PrecisionScope precision(run_of(options).precision);
        const TAESDConfig & c = t->config();
        const NetworkCall nc = call == SDN_CALL_VAE_DECODE ? taesd_decode_call(*t, no_data({s.batch, c.latent_channels, s.height, s.width}), nullptr)
                                                           : taesd_encode_call(*t, no_data({s.batch, c.in_channels, s.height, s.width}), nullptr);
        api::estimate_out(network_call_estimate(nc, AttentionMode::Naive), out);
    });
}

} // extern "C"
