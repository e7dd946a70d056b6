#include "controlnet_file.h"

#include <algorithm>
#include <map>
#include <set>

#include "ldm_keys.h"
#include "safetensors.h"

namespace sdn {

namespace {

const std::string kComfyPrefix = "control_model."; // lllyasviel's .pth converted, as ComfyUI saves it
const std::string kDifference = "difference";      // the marker of a diff ControlNet

bool starts_with(const std::string & s, const std::string & p) { return s.compare(0, p.size(), p) == 0; }
std::string quoted(const std::string & s) { return "\"" + s + "\""; }

// The file's tensors by name (without the prefix), with errors naming the file and the full key.
class Keys {
public:
    Keys(const std::string & where, std::string prefix) : where_(where), prefix_(std::move(prefix)) {}
    std::map<std::string, const SafetensorsEntry *> entries;

    bool has(const std::string & key) const { return entries.count(key) != 0; }
    const Shape & shape(const std::string & key, size_t rank) const {
        auto it = entries.find(key);
        require(it != entries.end(), SDN_STATUS_MISSING_TENSOR, where_ + ": ControlNet tensor " + quoted(prefix_ + key) + " is missing (is this an SD 1.x, 2.x or SDXL ControlNet?)");
        require(it->second->shape.size() == rank, SDN_STATUS_BAD_FORMAT,
                where_ + ": tensor " + quoted(prefix_ + key) + " has shape " + shape_str(it->second->shape) + ", expected rank " + std::to_string(rank));
        return it->second->shape;
    }
    int dim(const std::string & key, size_t rank, size_t axis) const { return static_cast<int>(shape(key, rank)[axis]); }
    // Distinct integers N of keys "<prefix>N.*", sorted.
    std::vector<int> indices(const std::string & p) const {
        std::set<int> found;
        for (auto it = entries.lower_bound(p); it != entries.end() && starts_with(it->first, p); ++it) {
            const std::string rest = it->first.substr(p.size());
            const std::string number = rest.substr(0, rest.find('.'));
            if (number.empty() || number.size() > 6 || number.find_first_not_of("0123456789") != std::string::npos) continue;
            found.insert(std::stoi(number));
        }
        return {found.begin(), found.end()};
    }
    const std::string & prefix() const { return prefix_; }

private:
    const std::string & where_;
    std::string prefix_;
};

// SDXL's added conditioning, from add_embedding.linear_1's (label_emb.0.0's) weight [4 c0, P]: P = pooled + 6 D.
// The shapes show P only; D is SDXL's 256 (what ComfyUI's SDXL models use to build the `y` a ControlNet reads),
// so P must exceed 6 x 256. Other widths need the ControlNet's config.json.
void infer_text_time(const std::string & where, const Keys & k, const std::string & key, UNetConfig & u) {
    const Shape & w = k.shape(key, 2);
    const int P = static_cast<int>(w[1]);
    require(w[0] == 4 * static_cast<int64_t>(u.block_out_channels[0]), SDN_STATUS_BAD_FORMAT,
            where + ": " + quoted(k.prefix() + key) + " has shape " + shape_str(w) + ", expected [4 x " + std::to_string(u.block_out_channels[0]) + ", P]");
    constexpr int kSdxlTimeDim = 256;
    require(P > 6 * kSdxlTimeDim, SDN_STATUS_BAD_FORMAT,
            where + ": the ControlNet's added conditioning is " + std::to_string(P) + " wide, too narrow for SDXL's (pooled text + 6 x " +
                std::to_string(kSdxlTimeDim) + " size features), so its addition_time_embed_dim cannot be told from the shapes: give its "
                "ControlNetModel config.json (for ControlNetLoader, as a .json file of the same name beside it)");
    u.addition_embed_type = "text_time";
    u.projection_class_embeddings_input_dim = P;
    u.addition_time_embed_dim = kSdxlTimeDim;
}

// The context width, from the first cross-attention's key projection; 0 when there is none (a ControlNet of
// transformer depth 0 everywhere reads no context).
int context_width(const Keys & k) {
    for (const auto & kv : k.entries) {
        const std::string & n = kv.first;
        const std::string tail = "attn2.to_k.weight";
        if (n.size() > tail.size() && n.compare(n.size() - tail.size(), tail.size(), tail) == 0 && kv.second->shape.size() == 2)
            return static_cast<int>(kv.second->shape[1]);
    }
    return 0;
}

// The mid block's transformer depth, which the configuration keeps as the last level's (diffusers'
// transformer_layers_per_block[-1]); a last level without attention takes the mid block's.
void mid_depth(const std::string & where, const Keys & k, const std::string & mid, UNetConfig & u) {
    const int L = static_cast<int>(u.block_out_channels.size());
    const int depth = static_cast<int>(k.indices(mid + "transformer_blocks.").size());
    if (u.down_block_types[L - 1] == "DownBlock2D") u.transformer_layers_per_block[L - 1] = depth;
    require(u.transformer_layers_per_block[L - 1] == depth, SDN_STATUS_BAD_FORMAT,
            where + ": the ControlNet's mid block has " + std::to_string(depth) + " transformer blocks, its last level " +
                std::to_string(u.transformer_layers_per_block[L - 1]) + ": a mid block deeper or shallower than the last level is not supported");
}

// Heads and sample size from what shapes cannot show (see the header).
void finish_unet(UNetConfig & u) {
    const int L = static_cast<int>(u.block_out_channels.size());
    u.up_block_types.clear();
    for (int i = L - 1; i >= 0; --i) u.up_block_types.push_back(u.down_block_types[i] == "CrossAttnDownBlock2D" ? "CrossAttnUpBlock2D" : "UpBlock2D");
    u.num_attention_heads.assign(L, 8);
    // SD 2.x and SDXL: 64-wide heads (ComfyUI's num_head_channels 64)
    if (u.cross_attention_dim == 1024 || u.addition_embed_type == "text_time")
        for (int i = 0; i < L; ++i) u.num_attention_heads[i] = std::max(1, u.block_out_channels[i] / 64);
    u.out_channels = u.in_channels;
}

ControlNetConfig infer_ldm(const std::string & where, const Keys & k) {
    ControlNetConfig c;
    UNetConfig & u = c.unet;
    const Shape & conv_in = k.shape("input_blocks.0.0.weight", 4);
    u.in_channels = static_cast<int>(conv_in[1]);
    const std::vector<int> blocks = k.indices("input_blocks.");
    require(!blocks.empty() && blocks.front() == 0 && blocks.back() == static_cast<int>(blocks.size()) - 1, SDN_STATUS_BAD_FORMAT,
            where + ": ControlNet input_blocks are not numbered 0..N without gaps");
    std::vector<int> downsamplers;
    for (int b : blocks)
        if (k.has("input_blocks." + std::to_string(b) + ".0.op.weight")) downsamplers.push_back(b);
    const int last = blocks.back();
    const int R = downsamplers.empty() ? last : downsamplers.front() - 1;
    require(R >= 1 && (last + 1) % (R + 1) == 0, SDN_STATUS_BAD_FORMAT, where + ": cannot make out the ControlNet's levels from input_blocks 0.." + std::to_string(last));
    const int L = (last + 1) / (R + 1);
    require(static_cast<int>(downsamplers.size()) == L - 1, SDN_STATUS_BAD_FORMAT, where + ": the ControlNet's down-samplers do not fit " + std::to_string(L) + " levels");
    u.layers_per_block = R;
    u.block_out_channels.clear();
    u.down_block_types.clear();
    u.transformer_layers_per_block.clear();
    for (int i = 0; i < L; ++i) {
        const std::string b = "input_blocks." + std::to_string(1 + i * (R + 1)) + ".";
        u.block_out_channels.push_back(k.dim(b + "0.out_layers.3.weight", 4, 0));
        const bool attention = k.has(b + "1.proj_in.weight");
        u.down_block_types.push_back(attention ? "CrossAttnDownBlock2D" : "DownBlock2D");
        const int depth = static_cast<int>(k.indices(b + "1.transformer_blocks.").size());
        u.transformer_layers_per_block.push_back(attention || depth > 0 ? depth : 1);
    }
    const std::string mid = "middle_block.1.";
    u.use_linear_projection = k.has(mid + "proj_in.weight") && k.entries.at(mid + "proj_in.weight")->shape.size() == 2;
    u.cross_attention_dim = context_width(k);
    mid_depth(where, k, mid, u);
    if (k.has("label_emb.0.0.weight")) infer_text_time(where, k, "label_emb.0.0.weight", u);
    finish_unet(u);

    controlnet_hint_ldm(where, k.entries, k.prefix(), c);
    return c;
}

ControlNetConfig infer_diffusers(const std::string & where, const Keys & k) {
    ControlNetConfig c;
    UNetConfig & u = c.unet;
    u.in_channels = k.dim("conv_in.weight", 4, 1);
    const std::vector<int> levels = k.indices("down_blocks.");
    const int L = static_cast<int>(levels.size());
    require(L >= 1 && levels.back() == L - 1, SDN_STATUS_BAD_FORMAT, where + ": ControlNet down_blocks are not numbered 0..N without gaps");
    u.layers_per_block = static_cast<int>(k.indices("down_blocks.0.resnets.").size());
    u.block_out_channels.clear();
    u.down_block_types.clear();
    u.transformer_layers_per_block.clear();
    for (int i = 0; i < L; ++i) {
        const std::string b = "down_blocks." + std::to_string(i) + ".";
        u.block_out_channels.push_back(k.dim(b + "resnets.0.conv2.weight", 4, 0));
        const bool attention = k.has(b + "attentions.0.proj_in.weight");
        u.down_block_types.push_back(attention ? "CrossAttnDownBlock2D" : "DownBlock2D");
        const int depth = static_cast<int>(k.indices(b + "attentions.0.transformer_blocks.").size());
        u.transformer_layers_per_block.push_back(attention || depth > 0 ? depth : 1);
    }
    const std::string mid = "mid_block.attentions.0.";
    u.use_linear_projection = k.has(mid + "proj_in.weight") && k.entries.at(mid + "proj_in.weight")->shape.size() == 2;
    u.cross_attention_dim = context_width(k);
    mid_depth(where, k, mid, u);
    if (k.has("add_embedding.linear_1.weight")) infer_text_time(where, k, "add_embedding.linear_1.weight", u);
    finish_unet(u);

    const int blocks = static_cast<int>(k.indices("controlnet_cond_embedding.blocks.").size());
    require(blocks % 2 == 0, SDN_STATUS_BAD_FORMAT, where + ": controlnet_cond_embedding has " + std::to_string(blocks) + " blocks, expected an even number");
    c.conditioning_channels = k.dim("controlnet_cond_embedding.conv_in.weight", 4, 1);
    c.conditioning_embedding_out_channels = {k.dim("controlnet_cond_embedding.conv_in.weight", 4, 0)};
    for (int j = 1; j < blocks; j += 2)
        c.conditioning_embedding_out_channels.push_back(k.dim("controlnet_cond_embedding.blocks." + std::to_string(j) + ".weight", 4, 0));
    return c;
}

} // namespace

// Every tensor of a ControlNet with this configuration: (LDM name, diffusers name).
std::vector<LdmName> controlnet_names(const ControlNetConfig & c) {
    std::vector<LdmName> out;
    for (LdmName & n : ldm_unet_names(c.unet))
        if (starts_with(n.original, "time_embed.") || starts_with(n.original, "label_emb.") || starts_with(n.original, "input_blocks.") ||
            starts_with(n.original, "middle_block."))
            out.push_back(std::move(n));
    const auto affine = [&](const std::string & original, const std::string & diffusers) {
        out.push_back({original + ".weight", diffusers + ".weight"});
        out.push_back({original + ".bias", diffusers + ".bias"});
    };
    const int convs = 2 * static_cast<int>(c.conditioning_embedding_out_channels.size());
    for (int j = 0; j < convs; ++j)
        affine("input_hint_block." + std::to_string(2 * j), j == 0           ? "controlnet_cond_embedding.conv_in"
                                                             : j == convs - 1 ? "controlnet_cond_embedding.conv_out"
                                                                              : "controlnet_cond_embedding.blocks." + std::to_string(j - 1));
    const int L = static_cast<int>(c.unet.block_out_channels.size());
    const int residuals = 1 + L * c.unet.layers_per_block + (L - 1);
    for (int k = 0; k < residuals; ++k) affine("zero_convs." + std::to_string(k) + ".0", "controlnet_down_blocks." + std::to_string(k));
    affine("middle_block_out.0", "controlnet_mid_block");
    return out;
}

void controlnet_hint_ldm(const std::string & where, const std::map<std::string, const SafetensorsEntry *> & entries, const std::string & prefix,
                         ControlNetConfig & c) {
    Keys k(where, prefix);
    k.entries = entries;
    const std::vector<int> hint = k.indices("input_hint_block.");
    const int n = static_cast<int>(hint.size());
    require(n >= 2 && n % 2 == 0, SDN_STATUS_BAD_FORMAT, where + ": the hint encoder (input_hint_block) has " + std::to_string(n) + " convolutions, expected an even number >= 2");
    for (int j = 0; j < n; ++j)
        require(hint[j] == 2 * j, SDN_STATUS_BAD_FORMAT, where + ": input_hint_block convolutions are expected at 0, 2, 4, ... (conv, SiLU, conv, ...)");
    c.conditioning_channels = k.dim("input_hint_block.0.weight", 4, 1);
    c.conditioning_embedding_out_channels.clear();
    for (int i = 0; 2 * i < n - 1; ++i) c.conditioning_embedding_out_channels.push_back(k.dim("input_hint_block." + std::to_string(4 * i) + ".weight", 4, 0));
}

namespace {

// The diffusers prefixes of the attentions of levels of transformer depth 0 ("down_blocks.1.attentions."): ComfyUI builds
// no SpatialTransformer there (its cldm.ControlNet; its diffusers conversion leaves their tensors over), so neither do we.
std::vector<std::string> zero_depth_attentions(const UNetConfig & u) {
    std::vector<std::string> out;
    for (size_t i = 0; i < u.down_block_types.size(); ++i)
        if (u.down_block_types[i] == "CrossAttnDownBlock2D" && u.transformer_layers_per_block[i] == 0) out.push_back("down_blocks." + std::to_string(i) + ".attentions.");
    return out;
}

bool is_float_dtype(const std::string & d) { return d == "F32" || d == "F16" || d == "BF16"; }

} // namespace

ControlNetFile controlnet_file_load(const std::string & path, WeightStorage storage, const ControlNetConfig * config, const WeightStore * diff_base) {
    const std::string where = quoted(path);
    const auto file = SafetensorsFile::open(path);
    ControlNetFile out;
    out.source = path;
    bool comfy_prefix = false, diffusers = false;
    for (const SafetensorsEntry & e : file->entries()) {
        if (starts_with(e.name, kComfyPrefix)) comfy_prefix = true;
        if (e.name == "controlnet_cond_embedding.conv_in.weight") diffusers = true;
        if (e.name == kDifference) out.difference = true;
        if (starts_with(e.name, "model.diffusion_model.") || starts_with(e.name, "first_stage_model."))
            throw Error(SDN_STATUS_BAD_FORMAT, where + " is a whole checkpoint (it has " + e.name + "), not a ControlNet: load it with CheckpointLoaderSimple");
        if (e.name == "lora_controlnet")
            throw Error(SDN_STATUS_BAD_FORMAT, where + " is a Control-LoRA (\"lora_controlnet\"): it loads through sdn_controlnet_load (control_lora_file.h), which recognises it first");
    }
    out.layout = diffusers ? "diffusers" : "ldm";
    Keys keys(where, comfy_prefix && !diffusers ? kComfyPrefix : "");
    for (const SafetensorsEntry & e : file->entries()) {
        if (e.name == kDifference) continue;
        if (!keys.prefix().empty() && !starts_with(e.name, keys.prefix())) continue; // "lora_controlnet"-like extras outside the model
        keys.entries[e.name.substr(keys.prefix().size())] = &e;
    }
    if (!diffusers)
        require(keys.has("input_hint_block.0.weight") && keys.has("zero_convs.0.0.weight"), SDN_STATUS_BAD_FORMAT,
                where + " is not a ControlNet: it has neither input_hint_block.* / zero_convs.* (the LDM layout, optionally under \"control_model.\") "
                        "nor controlnet_cond_embedding.* (diffusers' ControlNetModel); other control models are not supported (T2I-Adapters load through sdn_controlnet_load, which recognises them first)");
    out.config = config ? *config : diffusers ? infer_diffusers(where, keys) : infer_ldm(where, keys);

    std::vector<LdmName> names = controlnet_names(out.config);
    std::set<std::string> expected;
    std::vector<std::string> missing;
    const std::vector<std::string> unread = zero_depth_attentions(out.config.unet);
    for (const LdmName & n : names) {
        const std::string & name = diffusers ? n.diffusers : n.original;
        expected.insert(name);
        const bool optional = std::any_of(unread.begin(), unread.end(), [&](const std::string & p) { return starts_with(n.diffusers, p); });
        if (!keys.has(name) && !optional) missing.push_back(keys.prefix() + name);
    }
    // A depth-0 level's attention (a diffusers file's norm and projections; an LDM file has none) is not read.
    names.erase(std::remove_if(names.begin(), names.end(),
                               [&](const LdmName & n) {
                                   return std::any_of(unread.begin(), unread.end(), [&](const std::string & p) { return starts_with(n.diffusers, p); });
                               }),
                names.end());
    if (!missing.empty())
        throw Error(SDN_STATUS_MISSING_TENSOR, where + ": " + std::to_string(missing.size()) + " of the " + std::to_string(names.size()) +
                                                   " ControlNet tensors its shapes call for are missing, e.g. " + quoted(missing[0]) + " (incomplete, or not an SD 1.x, 2.x or SDXL ControlNet)");
    for (const auto & kv : keys.entries)
        if (!expected.count(kv.first))
            throw Error(SDN_STATUS_BAD_FORMAT, where + ": tensor " + quoted(keys.prefix() + kv.first) +
                                                   " does not belong to a ControlNet of the " + (config ? "given" : "inferred") + " configuration (a different architecture?)");
    require(!out.difference || diff_base != nullptr, SDN_STATUS_BAD_ARGUMENT,
            where + " is a diff ControlNet (it stores the difference from its UNet): load it with DiffControlNetLoader and the model it was made for");

    auto store = std::make_shared<WeightStore>(storage);
    store->set_label("ControlNet");
    store->add_source_file(path);
    for (const LdmName & n : names) {
        const std::string & name = diffusers ? n.diffusers : n.original;
        const SafetensorsEntry * e = keys.entries.at(name);
        require(is_float_dtype(e->dtype), SDN_STATUS_BAD_FORMAT, where + ": tensor " + quoted(e->name) + " has dtype " + e->dtype + " (F32, F16 or BF16 expected)");
        Tensor t = file->tensor(e->name);
        const Tensor * base = out.difference && diff_base->has(n.diffusers) ? diff_base->find(n.diffusers) : nullptr;
        if (base) {
            require(base->shape == t.shape, SDN_STATUS_BAD_SHAPE,
                    where + ": diff tensor " + quoted(e->name) + " has shape " + shape_str(t.shape) + ", the model's " + n.diffusers + " " + shape_str(base->shape) +
                        ": the diff ControlNet was made for another model");
            const Tensor a = to_f32(t), b = to_f32(*base);
            Tensor sum = Tensor::empty_weights(t.shape, DType::F32);
            for (int64_t i = 0; i < sum.numel(); ++i) sum.f32()[i] = a.f32()[i] + b.f32()[i]; // the ControlNet's weight = diff + UNet's
            t = sum;
        }
        store->add(n.diffusers, t, path);
    }
    out.weights = store;
    return out;
}

} // namespace sdn
