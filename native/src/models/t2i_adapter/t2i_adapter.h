// t2i_adapter.h — TencentARC's T2I-Adapter for SD 1.x, as ComfyUI runs it (comfy/t2i_adapter/adapter.py
// Adapter / Adapter_light): a small convolutional network that reads the hint picture once (it does not see
// the timestep or the latent) and returns one feature map per UNet level, which the UNet adds to the output
// of that level's last layer (ComfyUI's control "input").
//
//   hint [B, Chint, 8H, 8W] (the picture in [0, 1]) -> PixelUnshuffle(8) -> [B, 64 Chint, H, W]
//   full adapter:  x = conv_in(x) (3x3); per level i, per block j ("body.{i R + j}"):
//                  (i > 0, j == 0: x = avg_pool2d(x, 2), padded by H % 2, W % 2); in_conv where the channels
//                  change; x = x + block2(relu(block1(x))) (block1 3x3, block2 ksize x ksize)
//   light adapter: per level i ("body.i"): (i > 0: avg_pool2d 2); in_conv 1x1 -> c_i / 4; per block k
//                  x = x + block2(relu(block1(x))) (3x3, "body.i.body.k"); out_conv 1x1 -> c_i
//   feature i = x after level i   [B, c_i, ceil(H / 2^i), ceil(W / 2^i)]
//   SDXL (ComfyUI's Adapter(xl=True), diffusers' full_adapter_xl): the full adapter with PixelUnshuffle(16), so the
//                  features start at half the latent's size; level 1's first block changes the channels without
//                  down-sampling, level 2's down-samples; levels 0 and 3 keep both. The UNet adds feature 0 to the
//                  output of its level 0's down-sampler, features 1 and 2 to its levels' last layers, feature 3 to
//                  the mid block's output (ControlResiduals::input_xl).
//
// Weight names are the original checkpoints' (io/t2i_adapter_file.h renames diffusers' "adapter.*" to them).
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "../common/layers.h"

namespace sdn {

struct T2IAdapterConfig {
    bool light = false;
    int64_t hint_channels = 3;     // Chint: conv_in's (or the first in_conv's) input channels / 64
    std::vector<int64_t> channels; // c_i per level (320, 640, 1280, 1280 for SD 1.x)
    int64_t blocks_per_level = 2;  // nums_rb: 2 for the full adapter, 4 for the light one
    int64_t ksize = 1;             // the full adapter's block2 / in_conv kernel (1 or 3)
    bool xl = false;               // SDXL's adapter (full only): PixelUnshuffle 16, placement above

    int64_t unshuffle() const { return xl ? 16 : 8; }
};

class T2IAdapter {
public:
    T2IAdapter(const T2IAdapterConfig & config, std::shared_ptr<const WeightStore> weights);

    const T2IAdapterConfig & config() const { return config_; }
    static constexpr int64_t kHintFactor = 8; // the hint's size over the latent's (the picture's)

    // hint: [B, hint_channels, 8 H, 8 W] -> one feature per level (H and W even for an SDXL adapter). Throws
    // BAD_SHAPE naming the mismatch.
    std::vector<Tensor> forward(const Tensor & hint) const;

    // forward(), remembered for the last kCachedHints hints by content (shape and every value) and the compute
    // precision (layers.h compute_precision: bf16 features differ from f32 ones), as ComfyUI computes
    // an adapter's features once per hint and size and reuses them at every step (they do not depend on the latent
    // or the timestep). A hit returns arena copies of the features (the caller may scale them in place) without
    // running the network; a measure pass always runs it, so an estimate covers a miss. The cache holds f32 copies
    // of each hint and its features (freed with the adapter). Thread-safe.
    std::vector<Tensor> forward_cached(const Tensor & hint) const;
    static constexpr size_t kCachedHints = 2;
    // How many forward_cached calls were answered from the cache (for tests and tools).
    int64_t cache_hits() const;

private:
    struct Resnet {
        bool has_in_conv = false;
        Conv2d in_conv, block1, block2;
    };
    struct Level {
        bool down = false;
        bool has_in_conv = false, has_out_conv = false; // the light adapter's 1x1 convolutions
        Conv2d in_conv, out_conv;
        std::vector<Resnet> blocks;
    };

    struct CachedFeatures {
        Precision precision;
        Shape hint_shape;
        std::vector<float> hint;
        std::vector<Shape> shapes;
        std::vector<std::vector<float>> features;
    };

    T2IAdapterConfig config_;
    std::shared_ptr<const WeightStore> weights_;
    mutable std::mutex cache_mutex_;
    mutable std::deque<CachedFeatures> cache_; // most recent first
    mutable int64_t cache_hits_ = 0;
    Conv2d conv_in_; // the full adapter's
    std::vector<Level> levels_;
};

// [B, C, f H, f W] -> [B, C f f, H, W], torch's PixelUnshuffle(f) (any batch; rrdbnet.h's pixel_unshuffle takes
// batch 1 only, hence the other name).
Tensor pixel_unshuffle_batch(const Tensor & x, int64_t f);
// [B, C, H, W] -> [B, C, ceil(H / 2), ceil(W / 2)]: avg_pool2d(2, 2) with zero padding (H % 2, W % 2) on
// each side, the padding counted (comfy/t2i_adapter/adapter.py Downsample without a convolution).
Tensor avg_pool_2x2(const Tensor & x);

} // namespace sdn
