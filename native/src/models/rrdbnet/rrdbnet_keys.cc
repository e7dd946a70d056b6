#include "rrdbnet_keys.h"

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include "../../io/safetensors.h"

namespace sdn {

namespace {

bool has(const std::set<std::string> & keys, const std::string & key) { return keys.count(key) != 0; }

bool any_contains(const std::vector<std::string> & keys, const char * part) {
    return std::any_of(keys.begin(), keys.end(), [part](const std::string & k) { return k.find(part) != std::string::npos; });
}

bool any_starts(const std::vector<std::string> & keys, const char * prefix) {
    return std::any_of(keys.begin(), keys.end(), [prefix](const std::string & k) { return k.rfind(prefix, 0) == 0; });
}

// The prefix every key carries ("params_ema." of basicsr's training checkpoints, "module." of DataParallel), or "".
std::string common_prefix(const std::vector<std::string> & keys) {
    for (const char * p : {"params_ema.", "params.", "module."})
        if (!keys.empty() && std::all_of(keys.begin(), keys.end(), [p](const std::string & k) { return k.rfind(p, 0) == 0; })) return p;
    return "";
}

// Old-layout name -> new name ("" when it is not an RRDBNet tensor). `last` is the largest top-level index
// (model.<last> = conv_last), `nb` the RRDB count.
std::string rename_old(const std::string & key, int64_t last, int64_t nb) {
    static const std::regex rdb(R"(model\.1\.sub\.(\d{1,6})\.RDB(\d)\.conv(\d)\.0\.(weight|bias))");
    static const std::regex sub(R"(model\.1\.sub\.(\d{1,6})\.(weight|bias))");
    static const std::regex top(R"(model\.(\d{1,6})\.(weight|bias))");
    std::smatch m;
    if (std::regex_match(key, m, rdb)) return "body." + m[1].str() + ".rdb" + m[2].str() + ".conv" + m[3].str() + "." + m[4].str();
    if (std::regex_match(key, m, sub)) return std::stoll(m[1].str()) == nb ? "conv_body." + m[2].str() : "";
    if (std::regex_match(key, m, top)) {
        const int64_t i = std::stoll(m[1].str());
        const std::string kind = m[2].str();
        if (i == 0) return "conv_first." + kind;
        if (i == last) return "conv_last." + kind;
        if (i == last - 2) return "conv_hr." + kind;
        if (i % 3 == 0) return "conv_up" + std::to_string(i / 3) + "." + kind;
    }
    return "";
}

std::string rename_bsrgan(const std::string & key) {
    static const std::regex rdb(R"(RRDB_trunk\.(\d{1,6})\.RDB(\d)\.conv(\d)\.(weight|bias))");
    static const std::regex up(R"(upconv(\d)\.(weight|bias))");
    std::smatch m;
    if (std::regex_match(key, m, rdb)) return "body." + m[1].str() + ".rdb" + m[2].str() + ".conv" + m[3].str() + "." + m[4].str();
    if (std::regex_match(key, m, up)) return "conv_up" + m[1].str() + "." + m[2].str();
    if (key.rfind("trunk_conv.", 0) == 0) return "conv_body." + key.substr(11);
    if (key.rfind("HRconv.", 0) == 0) return "conv_hr." + key.substr(7);
    return key;
}

std::string first_keys(const std::vector<std::string> & keys) {
    std::string out;
    for (size_t i = 0; i < keys.size() && i < 3; ++i) out += (i ? ", " : "") + keys[i];
    return out + (keys.size() > 3 ? ", ..." : "");
}

} // namespace

std::string upscale_architecture_guess(const std::vector<std::string> & keys) {
    if (any_starts(keys, "model.diffusion_model.") || any_starts(keys, "first_stage_model.")) return "a Stable Diffusion checkpoint (it goes in models/checkpoints)";
    if (any_contains(keys, ".RDB1.conv1x1.")) return "ESRGAN+ (RRDBNet with extra 1x1 convolutions in its dense blocks)";
    if (any_contains(keys, ".conv_block.cab.") || any_contains(keys, "overlap_attn")) return "HAT";
    if (any_contains(keys, ".attn.logit_scale") || any_contains(keys, ".cpb_mlp.")) return "Swin2SR";
    if (any_contains(keys, ".attns.0.")) return "DAT";
    if (any_contains(keys, "residual_group.blocks.0.")) return "SwinIR";
    if (any_contains(keys, ".c1_r.sk.") || any_starts(keys, "conv_1.sk.")) return "SPAN";
    if (any_starts(keys, "residual_layer.")) return "OmniSR";
    if (any_starts(keys, "unet1.")) return "Real-CUGAN";
    if (any_starts(keys, "m_head.")) return "SCUNet";
    if (any_starts(keys, "feats.0.")) return "PLKSR / RealPLKSR";
    if (any_starts(keys, "stylegan_decoder.")) return "GFPGAN (a face restorer)";
    if (any_starts(keys, "body.0.weight") && !any_starts(keys, "conv_first.")) return "SRVGGNetCompact (Real-ESRGAN's compact models)";
    return "";
}

RRDBNetFile rrdbnet_read(const std::string & path, WeightStorage storage) {
    const auto file = SafetensorsFile::open(path);
    std::vector<std::string> raw;
    for (const SafetensorsEntry & e : file->entries()) raw.push_back(e.name);
    const std::string prefix = common_prefix(raw);
    std::vector<std::string> names;
    for (const std::string & k : raw) names.push_back(k.substr(prefix.size()));
    const std::set<std::string> keys(names.begin(), names.end());

    RRDBNetFile out;
    if (has(keys, "conv_first.weight") && has(keys, "body.0.rdb1.conv1.weight")) out.layout = "new";
    else if (has(keys, "conv_first.weight") && has(keys, "RRDB_trunk.0.RDB1.conv1.weight")) out.layout = "bsrgan";
    else if (has(keys, "model.0.weight") && has(keys, "model.1.sub.0.RDB1.conv1.0.weight")) out.layout = "old";
    else {
        const std::string guess = upscale_architecture_guess(names);
        throw Error(SDN_STATUS_BAD_FORMAT, "\"" + path + "\" is not an ESRGAN / Real-ESRGAN upscale model (RRDBNet): its tensors (" + first_keys(names) +
                                               ") look like " + (guess.empty() ? "an architecture latentflow does not know" : guess) +
                                               "; latentflow runs RRDBNet upscale models only (keys conv_first + body.N.rdbK.convJ, or model.0 + "
                                               "model.1.sub.N.RDBK.convJ.0)");
    }
    if (out.layout == "old" && any_contains(names, ".RDB1.conv1x1."))
        throw Error(SDN_STATUS_BAD_FORMAT, "\"" + path + "\" is ESRGAN+ (RRDBNet with extra 1x1 convolutions in its dense blocks, keys like "
                                               "model.1.sub.0.RDB1.conv1x1.weight), which latentflow does not run; use a plain ESRGAN / Real-ESRGAN model");

    // the old layout's numbering: the RRDB count, then the largest top-level index (conv_last)
    int64_t nb = 0, last = -1;
    if (out.layout == "old") {
        while (has(keys, "model.1.sub." + std::to_string(nb) + ".RDB1.conv1.0.weight")) ++nb;
        static const std::regex top(R"(model\.(\d{1,6})\.weight)");
        std::smatch m;
        for (const std::string & k : names)
            if (std::regex_match(k, m, top)) last = std::max<int64_t>(last, std::stoll(m[1].str()));
        require(last >= 4 && (last - 4) % 3 == 0, SDN_STATUS_BAD_FORMAT,
                "\"" + path + "\": an old-layout ESRGAN whose last layer is model." + std::to_string(last) +
                    ".weight; expected model.<3n+4> after n up-samplings of [Upsample, Conv2d, LeakyReLU] (pixel-shuffle and 3x variants are not supported)");
    }

    out.weights = std::make_shared<WeightStore>(storage);
    out.weights->set_label("upscale model");
    out.weights->add_source_file(path);
    for (size_t i = 0; i < raw.size(); ++i) {
        const SafetensorsEntry * e = file->find(raw[i]);
        if (e->dtype != "F32" && e->dtype != "F16" && e->dtype != "BF16") continue;
        const std::string name = out.layout == "new" ? names[i] : out.layout == "bsrgan" ? rename_bsrgan(names[i]) : rename_old(names[i], last, nb);
        if (!name.empty()) out.weights->add(name, file->tensor(raw[i]), path);
    }

    const WeightStore & ws = *out.weights;
    RRDBNetConfig & c = out.config;
    const Tensor & first = ws.get("conv_first.weight");
    const Tensor & grow = ws.get("body.0.rdb1.conv1.weight");
    const Tensor & last_conv = ws.get("conv_last.weight");
    require(first.rank() == 4 && grow.rank() == 4 && last_conv.rank() == 4, SDN_STATUS_BAD_SHAPE,
            "\"" + path + "\": conv_first, body.0.rdb1.conv1 and conv_last must be 4-D convolution weights");
    c.num_feat = first.dim(0);
    c.num_grow = grow.dim(0);
    c.out_channels = last_conv.dim(0);
    c.num_blocks = 0;
    while (ws.has("body." + std::to_string(c.num_blocks) + ".rdb1.conv1.weight")) ++c.num_blocks;
    c.num_upsamples = 0;
    while (ws.has("conv_up" + std::to_string(c.num_upsamples + 1) + ".weight")) ++c.num_upsamples;
    require(c.num_upsamples <= 3, SDN_STATUS_BAD_FORMAT,
            "\"" + path + "\": " + std::to_string(c.num_upsamples) + " up-sampling convolutions (conv_up1 ..); upscale models of up to 8x (3) are supported");
    if (out.layout == "old")
        require(c.num_upsamples == (last - 4) / 3, SDN_STATUS_MISSING_TENSOR,
                "\"" + path + "\": model." + std::to_string(last) + " is the last layer, so model.3 .. model." + std::to_string(last - 4) +
                    " should be " + std::to_string((last - 4) / 3) + " up-sampling convolutions (every third index); found " + std::to_string(c.num_upsamples));
    const int64_t cin = first.dim(1);
    // Real-ESRGAN's x2 (x1) models see the picture pixel-unshuffled by 2 (4): 4 (16) times its channels
    c.shuffle = cin == c.out_channels ? 1 : cin == 4 * c.out_channels ? 2 : cin == 16 * c.out_channels ? 4 : 0;
    require(c.shuffle != 0, SDN_STATUS_BAD_SHAPE,
            "\"" + path + "\": conv_first takes " + std::to_string(cin) + " channels and conv_last gives " + std::to_string(c.out_channels) +
                "; expected the same, or 4 or 16 times as many (Real-ESRGAN's pixel-unshuffled input)");
    c.in_channels = cin / (c.shuffle * c.shuffle);
    require(c.in_channels == 3 && c.out_channels == 3, SDN_STATUS_BAD_SHAPE,
            "\"" + path + "\": a model for " + std::to_string(c.in_channels) + "-channel pictures; only RGB (3-channel) upscale models are supported");
    require((int64_t(1) << c.num_upsamples) >= c.shuffle, SDN_STATUS_BAD_SHAPE,
            "\"" + path + "\": " + std::to_string(c.num_upsamples) + " up-samplings after a pixel-unshuffle by " + std::to_string(c.shuffle) + " make a smaller picture");
    return out;
}

} // namespace sdn
