#include "unet.h"

#include <algorithm>
#include <cmath>

#include "../../core/arena.h"
#include "../../core/profile.h"
#include "../../ops/activation.h"
#include "../../ops/resample.h"

namespace sdn {

namespace {
const std::string kTimeProj = "time_proj"; // diffusers' name of the sinusoidal embedding (no weights)
const std::string kAddTimeProj = "add_time_proj"; // the time ids' Fourier features (no weights)

// x += r, a ControlNet residual of x's shape (x is the UNet's own map, nobody else's).
void add_residual(Tensor & x, const Tensor & r, const std::string & where) {
    require(r.shape == x.shape, SDN_STATUS_BAD_SHAPE,
            "UNet: the ControlNet residual for " + where + " has shape " + shape_str(r.shape) + ", the UNet's map " + shape_str(x.shape) +
                " (is the ControlNet made for this UNet?)");
    if (arena_measuring()) return;
    float * out = x.f32();
    const float * in = r.f32();
    for (int64_t i = 0; i < x.numel(); ++i) out[i] += in[i];
}
}

UNet::UNet(const UNetConfig & config, std::shared_ptr<const WeightStore> weights) : config_(config), weights_(std::move(weights)) {
    const WeightStore & ws = *weights_;
    const std::vector<int> & ch = config.block_out_channels;
    const int n = static_cast<int>(ch.size());
    require(n >= 1 && static_cast<int>(config.num_attention_heads.size()) == n && static_cast<int>(config.down_block_types.size()) == n &&
                static_cast<int>(config.up_block_types.size()) == n,
            SDN_STATUS_BAD_FORMAT, "UNet config: block_out_channels, num_attention_heads and the block types need one entry per block");
    const int64_t groups = config.norm_num_groups, ctx = config.cross_attention_dim;
    const std::vector<int> & tl = config.transformer_layers_per_block;
    require(static_cast<int>(tl.size()) == n, SDN_STATUS_BAD_FORMAT, "UNet config: transformer_layers_per_block needs one entry per block");
    for (int t : tl)
        require(t >= 1, SDN_STATUS_BAD_FORMAT,
                "UNet config: transformer_layers_per_block entries must be >= 1 (a depth of 0 is supported for ControlNets only)");
    const float eps = config.norm_eps;
    time_embed_dim_ = 4 * ch[0];

    time_linear_1_ = Linear::load(ws, "time_embedding.linear_1", ch[0], time_embed_dim_, true);
    time_linear_2_ = Linear::load(ws, "time_embedding.linear_2", time_embed_dim_, time_embed_dim_, true);
    conv_in_ = Conv2d::load(ws, "conv_in", config.in_channels, ch[0], 3, 1, 1);
    if (config.addition_embed_type == "text_time") add_embedding_ = AddedEmbedding::load(ws, config.projection_class_embeddings_input_dim, time_embed_dim_);

    int64_t out_ch = ch[0];
    for (int i = 0; i < n; ++i) {
        const int64_t in_ch = out_ch;
        out_ch = ch[i];
        const std::string p = "down_blocks." + std::to_string(i);
        const bool cross = config.down_block_types[i] == "CrossAttnDownBlock2D";
        Block b;
        b.name = p;
        for (int j = 0; j < config.layers_per_block; ++j) {
            const std::string q = std::to_string(j);
            b.resnets.push_back(ResnetBlock2D::load(ws, p + ".resnets." + q, j == 0 ? in_ch : out_ch, out_ch, time_embed_dim_, groups, eps));
            if (cross) b.attentions.push_back(Transformer2D::load(ws, p + ".attentions." + q, out_ch, config.num_attention_heads[i], ctx, tl[i], groups));
        }
        b.has_downsample = i < n - 1;
        if (b.has_downsample) b.downsample = Downsample2D::load(ws, p + ".downsamplers.0", out_ch, 1);
        down_.push_back(std::move(b));
    }

    mid_resnet_0_ = ResnetBlock2D::load(ws, "mid_block.resnets.0", ch[n - 1], ch[n - 1], time_embed_dim_, groups, eps);
    mid_attention_ = Transformer2D::load(ws, "mid_block.attentions.0", ch[n - 1], config.num_attention_heads[n - 1], ctx, tl[n - 1], groups);
    mid_resnet_1_ = ResnetBlock2D::load(ws, "mid_block.resnets.1", ch[n - 1], ch[n - 1], time_embed_dim_, groups, eps);

    out_ch = ch[n - 1];
    for (int i = 0; i < n; ++i) {
        const int64_t prev_out_ch = out_ch;
        out_ch = ch[n - 1 - i];
        const int64_t in_ch = ch[std::max(n - 2 - i, 0)]; // channels of this block's last skip
        const std::string p = "up_blocks." + std::to_string(i);
        const bool cross = config.up_block_types[i] == "CrossAttnUpBlock2D";
        const int layers = config.layers_per_block + 1;
        Block b;
        b.name = p;
        for (int j = 0; j < layers; ++j) {
            const std::string q = std::to_string(j);
            const int64_t skip_ch = j == layers - 1 ? in_ch : out_ch;
            const int64_t res_in = (j == 0 ? prev_out_ch : out_ch) + skip_ch;
            b.resnets.push_back(ResnetBlock2D::load(ws, p + ".resnets." + q, res_in, out_ch, time_embed_dim_, groups, eps));
            if (cross) b.attentions.push_back(Transformer2D::load(ws, p + ".attentions." + q, out_ch, config.num_attention_heads[n - 1 - i], ctx, tl[n - 1 - i], groups));
        }
        b.has_upsample = i < n - 1;
        if (b.has_upsample) b.upsample = Upsample2D::load(ws, p + ".upsamplers.0", out_ch);
        up_.push_back(std::move(b));
    }

    conv_norm_out_ = GroupNorm::load(ws, "conv_norm_out", ch[0], groups, eps);
    conv_out_ = Conv2d::load(ws, "conv_out", ch[0], config.out_channels, 3, 1, 1);
    // In bf16 precision these stay f32: the time embedding shifts every channel of every block, and
    // conv_in / conv_out touch the latent itself; together < 1% of the UNet's work.
    for (Linear * l : {&time_linear_1_, &time_linear_2_}) l->keep_fp32 = true;
    for (Conv2d * c : {&conv_in_, &conv_out_}) c->keep_fp32 = true;
}

// diffusers.models.embeddings.get_timestep_embedding, step by step in f32 as torch computes it:
//   freq[i] = exp(-ln(10000) * i / (half - freq_shift)),  arg = t * freq[i]
//   emb = [sin(arg) | cos(arg)], or [cos | sin] with flip_sin_to_cos; zero-padded when dim is odd.
Tensor unet_timestep_embedding(const UNetConfig & config, const float * timesteps, int64_t B, int64_t dim) {
    const int64_t half = dim / 2;
    ArenaScope scope(kTimeProj);
    Tensor emb = Tensor::zeros({B, dim});
    if (arena_measuring()) return emb;
    const float neg_log_period = static_cast<float>(-std::log(10000.0));
    const float denom = static_cast<float>(half - config.freq_shift);
    for (int64_t b = 0; b < B; ++b) {
        float * row = emb.f32() + b * dim;
        for (int64_t i = 0; i < half; ++i) {
            const float exponent = neg_log_period * static_cast<float>(i) / denom;
            const float arg = timesteps[b] * std::exp(exponent);
            const float s = static_cast<float>(std::sin(static_cast<double>(arg)));
            const float c = static_cast<float>(std::cos(static_cast<double>(arg)));
            row[i] = config.flip_sin_to_cos ? c : s;
            row[half + i] = config.flip_sin_to_cos ? s : c;
        }
    }
    return emb; // [B, dim]
}

Tensor text_time_input(const UNetConfig & config, const AddedConditioning & added, int64_t B, const std::string & who) {
    // N time ids, each Fourier-embedded D wide: SDXL base 6 (original size, crop, target size), the
    // refiner 5 (original size, crop, aesthetic score); the pooled width is what is left of P.
    const int64_t P = config.projection_class_embeddings_input_dim, D = config.addition_time_embed_dim, N = added.time_ids_dim;
    const int64_t pooled = added.text_embeds_dim;
    const bool measuring = arena_measuring(); // a measure pass has shapes, no values
    require(measuring || (added.text_embeds && added.time_ids), SDN_STATUS_BAD_ARGUMENT,
            who + ": this model (addition_embed_type \"text_time\", SDXL) needs the pooled text embedding and the 6 time ids "
                  "(original size, crop, target size; an SDXL refiner's 5: original size, crop, aesthetic score) of every latent");
    require(N >= 1 && pooled >= 1 && pooled + N * D == P, SDN_STATUS_BAD_SHAPE,
            who + ": added conditioning of " + std::to_string(pooled) + " pooled values and " + std::to_string(N) + " time ids x " +
                std::to_string(D) + " per latent does not make this model's " + std::to_string(P) +
                " (SDXL base: pooled + 6 x " + std::to_string(D) + "; refiner: pooled + 5 x " + std::to_string(D) + ")");
    Tensor time = unet_timestep_embedding(config, added.time_ids, B * N, D);     // [B * N, D] (Fourier features)
    ArenaScope scope(kAddTimeProj);
    Tensor y = Tensor::empty({B, P});                                            // [text_embeds | time features]  [B, P]
    if (!measuring)
        for (int64_t b = 0; b < B; ++b) {
            float * row = y.f32() + b * P;
            std::copy(added.text_embeds + b * pooled, added.text_embeds + (b + 1) * pooled, row);
            std::copy(time.f32() + b * N * D, time.f32() + (b + 1) * N * D, row + pooled);
        }
    return y;
}

AddedEmbedding AddedEmbedding::load(const WeightStore & ws, int64_t in_dim, int64_t temb_dim) {
    AddedEmbedding e;
    e.linear_1 = Linear::load(ws, "add_embedding.linear_1", in_dim, temb_dim, true);
    e.linear_2 = Linear::load(ws, "add_embedding.linear_2", temb_dim, temb_dim, true);
    e.linear_1.keep_fp32 = e.linear_2.keep_fp32 = true; // as the time embedding: it shifts every channel of every block
    return e;
}

Tensor AddedEmbedding::forward(const Tensor & y) const {
    Tensor h = linear_1.forward(y);                                              // [B, 4 c0]
    silu_inplace(h);                                                             // [B, 4 c0]
    return linear_2.forward(h);                                                  // [B, 4 c0]
}

Tensor UNet::forward(const Tensor & sample, const float * timesteps, const Tensor & context, AttentionMode mode,
                     const std::atomic<bool> * cancel, const AddedConditioning & added, ControlResiduals * control) const {
    require(sample.rank() == 4 && sample.dim(1) == config_.in_channels && sample.dim(2) >= 1 && sample.dim(3) >= 1, SDN_STATUS_BAD_SHAPE,
            "UNet: latent has shape " + shape_str(sample.shape) + ", expected [B, " + std::to_string(config_.in_channels) + ", H, W]");
    const int64_t B = sample.dim(0);
    require(context.rank() == 3 && context.dim(0) == B && context.dim(1) >= 1 && context.dim(2) == config_.cross_attention_dim,
            SDN_STATUS_BAD_SHAPE,
            "UNet: context has shape " + shape_str(context.shape) + ", expected [" + std::to_string(B) + ", tokens, " +
                std::to_string(config_.cross_attention_dim) + "] (one text encoding per latent)");
    const std::string where = "UNet";
    ProfileRun profile("UNet forward");

    Tensor temb = unet_timestep_embedding(config_, timesteps, B, config_.block_out_channels[0]); // [B, c0]
    temb = time_linear_1_.forward(temb);                                        // [B, 4 c0]
    silu_inplace(temb);                                                         // [B, 4 c0]
    temb = time_linear_2_.forward(temb);                                        // [B, 4 c0]
    if (config_.addition_embed_type == "text_time") {
        const Tensor aug = add_embedding_.forward(text_time_input(config_, added, B, where)); // [B, 4 c0]
        if (!arena_measuring())
            for (int64_t i = 0; i < temb.numel(); ++i) temb.f32()[i] += aug.f32()[i]; // emb + aug_emb  [B, 4 c0]
    }
    silu_inplace(temb);                                                         // silu(temb): what every resnet projects  [B, 4 c0]

    const bool adapter = control && !control->input.empty();
    const bool adapter_xl = adapter && control->input_xl;
    require(!adapter || control->input.size() == down_.size() + (adapter_xl ? 1 : 0), SDN_STATUS_BAD_SHAPE,
            "UNet: " + std::to_string(control ? control->input.size() : 0) + (adapter_xl ? " SDXL" : "") + " T2I-Adapter features for " +
                std::to_string(down_.size()) + " UNet levels (is the T2I-Adapter made for this UNet?)");
    // Adds adapter feature k to h in place (ComfyUI's control "input"), checking its shape.
    const auto add_feature = [&](Tensor & h, size_t k, const std::string & at) {
        require(control->input[k].shape == h.shape, SDN_STATUS_BAD_SHAPE,
                "UNet: the T2I-Adapter feature " + std::to_string(k) + " for " + at + " has shape " + shape_str(control->input[k].shape) +
                    ", the UNet's map " + shape_str(h.shape) + " (is the T2I-Adapter made for this UNet?)");
        add_residual(h, control->input[k], at);                                 // h + feature  [B, c, H_i, W_i]
        control->input[k] = Tensor();
    };
    std::vector<Tensor> skips;
    Tensor h = conv_in_.forward(sample);                                        // [B, c0, H, W]
    skips.push_back(h);
    for (size_t i = 0; i < down_.size(); ++i) {
        const Block & b = down_[i];
        for (size_t j = 0; j < b.resnets.size(); ++j) {
            check_cancelled(cancel, where + " down block " + std::to_string(i));
            h = b.resnets[j].forward(h, &temb);                                 // [B, c_i, H_i, W_i]
            if (!b.attentions.empty()) h = b.attentions[j].forward(h, context, mode); // [B, c_i, H_i, W_i]
            if (adapter && j + 1 == b.resnets.size() && (!adapter_xl || i > 0)) add_feature(h, i, "level " + std::to_string(i));
            skips.push_back(h);
        }
        if (b.has_downsample) {
            h = b.downsample.forward(h);                                        // [B, c_i, ceil(H_i / 2), ceil(W_i / 2)]
            if (adapter_xl && i == 0) add_feature(h, 0, "level 0's downsampler");
            skips.push_back(h);
        }
    }

    check_cancelled(cancel, where + " mid block");
    h = mid_resnet_0_.forward(h, &temb);                                        // [B, c_last, h, w]
    h = mid_attention_.forward(h, context, mode);                               // [B, c_last, h, w]
    h = mid_resnet_1_.forward(h, &temb);                                        // [B, c_last, h, w]
    if (adapter_xl) add_feature(h, down_.size(), "the mid block");
    const bool residuals = control && (!control->down.empty() || control->mid.rank() != 0);
    if (residuals) {
        require(control->down.size() == skips.size() && control->mid.rank() == 4, SDN_STATUS_BAD_SHAPE,
                "UNet: " + std::to_string(control->down.size()) + " ControlNet down residuals for " + std::to_string(skips.size()) +
                    " skip connections (is the ControlNet made for this UNet?)");
        add_residual(h, control->mid, "the mid block");                        // h + mid residual  [B, c_last, h, w]
        control->mid = Tensor();
    }

    for (size_t i = 0; i < up_.size(); ++i) {
        const Block & b = up_[i];
        for (size_t j = 0; j < b.resnets.size(); ++j) {
            check_cancelled(cancel, where + " up block " + std::to_string(i));
            Tensor skip = std::move(skips.back());
            skips.pop_back();
            if (residuals) {
                add_residual(skip, control->down[skips.size()], "skip connection " + std::to_string(skips.size()));
                control->down[skips.size()] = Tensor();                         // skip + residual  [B, sk, H_i, W_i]
            }
            const int64_t ch = h.dim(1), sk = skip.dim(1), S = h.dim(2) * h.dim(3);
            ArenaScope scope(b.name);
            Tensor cat = Tensor::empty({B, ch + sk, h.dim(2), h.dim(3)});
            if (!arena_measuring()) {
                ProfileScope prof(ProfOp::Resample);
                concat_channels(h.f32(), ch, skip.f32(), sk, cat.f32(), B, S);  // [B, ch + skip, H_i, W_i]
            }
            h = Tensor();
            skip = Tensor();
            h = b.resnets[j].forward(cat, &temb);                               // [B, c_i, H_i, W_i]
            cat = Tensor();
            if (!b.attentions.empty()) h = b.attentions[j].forward(h, context, mode); // [B, c_i, H_i, W_i]
        }
        if (b.has_upsample) {
            // The next skip's size: 2x, or the size diffusers forwards when H or W is not a multiple of 2^(n-1).
            const Tensor & next = skips.back();
            h = b.upsample.forward(h, next.dim(2), next.dim(3));                // [B, c_i, H_(i+1), W_(i+1)]
        }
    }

    check_cancelled(cancel, where + " output");
    h = conv_norm_out_.forward(h, true);                                        // [B, c0, H, W]
    return conv_out_.forward(h);                                                // [B, out_channels, H, W]
}

} // namespace sdn
