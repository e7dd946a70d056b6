#include "control_lora_file.h"

#include <algorithm>
#include <set>

#include "../ops/gemm.h"

namespace sdn {

namespace {

const std::string kMarker = "lora_controlnet";

bool ends_with(const std::string & s, const std::string & tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}
std::string quoted(const std::string & s) { return "\"" + s + "\""; }
bool is_float_dtype(const std::string & d) { return d == "F32" || d == "F16" || d == "BF16"; }

// ComfyUI sets only these on the ControlNet (ControlLora.pre_run): the rest of the file is not read.
bool counts(const std::string & name) {
    if (name == kMarker || name.find("__") != std::string::npos) return false;
    return ends_with(name, ".weight") || ends_with(name, ".bias") || ends_with(name, ".up") || ends_with(name, ".down");
}

const LayerLora * find_lora(const LayerLoras & loras, const std::string & layer) {
    auto it = loras.find(layer);
    return it == loras.end() ? nullptr : &it->second;
}

int64_t numel_of(const Shape & s) {
    int64_t n = 1;
    for (int64_t d : s) n *= d;
    return n;
}

} // namespace

bool control_lora_names(const std::vector<std::string> & names) {
    return std::find(names.begin(), names.end(), kMarker) != names.end();
}

ControlLoraFile control_lora_file_load(const std::string & path) {
    const std::string where = quoted(path);
    ControlLoraFile out;
    out.source = path;
    out.file = SafetensorsFile::open(path);
    for (const SafetensorsEntry & e : out.file->entries()) {
        if (!counts(e.name)) continue;
        require(is_float_dtype(e.dtype), SDN_STATUS_BAD_FORMAT, where + ": Control-LoRA tensor " + quoted(e.name) + " has dtype " + e.dtype + " (F32, F16 or BF16 expected)");
        out.tensors[e.name] = &e;
        out.bytes += e.end - e.begin;
    }
    for (const char * name : {"input_hint_block.0.weight", "zero_convs.0.0.weight", "middle_block_out.0.weight"})
        require(out.tensors.count(name) != 0, SDN_STATUS_MISSING_TENSOR,
                where + " is a Control-LoRA (it has \"lora_controlnet\") without " + quoted(name) +
                    ": its hint encoder, zero convolutions and middle_block_out come from the file alone (incomplete file?)");
    controlnet_hint_ldm(where, out.tensors, "", out.hint);
    for (const auto & kv : out.tensors) {
        if (!ends_with(kv.first, ".up") && !ends_with(kv.first, ".down")) continue;
        const bool up = ends_with(kv.first, ".up");
        const std::string layer = kv.first.substr(0, kv.first.size() - (up ? 3 : 5));
        const std::string other = layer + (up ? ".down" : ".up");
        auto it = out.tensors.find(other);
        require(it != out.tensors.end(), SDN_STATUS_MISSING_TENSOR, where + ": Control-LoRA tensor " + quoted(kv.first) + " has no " + quoted(other));
        if (!up) continue;
        const Shape & u = kv.second->shape;
        const Shape & d = it->second->shape;
        require(u.size() >= 2 && d.size() >= 2 && u[1] == d[0], SDN_STATUS_BAD_SHAPE,
                where + ": Control-LoRA pair " + quoted(layer) + ": up " + shape_str(u) + " and down " + shape_str(d) + " do not multiply (up [out, r, ...], down [r, in, ...])");
        out.rank = std::max(out.rank, static_cast<int>(u[1]));
        ++out.pairs;
    }
    return out;
}

ResolvedControlLora control_lora_resolve(const ControlLoraFile & lora, const UNetConfig & unet, const WeightStore & unet_weights, const LayerLoras * loras,
                                         const std::string & where) {
    const std::string file = quoted(lora.source);
    ResolvedControlLora out;
    ControlNetFile & net = out.net;
    net.source = lora.source;
    net.layout = "control_lora";
    net.config = lora.hint;
    net.config.unet = unet; // ComfyUI: the model's unet_config, with the file's hint channels
    net.config.global_pool_conditions = false;

    auto store = std::make_shared<WeightStore>(storage_for_network(unet_weights.storage(), false)); // a ControlNet: never q8_0
    store->set_label("Control-LoRA");
    store->add_source_file(lora.source);
    std::set<std::string> used;
    const auto file_tensor = [&](const std::string & name) -> const SafetensorsEntry * {
        auto it = lora.tensors.find(name);
        if (it == lora.tensors.end()) return nullptr;
        used.insert(name);
        return it->second;
    };
    for (const LdmName & n : controlnet_names(net.config)) {
        const Tensor * own = unet_weights.find(n.diffusers);
        const SafetensorsEntry * replaced = file_tensor(n.original);
        Tensor w;
        std::string source;
        if (replaced) {
            w = lora.file->tensor(n.original);
            source = lora.source;
            if (own && own->shape != w.shape)
                throw Error(SDN_STATUS_BAD_SHAPE, file + ": Control-LoRA tensor " + quoted(n.original) + " has shape " + shape_str(w.shape) + ", the model's " +
                                                      n.diffusers + " " + shape_str(own->shape) + ": the Control-LoRA was made for another model (" + where + ")");
        } else {
            require(own != nullptr, SDN_STATUS_MISSING_TENSOR,
                    file + ": the Control-LoRA's ControlNet needs " + quoted(n.original) + ", which neither the file nor the model (" + where + ", " + n.diffusers +
                        ") has: the Control-LoRA was made for another model");
            w = *own;
            source = where;
        }
        const bool weight = ends_with(n.original, ".weight");
        const std::string layer = weight ? n.original.substr(0, n.original.size() - 7) : "";
        const int64_t rows = w.shape.empty() ? 1 : w.shape[0], cols = w.numel() / std::max<int64_t>(rows, 1);
        Tensor sum; // an f32 copy of w, made when something is added to it
        const auto add_product = [&](const float * a, const float * b, int64_t r) {
            if (!sum.data) {
                sum = Tensor::empty_weights(w.shape, DType::F32);
                const Tensor base = to_f32(w);
                std::copy(base.f32(), base.f32() + base.numel(), sum.f32());
            }
            gemm(rows, cols, r, a, r, MatB{b, DType::F32, false, cols}, sum.f32(), cols, nullptr, true); // sum += a [rows, r] @ b [r, cols]
        };
        // The model's LoRAs on a weight taken from the model: ComfyUI's pre_run reads the patched weights.
        const LayerLora * patch = weight && !replaced && loras ? find_lora(*loras, n.diffusers.substr(0, n.diffusers.size() - 7)) : nullptr;
        if (patch && patch->is_merged()) {
            w = patch->merged; // W + sum s_i up_i down_i, as the model's calls use it
        } else if (patch) {
            for (const LoraTerm & term : patch->terms) {
                const int64_t r = term.down->shape[0];
                std::vector<float> scaled(term.up->f32(), term.up->f32() + rows * r); // [rows, r]
                for (float & v : scaled) v *= term.scale;
                add_product(scaled.data(), term.down->f32(), r);
            }
        }
        const SafetensorsEntry * up = weight ? file_tensor(layer + ".up") : nullptr;
        if (up) {
            const SafetensorsEntry * down = file_tensor(layer + ".down");
            const int64_t r = up->shape[1];
            require(up->shape[0] == rows && numel_of(up->shape) == rows * r && numel_of(down->shape) == r * cols, SDN_STATUS_BAD_SHAPE,
                    file + ": Control-LoRA pair " + quoted(layer) + " (up " + shape_str(up->shape) + ", down " + shape_str(down->shape) + ") does not fit " +
                        quoted(n.original) + " " + shape_str(w.shape) + ": the Control-LoRA was made for another model (" + where + ")");
            const std::vector<float> a = lora.file->copy_f32(up->name);   // [rows, r]
            const std::vector<float> b = lora.file->copy_f32(down->name); // [r, cols]
            add_product(a.data(), b.data(), r); // W + up.flatten(1) @ down.flatten(1), reshaped to W's shape
            source = lora.source;
        }
        if (sum.data) w = sum;
        store->add(n.diffusers, w, source);
        const Tensor & kept = store->get(n.diffusers);
        if (!own || kept.data != own->data) out.resolved_bytes += kept.nbytes();
    }
    for (const auto & kv : lora.tensors)
        require(used.count(kv.first) != 0, SDN_STATUS_BAD_FORMAT,
                file + ": Control-LoRA tensor " + quoted(kv.first) + " has no place in the ControlNet of this model (" + where +
                    "): the Control-LoRA was made for another model");
    net.weights = store;
    return out;
}

} // namespace sdn
