// checkpoint_single_file.cc — SD 1.x single-file checkpoints (original LDM/CompVis layout), SDXL
// base ones (SGM layout: conditioner.embedders.{0.transformer, 1.model}.* for the two text encoders) and
// SDXL refiners (SGM layout with OpenCLIP bigG alone: conditioner.embedders.0.model.*).
//
// 1. Split the tensors by component prefix (model.diffusion_model. / first_stage_model. /
//    cond_stage_model.transformer.); everything else (model_ema.*, alphas_cumprod, ...) is ignored.
// 2. Infer the three configurations from tensor shapes (see infer_* below).
// 3. Or take the configurations the caller gives (native/ts/checkpoint-files.ts: the inferred ones
//    with the sidecars beside the file applied, "<base>.yaml" and "<base>.json").
// 4. Check the file has exactly the tensors such a network has (ldm_keys.h), then add them to the
//    weight stores under diffusers names (zero-copy views of the mapping when the storage allows).
//
// What the weights cannot show, without a sidecar:
//   UNet heads: 8 per attention block (every SD 1.x model); VAE scaling factor: 0.18215 (SD 1.x);
//   sample sizes: 64 latent / 512 pixels (SD 1.x);
//   CLIP heads: hidden / 64 (the head width of every released CLIP text tower: ViT-L/14 768 -> 12,
//   OpenCLIP ViT-H 1024 -> 16), but at least 4 (tiny test models: hidden 32 and 64 both use 4).
//   A model that breaks this rule needs a .json sidecar with text_encoder.num_attention_heads
//   (the LDM .yaml has no field for it: FrozenCLIPEmbedder takes its config from the hub).
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "checkpoint.h"
#include "ldm_keys.h"

