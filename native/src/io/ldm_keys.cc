#include "ldm_keys.h"

namespace sdn {

namespace {

// Collects (original, diffusers) pairs under two prefixes that grow as the walk descends.
class Names {
public:
    explicit Names(std::vector<LdmName> & out) : out_(out) {}

    // module.weight and module.bias
    void affine(const std::string & original, const std::string & diffusers) {
        weight(original, diffusers);
        out_.push_back({original + ".bias", diffusers + ".bias"});
    }
    void weight(const std::string & original, const std::string & diffusers) {
        out_.push_back({original + ".weight", diffusers + ".weight"});
    }

private:
    std::vector<LdmName> & out_;
};

// UNet ResBlock (original) / ResnetBlock2D (diffusers).
void unet_resnet(Names & n, const std::string & o, const std::string & d, int in, int out) {
    n.affine(o + "in_layers.0", d + "norm1");
    n.affine(o + "in_layers.2", d + "conv1");
    n.affine(o + "emb_layers.1", d + "time_emb_proj");
    n.affine(o + "out_layers.0", d + "norm2");
    n.affine(o + "out_layers.3", d + "conv2");
    if (in != out) n.affine(o + "skip_connection", d + "conv_shortcut");
}

// SpatialTransformer (original) / Transformer2DModel (diffusers): identical names inside.
void unet_transformer(Names & n, const std::string & o, const std::string & d, int depth) {
    auto same = [&](const std::string & name) { n.affine(o + name, d + name); };
    same("norm");
    same("proj_in");
    for (int t = 0; t < depth; ++t) {
        const std::string b = "transformer_blocks." + std::to_string(t) + ".";
        same(b + "norm1");
        for (const char * attn : {"attn1.", "attn2."}) {
            for (const char * proj : {"to_q", "to_k", "to_v"}) n.weight(o + b + attn + proj, d + b + attn + proj);
            same(b + attn + "to_out.0");
        }
        same(b + "norm2");
        same(b + "norm3");
        same(b + "ff.net.0.proj");
        same(b + "ff.net.2");
    }
    same("proj_out");
}

// VAE ResnetBlock: same names except the shortcut.
void vae_resnet(Names & n, const std::string & o, const std::string & d, int in, int out) {
    for (const char * name : {"norm1", "conv1", "norm2", "conv2"}) n.affine(o + name, d + name);
    if (in != out) n.affine(o + "nin_shortcut", d + "conv_shortcut");
}

void vae_mid(Names & n, const std::string & o, const std::string & d, int channels) {
    vae_resnet(n, o + "mid.block_1.", d + "mid_block.resnets.0.", channels, channels);
    const std::string ao = o + "mid.attn_1.", ad = d + "mid_block.attentions.0.";
    n.affine(ao + "norm", ad + "group_norm");
    n.affine(ao + "q", ad + "to_q");
    n.affine(ao + "k", ad + "to_k");
    n.affine(ao + "v", ad + "to_v");
    n.affine(ao + "proj_out", ad + "to_out.0");
    vae_resnet(n, o + "mid.block_2.", d + "mid_block.resnets.1.", channels, channels);
}

std::string idx(int i) { return std::to_string(i); }

} // namespace

std::vector<LdmName> ldm_unet_names(const UNetConfig & c) {
    std::vector<LdmName> out;
    Names n(out);
    const int L = static_cast<int>(c.block_out_channels.size());
    const int R = c.layers_per_block;
    const std::vector<int> & ch = c.block_out_channels;
    const std::vector<int> & depth = c.transformer_layers_per_block; // per level; the mid block: the last

    n.affine("time_embed.0", "time_embedding.linear_1");
    n.affine("time_embed.2", "time_embedding.linear_2");
    if (c.addition_embed_type == "text_time") {
        n.affine("label_emb.0.0", "add_embedding.linear_1");
        n.affine("label_emb.0.2", "add_embedding.linear_2");
    }
    n.affine("input_blocks.0.0", "conv_in");

    // Down path; `skips` holds the channel count of every feature map kept for the up path.
    std::vector<int> skips{ch[0]};
    int block = 1;
    int prev = ch[0];
    for (int i = 0; i < L; ++i) {
        const bool attention = c.down_block_types[i] == "CrossAttnDownBlock2D";
        for (int j = 0; j < R; ++j, ++block) {
            const std::string o = "input_blocks." + idx(block) + ".";
            const std::string d = "down_blocks." + idx(i) + ".";
            unet_resnet(n, o + "0.", d + "resnets." + idx(j) + ".", prev, ch[i]);
            prev = ch[i];
            if (attention) unet_transformer(n, o + "1.", d + "attentions." + idx(j) + ".", depth[i]);
            skips.push_back(ch[i]);
        }
        if (i < L - 1) {
            n.affine("input_blocks." + idx(block) + ".0.op", "down_blocks." + idx(i) + ".downsamplers.0.conv");
            skips.push_back(ch[i]);
            ++block;
        }
    }

    unet_resnet(n, "middle_block.0.", "mid_block.resnets.0.", ch[L - 1], ch[L - 1]);
    unet_transformer(n, "middle_block.1.", "mid_block.attentions.0.", depth[L - 1]);
    unet_resnet(n, "middle_block.2.", "mid_block.resnets.1.", ch[L - 1], ch[L - 1]);

    // Up path: diffusers' up_blocks.i is level L-1-i; each resnet takes the previous output plus a skip.
    block = 0;
    prev = ch[L - 1];
    for (int i = 0; i < L; ++i) {
        const int level = L - 1 - i;
        const bool attention = c.up_block_types[i] == "CrossAttnUpBlock2D";
        for (int j = 0; j <= R; ++j, ++block) {
            const std::string o = "output_blocks." + idx(block) + ".";
            const std::string d = "up_blocks." + idx(i) + ".";
            const int skip = skips.back();
            skips.pop_back();
            unet_resnet(n, o + "0.", d + "resnets." + idx(j) + ".", prev + skip, ch[level]);
            prev = ch[level];
            if (attention) unet_transformer(n, o + "1.", d + "attentions." + idx(j) + ".", depth[level]);
            if (j == R && i < L - 1) n.affine(o + (attention ? "2" : "1") + ".conv", d + "upsamplers.0.conv");
        }
    }

    n.affine("out.0", "conv_norm_out");
    n.affine("out.2", "conv_out");
    return out;
}

std::vector<LdmName> ldm_vae_names(const VAEConfig & c) {
    std::vector<LdmName> out;
    Names n(out);
    const int L = static_cast<int>(c.block_out_channels.size());
    const int R = c.layers_per_block;
    const std::vector<int> & ch = c.block_out_channels;

    n.affine("encoder.conv_in", "encoder.conv_in");
    int prev = ch[0];
    for (int i = 0; i < L; ++i) {
        for (int j = 0; j < R; ++j) {
            vae_resnet(n, "encoder.down." + idx(i) + ".block." + idx(j) + ".", "encoder.down_blocks." + idx(i) + ".resnets." + idx(j) + ".",
                       prev, ch[i]);
            prev = ch[i];
        }
        if (i < L - 1) n.affine("encoder.down." + idx(i) + ".downsample.conv", "encoder.down_blocks." + idx(i) + ".downsamplers.0.conv");
    }
    vae_mid(n, "encoder.", "encoder.", ch[L - 1]);
    n.affine("encoder.norm_out", "encoder.conv_norm_out");
    n.affine("encoder.conv_out", "encoder.conv_out");
    n.affine("quant_conv", "quant_conv");
    n.affine("post_quant_conv", "post_quant_conv");

    n.affine("decoder.conv_in", "decoder.conv_in");
    vae_mid(n, "decoder.", "decoder.", ch[L - 1]);
    prev = ch[L - 1];
    for (int i = 0; i < L; ++i) { // diffusers up_blocks.i is the original up.(L-1-i)
        const int level = L - 1 - i;
        const std::string o = "decoder.up." + idx(level) + ".";
        const std::string d = "decoder.up_blocks." + idx(i) + ".";
        for (int j = 0; j <= R; ++j) {
            vae_resnet(n, o + "block." + idx(j) + ".", d + "resnets." + idx(j) + ".", prev, ch[level]);
            prev = ch[level];
        }
        if (i < L - 1) n.affine(o + "upsample.conv", d + "upsamplers.0.conv");
    }
    n.affine("decoder.norm_out", "decoder.conv_norm_out");
    n.affine("decoder.conv_out", "decoder.conv_out");
    return out;
}

std::vector<LdmName> ldm_clip_names(const CLIPConfig & c) {
    std::vector<LdmName> out;
    Names n(out);
    auto same = [&](const std::string & name) { n.affine("text_model." + name, "text_model." + name); };
    n.weight("text_model.embeddings.token_embedding", "text_model.embeddings.token_embedding");
    n.weight("text_model.embeddings.position_embedding", "text_model.embeddings.position_embedding");
    for (int l = 0; l < c.num_hidden_layers; ++l) {
        const std::string p = "encoder.layers." + idx(l) + ".";
        same(p + "layer_norm1");
        for (const char * proj : {"q_proj", "k_proj", "v_proj", "out_proj"}) same(p + "self_attn." + proj);
        same(p + "layer_norm2");
        same(p + "mlp.fc1");
        same(p + "mlp.fc2");
    }
    same("final_layer_norm");
    return out;
}

std::string ldm_clip_normalise(const std::string & key) {
    return key.compare(0, 11, "text_model.") == 0 ? key : "text_model." + key;
}

bool ldm_vae_is_attention_projection(const std::string & key) {
    for (const char * tail : {"mid.attn_1.q.weight", "mid.attn_1.k.weight", "mid.attn_1.v.weight", "mid.attn_1.proj_out.weight"}) {
        const std::string t(tail);
        if (key.size() >= t.size() && key.compare(key.size() - t.size(), t.size(), t) == 0) return true;
    }
    return false;
}

} // namespace sdn
