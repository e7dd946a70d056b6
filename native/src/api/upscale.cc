// upscale.cc — sdn.h's upscale-model section: load / retain / free / info, the tiled run (refused up front
// when its measured need is over the caller's limit) and its memory estimate.
#include <algorithm>

#include "../io/json.h"
#include "../models/network_call.h"
#include "../models/rrdbnet/rrdbnet_keys.h"
#include "api.h"

using namespace sdn;

namespace {

Tensor no_data(const Shape & shape) { return Tensor::view(nullptr, shape, DType::F32, nullptr, Storage::External); }

const RRDBNet & net_of(sdn_upscaler_t u) { return *api::need(u, "upscaler")->net; }

Precision precision_of(const sdn_run_options * o) { return o ? api::precision_of(o).value_or(Precision::F32) : Precision::F32; }

JsonValue number(int64_t v) { return JsonValue::make_number(static_cast<double>(v)); }

} // namespace

extern "C" {

sdn_status sdn_upscaler_load(const char * config_json, sdn_upscaler_t * out_upscaler) {
    return api::call([&] {
        api::need(out_upscaler, "out_upscaler");
        const std::string where = "upscale model load configuration";
        const JsonValue root = json_parse(api::need(config_json, "config_json"), where);
        require(root.is_object(), SDN_STATUS_BAD_ARGUMENT, where + ": expected a JSON object");
        const JsonValue * path = root.find("path");
        require(path && path->is_string() && !path->string.empty(), SDN_STATUS_BAD_ARGUMENT, where + ": \"path\" must be a file path");
        const JsonValue * dtype = root.find("weight_dtype");
        const std::string weights = dtype && dtype->is_string() ? dtype->string : "f32";
        require(weights == "f32" || weights == "f16", SDN_STATUS_BAD_ARGUMENT, where + ": weight_dtype must be \"f32\" or \"f16\", got \"" + weights + "\"");
        const RRDBNetFile file = rrdbnet_read(path->string, weights == "f16" ? WeightStorage::F16 : WeightStorage::F32);
        auto handle = std::make_unique<sdn_upscaler>();
        handle->net = std::make_shared<RRDBNet>(file.weights, file.config);
        const RRDBNetConfig & c = file.config;
        JsonValue info = JsonValue::make_object();
        info.set("path", JsonValue::make_string(path->string));
        info.set("architecture", JsonValue::make_string("RRDBNet"));
        info.set("layout", JsonValue::make_string(file.layout));
        info.set("scale", number(c.scale()));
        info.set("num_blocks", number(c.num_blocks));
        info.set("num_feat", number(c.num_feat));
        info.set("num_grow", number(c.num_grow));
        info.set("shuffle", number(c.shuffle));
        info.set("in_channels", number(c.in_channels));
        info.set("out_channels", number(c.out_channels));
        info.set("halo", number(handle->net->halo()));
        info.set("tile_multiple", number(handle->net->tile_multiple()));
        info.set("weight_dtype", JsonValue::make_string(weights));
        info.set("weight_bytes", number(static_cast<int64_t>(weight_store_bytes(*file.weights))));
        handle->info_json = json_write(info);
        *out_upscaler = handle.release();
    });
}

sdn_upscaler_t sdn_upscaler_retain(sdn_upscaler_t upscaler) {
    return api::retain(upscaler);
}

void sdn_upscaler_free(sdn_upscaler_t upscaler) {
    api::release(upscaler);
}

const char * sdn_upscaler_info(sdn_upscaler_t upscaler) { return upscaler ? upscaler->info_json.c_str() : "null"; }

sdn_status sdn_upscaler_run(sdn_upscaler_t upscaler, const float * image, const int64_t shape[4], int64_t tile, int64_t margin,
                            const sdn_run_options * options, sdn_tensor * out) {
    return api::call([&] {
        const RRDBNet & net = net_of(upscaler);
        api::need(out, "out");
        const std::atomic<bool> * cancel = options && options->cancel ? &options->cancel->flag : nullptr;
        RRDBNet::TileProgress progress;
        if (options && options->progress)
            progress = [fn = options->progress, user = options->progress_user](int64_t done, int64_t total) { fn(user, done, total); };
        const int64_t limit = options ? static_cast<int64_t>(std::min<uint64_t>(options->memory_limit_bytes, uint64_t(INT64_MAX))) : 0;
        const PrecisionScope precision(precision_of(options));
        const NetworkCall call = upscale_call(net, api::input4(image, shape, "image"), tile, margin, cancel, progress);
        network_call_check(call, AttentionMode::Naive, limit);
        api::tensor_out(call.run(AttentionMode::Naive)[0], out);
    });
}

sdn_status sdn_upscaler_estimate_memory(sdn_upscaler_t upscaler, const sdn_call_shape * shape, const sdn_run_options * options,
                                        sdn_memory_estimate * out) {
    return api::call([&] {
        const RRDBNet & net = net_of(upscaler);
        api::need(out, "out");
        const sdn_call_shape s = *api::need(shape, "shape");
        api::check_call_shape(s, SDN_CALL_VAE_ENCODE); // batch, height, width >= 1, tile >= 0
        require(s.margin >= 0, SDN_STATUS_BAD_ARGUMENT, "memory estimate: margin must be >= 0, got " + std::to_string(s.margin));
        const PrecisionScope precision(precision_of(options));
        const NetworkCall call = upscale_call(net, no_data({s.batch, net.config().in_channels, s.height, s.width}), s.tile, s.margin, nullptr, {});
        api::estimate_out(network_call_estimate(call, AttentionMode::Naive), out);
    });
}

} // extern "C"
