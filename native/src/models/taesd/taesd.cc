#include "taesd.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
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
    // The last level (after the last up-sampling conv) runs in strips of rows when the picture is large.
    size_t last_level = dec_.size();
    while (last_level > 0 && dec_[last_level - 1].upsample == 1) --last_level;
    if (last_level == 0) last_level = dec_.size(); // one level, no up-sampling: no strips
    for (size_t i = 0; i < last_level; ++i) h = run_step(i, h, cancel);
    if (last_level == dec_.size()) return h;
    return decode_last_level(h, last_level, cancel);                            // [B, out_channels, 8h, 8w]
}

Tensor TAESD::run_step(size_t i, const Tensor & x, const std::atomic<bool> * cancel) const {
    check_cancelled(cancel, "TAESD decoder layer " + std::to_string(i));
    const Step & s = dec_[i];
    if (s.is_block) return s.block.forward(x);                                 // [B, c_i, h_i, w_i]
    Tensor h = s.conv.forward(x, nullptr, s.upsample);                         // [B, c, f h_i, f w_i]
    if (s.relu) relu_inplace(h);
    return h;
}

// Rows of one strip of the last level (a multiple of 4); 0 (LATENTFLOW_TAESD_STRIP_ROWS=0) runs the
// level on the whole picture.
static int64_t strip_rows() {
    static const int64_t rows = [] {
        const char * v = std::getenv("LATENTFLOW_TAESD_STRIP_ROWS");
        return v && *v ? std::max<int64_t>(0, std::atoll(v)) / 4 * 4 : int64_t(96);
    }();
    return rows;
}

// Steps [first, end) on x [B, C, H, W] (3x3 stride-1 convs and Blocks: full-size maps, 64 MiB each for
// SD's TAESD at 512x512; three are alive in a Block) one strip of rows at a time: each strip's rows and
// `halo` more on each side, copied out of x, run through the steps (zero padding at the cut rows only
// spoils the halo), and its own rows kept. The strips and halos start at multiples of 4 rows, so every
// convolution's Winograd tiles lie where they lie in the whole picture: the output has the same bits
// as the whole level's (at 512x512: 6 strips, 1.3x the level's work, ~70 MiB less).
Tensor TAESD::decode_last_level(const Tensor & x, size_t first, const std::atomic<bool> * cancel) const {
    const int64_t B = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3), rows = strip_rows();
    if (rows == 0 || H <= 2 * rows) {
        Tensor h = x;
        for (size_t i = first; i < dec_.size(); ++i) h = run_step(i, h, cancel);
        return h;
    }
    // 4 rows a 3x3 convolution: its window needs 1, but a Winograd F(4x4, 3x3) tile's every output
    // reads the tile's whole 6-row input patch (the other rows' terms cancel in exact arithmetic, not
    // in its rounding), so a row is only bit-exact 4 rows away from a spoilt one.
    int64_t halo = 0;
    for (size_t i = first; i < dec_.size(); ++i) halo += dec_[i].is_block ? 12 : 4;
    Tensor out = Tensor::empty({B, config_.out_channels, H, W});
    for (int64_t a = 0; a < H; a += rows) {
        const int64_t b = std::min(H, a + rows), ia = std::max<int64_t>(0, a - halo), ib = std::min(H, b + halo);
        Tensor h = Tensor::empty({B, C, ib - ia, W});                          // x's rows [ia, ib)
        if (!arena_measuring())
            for (int64_t n = 0; n < B * C; ++n) std::memcpy(h.f32() + n * (ib - ia) * W, x.f32() + (n * H + ia) * W, sizeof(float) * (ib - ia) * W);
        for (size_t i = first; i < dec_.size(); ++i) h = run_step(i, h, cancel);
        if (!arena_measuring())
            for (int64_t n = 0; n < B * config_.out_channels; ++n) std::memcpy(out.f32() + (n * H + a) * W, h.f32() + (n * (ib - ia) + a - ia) * W, sizeof(float) * (b - a) * W);
    }
    return out;
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
