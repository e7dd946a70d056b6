#include "t2i_adapter_file.h"

#include <map>
#include <set>

#include "safetensors.h"

namespace sdn {

namespace {

bool starts_with(const std::string & s, const std::string & p) { return s.compare(0, p.size(), p) == 0; }
std::string quoted(const std::string & s) { return "\"" + s + "\""; }

// ComfyUI's renaming of a diffusers T2IAdapter name (first matching prefix wins).
std::string from_diffusers(const std::string & name) {
    std::string n = name.substr(std::string("adapter.").size());
    if (!starts_with(n, "body.")) return n;
    const std::string rest = n.substr(5);
    const size_t dot = rest.find('.');
    const int i = std::stoi(rest.substr(0, dot));
    const std::string tail = rest.substr(dot + 1);
    if (starts_with(tail, "resnets.")) {
        const std::string r = tail.substr(8);
        const size_t d = r.find('.');
        return "body." + std::to_string(i * 2 + std::stoi(r.substr(0, d))) + "." + r.substr(d + 1);
    }
    return "body." + std::to_string(i * 2) + "." + tail;
}

// Distinct integers N of names "<prefix>N.*".
std::set<int> indices(const std::map<std::string, const SafetensorsEntry *> & m, const std::string & p) {
    std::set<int> found;
    for (auto it = m.lower_bound(p); it != m.end() && starts_with(it->first, p); ++it) {
        const std::string number = it->first.substr(p.size(), it->first.find('.', p.size()) - p.size());
        if (!number.empty() && number.size() <= 6 && number.find_first_not_of("0123456789") == std::string::npos) found.insert(std::stoi(number));
    }
    return found;
}

} // namespace

bool t2i_adapter_names(const std::vector<std::string> & names) {
    bool conv_in = false, body = false;
    for (const std::string & n : names) {
        if (n == "conv_in.weight") conv_in = true;
        if (starts_with(n, "body.")) body = true;
        if (n == "body.0.in_conv.weight" || starts_with(n, "adapter.body.")) return true;
    }
    return conv_in && body;
}

T2IAdapterFile t2i_adapter_file_load(const std::string & path, WeightStorage storage) {
    const std::string where = quoted(path);
    const auto file = SafetensorsFile::open(path);
    T2IAdapterFile out;
    out.source = path;
    bool diffusers = false;
    for (const SafetensorsEntry & e : file->entries())
        if (starts_with(e.name, "adapter.")) diffusers = true;
    std::map<std::string, const SafetensorsEntry *> keys;
    for (const SafetensorsEntry & e : file->entries()) {
        if (diffusers && !starts_with(e.name, "adapter.")) continue;
        keys[diffusers ? from_diffusers(e.name) : e.name] = &e;
    }
    const auto shape = [&](const std::string & k, size_t rank) -> const Shape & {
        auto it = keys.find(k);
        require(it != keys.end(), SDN_STATUS_MISSING_TENSOR, where + ": T2I-Adapter tensor " + quoted(k) + " is missing");
        require(it->second->shape.size() == rank, SDN_STATUS_BAD_FORMAT,
                where + ": tensor " + quoted(it->second->name) + " has shape " + shape_str(it->second->shape) + ", expected rank " + std::to_string(rank));
        return it->second->shape;
    };
    for (const auto & kv : keys)
        require(kv.first.find("down_opt.op.") == std::string::npos, SDN_STATUS_BAD_FORMAT,
                where + ": a T2I-Adapter with convolutional down-sampling (" + kv.first + "), which latentflow does not load yet");
    T2IAdapterConfig & c = out.config;
    c.light = keys.count("body.0.in_conv.weight") != 0;
    out.layout = diffusers ? "diffusers" : c.light ? "light" : "full";
    const std::set<int> levels_or_blocks = indices(keys, "body.");
    require(!levels_or_blocks.empty() && *levels_or_blocks.rbegin() == static_cast<int>(levels_or_blocks.size()) - 1, SDN_STATUS_BAD_FORMAT,
            where + ": T2I-Adapter body.* is not numbered 0..N without gaps");
    int64_t cin = 0;
    if (c.light) {
        cin = shape("body.0.in_conv.weight", 4)[1];
        c.blocks_per_level = static_cast<int64_t>(indices(keys, "body.0.body.").size());
        for (int i : levels_or_blocks) c.channels.push_back(shape("body." + std::to_string(i) + ".out_conv.weight", 4)[0]);
    } else {
        const Shape & conv_in = shape("conv_in.weight", 4);
        cin = conv_in[1];
        c.blocks_per_level = 2; // ComfyUI's nums_rb for every full adapter
        c.ksize = shape("body.0.block2.weight", 4)[2];
        const int n = static_cast<int>(levels_or_blocks.size());
        require(n % 2 == 0, SDN_STATUS_BAD_FORMAT, where + ": T2I-Adapter has " + std::to_string(n) + " body blocks, expected 2 per level");
        for (int i = 0; i < n / 2; ++i) c.channels.push_back(shape("body." + std::to_string(2 * i) + ".block1.weight", 4)[0]);
        require(c.channels[0] == conv_in[0], SDN_STATUS_BAD_FORMAT, where + ": T2I-Adapter conv_in gives " + std::to_string(conv_in[0]) + " channels, body.0 takes " + std::to_string(c.channels[0]));
    }
    // ComfyUI's load_t2i_adapter: a full adapter whose conv_in takes 768 or 256 channels is SDXL's (PixelUnshuffle 16
    // of a 3- or 1-channel hint).
    c.xl = !c.light && (cin == 256 || cin == 768);
    if (c.xl)
        require(c.channels.size() >= 3, SDN_STATUS_BAD_FORMAT,
                where + ": an SDXL T2I-Adapter (conv_in takes " + std::to_string(cin) + " channels) needs at least 3 levels, it has " + std::to_string(c.channels.size()));
    const int64_t per = c.unshuffle() * c.unshuffle();
    require(cin % per == 0, SDN_STATUS_BAD_FORMAT,
            where + ": T2I-Adapter input channels " + std::to_string(cin) + " are not a multiple of " + std::to_string(per) + " (PixelUnshuffle " + std::to_string(c.unshuffle()) + ")");
    c.hint_channels = cin / per;

    auto store = std::make_shared<WeightStore>(storage);
    store->set_label("T2I-Adapter");
    store->add_source_file(path);
    for (const auto & kv : keys) {
        const std::string & d = kv.second->dtype;
        require(d == "F32" || d == "F16" || d == "BF16", SDN_STATUS_BAD_FORMAT, where + ": tensor " + quoted(kv.second->name) + " has dtype " + d + " (F32, F16 or BF16 expected)");
        store->add(kv.first, file->tensor(kv.second->name), path);
    }
    out.weights = store;
    return out;
}

} // namespace sdn
