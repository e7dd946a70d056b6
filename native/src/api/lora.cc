// lora.cc — sdn.h's LoRA section: LoRA files and models that run a base model's networks with them.
#include <cmath>

#include "../io/json.h"
#include "api.h"

using namespace sdn;

namespace {

std::string lora_info_json(const LoraFile & f) {
    int64_t rank = 0;
    for (const LoraModule & m : f.modules) rank = std::max(rank, m.rank);
    JsonValue o = JsonValue::make_object();
    o.set("path", JsonValue::make_string(f.path));
    o.set("format", JsonValue::make_string(f.format));
    o.set("modules", JsonValue::make_number(static_cast<double>(f.modules.size())));
    o.set("rank", JsonValue::make_number(static_cast<double>(rank)));
    o.set("bytes", JsonValue::make_number(static_cast<double>(f.bytes)));
    return json_write(o);
}

} // namespace

extern "C" {

sdn_status sdn_lora_load(const char * path, sdn_lora_t * out_lora) {
    return api::call([&] {
        api::need(out_lora, "out_lora");
        auto handle = std::make_unique<sdn_lora>();
        handle->file = lora_file_load(api::need(path, "path"));
        handle->info_json = lora_info_json(*handle->file);
        *out_lora = handle.release();
    });
}

sdn_lora_t sdn_lora_retain(sdn_lora_t lora) {
    return api::retain(lora);
}

void sdn_lora_free(sdn_lora_t lora) {
    api::release(lora);
}

const char * sdn_lora_info(sdn_lora_t lora) { return lora ? lora->info_json.c_str() : "null"; }

sdn_status sdn_model_with_loras(sdn_model_t base, const sdn_lora_apply * loras, int32_t n_loras, sdn_lora_mode mode,
                                sdn_model_t * out_model, char ** out_report_json) {
    return api::call([&] {
        const Model & m = api::model_of(base);
        api::need(out_model, "out_model");
        require(n_loras >= 0 && (n_loras == 0 || loras), SDN_STATUS_BAD_ARGUMENT, "loras is NULL with n_loras " + std::to_string(n_loras));
        require(mode == SDN_LORA_RUNTIME || mode == SDN_LORA_MERGE, SDN_STATUS_BAD_ARGUMENT, "unknown LoRA mode " + std::to_string(int(mode)));
        require(!base->loras, SDN_STATUS_BAD_ARGUMENT, "the base model already has LoRAs; pass every LoRA to one call on the model without them");
        std::vector<LoraApply> list;
        for (int32_t i = 0; i < n_loras; ++i) {
            const sdn_lora_apply & a = loras[i];
            api::need(a.lora, "loras[i].lora");
            require(std::isfinite(a.strength_unet) && std::isfinite(a.strength_text_encoder), SDN_STATUS_BAD_ARGUMENT,
                    "LoRA " + std::to_string(i) + ": strengths must be finite numbers");
            list.push_back(LoraApply{a.lora->file, a.strength_unet, a.strength_text_encoder});
        }
        auto set = lora_set_build(m, list, mode == SDN_LORA_MERGE ? LoraMode::Merge : LoraMode::Runtime);
        JsonValue report = JsonValue::make_object();
        JsonValue matched = JsonValue::make_object();
        matched.set("unet", JsonValue::make_number(static_cast<double>(set->matched_unet)));
        matched.set("text_encoder", JsonValue::make_number(static_cast<double>(set->matched_text_encoder)));
        matched.set("text_encoder_2", JsonValue::make_number(static_cast<double>(set->matched_text_encoder_2)));
        report.set("matched", std::move(matched));
        JsonValue unmatched = JsonValue::make_array();
        for (const auto & keys : set->unmatched) {
            JsonValue list_js = JsonValue::make_array();
            for (const std::string & k : keys) list_js.array.push_back(JsonValue::make_string(k));
            unmatched.array.push_back(std::move(list_js));
        }
        report.set("unmatched", std::move(unmatched));
        report.set("extra_bytes", JsonValue::make_number(static_cast<double>(set->extra_bytes)));
        auto handle = std::make_unique<sdn_model>();
        handle->model = base->model;
        handle->info_json = base->info_json;
        handle->loras = std::move(set);
        if (out_report_json) *out_report_json = api::string_out(json_write(report));
        *out_model = handle.release();
    });
}

} // extern "C"
