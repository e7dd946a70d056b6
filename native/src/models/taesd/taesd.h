// taesd.h — TAESD ("tiny autoencoder for Stable Diffusion", madebyollin; diffusers' AutoencoderTiny), a
// VAE approximation: plain 3x3 convolutions and ReLUs, no norms, no attention, so it decodes a 512x512
// picture in a fraction of the full VAE's time and memory (previews, fast pictures). Configured by
// TAESDConfig (AutoencoderTiny's config.json keys); SD 1.x's is 64 channels at every level.
//
// Weight names are the Sequential indices of madebyollin's taesd.py, as its taesd_encoder /
// taesd_decoder.safetensors files have them (and ComfyUI reads them): "3.conv.0.weight" is the first
// conv of the Block at index 3. With E = num_encoder_blocks, D = num_decoder_blocks, c = the channels:
//
// encoder:  x [B, 3, H, W] in [0, 1]
//   conv(3, c0)                                       level 0, then E[0] Blocks
//   per later level i: conv(c_{i-1}, c_i, stride 2, no bias), E[i] Blocks     [B, c_i, H/2^i, W/2^i]
//   conv(c_last, latent_channels)                                             [B, L, H/8, W/8]
// decoder:  z [B, L, h, w] (model-space latents: the VAE's latents times its scaling factor)
//   index 0: tanh(z / 3) * 3 (the "Clamp", no weights); conv(L, c0), ReLU
//   per level i: D[i] Blocks; then, but in the last level, nearest 2x up-sampling and
//   conv(c_i, c_{i+1}, no bias); the last level ends in conv(c_last, 3)      [B, 3, 8h, 8w] ~ [0, 1]
// Block(c) = relu(conv4(relu(conv2(relu(conv0(x))))) + x)
// (all 3x3 with bias; the 1x1 "skip" conv of madebyollin's Block only exists when its channels change,
// which SD's TAESD never does: such files are refused, naming the tensor).
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "../common/layers.h"
#include "../config.h"

namespace sdn {

class TAESD {
public:
    // Either store may be null (a decoder-only file decodes; encode then says what is missing), not both.
    TAESD(const TAESDConfig & config, std::shared_ptr<const WeightStore> encoder, std::shared_ptr<const WeightStore> decoder);

    const TAESDConfig & config() const { return config_; }
    bool has_encoder() const { return encoder_ != nullptr; }
    bool has_decoder() const { return decoder_ != nullptr; }

    // z: [B, latent_channels, h, w] model-space latents -> image [B, out_channels, f h, f w], about [0, 1] (unclamped).
    Tensor decode(const Tensor & z, const std::atomic<bool> * cancel) const;
    // x: image [B, in_channels, H, W] in [0, 1] -> model-space latents [B, latent_channels, H/f, W/f].
    Tensor encode(const Tensor & x, const std::atomic<bool> * cancel) const;

    // The decoder's factor between latent and image size (8 for SD 1.x's TAESD).
    int64_t downscale_factor() const;

private:
    struct Block {
        Conv2d conv0, conv2, conv4;
        Tensor forward(const Tensor & x) const; // [B, c, H, W] -> [B, c, H, W]
    };
    // One element of the Sequential: a conv (optionally after nearest up-sampling, optionally followed by ReLU) or a Block.
    struct Step {
        bool is_block = false;
        Block block;
        Conv2d conv;
        int64_t upsample = 1;
        bool relu = false;
    };

    static Block load_block(const WeightStore & ws, const std::string & prefix, int64_t channels);
    Tensor run_step(size_t i, const Tensor & x, const std::atomic<bool> * cancel) const; // decoder step i
    Tensor decode_last_level(const Tensor & x, size_t first, const std::atomic<bool> * cancel) const;

    TAESDConfig config_;
    std::shared_ptr<const WeightStore> encoder_, decoder_;
    std::vector<Step> enc_, dec_;
};

} // namespace sdn
