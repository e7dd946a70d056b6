// Fuzz target: single-file (LDM) checkpoint loading — key mapping (ldm_keys.cc), configuration
// inference from shapes (checkpoint_single_file.cc), the configuration JSON a caller sends
// (config.cc's *_config_from_json, as sdn_model_load receives it) and its checks against the weights.
//
// The input is text, so that libFuzzer's mutations change names, dtypes and shapes rather than
// break the JSON header (the safetensors target covers that):
//
//   <tensor name> <dtype> <d0>,<d1>,...      one tensor per line; no third field = a scalar
//   %%json                                   optional: the rest up to the next %% line is JSON
//                                            {"unet": {...}, "vae": {...}, "text_encoder": {...}} laid over
//                                            the inferred configurations, key by key (what
//                                            native/ts/checkpoint-files.ts does with a .json sidecar),
//                                            then sent to the loader as the caller's configurations
//   %%f32                                    optional: load with f32 storage (default f16)
//   %%<anything else>                        ignored (older seeds' %%yaml sections: sidecars are read in TS now)
//
// The harness writes a valid safetensors file with those tensors (zeros, as a sparse file), infers
// the configurations, and loads with them (or with the overlaid ones). It must load or throw
// sdn::Error; anything else (a sanitizer report, another exception type, a division by zero, a loaded
// checkpoint whose configuration does not describe its weights) is a finding.
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "fuzz_files.h"
#include "io/checkpoint.h"
#include "io/config_json.h"
#include "io/json.h"
#include "io/safetensors.h"

namespace {

constexpr uint64_t kMaxDataBytes = 64ull << 20; // sparse zeros, but f32 storage widens f16 into RAM

struct Spec {
    std::string name, dtype;
    std::vector<uint64_t> shape;
};

bool parse_dims(const std::string & s, std::vector<uint64_t> & out) {
    size_t i = 0;
    while (i < s.size()) {
        uint64_t v = 0;
        size_t digits = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            if (++digits > 15) return false; // < 2^53, as the reader requires
            v = v * 10 + static_cast<uint64_t>(s[i++] - '0');
        }
        if (digits == 0) return false;
        out.push_back(v);
        if (i < s.size() && s[i++] != ',') return false;
    }
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t * data, size_t size) {
    static const std::string dir = fuzz::scratch_dir();
    static const std::string file = dir + "/model.safetensors";
    const std::string text(reinterpret_cast<const char *>(data), size);

    std::vector<Spec> specs;
    std::string json_text, ignored;
    bool has_json = false;
    sdn::WeightStorage storage = sdn::WeightStorage::F16;
    std::string * section = nullptr;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t eol = text.find('\n', pos);
        if (eol == std::string::npos) eol = text.size();
        const std::string line = text.substr(pos, eol - pos);
        pos = eol + 1;
        if (line.rfind("%%", 0) == 0) {
            section = nullptr;
            if (line == "%%json") section = &json_text, has_json = true;
            else if (line == "%%f32") storage = sdn::WeightStorage::F32;
            else section = &ignored;
            continue;
        }
        if (section) { *section += line + "\n"; continue; }
        const size_t a = line.find(' ');
        if (a == std::string::npos || a == 0) continue;
        const size_t b = line.find(' ', a + 1);
        Spec s{line.substr(0, a), line.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1), {}};
        if (b != std::string::npos && !parse_dims(line.substr(b + 1), s.shape)) continue;
        specs.push_back(std::move(s));
    }

    // A valid safetensors file for these tensors; the data are zeros.
    sdn::JsonValue header = sdn::JsonValue::make_object();
    uint64_t offset = 0;
    std::set<std::string> names;
    for (const Spec & s : specs) {
        const size_t element = sdn::safetensors_dtype_size(s.dtype);
        if (element == 0 || !names.insert(s.name).second) continue;
        uint64_t bytes = element;
        for (uint64_t d : s.shape) {
            if (d != 0 && bytes > kMaxDataBytes / d) return 0; // too large to be worth writing
            bytes *= d;
        }
        if (offset + bytes > kMaxDataBytes) return 0;
        sdn::JsonValue entry = sdn::JsonValue::make_object();
        entry.set("dtype", sdn::JsonValue::make_string(s.dtype));
        sdn::JsonValue shape = sdn::JsonValue::make_array();
        for (uint64_t d : s.shape) shape.array.push_back(sdn::JsonValue::make_number(static_cast<double>(d)));
        entry.set("shape", shape);
        sdn::JsonValue offsets = sdn::JsonValue::make_array();
        offsets.array.push_back(sdn::JsonValue::make_number(static_cast<double>(offset)));
        offsets.array.push_back(sdn::JsonValue::make_number(static_cast<double>(offset + bytes)));
        entry.set("data_offsets", offsets);
        header.object.emplace_back(s.name, std::move(entry)); // names are unique (set above)
        offset += bytes;
    }
    // Pad the header with spaces (allowed) so the data section starts 64-byte aligned: tensors are then
    // zero-copy views, as in real files, and each run costs the header, not a 12 MB copy.
    std::string header_text = sdn::json_write(header);
    header_text.append((64 - (8 + header_text.size()) % 64) % 64, ' ');
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((static_cast<uint64_t>(header_text.size()) >> (8 * i)) & 0xff);
    bytes += header_text;
    fuzz::write_file(file, reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size(), offset);
    try {
        const sdn::CheckpointConfigs inferred = sdn::checkpoint_infer_single_file(file);
        sdn::JsonValue configs[3] = {sdn::clip_config_to_json(inferred.clip), sdn::unet_config_to_json(inferred.unet),
                                     sdn::vae_config_to_json(inferred.vae)};
        if (has_json) {
            const sdn::JsonValue root = sdn::json_parse(json_text, "fuzz configuration");
            const char * parts[3] = {"text_encoder", "unet", "vae"};
            for (int i = 0; i < 3; ++i)
                if (const sdn::JsonValue * section = root.is_object() ? root.find(parts[i]) : nullptr; section && section->is_object())
                    for (const auto & [key, value] : section->object) configs[i].set(key, value);
        }
        sdn::CheckpointSpec spec;
        spec.path = file;
        spec.layout = "single-file";
        spec.storage = storage;
        spec.text_encoder = &configs[0];
        spec.unet = &configs[1];
        spec.vae = &configs[2];
        const sdn::Checkpoint ck = sdn::checkpoint_load(spec);
        // Loaded: the configuration the models will be built from must be self-consistent.
        const sdn::UNetConfig & u = ck.unet_config;
        if (u.block_out_channels.empty() || u.num_attention_heads.size() != u.block_out_channels.size()) __builtin_trap();
        for (size_t i = 0; i < u.block_out_channels.size(); ++i)
            if (u.num_attention_heads[i] <= 0 || u.block_out_channels[i] % u.num_attention_heads[i] != 0) __builtin_trap();
        const sdn::CLIPConfig & k = ck.clip_config;
        if (k.num_attention_heads <= 0 || k.hidden_size % k.num_attention_heads != 0) __builtin_trap();
        if (!ck.unet || !ck.vae || !ck.clip) __builtin_trap();
    } catch (const sdn::Error &) {
    }
    return 0;
}
