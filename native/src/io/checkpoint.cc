#include "checkpoint.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

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
    const bool prefer_half = storage == WeightStorage::F16;
    if (is_file(prefer_half ? half : full)) return prefer_half ? half : full;
    if (is_file(prefer_half ? full : half)) return prefer_half ? full : half;
    throw Error(SDN_STATUS_IO_ERROR, "diffusers folder \"" + dir.substr(0, dir.rfind('/')) + "\": " + component +
                                         " has no weights (looked for " + base + ".safetensors and " + base + ".fp16.safetensors)");
}

JsonValue read_json(const std::string & path) { return json_parse(read_text_file(path), "\"" + path + "\""); }

} // namespace

std::string read_text_file(const std::string & path, size_t max_bytes) {
    std::ifstream in(path, std::ios::binary);
    require(in.good(), SDN_STATUS_IO_ERROR, "cannot open \"" + path + "\": " + std::strerror(errno));
    std::ostringstream s;
    s << in.rdbuf();
    std::string text = s.str();
    require(text.size() <= max_bytes, SDN_STATUS_BAD_FORMAT, "\"" + path + "\" is larger than " + std::to_string(max_bytes) + " bytes");
    return text;
}

Checkpoint checkpoint_load(const std::string & path, WeightStorage storage) {
    if (is_dir(path)) return checkpoint_load_diffusers(path, storage);
    require(is_file(path), SDN_STATUS_IO_ERROR, "model \"" + path + "\" does not exist");
    return checkpoint_load_single_file(path, storage);
}

Checkpoint checkpoint_load_diffusers(const std::string & dir, WeightStorage storage) {
    require(is_file(dir + "/model_index.json"), SDN_STATUS_BAD_FORMAT,
            "\"" + dir + "\" is not a diffusers folder: model_index.json is missing");
    Checkpoint c;
    c.source = dir;
    c.layout = "diffusers";
    c.unet_config = unet_config_from_json(read_json(dir + "/unet/config.json"), "\"" + dir + "/unet/config.json\"");
    c.vae_config = vae_config_from_json(read_json(dir + "/vae/config.json"), "\"" + dir + "/vae/config.json\"");
    c.clip_config = clip_config_from_json(read_json(dir + "/text_encoder/config.json"), "\"" + dir + "/text_encoder/config.json\"");

    struct Part { const char * folder; const char * base; const char * label; std::shared_ptr<WeightStore> * store; };
    for (const Part & p : {Part{"unet", "diffusion_pytorch_model", "UNet", &c.unet}, Part{"vae", "diffusion_pytorch_model", "VAE", &c.vae},
                           Part{"text_encoder", "model", "text encoder", &c.clip}}) {
        auto store = std::make_shared<WeightStore>(storage);
        store->set_label(p.label);
        store->add_file(SafetensorsFile::open(pick_weights(dir + "/" + p.folder, p.base, storage, p.label)));
        *p.store = store;
    }
    if (is_dir(dir + "/tokenizer")) c.tokenizer_dir = dir + "/tokenizer";
    if (is_file(dir + "/scheduler/scheduler_config.json")) c.scheduler_config_json = read_text_file(dir + "/scheduler/scheduler_config.json");
    return c;
}

} // namespace sdn