namespace sdn {

namespace {

const std::string kUNetPrefix = "model.diffusion_model.";
const std::string kVAEPrefix = "first_stage_model.";
const std::string kCLIPPrefix = "cond_stage_model.transformer.";
const std::string kSGMCLIPPrefix = "conditioner.embedders.0.transformer.";  // SDXL: CLIP ViT-L (transformers names)
const std::string kSGMOpenCLIPPrefix = "conditioner.embedders.1.model.";    // SDXL: OpenCLIP ViT-bigG (open_clip names)
const std::string kSGMRefinerPrefix = "conditioner.embedders.0.model.";     // SDXL refiner: its only text encoder, OpenCLIP ViT-bigG

bool starts_with(const std::string & s, const std::string & prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

std::string quoted(const std::string & s) { return "\"" + s + "\""; }

bool is_float_dtype(const std::string & d) { return d == "F32" || d == "F16" || d == "BF16"; }

// The tensors of one component: name without prefix -> entry.
struct Component {
    std::string prefix;
    std::string label; // "UNet", "VAE", "text encoder"
    std::map<std::string, const SafetensorsEntry *> entries;
};

// Reads shapes of one component with errors that name the file and the original key.
class ShapeReader {
public:
    ShapeReader(const std::string & where, const Component & c) : where_(where), c_(c) {}

    bool has(const std::string & key) const { return c_.entries.count(key) != 0; }

    const Shape & shape(const std::string & key, size_t rank) const {
        auto it = c_.entries.find(key);
        require(it != c_.entries.end(), SDN_STATUS_MISSING_TENSOR,
                where_ + ": " + c_.label + " tensor " + quoted(c_.prefix + key) + " is missing (is this an SD 1.x checkpoint?)");
        const Shape & s = it->second->shape;
        require(s.size() == rank, SDN_STATUS_BAD_FORMAT,
                where_ + ": tensor " + quoted(c_.prefix + key) + " has shape " + shape_str(s) + ", expected rank " + std::to_string(rank));
        return s;
    }
    int dim(const std::string & key, size_t rank, size_t axis) const { return static_cast<int>(shape(key, rank)[axis]); }

    // Distinct integers N of keys "<prefix>N.*", sorted.
    std::vector<int> indices(const std::string & prefix) const {
        std::set<int> found;
        for (auto it = c_.entries.lower_bound(prefix); it != c_.entries.end() && starts_with(it->first, prefix); ++it) {
            const std::string rest = it->first.substr(prefix.size());
            const size_t dot = rest.find('.');
            const std::string number = rest.substr(0, dot);
            if (number.empty() || number.size() > 6 || number.find_first_not_of("0123456789") != std::string::npos) continue;
            found.insert(std::stoi(number));
        }
        return {found.begin(), found.end()};
    }

private:
    const std::string & where_;
    const Component & c_;
};

// ---- configuration from shapes ------------------------------------------------------------------

// `sdxl`: heads = width / 64 (SDXL's num_head_channels), sample size 128, and the label embedding
// (label_emb.0.*: add_embedding) with the bigG encoder's projection width `pooled_dim` and `time_ids`
// Fourier-embedded values (base: 6 sizes; refiner: 5, sizes and the aesthetic score).
UNetConfig infer_unet(const std::string & where, const Component & c, bool sdxl = false, int pooled_dim = 0, int time_ids = 6) {
    ShapeReader r(where, c);
    UNetConfig u;
    const Shape & conv_in = r.shape("input_blocks.0.0.weight", 4);
    const int c0 = static_cast<int>(conv_in[0]);
    u.in_channels = static_cast<int>(conv_in[1]);
    u.out_channels = r.dim("out.2.weight", 4, 0);
    require(r.dim("time_embed.0.weight", 2, 0) == 4 * c0 && r.dim("time_embed.0.weight", 2, 1) == c0, SDN_STATUS_BAD_FORMAT,
            where + ": time embedding " + shape_str(r.shape("time_embed.0.weight", 2)) + " is not [4 x " + std::to_string(c0) + ", " +
                std::to_string(c0) + "] as in SD 1.x UNets");

    // input_blocks: 0 = conv_in, then per level R res blocks and (except the last level) a downsampler.
    const std::vector<int> blocks = r.indices("input_blocks.");
    require(!blocks.empty() && blocks.front() == 0 && blocks.back() == static_cast<int>(blocks.size()) - 1, SDN_STATUS_BAD_FORMAT,
            where + ": UNet input_blocks are not numbered 0..N without gaps");
    std::vector<int> downsamplers;
    for (int b : blocks)
        if (r.has("input_blocks." + std::to_string(b) + ".0.op.weight")) downsamplers.push_back(b);
    const int last = blocks.back();
    const int R = downsamplers.empty() ? last : downsamplers.front() - 1;
    require(R >= 1 && (last + 1) % (R + 1) == 0, SDN_STATUS_BAD_FORMAT,
            where + ": cannot make out the UNet's levels from input_blocks 0.." + std::to_string(last) +
                (downsamplers.empty() ? std::string(" (no downsampler)") : " (first downsampler at " + std::to_string(downsamplers.front()) + ")"));
    const int L = (last + 1) / (R + 1);
    for (int i = 0; i + 1 < L; ++i)
        require(i < static_cast<int>(downsamplers.size()) && downsamplers[i] == (i + 1) * (R + 1), SDN_STATUS_BAD_FORMAT,
                where + ": UNet downsampler of level " + std::to_string(i) + " expected at input_blocks." + std::to_string((i + 1) * (R + 1)));
    require(static_cast<int>(downsamplers.size()) == L - 1, SDN_STATUS_BAD_FORMAT, where + ": the last UNet level has a downsampler");

    u.layers_per_block = R;
    u.block_out_channels.clear();
    u.down_block_types.clear();
    int first_attention = -1;
    for (int i = 0; i < L; ++i) {
        const std::string b = "input_blocks." + std::to_string(1 + i * (R + 1)) + ".";
        u.block_out_channels.push_back(r.dim(b + "0.out_layers.3.weight", 4, 0));
        const bool attention = r.has(b + "1.proj_in.weight");
        if (attention && first_attention < 0) first_attention = 1 + i * (R + 1);
        u.down_block_types.push_back(attention ? "CrossAttnDownBlock2D" : "DownBlock2D");
    }
    require(u.block_out_channels[0] == c0, SDN_STATUS_BAD_FORMAT,
            where + ": the first UNet level has " + std::to_string(u.block_out_channels[0]) + " channels, conv_in gives " + std::to_string(c0));
    u.up_block_types.clear();
    for (int i = L - 1; i >= 0; --i)
        u.up_block_types.push_back(u.down_block_types[i] == "CrossAttnDownBlock2D" ? "CrossAttnUpBlock2D" : "UpBlock2D");

    const std::string mid = "middle_block.1.";
    const size_t proj_rank = c.entries.count(mid + "proj_in.weight") ? c.entries.at(mid + "proj_in.weight")->shape.size() : 4;
    require(proj_rank == 2 || proj_rank == 4, SDN_STATUS_BAD_FORMAT, where + ": UNet proj_in weight must be rank 2 (linear) or 4 (1x1 conv)");
    u.use_linear_projection = proj_rank == 2;
    u.cross_attention_dim = r.dim(mid + "transformer_blocks.0.attn2.to_k.weight", 2, 1);
    // Transformer depth per level (diffusers' transformer_layers_per_block): counted in each level's
    // first attention; levels without attention take 1 (unused). The mid block has the last level's.
    u.transformer_layers_per_block.clear();
    for (int i = 0; i < L; ++i) {
        const std::string b = "input_blocks." + std::to_string(1 + i * (R + 1)) + ".1.transformer_blocks.";
        const int depth = static_cast<int>(r.indices(b).size());
        u.transformer_layers_per_block.push_back(depth > 0 ? depth : 1);
    }
    const int mid_depth = static_cast<int>(r.indices(mid + "transformer_blocks.").size());
    if (u.down_block_types[L - 1] == "DownBlock2D") u.transformer_layers_per_block[L - 1] = mid_depth;
    require(mid_depth == u.transformer_layers_per_block[L - 1], SDN_STATUS_BAD_FORMAT,
            where + ": the UNet mid block has " + std::to_string(mid_depth) + " transformer blocks, the last level " +
                std::to_string(u.transformer_layers_per_block[L - 1]) + " (diffusers' layout needs them equal)");
    u.num_attention_heads.assign(L, 8);
    u.sample_size = 64;
    if (r.has("label_emb.0.0.weight")) {
        require(sdxl && pooled_dim > 0, SDN_STATUS_BAD_FORMAT,
                where + ": the UNet has a label embedding (label_emb.*) but the file has no SDXL text encoders (conditioner.embedders.*)");
        const int adm = r.dim("label_emb.0.0.weight", 2, 1);
        require(r.dim("label_emb.0.0.weight", 2, 0) == 4 * c0 && (adm - pooled_dim) > 0 && (adm - pooled_dim) % time_ids == 0, SDN_STATUS_BAD_FORMAT,
                where + ": label_emb.0.0.weight " + shape_str(r.shape("label_emb.0.0.weight", 2)) + " is not [4 x " + std::to_string(c0) +
                    ", pooled " + std::to_string(pooled_dim) + " + " + std::to_string(time_ids) + " x time embedding] as in SDXL" +
                    (time_ids == 5 ? "'s refiner" : ""));
        u.addition_embed_type = "text_time";
        u.projection_class_embeddings_input_dim = adm;
        u.addition_time_embed_dim = (adm - pooled_dim) / time_ids;
    }
    if (sdxl) {
        for (int i = 0; i < L; ++i) u.num_attention_heads[i] = std::max(1, u.block_out_channels[i] / 64);
        u.sample_size = 128;
    }
    return u;
}

// `diffusers`: the component's names are diffusers' (encoder.down_blocks.i.resnets.j) instead of LDM's (encoder.down.i.block.j).
VAEConfig infer_vae(const std::string & where, const Component & c, bool diffusers = false) {
    ShapeReader r(where, c);
    const std::string down = diffusers ? "encoder.down_blocks." : "encoder.down.", block = diffusers ? ".resnets." : ".block.";
    VAEConfig v;
    const Shape & conv_in = r.shape("encoder.conv_in.weight", 4);
    v.in_channels = static_cast<int>(conv_in[1]);
    const std::vector<int> levels = r.indices(down);
    require(!levels.empty() && levels.back() == static_cast<int>(levels.size()) - 1, SDN_STATUS_BAD_FORMAT,
            where + ": VAE " + down + "* levels are missing or not numbered 0..N");
    const int L = static_cast<int>(levels.size());
    v.layers_per_block = static_cast<int>(r.indices(down + "0" + block).size());
    require(v.layers_per_block >= 1, SDN_STATUS_BAD_FORMAT, where + ": VAE " + down + "0 has no res blocks");
    v.block_out_channels.clear();
    for (int i = 0; i < L; ++i) v.block_out_channels.push_back(r.dim(down + std::to_string(i) + block + "0.conv1.weight", 4, 0));
    require(static_cast<int>(conv_in[0]) == v.block_out_channels[0], SDN_STATUS_BAD_FORMAT,
            where + ": VAE conv_in has " + std::to_string(conv_in[0]) + " channels, the first level " + std::to_string(v.block_out_channels[0]));
    v.latent_channels = r.dim("decoder.conv_in.weight", 4, 1);
    require(r.dim("encoder.conv_out.weight", 4, 0) == 2 * v.latent_channels, SDN_STATUS_BAD_FORMAT,
            where + ": VAE encoder.conv_out gives " + std::to_string(r.dim("encoder.conv_out.weight", 4, 0)) +
                " channels, expected 2 x " + std::to_string(v.latent_channels) + " (mean and log-variance)");
    v.out_channels = r.dim("decoder.conv_out.weight", 4, 0);
    v.scaling_factor = 0.18215f;
    v.sample_size = 64 << (L - 1);
    return v;
}

// Where a text tower's shapes are, under its checkpoint's names (transformers' or open_clip's).
struct TextTowerKeys {
    const char * token_embedding, * position_embedding, * layers, * fc1, * hidden_act, * label;
};
const TextTowerKeys kCLIPKeys{"text_model.embeddings.token_embedding.weight", "text_model.embeddings.position_embedding.weight",
                              "text_model.encoder.layers.", "text_model.encoder.layers.0.mlp.fc1.weight", "quick_gelu", "text encoder"};
// SDXL's OpenCLIP ViT-bigG text tower: the same transformer as CLIPTextModel with gelu, plus the
// projection of the pooled output.
const TextTowerKeys kOpenCLIPKeys{"token_embedding.weight", "positional_embedding", "transformer.resblocks.",
                                  "transformer.resblocks.0.mlp.c_fc.weight", "gelu", "second text encoder"};

CLIPConfig infer_text_tower(const std::string & where, const Component & c, const TextTowerKeys & keys) {
    ShapeReader r(where, c);
    CLIPConfig k;
    const Shape & token = r.shape(keys.token_embedding, 2);
    k.vocab_size = static_cast<int>(token[0]);
    k.hidden_size = static_cast<int>(token[1]);
    k.max_position_embeddings = r.dim(keys.position_embedding, 2, 0);
    k.num_hidden_layers = static_cast<int>(r.indices(keys.layers).size());
    require(k.num_hidden_layers >= 1, SDN_STATUS_BAD_FORMAT, where + ": the " + keys.label + " has no layers (" + keys.layers + "*)");
    k.intermediate_size = r.dim(keys.fc1, 2, 0);
    k.num_attention_heads = std::max(4, k.hidden_size / 64);
    k.hidden_act = keys.hidden_act;
    k.layer_norm_eps = 1e-5f;
    if (&keys == &kOpenCLIPKeys)
        k.projection_dim = r.has("text_projection.weight") ? r.dim("text_projection.weight", 2, 0) : r.dim("text_projection", 2, 1);
    return k;
}

// ---- weights ------------------------------------------------------------------------------------

// Checks that `c` holds exactly the tensors of `names` and adds them to a new store.
std::shared_ptr<WeightStore> build_store(const std::string & where, const std::shared_ptr<SafetensorsFile> & file, const Component & c,
                                         const std::vector<LdmName> & names, WeightStorage storage, bool vae) {
    std::set<std::string> expected;
    std::vector<std::string> missing;
    for (const LdmName & n : names) {
        expected.insert(n.original);
        if (!c.entries.count(n.original)) missing.push_back(c.prefix + n.original);
    }
    if (!missing.empty())
        throw Error(SDN_STATUS_MISSING_TENSOR, where + ": " + std::to_string(missing.size()) + " of the " + std::to_string(names.size()) + " " +
                                                   c.label + " tensors the weights' shapes call for are missing, e.g. " + quoted(missing[0]) +
                                                   " (incomplete or not an SD 1.x checkpoint)");
    std::vector<std::string> unexpected;
    for (const auto & kv : c.entries)
        if (!expected.count(kv.first)) unexpected.push_back(c.prefix + kv.first);
    if (!unexpected.empty())
        throw Error(SDN_STATUS_BAD_FORMAT, where + ": " + std::to_string(unexpected.size()) + " " + c.label +
                                               " tensors do not belong to an SD 1.x " + c.label + " of the inferred configuration, e.g. " +
                                               quoted(unexpected[0]) + " (a different architecture?)");

    auto store = std::make_shared<WeightStore>(storage);
    store->set_label(c.label);
    store->add_source_file(file->path());
    for (const LdmName & n : names) {
        const SafetensorsEntry * e = c.entries.at(n.original);
        require(is_float_dtype(e->dtype), SDN_STATUS_BAD_FORMAT,
                where + ": tensor " + quoted(c.prefix + n.original) + " has dtype " + e->dtype + " (F32, F16 or BF16 expected)");
        Tensor t = file->tensor(e->name);
        if (vae && ldm_vae_is_attention_projection(n.original) && t.rank() == 4) {
            require(t.shape[2] == 1 && t.shape[3] == 1, SDN_STATUS_BAD_FORMAT,
                    where + ": tensor " + quoted(e->name) + " has shape " + shape_str(t.shape) + ", expected a 1x1 convolution [C, C, 1, 1]");
            t = t.reshape({t.shape[0], t.shape[1]}); // 1x1 conv -> Linear, same bytes
        }
        store->add(n.diffusers, t, file->path());
    }
    return store;
}

// The file's tensors by component, after the layout checks that name what the file is instead.
struct Components {
    std::shared_ptr<SafetensorsFile> file;
    Component unet{kUNetPrefix, "UNet", {}}, vae{kVAEPrefix, "VAE", {}}, clip{kCLIPPrefix, "text encoder", {}};
    Component clip2{kSGMOpenCLIPPrefix, "second text encoder", {}}; // SDXL only
    bool sdxl = false;
    bool refiner = false; // SDXL refiner: clip2 (under kSGMRefinerPrefix) and no CLIP-L
};

Components split_components(const std::string & path, const std::string & where) {
    const size_t ext_at = path.rfind('.');
    const std::string ext = ext_at == std::string::npos || path.find('/', ext_at) != std::string::npos ? "" : path.substr(ext_at);
    require(ext != ".ckpt" && ext != ".pt" && ext != ".pth" && ext != ".bin", SDN_STATUS_BAD_FORMAT,
            where + " is a PyTorch pickle (" + ext + "); only .safetensors checkpoints are loaded (a pickle can run code when "
                    "read): convert it to .safetensors first");
    Components c;
    c.file = SafetensorsFile::open(path);
    bool sd2_text_encoder = false, sdxl = false, diffusers_names = false;
    for (const SafetensorsEntry & e : c.file->entries()) {
        if (starts_with(e.name, kUNetPrefix)) c.unet.entries[e.name.substr(kUNetPrefix.size())] = &e;
        else if (starts_with(e.name, kVAEPrefix)) {
            if (!starts_with(e.name, kVAEPrefix + "loss.")) c.vae.entries[e.name.substr(kVAEPrefix.size())] = &e; // training-only loss nets
        } else if (starts_with(e.name, kCLIPPrefix)) {
            const std::string key = ldm_clip_normalise(e.name.substr(kCLIPPrefix.size()));
            if (key != "text_model.embeddings.position_ids") c.clip.entries[key] = &e; // a buffer (int64 or float), not a weight
        }
        else if (starts_with(e.name, "cond_stage_model.model.")) sd2_text_encoder = true;
        else if (starts_with(e.name, kSGMCLIPPrefix)) {
            const std::string key = ldm_clip_normalise(e.name.substr(kSGMCLIPPrefix.size()));
            if (key != "text_model.embeddings.position_ids") c.clip.entries[key] = &e;
            c.sdxl = true;
        } else if (starts_with(e.name, kSGMOpenCLIPPrefix)) {
            const std::string key = e.name.substr(kSGMOpenCLIPPrefix.size());
            if (key != "logit_scale" && key != "attn_mask") c.clip2.entries[key] = &e; // not part of the text tower's forward
            c.sdxl = true;
        } else if (starts_with(e.name, kSGMRefinerPrefix)) {
            const std::string key = e.name.substr(kSGMRefinerPrefix.size());
            if (key != "logit_scale" && key != "attn_mask") c.clip2.entries[key] = &e;
            c.sdxl = c.refiner = true;
        }
        else if (starts_with(e.name, "conditioner.embedders.")) sdxl = true;
        else if (starts_with(e.name, "down_blocks.") || starts_with(e.name, "text_model.") || starts_with(e.name, "decoder.up_blocks.")) diffusers_names = true;
    }
    const std::string not_sd1 = where + " is not an SD 1.x checkpoint: ";
    require(!sdxl, SDN_STATUS_BAD_FORMAT,
            where + " is not an SD 1.x or SDXL checkpoint: it has conditioner.embedders.* other than SDXL base's CLIP-L (0.transformer) and OpenCLIP "
                      "(1.model) or the SDXL refiner's OpenCLIP (0.model)");
    if (c.refiner) {
        c.clip2.prefix = kSGMRefinerPrefix;
        require(c.clip.entries.empty(), SDN_STATUS_BAD_FORMAT,
                where + " mixes an SDXL refiner's text encoder (conditioner.embedders.0.model.*) with a CLIP-L one (conditioner.embedders.0.transformer.*)");
    } else if (c.sdxl) {
        c.clip.prefix = kSGMCLIPPrefix;
        require(!c.clip2.entries.empty(), SDN_STATUS_BAD_FORMAT, where + " is not a complete SDXL checkpoint: its second text encoder (conditioner.embedders.1.model.*) is missing");
    }
    require(!c.unet.entries.empty(), SDN_STATUS_BAD_FORMAT,
            not_sd1 + "no UNet weights (model.diffusion_model.*)" +
                (diffusers_names ? "; its tensors have diffusers names: load the diffusers folder it belongs to instead" : ""));
    require(!c.vae.entries.empty(), SDN_STATUS_BAD_FORMAT, not_sd1 + "no VAE weights (first_stage_model.*)");
    require(!sd2_text_encoder, SDN_STATUS_BAD_FORMAT,
            not_sd1 + "its text encoder is OpenCLIP (cond_stage_model.model.*, SD 2.x); only SD 1.x's CLIP text encoder is supported");
    require(c.refiner || !c.clip.entries.empty(), SDN_STATUS_BAD_FORMAT,
            not_sd1 + "no text encoder weights (cond_stage_model.transformer.*) (nor SDXL's conditioner.embedders.0.transformer.*)");
    return c;
}

// SDXL's OpenCLIP tower under transformers' CLIPTextModelWithProjection names. open_clip fuses q/k/v
// into attn.in_proj_weight [3D, D] (rows q | k | v) and stores text_projection as [D, P] (x @ P);
// transformers has q_proj/k_proj/v_proj and text_projection.weight [P, D]. The split is three views
// of the mapped rows; the projection is transposed into owned memory (unless the file also has
// text_projection.weight, as diffusers' conversion script writes it).
std::shared_ptr<WeightStore> build_openclip_store(const std::string & where, const std::shared_ptr<SafetensorsFile> & file,
                                                  const Component & c, const CLIPConfig & k, WeightStorage storage) {
    const int64_t D = k.hidden_size;
    std::vector<LdmName> same{{"token_embedding.weight", "text_model.embeddings.token_embedding.weight"},
                              {"positional_embedding", "text_model.embeddings.position_embedding.weight"},
                              {"ln_final.weight", "text_model.final_layer_norm.weight"},
                              {"ln_final.bias", "text_model.final_layer_norm.bias"}};
    std::set<std::string> expected{"text_projection", "text_projection.weight"};
    for (int l = 0; l < k.num_hidden_layers; ++l) {
        const std::string o = "transformer.resblocks." + std::to_string(l) + ".", d = "text_model.encoder.layers." + std::to_string(l) + ".";
        for (const char * wb : {"weight", "bias"}) {
            const std::string x = wb;
            same.push_back({o + "ln_1." + x, d + "layer_norm1." + x});
            same.push_back({o + "ln_2." + x, d + "layer_norm2." + x});
            same.push_back({o + "attn.out_proj." + x, d + "self_attn.out_proj." + x});
            same.push_back({o + "mlp.c_fc." + x, d + "mlp.fc1." + x});
            same.push_back({o + "mlp.c_proj." + x, d + "mlp.fc2." + x});
        }
        expected.insert(o + "attn.in_proj_weight");
        expected.insert(o + "attn.in_proj_bias");
    }
    for (const LdmName & n : same) expected.insert(n.original);
    for (const auto & kv : c.entries)
        require(expected.count(kv.first), SDN_STATUS_BAD_FORMAT,
                where + ": tensor " + quoted(c.prefix + kv.first) + " does not belong to SDXL's OpenCLIP text encoder (a different architecture?)");
    const auto entry = [&](const std::string & key) -> const SafetensorsEntry & {
        auto it = c.entries.find(key);
        require(it != c.entries.end(), SDN_STATUS_MISSING_TENSOR, where + ": " + c.label + " tensor " + quoted(c.prefix + key) + " is missing");
        require(is_float_dtype(it->second->dtype), SDN_STATUS_BAD_FORMAT,
                where + ": tensor " + quoted(it->second->name) + " has dtype " + it->second->dtype + " (F32, F16 or BF16 expected)");
        return *it->second;
    };

    auto store = std::make_shared<WeightStore>(storage);
    store->set_label(c.label);
    store->add_source_file(file->path());
    for (const LdmName & n : same) store->add(n.diffusers, file->tensor(entry(n.original).name), file->path());
    for (int l = 0; l < k.num_hidden_layers; ++l) {
        const std::string o = "transformer.resblocks." + std::to_string(l) + ".attn.", d = "text_model.encoder.layers." + std::to_string(l) + ".self_attn.";
        const Tensor w = file->tensor(entry(o + "in_proj_weight").name), b = file->tensor(entry(o + "in_proj_bias").name);
        require(w.shape == Shape{3 * D, D} && b.shape == Shape{3 * D}, SDN_STATUS_BAD_SHAPE,
                where + ": " + quoted(c.prefix + o + "in_proj_weight") + " / _bias have shapes " + shape_str(w.shape) + " / " + shape_str(b.shape) +
                    ", expected [" + std::to_string(3 * D) + ", " + std::to_string(D) + "] / [" + std::to_string(3 * D) + "] (q, k, v fused)");
        const char * parts[] = {"q_proj", "k_proj", "v_proj"};
        for (int64_t i = 0; i < 3; ++i) {
            char * wp = static_cast<char *>(w.data) + i * D * D * dtype_size(w.dtype);
            char * bp = static_cast<char *>(b.data) + i * D * dtype_size(b.dtype);
            store->add(d + parts[i] + ".weight", Tensor::view(wp, {D, D}, w.dtype, w.owner, w.storage), file->path());
            store->add(d + parts[i] + ".bias", Tensor::view(bp, {D}, b.dtype, b.owner, b.storage), file->path());
        }
    }
    if (c.entries.count("text_projection.weight")) {
        store->add("text_projection.weight", file->tensor(entry("text_projection.weight").name), file->path());
    } else {
        const Tensor p = to_f32(file->tensor(entry("text_projection").name)); // [D, P]
        require(p.rank() == 2 && p.dim(0) == D, SDN_STATUS_BAD_SHAPE,
                where + ": " + quoted(c.prefix + "text_projection") + " has shape " + shape_str(p.shape) + ", expected [" + std::to_string(D) + ", P]");
        const int64_t P = p.dim(1);
        Tensor t = Tensor::empty_weights({P, D}, DType::F32);
        for (int64_t i = 0; i < D; ++i)
            for (int64_t j = 0; j < P; ++j) t.f32()[j * D + i] = p.f32()[i * P + j];
        store->add("text_projection.weight", t, file->path());
    }
    return store;
}

// "<path without extension>": sidecars (<base>.yaml, <base>.json) sit beside the file.
std::string sidecar_base(const std::string & path) {
    const size_t dot = path.rfind('.');
    const size_t slash = path.rfind('/');
    return dot != std::string::npos && (slash == std::string::npos || dot > slash) ? path.substr(0, dot) : path;
}

CheckpointConfigs infer_all(const std::string & where, const Components & c) {
    CheckpointConfigs k;
    k.has_clip = !c.refiner;
    if (k.has_clip) k.clip = infer_text_tower(where, c.clip, kCLIPKeys);
    k.vae = infer_vae(where, c.vae);
    if (c.sdxl) {
        k.has_clip2 = true;
        k.clip2 = infer_text_tower(where, c.clip2, kOpenCLIPKeys);
        k.vae.scaling_factor = 0.13025f;
        k.vae.sample_size = 128 << (k.vae.block_out_channels.size() - 1);
    }
    k.unet = infer_unet(where, c.unet, c.sdxl, k.has_clip2 ? k.clip2.projection_dim : 0, c.refiner ? 5 : 6);
    return k;
}

} // namespace

CheckpointConfigs checkpoint_infer_single_file(const std::string & path) {
    const std::string where = "checkpoint " + quoted(path);
    const Components c = split_components(path, where);
    return infer_all(where, c);
}

Checkpoint checkpoint_load_single_file(const std::string & path, WeightStorage storage, const CheckpointConfigs * configs) {
    const std::string where = "checkpoint " + quoted(path);
    const Components c = split_components(path, where);
    Checkpoint ck;
    ck.source = path;
    ck.layout = "single-file";
    const CheckpointConfigs all = configs ? *configs : infer_all(where, c);
    ck.clip_config = all.clip;
    ck.unet_config = all.unet;
    ck.vae_config = all.vae;
    require(all.has_clip2 == c.sdxl, SDN_STATUS_BAD_FORMAT,
            where + (c.sdxl ? ": an SDXL checkpoint needs the configuration of its second text encoder (text_encoder_2)"
                            : ": the configuration has a second text encoder (text_encoder_2), the file has none (not SDXL)"));
    if (c.sdxl) ck.clip2_config = all.clip2;
    require(all.has_clip == !c.refiner, SDN_STATUS_BAD_FORMAT,
            where + (c.refiner ? ": an SDXL refiner has no CLIP-L text encoder, but the configuration gives one (text_encoder)"
                               : ": the configuration has no text_encoder, but the file has one"));

    // What the weights cannot show, said where to put it when the default does not fit.
    const std::string base = sidecar_base(path);
    const CLIPConfig & k = ck.clip_config;
    require(c.refiner || (k.num_attention_heads > 0 && k.hidden_size % k.num_attention_heads == 0), SDN_STATUS_BAD_FORMAT,
            where + ": cannot tell the text encoder's head count for hidden size " + std::to_string(k.hidden_size) +
                " (the rule hidden/64, at least 4, does not divide it); put a \"" + base +
                ".json\" sidecar beside it with {\"text_encoder\": {\"num_attention_heads\": N}}");
    const UNetConfig & u = ck.unet_config;
    require(u.num_attention_heads.size() == u.block_out_channels.size(), SDN_STATUS_BAD_FORMAT,
            where + ": the UNet configuration has " + std::to_string(u.num_attention_heads.size()) + " head counts for " +
                std::to_string(u.block_out_channels.size()) + " levels");
    for (size_t i = 0; i < u.block_out_channels.size(); ++i)
        require(u.num_attention_heads[i] > 0 && u.block_out_channels[i] % u.num_attention_heads[i] == 0, SDN_STATUS_BAD_FORMAT,
                where + ": UNet level " + std::to_string(i) + " has " + std::to_string(u.block_out_channels[i]) + " channels, not divisible by " +
                    std::to_string(u.num_attention_heads[i]) + " heads; give the head count in a \"" + base + ".yaml\" (num_heads) or \"" +
                    base + ".json\" sidecar");

    ck.unet = build_store(where, c.file, c.unet, ldm_unet_names(ck.unet_config), storage, false);
    ck.vae = build_store(where, c.file, c.vae, ldm_vae_names(ck.vae_config), storage_for_network(storage, false), true);
    if (!c.refiner) ck.clip = build_store(where, c.file, c.clip, ldm_clip_names(ck.clip_config), storage_for_network(storage, false), false);
    if (c.sdxl) {
        const CLIPConfig & k2 = ck.clip2_config;
        require(k2.num_attention_heads > 0 && k2.hidden_size % k2.num_attention_heads == 0, SDN_STATUS_BAD_FORMAT,
                where + ": cannot tell the second text encoder's head count for hidden size " + std::to_string(k2.hidden_size) + "; put a \"" +
                    base + ".json\" sidecar beside it with {\"text_encoder_2\": {\"num_attention_heads\": N}}");
        ck.clip2 = build_openclip_store(where, c.file, c.clip2, k2, storage_for_network(storage, false));
    }
    return ck;
}

Checkpoint checkpoint_load_vae_file(const std::string & path, WeightStorage storage, const VAEConfig * config) {
    const std::string where = "VAE file " + quoted(path);
    const size_t ext_at = path.rfind('.');
    const std::string ext = ext_at == std::string::npos || path.find('/', ext_at) != std::string::npos ? "" : path.substr(ext_at);
    require(ext != ".ckpt" && ext != ".pt" && ext != ".pth" && ext != ".bin", SDN_STATUS_BAD_FORMAT,
            where + " is a PyTorch pickle (" + ext + "); only .safetensors VAEs are loaded (a pickle can run code when read): convert it first");
    const auto file = SafetensorsFile::open(path);
    Component c{"", "VAE", {}};
    bool diffusers = false, unet = false;
    for (const SafetensorsEntry & e : file->entries()) {
        const std::string key = starts_with(e.name, kVAEPrefix) ? e.name.substr(kVAEPrefix.size()) : e.name;
        if (starts_with(e.name, kUNetPrefix)) unet = true;
        if (starts_with(key, "encoder.") || starts_with(key, "decoder.") || starts_with(key, "quant_conv.") || starts_with(key, "post_quant_conv.")) {
            c.entries[key] = &e;
            if (starts_with(key, "encoder.down_blocks.") || starts_with(key, "decoder.up_blocks.")) diffusers = true;
        }
    }
    require(!unet, SDN_STATUS_BAD_FORMAT, where + " is a whole checkpoint (it has model.diffusion_model.*): load it with CheckpointLoaderSimple");
    require(c.entries.count("decoder.conv_in.weight") != 0, SDN_STATUS_BAD_FORMAT,
            where + " is not an SD 1.x VAE: it has no decoder.conv_in.weight (LDM names as vae-ft-mse-840000, or diffusers' AutoencoderKL names, are read)");
    Checkpoint ck;
    ck.source = path;
    ck.layout = "vae";
    ck.vae_config = config ? *config : infer_vae(where, c, diffusers);
    std::vector<LdmName> names = ldm_vae_names(ck.vae_config);
    if (diffusers)
        for (LdmName & n : names) n.original = n.diffusers; // the file already has the engine's names
    ck.vae = build_store(where, file, c, names, storage, true);
    return ck;
}

} // namespace sdn
