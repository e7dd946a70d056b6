#include "control_residuals.h"

#include "../../core/arena.h"

namespace sdn {

namespace {

const std::string kMerge = "controlnet residuals"; // ArenaScope name of the slicing and the sums

// The first `channels` channels of every latent: [B, C, H, W] -> [B, channels, H, W] (x itself when C == channels).
Tensor leading_channels(const Tensor & x, int64_t channels) {
    if (x.dim(1) == channels) return x;
    const int64_t B = x.dim(0), plane = x.dim(2) * x.dim(3);
    ArenaScope scope(kMerge);
    Tensor out = Tensor::empty({B, channels, x.dim(2), x.dim(3)});
    if (!arena_measuring())
        for (int64_t b = 0; b < B; ++b) std::copy(x.f32() + b * x.dim(1) * plane, x.f32() + (b * x.dim(1) + channels) * plane, out.f32() + b * channels * plane);
    return out;
}

// In place: r = strength * (global_average ? per-channel mean of r over the picture : r).
void scale(Tensor & r, float strength, bool global_average) {
    if (arena_measuring()) return;
    const int64_t BC = r.dim(0) * r.dim(1), plane = r.dim(2) * r.dim(3);
    float * p = r.f32();
    for (int64_t i = 0; i < BC; ++i, p += plane) {
        if (global_average) {
            double sum = 0.0;
            for (int64_t k = 0; k < plane; ++k) sum += p[k];
            const float mean = static_cast<float>(sum / static_cast<double>(plane));
            for (int64_t k = 0; k < plane; ++k) p[k] = mean;
        }
        for (int64_t k = 0; k < plane; ++k) p[k] *= strength;
    }
}

void accumulate(Tensor & sum, const Tensor & r) {
    if (arena_measuring()) return;
    float * s = sum.f32();
    const float * p = r.f32();
    for (int64_t i = 0; i < sum.numel(); ++i) s[i] += p[i];
}

// A T2I-Adapter's features for a call of batch B: the hint's channel mean for a 1-channel adapter
// ([b, C, 8H, 8W] -> [b, 1, 8H, 8W]), the adapter, strength x each feature, batch 1 repeated to B.
std::vector<Tensor> adapter_features(const T2IAdapter & adapter, const Tensor & hint, float strength, int64_t B) {
    Tensor x = hint;
    if (adapter.config().hint_channels == 1 && hint.dim(1) > 1) {
        ArenaScope scope(kMerge);
        const int64_t b = hint.dim(0), C = hint.dim(1), plane = hint.dim(2) * hint.dim(3);
        x = Tensor::empty({b, 1, hint.dim(2), hint.dim(3)});
        if (!arena_measuring())
            for (int64_t n = 0; n < b; ++n)
                for (int64_t k = 0; k < plane; ++k) {
                    float sum = 0.0f;
                    for (int64_t c = 0; c < C; ++c) sum += hint.f32()[(n * C + c) * plane + k];
                    x.f32()[n * plane + k] = sum / static_cast<float>(C);
                }
    }
    std::vector<Tensor> feats = adapter.forward_cached(x);                      // computed once per hint, as ComfyUI
    ArenaScope scope(kMerge);
    for (Tensor & f : feats) {
        scale(f, strength, false);
        if (f.dim(0) == 1 && B > 1) {
            Tensor r = Tensor::empty({B, f.dim(1), f.dim(2), f.dim(3)});
            if (!arena_measuring())
                for (int64_t b = 0; b < B; ++b) std::copy(f.f32(), f.f32() + f.numel(), r.f32() + b * f.numel());
            f = std::move(r);
        }
    }
    return feats;
}

} // namespace

ControlResiduals control_residuals(const std::vector<ControlApply> & controls, const Tensor & latent, const float * timesteps,
                                   const Tensor & context, AttentionMode mode, const std::atomic<bool> * cancel, const Tensor * added_input) {
    ControlResiduals sum;
    bool first = true; // no ControlNet's residuals summed yet
    for (size_t i = 0; i < controls.size(); ++i) {
        const ControlApply & c = controls[i];
        if (c.adapter) {
            std::vector<Tensor> feats = adapter_features(*c.adapter, c.hint, c.strength, latent.dim(0));
            if (sum.input.empty()) {
                sum.input = std::move(feats);                                   // strength * features of the first adapter
                sum.input_xl = c.adapter->config().xl;
                continue;
            }
            require(c.adapter->config().xl == sum.input_xl, SDN_STATUS_BAD_SHAPE,
                    "T2I-Adapter " + std::to_string(i) + " is " + (sum.input_xl ? "an SD 1.x" : "an SDXL") + " adapter, an earlier one " +
                        (sum.input_xl ? "an SDXL" : "an SD 1.x") + " adapter: use adapters made for this UNet");
            require(feats.size() == sum.input.size(), SDN_STATUS_BAD_SHAPE,
                    "T2I-Adapter " + std::to_string(i) + " gives " + std::to_string(feats.size()) + " features, an earlier one " +
                        std::to_string(sum.input.size()) + ": they are made for different UNets");
            ArenaScope scope(kMerge);
            for (size_t k = 0; k < feats.size(); ++k) {
                require(feats[k].shape == sum.input[k].shape, SDN_STATUS_BAD_SHAPE,
                        "T2I-Adapter " + std::to_string(i) + "'s feature " + std::to_string(k) + " has shape " + shape_str(feats[k].shape) +
                            ", an earlier adapter's " + shape_str(sum.input[k].shape));
                accumulate(sum.input[k], feats[k]);                             // sum += strength * feature
            }
            continue;
        }
        require(c.net != nullptr, SDN_STATUS_BAD_ARGUMENT, "ControlNet " + std::to_string(i) + " is NULL");
        const int64_t in = c.net->config().unet.in_channels;
        require(latent.rank() == 4 && latent.dim(1) >= in, SDN_STATUS_BAD_SHAPE,
                "ControlNet " + std::to_string(i) + " takes " + std::to_string(in) + " latent channels; the UNet call has " + shape_str(latent.shape));
        ControlResiduals r;
        {
            const Tensor x = leading_channels(latent, in);                      // [B, in, H, W]
            r = c.net->forward(x, timesteps, context, c.hint, mode, cancel, added_input);
        }
        const bool pool = c.global_average_pooling || c.net->config().global_pool_conditions;
        ArenaScope scope(kMerge);
        for (Tensor & t : r.down) scale(t, c.strength, pool);
        scale(r.mid, c.strength, pool);
        if (first) {
            first = false;
            sum.down = std::move(r.down);                                       // strength * residuals of the first
            sum.mid = std::move(r.mid);
            continue;
        }
        require(r.down.size() == sum.down.size(), SDN_STATUS_BAD_SHAPE,
                "ControlNet " + std::to_string(i) + " gives " + std::to_string(r.down.size()) + " residuals, ControlNet 0 " + std::to_string(sum.down.size()) +
                    ": they are made for different UNets");
        for (size_t k = 0; k < r.down.size(); ++k) {
            require(r.down[k].shape == sum.down[k].shape, SDN_STATUS_BAD_SHAPE,
                    "ControlNet " + std::to_string(i) + "'s residual " + std::to_string(k) + " has shape " + shape_str(r.down[k].shape) + ", ControlNet 0's " +
                        shape_str(sum.down[k].shape) + ": they are made for different UNets");
            accumulate(sum.down[k], r.down[k]);                                 // sum += strength * residual
            r.down[k] = Tensor();
        }
        require(r.mid.shape == sum.mid.shape, SDN_STATUS_BAD_SHAPE, "ControlNet " + std::to_string(i) + "'s mid residual does not fit ControlNet 0's");
        accumulate(sum.mid, r.mid);
    }
    return sum;
}

} // namespace sdn
