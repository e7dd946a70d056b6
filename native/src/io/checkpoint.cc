#include "checkpoint.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace sdn {

namespace {

bool is_dir(const std::string & p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool is_file(const std::string & p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// The weights file of one component: "<dir>/<base>.safetensors" or "<dir>/<base>.fp16.safetensors".
std::string pick_weights(const std::string & dir, const std::string & base, WeightStorage storage, const std::string & component) {
    const std::string full = dir + "/" + base + ".safetensors";
    const std::string half = dir + "/" + base + ".fp16.safetensors";
    const bool prefer_half = storage != WeightStorage::F32; // q8_0 is quantized from f16 as well as from f32
    if (is_file(prefer_half ? half : full)) return prefer_half ? half : full;
    if (is_file(prefer_half ? full : half)) return prefer_half ? full : half;
    throw Error(SDN_STATUS_IO_ERROR, "diffusers folder \"" + dir.substr(0, dir.rfind('/')) + "\": " + component +
                                         " has no weights (looked for " + base + ".safetensors and " + base + ".fp16.safetensors)");
}

} // namespace

Checkpoint checkpoint_load(const CheckpointSpec & spec) {
    if (spec.layout == "vae") {
        require(is_file(spec.path), SDN_STATUS_IO_ERROR, "VAE file \"" + spec.path + "\" does not exist");
        if (!spec.vae) return checkpoint_load_vae_file(spec.path, storage_for_network(spec.storage, false), nullptr);
        const VAEConfig config = vae_config_from_json(*spec.vae, spec.vae_source.empty() ? "VAE configuration of \"" + spec.path + "\"" : spec.vae_source);
        return checkpoint_load_vae_file(spec.path, storage_for_network(spec.storage, false), &config);
    }
    const bool diffusers = spec.layout == "diffusers";
    require(diffusers || spec.layout == "single-file", SDN_STATUS_BAD_ARGUMENT,
            "model \"" + spec.path + "\": layout must be \"diffusers\", \"single-file\" or \"vae\", got \"" + spec.layout + "\"");
    require(diffusers ? is_dir(spec.path) : is_file(spec.path), SDN_STATUS_IO_ERROR,
            "model \"" + spec.path + "\" does not exist" + (diffusers ? " (or is not a folder)" : ""));
    // An SDXL refiner: text_encoder_2 stands in for text_encoder (it has no CLIP-L).
    const bool refiner = !spec.text_encoder && spec.text_encoder_2;
    const int given = (spec.text_encoder != nullptr || refiner) + (spec.unet != nullptr) + (spec.vae != nullptr);
    require(given == 3 || (given == 0 && !diffusers), SDN_STATUS_BAD_ARGUMENT,
            "model \"" + spec.path + "\": the load configuration needs the text_encoder, unet and vae configurations" +
                (diffusers ? " (the folder's config.json files)" : " (all three, or none to infer them from the tensor shapes)"));
    const auto source = [&](const std::string & given_source, const char * part) {
        if (!given_source.empty()) return given_source;
        return diffusers ? "\"" + spec.path + "/" + part + "/config.json\"" : "configuration of \"" + spec.path + "\" (" + part + ")";
    };
    if (given == 0) return checkpoint_load_single_file(spec.path, spec.storage, nullptr);
    CheckpointConfigs configs;
    configs.has_clip = !refiner;
    if (!refiner) configs.clip = clip_config_from_json(*spec.text_encoder, source(spec.text_encoder_source, "text_encoder"));
    configs.unet = unet_config_from_json(*spec.unet, source(spec.unet_source, "unet"));
    configs.vae = vae_config_from_json(*spec.vae, source(spec.vae_source, "vae"));
    if (spec.text_encoder_2) {
        configs.has_clip2 = true;
        configs.clip2 = clip_config_from_json(*spec.text_encoder_2, source(spec.text_encoder_2_source, "text_encoder_2"));
    }
    return diffusers ? checkpoint_load_diffusers(spec.path, spec.storage, configs)
                     : checkpoint_load_single_file(spec.path, spec.storage, &configs);
}

Checkpoint checkpoint_load_diffusers(const std::string & dir, WeightStorage storage, const CheckpointConfigs & configs) {
    Checkpoint c;
    c.source = dir;
    c.layout = "diffusers";
    c.clip_config = configs.clip;
    c.unet_config = configs.unet;
    c.vae_config = configs.vae;
    if (configs.has_clip2) c.clip2_config = configs.clip2;

    struct Part { const char * folder; const char * base; const char * label; std::shared_ptr<WeightStore> * store; };
    for (const Part & p : {Part{"unet", "diffusion_pytorch_model", "UNet", &c.unet}, Part{"vae", "diffusion_pytorch_model", "VAE", &c.vae},
                           Part{"text_encoder", "model", "text encoder", configs.has_clip ? &c.clip : nullptr},
                           Part{"text_encoder_2", "model", "second text encoder", configs.has_clip2 ? &c.clip2 : nullptr}}) {
        if (!p.store) continue;
        const WeightStorage part_storage = storage_for_network(storage, p.store == &c.unet);
        auto store = std::make_shared<WeightStore>(part_storage);
        store->set_label(p.label);
        store->add_file(SafetensorsFile::open(pick_weights(dir + "/" + p.folder, p.base, part_storage, p.label)));
        *p.store = store;
    }
    return c;
}

} // namespace sdn
