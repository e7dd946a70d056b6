#include "lora_file.h"

#include <cstring>
#include <map>

#include "../core/error.h"
#include "safetensors.h"

namespace sdn {

namespace {

bool ends_with(const std::string & s, const std::string & suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
bool starts_with(const std::string & s, const std::string & prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// LyCORIS kinds other than LoRA/LoCon, by a fragment of their tensor names.
struct RefusedKind {
    const char * fragment;
    const char * kind;
};
constexpr RefusedKind kRefused[] = {
    {".hada_w1", "LoHa"},           {".hada_w2", "LoHa"},          {".hada_t1", "LoHa"},
    {".lokr_w1", "LoKr"},           {".lokr_w2", "LoKr"},          {".lokr_t2", "LoKr"},
    {".lora_mid.", "LoCon with a Tucker core (lora_mid)"},         {".dora_scale", "DoRA"},
    {".oft_blocks", "OFT"},         {".oft_diag", "OFT"},          {".a1.weight", "GLoRA"},
    {".a2.weight", "GLoRA"},        {".diff", "a full weight difference (.diff)"},
    {".w_norm", "a norm difference (.w_norm)"},                    {".b_norm", "a norm difference (.b_norm)"},
};

// Which half of a pair a tensor name is, and the module key before it.
struct Part {
    std::string key;
    enum { Down, Up, Alpha, None } what = None;
    const char * format = "";
};

Part part_of(const std::string & name) {
    struct Suffix {
        const char * text;
        decltype(Part::what) what;
        const char * format;
    };
    static const Suffix kSuffixes[] = {
        {".lora_down.weight", Part::Down, "kohya"},     {".lora_up.weight", Part::Up, "kohya"},
        {".lora_A.weight", Part::Down, "peft"},         {".lora_B.weight", Part::Up, "peft"},
        {".lora_A.default.weight", Part::Down, "peft"}, {".lora_B.default.weight", Part::Up, "peft"},
        {".lora.down.weight", Part::Down, "diffusers"}, {".lora.up.weight", Part::Up, "diffusers"},
        {"_lora.down.weight", Part::Down, "diffusers"}, {"_lora.up.weight", Part::Up, "diffusers"},
        {".alpha", Part::Alpha, ""},
    };
    for (const Suffix & s : kSuffixes)
        if (ends_with(name, s.text)) return Part{name.substr(0, name.size() - std::strlen(s.text)), s.what, s.format};
    return Part{};
}

// "lora_unet_x" -> (UNet, "x", undotted); "unet.x" -> (UNet, "x", dotted); ...
void split_network(LoraModule & m) {
    struct Prefix {
        const char * text;
        LoraNetwork network;
        bool dotted;
    };
    static const Prefix kPrefixes[] = {
        {"lora_unet_", LoraNetwork::UNet, false},
        {"lora_te1_", LoraNetwork::TextEncoder, false},
        {"lora_te2_", LoraNetwork::TextEncoder2, false},   // SDXL's second text encoder (kohya)
        {"lora_te_", LoraNetwork::TextEncoder, false},
        {"unet.", LoraNetwork::UNet, true},
        {"text_encoder_2.", LoraNetwork::TextEncoder2, true}, // SDXL's second text encoder (PEFT / diffusers)
        {"text_encoder.", LoraNetwork::TextEncoder, true},
        {"base_model.model.", LoraNetwork::Unknown, true},
    };
    for (const Prefix & p : kPrefixes) {
        if (starts_with(m.key, p.text)) {
            m.network = p.network;
            m.module = m.key.substr(std::strlen(p.text));
            m.dotted = p.dotted;
            return;
        }
    }
    m.network = LoraNetwork::Unknown;
    m.module = m.key;
    m.dotted = m.key.find('.') != std::string::npos;
}

Tensor owned_f32(const SafetensorsFile & file, const std::string & name, const Shape & shape) {
    const std::vector<float> values = file.copy_f32(name);
    Tensor t = Tensor::empty_weights(shape, DType::F32);
    std::memcpy(t.f32(), values.data(), values.size() * sizeof(float));
    return t;
}

} // namespace

std::shared_ptr<const LoraFile> lora_file_load(const std::string & path) {
    const std::shared_ptr<SafetensorsFile> file = SafetensorsFile::open(path);
    auto out = std::make_shared<LoraFile>();
    out->path = path;

    for (const SafetensorsEntry & e : file->entries())
        for (const RefusedKind & r : kRefused)
            if (e.name.find(r.fragment) != std::string::npos)
                throw Error(SDN_STATUS_BAD_FORMAT, path + ": this is a " + std::string(r.kind) + " file (tensor \"" + e.name +
                                                       "\"), a LyCORIS kind latentflow does not apply; only LoRA and LoCon (lora_down/lora_up, "
                                                       "lora_A/lora_B) are supported. Use a LoRA or LoCon export of it.");

    struct Pair {
        const SafetensorsEntry * down = nullptr;
        const SafetensorsEntry * up = nullptr;
        const SafetensorsEntry * alpha = nullptr;
        const char * format = "";
    };
    std::map<std::string, Pair> pairs; // by key, in name order
    std::vector<std::string> order;
    for (const SafetensorsEntry & e : file->entries()) {
        const Part p = part_of(e.name);
        if (p.what == Part::None) {
            out->stray.push_back(e.name);
            continue;
        }
        auto [it, fresh] = pairs.try_emplace(p.key);
        if (fresh) order.push_back(p.key);
        Pair & pair = it->second;
        if (p.what == Part::Down) pair.down = &e;
        if (p.what == Part::Up) pair.up = &e;
        if (p.what == Part::Alpha) pair.alpha = &e;
        if (*p.format) pair.format = p.format;
    }

    for (const std::string & key : order) {
        const Pair & pair = pairs.at(key);
        if (!pair.down && !pair.up) { // an alpha alone
            out->stray.push_back(pair.alpha->name);
            continue;
        }
        const std::string where = path + ": LoRA module \"" + key + "\"";
        require(pair.down && pair.up, SDN_STATUS_BAD_FORMAT, where + " has only its " + std::string(pair.down ? "down (A)" : "up (B)") +
                                                                 " matrix; the file is incomplete. Export the LoRA again.");
        const Shape & ds = pair.down->shape, & us = pair.up->shape;
        require((ds.size() == 2 || ds.size() == 4) && (us.size() == 2 || us.size() == 4), SDN_STATUS_BAD_FORMAT,
                where + ": down " + shape_str(ds) + " and up " + shape_str(us) + " must be matrices or conv kernels");
        const int64_t rank = ds[0];
        require(rank >= 1 && us[1] == rank && (us.size() == 2 || (us[2] == 1 && us[3] == 1)), SDN_STATUS_BAD_FORMAT,
                where + ": down " + shape_str(ds) + " and up " + shape_str(us) + " do not share a rank (up must be [out, r] or [out, r, 1, 1])");
        LoraModule m;
        m.key = key;
        split_network(m);
        m.rank = rank;
        m.down = owned_f32(*file, pair.down->name, ds);
        m.up = owned_f32(*file, pair.up->name, us);
        m.alpha = static_cast<float>(rank);
        if (pair.alpha) {
            require(shape_numel(pair.alpha->shape) == 1, SDN_STATUS_BAD_FORMAT, where + ": alpha has shape " + shape_str(pair.alpha->shape) + ", expected one value");
            m.alpha = file->copy_f32(pair.alpha->name)[0];
        }
        if (out->format.empty()) out->format = pair.format;
        out->bytes += m.down.nbytes() + m.up.nbytes();
        out->modules.push_back(std::move(m));
    }
    require(!out->modules.empty(), SDN_STATUS_BAD_FORMAT,
            path + ": no LoRA pairs (lora_down/lora_up or lora_A/lora_B tensors) in this file" +
                (out->stray.empty() ? std::string() : "; its first tensor is \"" + out->stray.front() + "\"") + ". Is it a LoRA?");
    return out;
}

} // namespace sdn
