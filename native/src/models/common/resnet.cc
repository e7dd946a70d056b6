#include "resnet.h"

#include "../../core/arena.h"
#include "../../core/profile.h"
#include "../../ops/elementwise.h"
#include "../../ops/resample.h"

namespace sdn {

ResnetBlock2D ResnetBlock2D::load(const WeightStore & ws, const std::string & prefix, int64_t in, int64_t out,
                                  int64_t temb_channels, int64_t groups, float eps) {
    ResnetBlock2D r;
    r.in = in;
    r.out = out;
    r.norm1 = GroupNorm::load(ws, prefix + ".norm1", in, groups, eps);
    r.conv1 = Conv2d::load(ws, prefix + ".conv1", in, out, 3, 1, 1);
    r.has_time_emb = temb_channels > 0;
    if (r.has_time_emb) r.time_emb_proj = Linear::load(ws, prefix + ".time_emb_proj", temb_channels, out, true);
    r.norm2 = GroupNorm::load(ws, prefix + ".norm2", out, groups, eps);
    r.conv2 = Conv2d::load(ws, prefix + ".conv2", out, out, 3, 1, 1);
    r.has_shortcut = in != out;
    if (r.has_shortcut) r.conv_shortcut = Conv2d::load(ws, prefix + ".conv_shortcut", in, out, 1, 1, 0);
    return r;
}

Tensor ResnetBlock2D::forward(const Tensor & x, const Tensor * temb_silu) const {
    const int64_t B = x.dim(0), S = x.dim(2) * x.dim(3);
    Tensor h = norm1.forward(x, true);                                    // [B, in, H, W]
    h = conv1.forward(h);                                                 // [B, out, H, W]
    if (has_time_emb) {
        Tensor t = time_emb_proj.forward(*temb_silu);                     // [B, out]
        if (!arena_measuring()) {
            ProfileScope prof(ProfOp::Elementwise);
            add_per_channel(h.f32(), t.f32(), B, out, S);                 // [B, out, H, W]
        }
    }
    h = norm2.forward(h, true);                                           // [B, out, H, W]
    if (!has_shortcut) return conv2.forward(h, &x);                       // [B, out, H, W]
    Tensor shortcut = conv_shortcut.forward(x);                           // [B, out, H, W]
    return conv2.forward(h, &shortcut);                                   // [B, out, H, W]
}

Downsample2D Downsample2D::load(const WeightStore & ws, const std::string & prefix, int64_t channels, int64_t padding) {
    Downsample2D d;
    d.conv = Conv2d::load(ws, prefix + ".conv", channels, channels, 3, 2, padding);
    d.pad_bottom_right_first = padding == 0;
    return d;
}

Tensor Downsample2D::forward(const Tensor & x) const {
    if (!pad_bottom_right_first) return conv.forward(x);                 // [B, C, (H+1)/2, (W+1)/2]
    Tensor padded = pad_bottom_right(x);                                 // [B, C, H+1, W+1]
    return conv.forward(padded);                                         // [B, C, H/2, W/2] (rounded down)
}

Upsample2D Upsample2D::load(const WeightStore & ws, const std::string & prefix, int64_t channels) {
    Upsample2D u;
    u.conv = Conv2d::load(ws, prefix + ".conv", channels, channels, 3, 1, 1);
    return u;
}

Tensor Upsample2D::forward(const Tensor & x, int64_t out_h, int64_t out_w) const {
    const int64_t B = x.dim(0), C = x.dim(1);
    // The usual case, exactly 2x: the convolution reads x through the up-sampling (no 4x-sized copy).
    if (out_h == 2 * x.dim(2) && out_w == 2 * x.dim(3)) return conv.forward(x, nullptr, 2); // [B, C, out_h, out_w]
    ArenaScope scope(conv.name);
    Tensor up = Tensor::empty({B, C, out_h, out_w});
    if (!arena_measuring()) {
        ProfileScope prof(ProfOp::Resample);
        upsample_nearest(x.f32(), up.f32(), B, C, x.dim(2), x.dim(3), out_h, out_w); // [B, C, out_h, out_w]
    }
    return conv.forward(up);                                                     // [B, C, out_h, out_w]
}

} // namespace sdn
