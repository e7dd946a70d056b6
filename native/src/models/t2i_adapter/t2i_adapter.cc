#include "t2i_adapter.h"

#include <algorithm>

#include "../../core/arena.h"

namespace sdn {

Tensor pixel_unshuffle_batch(const Tensor & x, int64_t f) {
    require(x.rank() == 4 && x.dim(2) % f == 0 && x.dim(3) % f == 0, SDN_STATUS_BAD_SHAPE,
            "T2I-Adapter: hint has shape " + shape_str(x.shape) + ", expected [B, C, H, W] with H and W multiples of " + std::to_string(f));
    const int64_t B = x.dim(0), C = x.dim(1), H = x.dim(2) / f, W = x.dim(3) / f;
    Tensor out = Tensor::empty({B, C * f * f, H, W});
    if (arena_measuring()) return out;
    const float * src = x.f32();
    float * dst = out.f32();
    // out[b, c f^2 + i f + j, y, x] = in[b, c, y f + i, x f + j]
    for (int64_t b = 0; b < B; ++b)
        for (int64_t c = 0; c < C; ++c)
            for (int64_t i = 0; i < f; ++i)
                for (int64_t j = 0; j < f; ++j) {
                    float * o = dst + ((b * C + c) * f * f + i * f + j) * H * W;
                    const float * p = src + (b * C + c) * H * f * W * f;
                    for (int64_t y = 0; y < H; ++y)
                        for (int64_t xx = 0; xx < W; ++xx) o[y * W + xx] = p[(y * f + i) * W * f + xx * f + j];
                }
    return out;
}

Tensor avg_pool_2x2(const Tensor & x) {
    const int64_t B = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
    const int64_t ph = H % 2, pw = W % 2, Ho = (H + 2 * ph - 2) / 2 + 1, Wo = (W + 2 * pw - 2) / 2 + 1;
    Tensor out = Tensor::empty({B, C, Ho, Wo});
    if (arena_measuring()) return out;
    for (int64_t p = 0; p < B * C; ++p) {
        const float * s = x.f32() + p * H * W;
        float * o = out.f32() + p * Ho * Wo;
        for (int64_t y = 0; y < Ho; ++y)
            for (int64_t xx = 0; xx < Wo; ++xx) {
                float sum = 0.0f;
                for (int64_t dy = 0; dy < 2; ++dy)
                    for (int64_t dx = 0; dx < 2; ++dx) {
                        const int64_t yy = 2 * y + dy - ph, xc = 2 * xx + dx - pw;
                        if (yy >= 0 && yy < H && xc >= 0 && xc < W) sum += s[yy * W + xc];
                    }
                o[y * Wo + xx] = 0.25f * sum; // padding counted (count_include_pad)
            }
    }
    return out;
}

T2IAdapter::T2IAdapter(const T2IAdapterConfig & config, std::shared_ptr<const WeightStore> weights) : config_(config), weights_(std::move(weights)) {
    const WeightStore & ws = *weights_;
    const int64_t u = config_.unshuffle(), cin = config_.hint_channels * u * u, R = config_.blocks_per_level;
    const int64_t L = static_cast<int64_t>(config_.channels.size());
    require(L >= 1 && R >= 1, SDN_STATUS_BAD_ARGUMENT, "T2I-Adapter: no levels or no blocks");
    require(!config_.xl || (!config_.light && L >= 3), SDN_STATUS_BAD_ARGUMENT, "T2I-Adapter: an SDXL adapter is a full one with at least 3 levels");
    if (!config_.light) conv_in_ = Conv2d::load(ws, "conv_in", cin, config_.channels[0], 3, 1, 1);
    for (int64_t i = 0; i < L; ++i) {
        Level level;
        level.down = config_.xl ? i == 2 : i > 0; // ComfyUI's resblock_downsample: [2] for SDXL, else every level after the first
        const int64_t c = config_.channels[i], prev = i == 0 ? (config_.light ? cin : c) : config_.channels[i - 1];
        if (config_.light) {
            const std::string p = "body." + std::to_string(i) + ".";
            const int64_t inter = c / 4;
            level.has_in_conv = level.has_out_conv = true;
            level.in_conv = Conv2d::load(ws, p + "in_conv", prev, inter, 1, 1, 0);
            level.out_conv = Conv2d::load(ws, p + "out_conv", inter, c, 1, 1, 0);
            for (int64_t k = 0; k < R; ++k) {
                Resnet r;
                const std::string q = p + "body." + std::to_string(k) + ".";
                r.block1 = Conv2d::load(ws, q + "block1", inter, inter, 3, 1, 1);
                r.block2 = Conv2d::load(ws, q + "block2", inter, inter, 3, 1, 1);
                level.blocks.push_back(std::move(r));
            }
        } else {
            const int64_t k = config_.ksize;
            for (int64_t j = 0; j < R; ++j) {
                Resnet r;
                const std::string q = "body." + std::to_string(i * R + j) + ".";
                const int64_t in = j == 0 ? prev : c;
                r.has_in_conv = in != c;
                if (r.has_in_conv) r.in_conv = Conv2d::load(ws, q + "in_conv", in, c, k, 1, k / 2);
                r.block1 = Conv2d::load(ws, q + "block1", c, c, 3, 1, 1);
                r.block2 = Conv2d::load(ws, q + "block2", c, c, k, 1, k / 2);
                level.blocks.push_back(std::move(r));
            }
        }
        levels_.push_back(std::move(level));
    }
}

std::vector<Tensor> T2IAdapter::forward_cached(const Tensor & hint) const {
    if (arena_measuring() || hint.dtype != DType::F32 || !hint.is_contiguous()) return forward(hint);
    const float * values = hint.f32();
    const size_t n = static_cast<size_t>(hint.numel());
    const Precision precision = compute_precision();
    {
        std::lock_guard<std::mutex> lock(cache_mutex_);
        for (auto it = cache_.begin(); it != cache_.end(); ++it) {
            if (it->precision != precision || it->hint_shape != hint.shape || !std::equal(values, values + n, it->hint.begin())) continue;
            static const std::string kScope = "T2I-Adapter cached features";
            ArenaScope scope(kScope);
            std::vector<Tensor> out;
            for (size_t k = 0; k < it->features.size(); ++k) {
                Tensor f = Tensor::empty(it->shapes[k]);                        // [B, c_k, H_k, W_k]
                std::copy(it->features[k].begin(), it->features[k].end(), f.f32());
                out.push_back(std::move(f));
            }
            if (it != cache_.begin()) std::rotate(cache_.begin(), it, it + 1); // most recent first
            ++cache_hits_;
            return out;
        }
    }
    std::vector<Tensor> out = forward(hint);
    CachedFeatures entry;
    entry.precision = precision;
    entry.hint_shape = hint.shape;
    entry.hint.assign(values, values + n);
    for (const Tensor & f : out) {
        entry.shapes.push_back(f.shape);
        entry.features.emplace_back(f.f32(), f.f32() + f.numel());
    }
    std::lock_guard<std::mutex> lock(cache_mutex_);
    cache_.push_front(std::move(entry));
    if (cache_.size() > kCachedHints) cache_.pop_back();
    return out;
}

int64_t T2IAdapter::cache_hits() const {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    return cache_hits_;
}

std::vector<Tensor> T2IAdapter::forward(const Tensor & hint) const {
    require(hint.rank() == 4 && hint.dim(1) == config_.hint_channels, SDN_STATUS_BAD_SHAPE,
            "T2I-Adapter: hint has shape " + shape_str(hint.shape) + ", expected [B, " + std::to_string(config_.hint_channels) + ", 8 H, 8 W]");
    require(!config_.xl || (hint.dim(2) % 16 == 0 && hint.dim(3) % 16 == 0), SDN_STATUS_BAD_SHAPE,
            "SDXL T2I-Adapter: the picture is " + std::to_string(hint.dim(3)) + "x" + std::to_string(hint.dim(2)) +
                ": its PixelUnshuffle(16) needs sides that are multiples of 16 (latent sides multiples of 2); choose such a size");
    static const std::string kScope = "T2I-Adapter";
    ArenaScope scope(kScope);
    Tensor x = pixel_unshuffle_batch(hint, config_.unshuffle());                // [B, 64 Chint, H, W] (SDXL: 256 Chint, H / 2, W / 2)
    if (!config_.light) x = conv_in_.forward(x);                                // [B, c0, H, W]
    std::vector<Tensor> features;
    for (const Level & level : levels_) {
        if (level.down) x = avg_pool_2x2(x);                                    // [B, c, ceil(H / 2), ceil(W / 2)]
        if (level.has_in_conv) x = level.in_conv.forward(x);                    // light: [B, c_i / 4, ...]
        for (const Resnet & r : level.blocks) {
            if (r.has_in_conv) x = r.in_conv.forward(x);                        // [B, c_i, ...]
            Tensor h = r.block1.forward(x);
            relu_inplace(h);
            x = r.block2.forward(h, &x);                                        // x + block2(relu(block1(x)))
        }
        if (level.has_out_conv) x = level.out_conv.forward(x);                  // light: [B, c_i, ...]
        features.push_back(x);
    }
    return features;
}

} // namespace sdn
