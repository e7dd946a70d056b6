// rrdbnet.h — ESRGAN's generator, RRDBNet (Wang et al. 2018, "ESRGAN: Enhanced Super-Resolution
// Generative Adversarial Networks"; Real-ESRGAN and BSRGAN train the same network), the upscale models
// of ComfyUI's UpscaleModelLoader / ImageUpscaleWithModel. Plain 3x3 convolutions and leaky ReLUs
// (slope 0.2): no norms, no attention.
//
// Weights are bound by the new (basicsr / Real-ESRGAN) names; the old ESRGAN layout ("model.0.weight",
// "model.1.sub.N.RDB1.conv1.0.weight", ...) and BSRGAN's ("RRDB_trunk.N...", "trunk_conv", "upconvK",
// "HRconv") are renamed to them when the file is read (rrdbnet_keys.h). With nf = num_feat, gc =
// num_grow, u = the pixel-unshuffle factor (1, or Real-ESRGAN's 2 for x2 and 4 for x1), n = upsamplings:
//
//   x [1, 3, H, W] in [0, 1]
//   u > 1: reflect-pad bottom/right to multiples of u, pixel_unshuffle(u)       [1, 3 u^2, H/u, W/u]
//   fea  = conv_first(x)                                                        [1, nf, h, w]
//   body = conv_body(body.{nb-1}( ... body.0(fea))) + fea                       [1, nf, h, w]
//     RRDB(x)  = rdb3(rdb2(rdb1(x))) * 0.2 + x
//     RDB(x)   = conv5(cat(x, x1, x2, x3, x4)) * 0.2 + x, with
//                x_k = lrelu(conv_k(cat(x, x1, .., x_{k-1})))   conv_k: nf + (k-1) gc -> gc channels
//   n times: h = lrelu(conv_up_k(nearest 2x up-sampling of h))                  [1, nf, 2^k h, 2^k w]
//   out  = conv_last(lrelu(conv_hr(h)))                                         [1, 3, 2^n h, 2^n w]
//   u > 1: cropped to the input's size times the scale 2^n / u                  [1, 3, sH, sW]
//
// Tiling (upscale(), rrdbnet_tiled.cc): the image is cut into tiles; each is run with a margin of real
// neighbouring pixels and only its own part of the result is kept. With the margin as wide as the
// network's receptive field (halo(), the default) every output pixel sees exactly the pixels it sees in
// one piece, so tiles change nothing but the rounding of the convolutions (their algorithm and blocking
// depend on the size). A deep model's field is wide (ESRGAN's 23 blocks: 349 pixels), so a narrower
// margin can be asked for, as ComfyUI's tiles overlap by 32 pixels.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../common/layers.h"

namespace sdn {

// What the weights say (nothing is configured by hand).
struct RRDBNetConfig {
    int64_t in_channels = 3;   // of the picture (the first conv sees in_channels * shuffle^2)
    int64_t out_channels = 3;
    int64_t num_feat = 64;     // nf
    int64_t num_grow = 32;     // gc
    int64_t num_blocks = 23;   // RRDBs
    int64_t num_upsamples = 2; // nearest 2x + conv, each
    int64_t shuffle = 1;       // pixel-unshuffle factor u
    int64_t scale() const { return (int64_t(1) << num_upsamples) / shuffle; }
};

class RRDBNet {
public:
    // The weights under the new names (rrdbnet_keys.h renames the others); shapes checked here.
    RRDBNet(std::shared_ptr<const WeightStore> weights, const RRDBNetConfig & config);

    const RRDBNetConfig & config() const { return config_; }

    // The network on one picture: x [1, 3, H, W] -> [1, 3, sH, sW] (unclamped).
    Tensor forward(const Tensor & x, const std::atomic<bool> * cancel) const;

    // Input pixels each side an output pixel depends on (the receptive field's radius, a multiple of
    // the shuffle factor): 1 + 15 per RRDB + 1 convolutions at the low resolution, and at most 2 more
    // low-resolution pixels through the up-sampling part (see rrdbnet_tiled.cc), times the shuffle factor.
    int64_t halo() const;
    // Tiles are multiples of this (the shuffle factor), so each tile's unshuffled grid is the image's.
    int64_t tile_multiple() const { return config_.shuffle; }

    using TileProgress = std::function<void(int64_t done, int64_t total)>;
    // x [B, 3, H, W] -> [B, 3, sH, sW]: picture by picture, in tiles of tile x tile input pixels (a
    // multiple of tile_multiple(); 0 or >= the picture: one tile), each run with `margin` pixels of its
    // neighbours around it (0: halo(), the exact result; less than halo() saves memory and time on deep
    // models, and pixels near a tile's border then differ slightly from one piece; rounded up to a
    // multiple of tile_multiple()). progress (may be empty) after every tile; cancel (may be null)
    // checked between RRDBs.
    Tensor upscale(const Tensor & x, int64_t tile, int64_t margin, const std::atomic<bool> * cancel, const TileProgress & progress) const;

private:
    struct RDB {
        Conv2d conv[5];
        Tensor forward(const Tensor & x) const; // [1, nf, h, w] -> [1, nf, h, w]
    };
    struct RRDB {
        RDB rdb[3];
        Tensor forward(const Tensor & x) const; // [1, nf, h, w] -> [1, nf, h, w]
    };

    std::shared_ptr<const WeightStore> weights_;
    RRDBNetConfig config_;
    Conv2d conv_first_, conv_body_, conv_hr_, conv_last_;
    std::vector<RRDB> body_;
    std::vector<Conv2d> conv_up_;
};

// x: [1, C, H, W] -> [1, C, H + pad_h, W + pad_w], F.pad(x, (0, pad_w, 0, pad_h), "reflect") (pads < H, W).
Tensor pad_reflect_bottom_right(const Tensor & x, int64_t pad_h, int64_t pad_w);
// x: [1, C, H, W] -> [1, C u^2, H/u, W/u], torch.pixel_unshuffle: out[c u^2 + i u + j, y, x] = in[c, y u + i, x u + j].
Tensor pixel_unshuffle(const Tensor & x, int64_t u);
// In place: x[i] = x[i] >= 0 ? x[i] : slope x[i] (nn.LeakyReLU).
void leaky_relu_inplace(Tensor & x, float slope);

} // namespace sdn
