#include "taesd.h"

#include <cmath>
#include <string>

#include "../../core/arena.h"
#include "../../core/profile.h"

namespace sdn {

TAESD::Block TAESD::load_block(const WeightStore & ws, const std::string & prefix, int64_t c) {
    require(ws.find(prefix + ".skip.weight") == nullptr, SDN_STATUS_BAD_FORMAT,
            prefix + ".skip.weight: a TAESD block whose channels change is not supported (SD's TAESD keeps them)");
    Block b;
    b.conv0 = Conv2d::load(ws, prefix + ".conv.0", c, c, 3, 1, 1);
    b.conv2 = Conv2d::load(ws, prefix + ".conv.2", c, c, 3, 1, 1);
    b.conv4 = Conv2d::load(ws, prefix + ".conv.4", c, c, 3, 1, 1);
    return b;
}

TAESD::TAESD(const TAESDConfig & config, std::shared_ptr<const WeightStore> encoder, std::shared_ptr<const WeightStore> decoder)
    : config_(config), encoder_(std::move(encoder)), decoder_(std::move(decoder)) {
    require(encoder_ || decoder_, SDN_STATUS_BAD_ARGUMENT, "TAESD: neither an encoder nor a decoder was given");
    const auto conv = [](const WeightStore & ws, int index, int64_t cin, int64_t cout, int64_t stride, bool bias) {
        Step s;
        s.conv = Conv2d::load(ws, std::to_string(index), cin, cout, 3, stride, 1, bias);
        return s;
    };
    const auto block = [](const WeightStore & ws, int index, int64_t c) {
        Step s;
        s.is_block = true;
        s.block = load_block(ws, std::to_string(index), c);
        return s;
    };
    if (encoder_) {
        const WeightStore & ws = *encoder_;
        const std::vector<int> & ch = config.encoder_block_out_channels;
        int index = 0;
        for (size_t i = 0; i < ch.size(); ++i) {
            // level 0 starts with conv(in, c0); later levels with a stride-2 conv without bias
            enc_.push_back(i == 0 ? conv(ws, index++, config.in_channels, ch[0], 1, true) : conv(ws, index++, ch[i - 1], ch[i], 2, false));
            for (int j = 0; j < config.num_encoder_blocks[i]; ++j) enc_.push_back(block(ws, index++, ch[i]));
        }
        enc_.push_back(conv(ws, index, ch.back(), config.latent_channels, 1, true));
    }
    if (decoder_) {
        const WeightStore & ws = *decoder_;
        const std::vector<int> & ch = config.decoder_block_out_channels;
        int index = 1; // index 0 is the Clamp
        Step in = conv(ws, index, config.latent_channels, ch[0], 1, true);
        in.relu = true;
        dec_.push_back(in);
        index += 2; // the ReLU
        for (size_t i = 0; i < ch.size(); ++i) {
            for (int j = 0; j < config.num_decoder_blocks[i]; ++j) dec_.push_back(block(ws, index++, ch[i]));
            const bool last = i + 1 == ch.size();
            if (!last) index++; // the Upsample
            Step s = conv(ws, index++, ch[i], last ? config.out_channels : ch[i + 1], 1, last);
            s.upsample = last ? 1 : config.upsampling_scaling_factor;
            dec_.push_back(s);
        }
    }
}

int64_t TAESD::downscale_factor() const {
    int64_t f = 1;
    for (size_t i = 1; i < config_.decoder_block_out_channels.size(); ++i) f *= config_.upsampling_scaling_factor;
    return f;
}

Tensor TAESD::Block::forward(const Tensor & x) const {
    Tensor h = conv0.forward(x);                                                // [B, c, H, W]
    relu_inplace(h);
    h = conv2.forward(h);                                                       // [B, c, H, W]
    relu_inplace(h);
    h = conv4.forward(h, &x);                                                   // conv + x  [B, c, H, W]
    relu_inplace(h);
    return h;
}

Tensor TAESD::decode(const Tensor & z, const std::atomic<bool> * cancel) const {
    require(decoder_ != nullptr, SDN_STATUS_MISSING_TENSOR, "TAESD decode: no decoder was loaded (a taesd_decoder file is needed)");
    require(z.rank() == 4 && z.dim(1) == config_.latent_channels && z.dim(2) >= 1 && z.dim(3) >= 1, SDN_STATUS_BAD_SHAPE,
            "TAESD decode: latent has shape " + shape_str(z.shape) + ", expected [B, " + std::to_string(config_.latent_channels) + ", h, w]");
    ProfileRun profile("TAESD decode");
    Tensor h;
    {
        static const std::string clamp_name = "0"; // ArenaScope keeps a pointer to the name
        ArenaScope scope(clamp_name);
        h = Tensor::empty(z.shape);                                             // tanh(z / 3) * 3  [B, L, h, w]
        if (!arena_measuring()) {
            const float * in = z.f32();
            float * out = h.f32();
            for (int64_t i = 0; i < z.numel(); ++i) out[i] = std::tanh(in[i] / 3.0f) * 3.0f;
        }
    }
    for (size_t i = 0; i < dec_.size(); ++i) {
        check_cancelled(cancel, "TAESD decoder layer " + std::to_string(i));
        const Step & s = dec_[i];
        if (s.is_block) {
            h = s.block.forward(h);                                             // [B, c_i, h_i, w_i]
            continue;
        }
        h = s.conv.forward(h, nullptr, s.upsample);                             // [B, c, f h_i, f w_i]
        if (s.relu) relu_inplace(h);
    }
    return h;                                                                   // [B, out_channels, 8h, 8w]
}

Tensor TAESD::encode(const Tensor & x, const std::atomic<bool> * cancel) const {
    require(encoder_ != nullptr, SDN_STATUS_MISSING_TENSOR, "TAESD encode: no encoder was loaded (a taesd_encoder file is needed)");
    const int64_t f = int64_t(1) << (config_.encoder_block_out_channels.size() - 1); // one stride-2 conv per later level
    require(x.rank() == 4 && x.dim(1) == config_.in_channels && x.dim(2) >= f && x.dim(3) >= f, SDN_STATUS_BAD_SHAPE,
            "TAESD encode: image has shape " + shape_str(x.shape) + ", expected [B, " + std::to_string(config_.in_channels) +
                ", H, W] with H, W >= " + std::to_string(f));
    ProfileRun profile("TAESD encode");
    Tensor h = x;
    for (size_t i = 0; i < enc_.size(); ++i) {
        check_cancelled(cancel, "TAESD encoder layer " + std::to_string(i));
        const Step & s = enc_[i];
        h = s.is_block ? s.block.forward(h) : s.conv.forward(h);                // [B, c_i, H_i, W_i]
    }
    return h;                                                                   // [B, L, H/8, W/8]
}

} // namespace sdn
