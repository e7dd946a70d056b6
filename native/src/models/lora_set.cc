#include "lora_set.h"

#include <cstring>
#include <unordered_map>

#include "../core/error.h"
#include "../io/ldm_keys.h"
#include "../ops/gemm.h"

namespace sdn {

namespace {

std::string underscored(std::string s) {
    for (char & c : s)
        if (c == '.') c = '_';
    return s;
}

// A network's layers by every name a LoRA may give them -> the engine's (diffusers) name.
struct LayerIndex {
    const WeightStore * store = nullptr;
    std::unordered_map<std::string, std::string> dotted, underscore;

    void add(const std::string & alias, const std::string & name) {
        dotted.emplace(alias, name);
        underscore.emplace(underscored(alias), name);
    }
    // The engine's layer name, or "".
    std::string find(const LoraModule & m) const {
        if (!m.dotted) {
            auto it = underscore.find(m.module);
            return it == underscore.end() ? "" : it->second;
        }
        for (const std::string & candidate : dotted_candidates(m.module)) {
            auto it = dotted.find(candidate);
            if (it != dotted.end()) return it->second;
        }
        return "";
    }
    // PEFT names as they are; diffusers' attention processor names ("attn1.processor.to_out_lora") mapped.
    static std::vector<std::string> dotted_candidates(std::string name) {
        std::vector<std::string> out{name};
        const std::string processor = ".processor.";
        if (size_t at = name.find(processor); at != std::string::npos) name.replace(at, processor.size(), ".");
        if (name.size() > 5 && name.compare(name.size() - 5, 5, "_lora") == 0) name.resize(name.size() - 5);
        out.push_back(name);
        if (name.size() > 7 && name.compare(name.size() - 7, 7, ".to_out") == 0) out.push_back(name + ".0");
        return out;
    }
};

LayerIndex index_of(const WeightStore & store, const std::vector<LdmName> & ldm_names) {
    LayerIndex index;
    index.store = &store;
    const std::string suffix = ".weight";
    for (const std::string & w : store.names()) {
        const Tensor * t = store.find(w);
        if (!t || t->rank() < 2 || w.size() <= suffix.size() || w.compare(w.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
        index.add(w.substr(0, w.size() - suffix.size()), w.substr(0, w.size() - suffix.size()));
    }
    for (const LdmName & n : ldm_names) {
        if (n.original.size() <= suffix.size() || n.original.compare(n.original.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
        const std::string layer = n.diffusers.substr(0, n.diffusers.size() - suffix.size());
        if (index.dotted.count(layer)) index.add(n.original.substr(0, n.original.size() - suffix.size()), layer);
    }
    return index;
}

// Checks the pair against the layer's weight [out, in(, k, k)].
void check_shapes(const LoraFile & file, const LoraModule & m, const std::string & layer, const Tensor & w) {
    const int64_t out = w.dim(0), in_total = w.numel() / out, k = w.rank() == 4 ? w.dim(2) : 1;
    const bool ok = m.up.dim(0) == out && m.down.numel() / m.rank == in_total &&
                    (k == 1 || (m.down.rank() == 4 && m.down.dim(1) == w.dim(1) && m.down.dim(2) == k && m.down.dim(3) == k));
    require(ok, SDN_STATUS_BAD_SHAPE,
            file.path + ": LoRA module \"" + m.key + "\" (down " + shape_str(m.down.shape) + ", up " + shape_str(m.up.shape) +
                ") does not fit layer \"" + layer + "\" (weight " + shape_str(w.shape) + "). Is this LoRA for another model (SD 2.x, SDXL)?");
}

// W + sum_i s_i up_i down_i, an owned f32 copy with W's shape.
Tensor merge_weight(const Tensor & w, const std::vector<LoraTerm> & terms) {
    Tensor merged = Tensor::empty_weights(w.shape, DType::F32);
    const Tensor wide = to_f32(w);
    std::memcpy(merged.f32(), wide.f32(), merged.nbytes());
    const int64_t out = w.dim(0), in_total = w.numel() / out;
    std::vector<float> product(static_cast<size_t>(out * in_total));
    for (const LoraTerm & t : terms) {
        const int64_t r = t.down->dim(0);
        gemm(out, in_total, r, t.up->f32(), r, MatB{t.down->data, DType::F32, false, in_total}, product.data(), in_total, nullptr, false);
        float * m = merged.f32();
        for (size_t i = 0; i < product.size(); ++i) m[i] += t.scale * product[i];
    }
    return merged;
}

} // namespace

const LayerLoras * LoraSet::for_part(ModelPart part) const {
    if (part == ModelPart::UNet) return &unet;
    if (part == ModelPart::TextEncoder) return &text_encoder;
    if (part == ModelPart::TextEncoder2) return &text_encoder_2;
    return nullptr;
}

std::shared_ptr<const LoraSet> lora_set_build(const Model & model, const std::vector<LoraApply> & loras, LoraMode mode) {
    auto set = std::make_shared<LoraSet>();
    set->mode = mode;
    // The networks a module may belong to, in the order a module without a network prefix tries them.
    struct Network {
        LoraNetwork kind;
        LayerIndex index;
        LayerLoras * layers;
        int64_t * matched;
        bool unet;
    };
    std::vector<Network> networks;
    networks.push_back({LoraNetwork::UNet, index_of(*model.checkpoint.unet, ldm_unet_names(model.unet->config())), &set->unet, &set->matched_unet, true});
    if (model.checkpoint.clip) // none in an SDXL refiner
        networks.push_back({LoraNetwork::TextEncoder, index_of(*model.checkpoint.clip, {}), &set->text_encoder, &set->matched_text_encoder, false});
    if (model.checkpoint.clip2)
        networks.push_back({LoraNetwork::TextEncoder2, index_of(*model.checkpoint.clip2, {}), &set->text_encoder_2, &set->matched_text_encoder_2, false});
    for (const LoraApply & a : loras) {
        const LoraFile & file = *a.file;
        set->files.push_back(a.file);
        set->extra_bytes += file.bytes;
        std::vector<std::string> & unmatched = set->unmatched.emplace_back();
        for (const LoraModule & m : file.modules) {
            std::string layer;
            const Network * network = nullptr;
            for (const Network & n : networks) {
                if (m.network != LoraNetwork::Unknown && m.network != n.kind) continue;
                if (!(layer = n.index.find(m)).empty()) {
                    network = &n;
                    break;
                }
            }
            if (!network) { // a lora_te2_ module on SD 1.x lands here too: reported, not applied
                unmatched.push_back(m.key);
                continue;
            }
            check_shapes(file, m, layer, network->index.store->get(layer + ".weight"));
            *network->matched += 1;
            const float strength = network->unet ? a.strength_unet : a.strength_text_encoder;
            if (strength == 0.0f) continue;
            (*network->layers)[layer].terms.push_back(LoraTerm{&m.down, &m.up, strength * m.alpha / static_cast<float>(m.rank)});
        }
        for (const std::string & stray : file.stray) unmatched.push_back(stray);
    }
    if (mode == LoraMode::Merge) {
        for (const Network & n : networks) {
            for (auto & [layer, lora] : *n.layers) {
                lora.merged = merge_weight(n.index.store->get(layer + ".weight"), lora.terms);
                set->extra_bytes += lora.merged.nbytes();
            }
        }
    }
    return set;
}

} // namespace sdn
