#include "controlnet.h"

#include <algorithm>

#include "../../core/arena.h"
#include "../../core/profile.h"
#include "../common/lora_adapter.h"

namespace sdn {

namespace {
const std::string kHintAdd = "controlnet_cond_embedding"; // conv_in(x) + the hint's embedding
} // namespace

ControlNet::ControlNet(const ControlNetConfig & config, std::shared_ptr<const WeightStore> weights)
    : config_(config), weights_(std::move(weights)) {
    const WeightStore & ws = *weights_;
    const UNetConfig & u = config.unet;
    const std::vector<int> & ch = u.block_out_channels;
    const int n = static_cast<int>(ch.size());
    require(n >= 1 && static_cast<int>(u.num_attention_heads.size()) == n && static_cast<int>(u.down_block_types.size()) == n &&
                static_cast<int>(u.transformer_layers_per_block.size()) == n,
            SDN_STATUS_BAD_FORMAT, "ControlNet config: block_out_channels, num_attention_heads, down_block_types and transformer_layers_per_block need one entry per block");
    const int64_t groups = u.norm_num_groups, ctx = u.cross_attention_dim, temb = 4 * ch[0];
    const float eps = u.norm_eps;

    time_linear_1_ = Linear::load(ws, "time_embedding.linear_1", ch[0], temb, true);
    time_linear_2_ = Linear::load(ws, "time_embedding.linear_2", temb, temb, true);
    conv_in_ = Conv2d::load(ws, "conv_in", u.in_channels, ch[0], 3, 1, 1);
    if (u.addition_embed_type == "text_time") add_embedding_ = AddedEmbedding::load(ws, u.projection_class_embeddings_input_dim, temb);

    // The hint encoder: conv_in, then per step between levels a 3x3 conv and a stride-2 3x3 conv, then conv_out.
    const std::vector<int> & hc = config.conditioning_embedding_out_channels;
    hint_convs_.push_back(Conv2d::load(ws, "controlnet_cond_embedding.conv_in", config.conditioning_channels, hc[0], 3, 1, 1));
    for (size_t i = 0; i + 1 < hc.size(); ++i) {
        hint_convs_.push_back(Conv2d::load(ws, "controlnet_cond_embedding.blocks." + std::to_string(2 * i), hc[i], hc[i], 3, 1, 1));
        hint_convs_.push_back(Conv2d::load(ws, "controlnet_cond_embedding.blocks." + std::to_string(2 * i + 1), hc[i], hc[i + 1], 3, 2, 1));
    }
    hint_convs_.push_back(Conv2d::load(ws, "controlnet_cond_embedding.conv_out", hc.back(), ch[0], 3, 1, 1));

    int zero = 0;
    const auto zero_conv = [&](int64_t c) { zero_convs_.push_back(Conv2d::load(ws, "controlnet_down_blocks." + std::to_string(zero++), c, c, 1, 1, 0)); };
    zero_conv(ch[0]); // conv_in's output
    int64_t out_ch = ch[0];
    for (int i = 0; i < n; ++i) {
        const int64_t in_ch = out_ch;
        out_ch = ch[i];
        const std::string p = "down_blocks." + std::to_string(i);
        // A level of transformer depth 0 has no attention (ComfyUI's cldm: no SpatialTransformer when the depth is 0;
        // the norm and projections a diffusers file holds for it are not read).
        const bool cross = u.down_block_types[i] == "CrossAttnDownBlock2D" && u.transformer_layers_per_block[i] > 0;
        reads_context_ = reads_context_ || cross;
        Block b;
        b.name = p;
        for (int j = 0; j < u.layers_per_block; ++j) {
            const std::string q = std::to_string(j);
            b.resnets.push_back(ResnetBlock2D::load(ws, p + ".resnets." + q, j == 0 ? in_ch : out_ch, out_ch, temb, groups, eps));
            if (cross)
                b.attentions.push_back(Transformer2D::load(ws, p + ".attentions." + q, out_ch, u.num_attention_heads[i], ctx, u.transformer_layers_per_block[i], groups));
            zero_conv(out_ch);
        }
        b.has_downsample = i < n - 1;
        if (b.has_downsample) {
            b.downsample = Downsample2D::load(ws, p + ".downsamplers.0", out_ch, 1);
            zero_conv(out_ch);
        }
        down_.push_back(std::move(b));
    }
    mid_resnet_0_ = ResnetBlock2D::load(ws, "mid_block.resnets.0", ch[n - 1], ch[n - 1], temb, groups, eps);
    // The mid block's depth is the last level's; 0 (diffusers' -small): norm, projections and the residual only.
    mid_attention_ = Transformer2D::load(ws, "mid_block.attentions.0", ch[n - 1], u.num_attention_heads[n - 1], ctx, u.transformer_layers_per_block[n - 1], groups);
    reads_context_ = reads_context_ || u.transformer_layers_per_block[n - 1] > 0;
    mid_resnet_1_ = ResnetBlock2D::load(ws, "mid_block.resnets.1", ch[n - 1], ch[n - 1], temb, groups, eps);
    zero_conv_mid_ = Conv2d::load(ws, "controlnet_mid_block", ch[n - 1], ch[n - 1], 1, 1, 0);
    // As the UNet's: f32 whatever the precision (cheap, and every later layer depends on them).
    for (Linear * l : {&time_linear_1_, &time_linear_2_}) l->keep_fp32 = true;
    conv_in_.keep_fp32 = true;
}

Tensor ControlNet::hint_embedding(const Tensor & hint) const {
    Tensor g = hint_convs_[0].forward(hint);                                    // [Bh, hc0, f H, f W]
    silu_inplace(g);
    for (size_t i = 1; i + 1 < hint_convs_.size(); ++i) {
        g = hint_convs_[i].forward(g);                                          // [Bh, hc_k, H_k, W_k] (halved every second conv)
        silu_inplace(g);
    }
    return hint_convs_.back().forward(g);                                       // [Bh, c0, H, W]
}

ControlResiduals ControlNet::forward(const Tensor & x, const float * timesteps, const Tensor & context, const Tensor & hint, AttentionMode mode,
                                     const std::atomic<bool> * cancel, const Tensor * added_input) const {
    const UNetConfig & u = config_.unet;
    require(x.rank() == 4 && x.dim(1) == u.in_channels && x.dim(2) >= 1 && x.dim(3) >= 1, SDN_STATUS_BAD_SHAPE,
            "ControlNet: latent has shape " + shape_str(x.shape) + ", expected [B, " + std::to_string(u.in_channels) + ", H, W]");
    const int64_t B = x.dim(0), H = x.dim(2), W = x.dim(3), f = hint_factor();
    require(context.rank() == 3 && context.dim(0) == B && (context.dim(2) == u.cross_attention_dim || !reads_context_), SDN_STATUS_BAD_SHAPE,
            "ControlNet: context has shape " + shape_str(context.shape) + ", expected [" + std::to_string(B) + ", tokens, " +
                std::to_string(u.cross_attention_dim) + "]");
    require(hint.rank() == 4 && (hint.dim(0) == 1 || hint.dim(0) == B) && hint.dim(1) == config_.conditioning_channels && hint.dim(2) == f * H &&
                hint.dim(3) == f * W,
            SDN_STATUS_BAD_SHAPE,
            "ControlNet: hint has shape " + shape_str(hint.shape) + ", expected [1 or " + std::to_string(B) + ", " +
                std::to_string(config_.conditioning_channels) + ", " + std::to_string(f * H) + ", " + std::to_string(f * W) +
                "] (the picture at " + std::to_string(f) + "x the latent's size)");
    if (sdxl()) {
        const int64_t P = u.projection_class_embeddings_input_dim;
        require(added_input != nullptr, SDN_STATUS_BAD_ARGUMENT,
                "ControlNet: this is an SDXL ControlNet (added text/size conditioning, label_emb / add_embedding): it needs the pooled text embedding "
                "and the size conditioning of an SDXL model's call");
        require(added_input->rank() == 2 && added_input->dim(0) == B && added_input->dim(1) == P, SDN_STATUS_BAD_SHAPE,
                "ControlNet: the model's added conditioning has shape " + shape_str(added_input->shape) + ", this SDXL ControlNet takes [" + std::to_string(B) +
                    ", " + std::to_string(P) + "] (is the ControlNet made for this model?)");
    } else {
        require(added_input == nullptr, SDN_STATUS_BAD_ARGUMENT,
                "ControlNet: this ControlNet (SD 1.x / 2.x) takes no added conditioning, but the model is SDXL-like (pooled text embedding and sizes): "
                "use a ControlNet made for this model");
    }
    const LoraScope no_loras(nullptr); // the UNet's LoRAs match these layer names too, but belong to the UNet
    ProfileRun profile("ControlNet forward");

    Tensor temb = unet_timestep_embedding(u, timesteps, B, u.block_out_channels[0]); // [B, c0]
    temb = time_linear_1_.forward(temb);                                        // [B, 4 c0]
    silu_inplace(temb);
    temb = time_linear_2_.forward(temb);                                        // [B, 4 c0]
    if (sdxl()) {
        const Tensor aug = add_embedding_.forward(*added_input);                // [B, 4 c0]
        if (!arena_measuring())
            for (int64_t i = 0; i < temb.numel(); ++i) temb.f32()[i] += aug.f32()[i]; // emb + aug_emb  [B, 4 c0]
    }
    silu_inplace(temb);                                                         // silu(temb), as every resnet reads it

    check_cancelled(cancel, "ControlNet hint encoder");
    Tensor h = conv_in_.forward(x);                                             // [B, c0, H, W]
    {
        Tensor g = hint_embedding(hint);                                        // [Bh, c0, H, W]
        ArenaScope scope(kHintAdd);
        if (!arena_measuring()) {
            const int64_t per = h.numel() / B;
            float * out = h.f32();
            const float * in = g.f32();
            for (int64_t b = 0; b < B; ++b) {
                const float * src = in + (g.dim(0) == 1 ? 0 : b * per);
                for (int64_t i = 0; i < per; ++i) out[b * per + i] += src[i];  // conv_in(x) + hint embedding  [B, c0, H, W]
            }
        }
    }

    ControlResiduals out;
    size_t k = 0;
    const auto keep = [&](const Tensor & map) { out.down.push_back(zero_convs_[k++].forward(map)); }; // [B, c, H_i, W_i]
    keep(h);
    for (size_t i = 0; i < down_.size(); ++i) {
        const Block & b = down_[i];
        for (size_t j = 0; j < b.resnets.size(); ++j) {
            check_cancelled(cancel, "ControlNet down block " + std::to_string(i));
            h = b.resnets[j].forward(h, &temb);                                 // [B, c_i, H_i, W_i]
            if (!b.attentions.empty()) h = b.attentions[j].forward(h, context, mode); // [B, c_i, H_i, W_i]
            keep(h);
        }
        if (b.has_downsample) {
            h = b.downsample.forward(h);                                        // [B, c_i, ceil(H_i / 2), ceil(W_i / 2)]
            keep(h);
        }
    }
    check_cancelled(cancel, "ControlNet mid block");
    h = mid_resnet_0_.forward(h, &temb);                                        // [B, c_last, h, w]
    h = mid_attention_.forward(h, context, mode);                               // [B, c_last, h, w]
    h = mid_resnet_1_.forward(h, &temb);                                        // [B, c_last, h, w]
    out.mid = zero_conv_mid_.forward(h);                                        // [B, c_last, h, w]
    return out;
}

} // namespace sdn
