#include "rrdbnet.h"

#include <cstring>

#include "../../core/arena.h"
#include "../../core/profile.h"
#include "../../core/threads.h"

namespace sdn {

namespace {

constexpr float kSlope = 0.2f;    // nn.LeakyReLU(negative_slope=0.2), everywhere in RRDBNet
constexpr float kResidual = 0.2f; // the dense blocks' and RRDBs' residual scaling

// y = s * y + x, element-wise (the residual connections of RDB and RRDB).
void scale_add_inplace(Tensor & y, float s, const Tensor & x) {
    if (arena_measuring()) return;
    ProfileScope prof(ProfOp::Elementwise);
    float * yp = y.f32();
    const float * xp = x.f32();
    parallel_for(y.numel(), 1 << 16, [=](int64_t begin, int64_t end, int) {
        for (int64_t i = begin; i < end; ++i) yp[i] = s * yp[i] + xp[i];
    });
}

// Channels [c0, c0 + n) of a [1, C, h, w] map, as a [1, n, h, w] view (no data under a measure pass).
Tensor channels(Tensor & t, int64_t c0, int64_t n) {
    const int64_t S = t.dim(2) * t.dim(3);
    float * base = t.data ? t.f32() + c0 * S : nullptr;
    return Tensor::view(base, {1, n, t.dim(2), t.dim(3)}, DType::F32, t.owner, t.storage);
}

} // namespace

void leaky_relu_inplace(Tensor & x, float slope) {
    if (arena_measuring()) return;
    ProfileScope prof(ProfOp::Activation);
    float * p = x.f32();
    parallel_for(x.numel(), 1 << 16, [p, slope](int64_t begin, int64_t end, int) {
        for (int64_t i = begin; i < end; ++i) p[i] = p[i] >= 0.0f ? p[i] : slope * p[i];
    });
}

Tensor pad_reflect_bottom_right(const Tensor & x, int64_t pad_h, int64_t pad_w) {
    const int64_t C = x.dim(1), H = x.dim(2), W = x.dim(3);
    require(x.dim(0) == 1 && pad_h < H && pad_w < W, SDN_STATUS_BAD_SHAPE,
            "reflect padding of " + shape_str(x.shape) + " by " + std::to_string(pad_h) + ", " + std::to_string(pad_w) + ": each pad must be smaller than its side");
    Tensor y = Tensor::empty({1, C, H + pad_h, W + pad_w});
    if (arena_measuring()) return y;
    const int64_t Wo = W + pad_w;
    const float * xp = x.f32();
    float * yp = y.f32();
    for (int64_t c = 0; c < C; ++c)
        for (int64_t i = 0; i < H + pad_h; ++i) {
            const int64_t si = i < H ? i : 2 * (H - 1) - i; // reflect: row H + k is row H - 2 - k
            const float * src = xp + (c * H + si) * W;
            float * dst = yp + (c * (H + pad_h) + i) * Wo;
            std::memcpy(dst, src, sizeof(float) * W);
            for (int64_t j = W; j < Wo; ++j) dst[j] = src[2 * (W - 1) - j];
        }
    return y;
}

Tensor pixel_unshuffle(const Tensor & x, int64_t u) {
    const int64_t C = x.dim(1), H = x.dim(2), W = x.dim(3), h = H / u, w = W / u;
    require(x.dim(0) == 1 && H % u == 0 && W % u == 0, SDN_STATUS_INTERNAL, "pixel_unshuffle: " + shape_str(x.shape) + " by " + std::to_string(u));
    Tensor y = Tensor::empty({1, C * u * u, h, w});
    if (arena_measuring()) return y;
    const float * xp = x.f32();
    float * yp = y.f32();
    for (int64_t c = 0; c < C; ++c)
        for (int64_t i = 0; i < u; ++i)
            for (int64_t j = 0; j < u; ++j) {
                float * dst = yp + ((c * u + i) * u + j) * h * w;           // out[c u^2 + i u + j, y, x]
                for (int64_t yy = 0; yy < h; ++yy)
                    for (int64_t xx = 0; xx < w; ++xx) dst[yy * w + xx] = xp[(c * H + yy * u + i) * W + xx * u + j]; // = in[c, y u + i, x u + j]
            }
    return y;
}

RRDBNet::RRDBNet(std::shared_ptr<const WeightStore> weights, const RRDBNetConfig & config) : weights_(std::move(weights)), config_(config) {
    const WeightStore & ws = *weights_;
    const RRDBNetConfig & c = config_;
    require(c.num_blocks >= 1 && c.num_feat >= 1 && c.num_grow >= 1 && c.shuffle >= 1 && c.num_upsamples >= 0, SDN_STATUS_BAD_ARGUMENT,
            "RRDBNet: a configuration without blocks or channels");
    const int64_t nf = c.num_feat, gc = c.num_grow;
    conv_first_ = Conv2d::load(ws, "conv_first", c.in_channels * c.shuffle * c.shuffle, nf, 3, 1, 1);
    for (int64_t i = 0; i < c.num_blocks; ++i) {
        RRDB block;
        for (int r = 0; r < 3; ++r)
            for (int k = 0; k < 5; ++k) {
                const std::string name = "body." + std::to_string(i) + ".rdb" + std::to_string(r + 1) + ".conv" + std::to_string(k + 1);
                block.rdb[r].conv[k] = Conv2d::load(ws, name, nf + k * gc, k == 4 ? nf : gc, 3, 1, 1);
            }
        body_.push_back(block);
    }
    conv_body_ = Conv2d::load(ws, "conv_body", nf, nf, 3, 1, 1);
    for (int64_t k = 1; k <= c.num_upsamples; ++k) conv_up_.push_back(Conv2d::load(ws, "conv_up" + std::to_string(k), nf, nf, 3, 1, 1));
    conv_hr_ = Conv2d::load(ws, "conv_hr", nf, nf, 3, 1, 1);
    conv_last_ = Conv2d::load(ws, "conv_last", nf, c.out_channels, 3, 1, 1);
}

int64_t RRDBNet::halo() const { return config_.shuffle * (1 + 15 * config_.num_blocks + 1 + 2); }

Tensor RRDBNet::RDB::forward(const Tensor & x) const {
    const int64_t nf = x.dim(1), gc = conv[0].cout, h = x.dim(2), w = x.dim(3);
    Tensor cat = Tensor::empty({1, nf + 4 * gc, h, w});                         // [x | x1 | x2 | x3 | x4]
    if (!arena_measuring()) std::memcpy(cat.f32(), x.f32(), sizeof(float) * x.numel());
    for (int k = 0; k < 4; ++k) {
        const Tensor in = channels(cat, 0, nf + k * gc);                        // cat(x, x1, .., x_k)  [1, nf + k gc, h, w]
        Tensor out = channels(cat, nf + k * gc, gc);                            // x_{k+1}              [1, gc, h, w]
        conv[k].forward_into(in, out);
        leaky_relu_inplace(out, kSlope);
    }
    Tensor y = conv[4].forward(cat);                                            // [1, nf, h, w]
    cat = Tensor();
    scale_add_inplace(y, kResidual, x);                                         // 0.2 y + x
    return y;
}

Tensor RRDBNet::RRDB::forward(const Tensor & x) const {
    Tensor h = rdb[0].forward(x);                                               // [1, nf, h, w]
    h = rdb[1].forward(h);
    h = rdb[2].forward(h);
    scale_add_inplace(h, kResidual, x);                                         // 0.2 h + x
    return h;
}

Tensor RRDBNet::forward(const Tensor & x, const std::atomic<bool> * cancel) const {
    const RRDBNetConfig & c = config_;
    require(x.rank() == 4 && x.dim(0) == 1 && x.dim(1) == c.in_channels, SDN_STATUS_BAD_SHAPE,
            "RRDBNet: image has shape " + shape_str(x.shape) + ", expected [1, " + std::to_string(c.in_channels) + ", H, W]");
    const int64_t H = x.dim(2), W = x.dim(3), u = c.shuffle, s = c.scale();
    Tensor h = x;
    if (u > 1) {
        const int64_t pad_h = (u - H % u) % u, pad_w = (u - W % u) % u;
        if (pad_h || pad_w) h = pad_reflect_bottom_right(h, pad_h, pad_w);     // [1, 3, H', W'] multiples of u
        h = pixel_unshuffle(h, u);                                              // [1, 3 u^2, H'/u, W'/u]
    }
    Tensor fea = conv_first_.forward(h);                                        // [1, nf, h, w]
    h = fea;
    for (size_t i = 0; i < body_.size(); ++i) {
        check_cancelled(cancel, "upscale model block " + std::to_string(i));
        h = body_[i].forward(h);                                                // [1, nf, h, w]
    }
    h = conv_body_.forward(h, &fea);                                            // fea + conv_body(...)  [1, nf, h, w]
    fea = Tensor();
    for (const Conv2d & up : conv_up_) {
        h = up.forward(h, nullptr, 2);                                          // conv(nearest 2x)  [1, nf, 2h, 2w]
        leaky_relu_inplace(h, kSlope);
    }
    h = conv_hr_.forward(h);                                                    // [1, nf, 2^n h, 2^n w]
    leaky_relu_inplace(h, kSlope);
    h = conv_last_.forward(h);                                                  // [1, 3, 2^n h, 2^n w]
    if (h.dim(2) == H * s && h.dim(3) == W * s) return h;
    // the reflect padding's part of the result goes                            [1, 3, sH, sW]
    Tensor y = Tensor::empty({1, h.dim(1), H * s, W * s});
    if (!arena_measuring())
        for (int64_t ch = 0; ch < h.dim(1); ++ch)
            for (int64_t i = 0; i < H * s; ++i)
                std::memcpy(y.f32() + (ch * H * s + i) * W * s, h.f32() + (ch * h.dim(2) + i) * h.dim(3), sizeof(float) * W * s);
    return y;
}

} // namespace sdn
