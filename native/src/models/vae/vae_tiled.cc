// AutoencoderKL::decode_tiled: the decoder region by region with image-wide group norms (the
// algorithm is described in vae_tiled.h).
#include <string>

#include "../../core/arena.h"
#include "../../core/profile.h"
#include "../../ops/conv2d.h"
#include "../../ops/norm_stats.h"
#include "autoencoder_kl.h"
#include "vae_tiled.h"

namespace sdn {

std::vector<TileSpan> tile_spans(int64_t size, int64_t tile) {
    require(tile >= 1, SDN_STATUS_BAD_ARGUMENT, "tile size must be >= 1, got " + std::to_string(tile));
    std::vector<TileSpan> spans;
    for (int64_t s = 0; s < size; s += tile) spans.push_back({s, std::min(tile, size - s)});
    return spans;
}

namespace {

// The first span of each size (a grid has one or two: full tiles and the clipped last one).
std::vector<TileSpan> distinct_sizes(const std::vector<TileSpan> & spans) {
    std::vector<TileSpan> out;
    for (const TileSpan & t : spans)
        if (out.empty() || out.back().size != t.size) out.push_back(t);
    return out;
}

// A map carried between segments: its arena storage and a view of it (a resnet's output may live in
// the first channels of its input's larger buffer: batch_stride is the buffer's).
struct Map {
    Tensor storage;
    MapView view;
};

Map map_new(int64_t B, int64_t C, int64_t H, int64_t W) {
    Tensor t = Tensor::empty({B, C, H, W});
    float * data = t.f32();
    return Map{std::move(t), MapView{data, B, C, H, W, C * H * W}};
}

// Per-(batch, group) sums of a map, as it is written.
struct Stats {
    std::vector<double> sum, sum_sq;
    int64_t groups = 1, count = 0; // count: values per (batch, group)
    Stats(int64_t B, int64_t groups_, int64_t count_) : sum(B * groups_, 0.0), sum_sq(B * groups_, 0.0), groups(groups_), count(count_) {}
    GroupSums sums() { return GroupSums{sum.data(), sum_sq.data(), groups}; }
};

// A group norm's per-(batch, group) affine from whole-image statistics, ready for region_gather.
struct Norm {
    std::vector<float> mean, inv;
    GroupNormApply apply;
    Norm(const Stats & s, const GroupNorm & g, bool silu) : mean(s.sum.size()), inv(s.sum.size()) {
        require(g.groups == s.groups, SDN_STATUS_INTERNAL, "tiled VAE decode: group count mismatch");
        if (!arena_measuring())
            group_moments(s.sum.data(), s.sum_sq.data(), static_cast<int64_t>(s.sum.size()) / s.groups, s.groups, s.count, g.eps, mean.data(),
                      inv.data());
        apply = GroupNormApply{mean.data(), inv.data(), g.gamma, g.beta, g.groups, silu};
    }
};

// A convolution without padding on a gathered tile: in [B, cin, th + k - 1, tw + k - 1] -> out [B, cout, th, tw]
// (+ residual, which may be out).
void conv_tile(const Conv2d & conv, const Tensor & in, float * out, const float * residual) {
    const Conv2dShape s{in.dim(0), conv.cin, in.dim(2), in.dim(3), conv.cout, conv.kernel, conv.kernel, 1, 0, 1, compute_precision()};
    if (arena_measuring()) return arena_workspace(conv2d_workspace_bytes(s));
    ProfileScope prof(conv.kernel == 3 ? ProfOp::Conv3x3 : ProfOp::Conv1x1,
                      2.0 * static_cast<double>(s.B * conv.cout * s.out_h() * s.out_w()) * conv.cin * conv.kernel * conv.kernel);
    conv2d(s, in.f32(), *conv.weight, conv.bias, residual, out);
}

// region_gather / region_scatter, profiled (normalising gathers as group norm, the rest as resampling).
void gather(const MapView & src, int64_t y0, int64_t x0, int64_t rh, int64_t rw, int64_t upsample, const GroupNormApply * norm, float * out) {
    if (arena_measuring()) return;
    ProfileScope prof(norm ? ProfOp::GroupNorm : ProfOp::Resample);
    region_gather(src, y0, x0, rh, rw, upsample, norm, out);
}

void scatter(const float * tile, const MapView & dst, int64_t y0, int64_t x0, int64_t rh, int64_t rw, const MapView * residual,
             const GroupSums * sums) {
    if (arena_measuring()) return;
    ProfileScope prof(ProfOp::Elementwise);
    region_scatter(tile, dst, y0, x0, rh, rw, residual, sums);
}

// Walks the tiles of every segment: cancellation before each, progress after each.
struct TileWalk {
    int64_t tile, latent_h;
    const std::atomic<bool> * cancel;
    const AutoencoderKL::TileProgress & progress;
    int64_t done = 0, total = 0;

    // fn(y0, x0, th, tw) for the tiles of an H x W map (a level of scale H / latent_h).
    template <typename Fn>
    void each(int64_t H, int64_t W, const std::string & where, Fn && fn) {
        const int64_t t = tile * (H / latent_h);
        if (arena_measuring()) { // a tile frees its buffers before the next: one tile of each shape allocates what all do
            for (const TileSpan & ty : distinct_sizes(tile_spans(H, t)))
                for (const TileSpan & tx : distinct_sizes(tile_spans(W, t))) fn(ty.start, tx.start, ty.size, tx.size);
            return;
        }
        for (const TileSpan & ty : tile_spans(H, t))
            for (const TileSpan & tx : tile_spans(W, t)) {
                check_cancelled(cancel, where);
                fn(ty.start, tx.start, ty.size, tx.size);
                if (progress) progress(++done, total);
            }
    }
};

// One convolution over the picture, tile by tile: src's region with a 1-pixel halo (read through the
// up-sampling, normalised + SiLU when `norm` is given, zero outside the picture) is convolved and written
// to dst, adding to `sums` (dst's group sums) when given.
void conv_pass(const Conv2d & conv, const MapView & src, int64_t upsample, const GroupNormApply * norm, const MapView & dst, Stats * sums,
               TileWalk & walk, const std::string & where) {
    ArenaScope scope(conv.name);
    walk.each(dst.H, dst.W, where, [&](int64_t y0, int64_t x0, int64_t th, int64_t tw) {
        Tensor g = Tensor::empty({dst.B, src.C, th + 2, tw + 2});                  // the region + halo
        gather(src, y0 - 1, x0 - 1, th + 2, tw + 2, upsample, norm, g.f32());
        Tensor c = Tensor::empty({dst.B, dst.C, th, tw});
        conv_tile(conv, g, c.f32(), nullptr);                                      // [B, cout, th, tw]
        g = Tensor();
        GroupSums gs = sums ? sums->sums() : GroupSums{};
        scatter(c.f32(), dst, y0, x0, th, tw, nullptr, sums ? &gs : nullptr);
    });
}

// ResnetBlock2D on the carried map x (with its sums) -> y [B, out, H, W]; `stats` becomes y's sums.
Map resnet_tiled(const ResnetBlock2D & r, Map x, Stats & stats, TileWalk & walk, const std::string & where) {
    const int64_t B = x.view.B, H = x.view.H, W = x.view.W, groups = stats.groups;

    // h = conv1(silu(norm1(x)))
    const Norm n1(stats, r.norm1, true);
    Map h = [&] { ArenaScope scope(r.conv1.name); return map_new(B, r.out, H, W); }(); // [B, out, H, W]
    Stats hs(B, groups, r.out / groups * H * W);
    conv_pass(r.conv1, x.view, 1, &n1.apply, h.view, &hs, walk, where + ", conv1");

    // y = conv2(silu(norm2(h))) + shortcut(x), written over x when it fits in x's buffer.
    const Norm n2(hs, r.norm2, true);
    const bool in_place = x.view.batch_stride >= r.out * H * W;
    ArenaScope scope(r.conv2.name);
    Map y = in_place ? Map{x.storage, MapView{x.view.data, B, r.out, H, W, x.view.batch_stride}} : map_new(B, r.out, H, W);
    Stats ys(B, groups, r.out / groups * H * W);
    walk.each(H, W, where + ", conv2", [&](int64_t y0, int64_t x0, int64_t th, int64_t tw) {
        Tensor c = Tensor::empty({B, r.out, th, tw});
        if (r.has_shortcut) {
            Tensor xs = Tensor::empty({B, r.in, th, tw});                        // x's tile, for the 1x1 shortcut
            gather(x.view, y0, x0, th, tw, 1, nullptr, xs.f32());
            conv_tile(r.conv_shortcut, xs, c.f32(), nullptr);                    // c = shortcut(x)
        }
        Tensor g = Tensor::empty({B, r.out, th + 2, tw + 2});                    // silu(norm2(h)) + halo
        gather(h.view, y0 - 1, x0 - 1, th + 2, tw + 2, 1, &n2.apply, g.f32());
        conv_tile(r.conv2, g, c.f32(), r.has_shortcut ? c.f32() : nullptr);      // c = conv2(...) (+ shortcut)
        g = Tensor();
        GroupSums sums = ys.sums();
        scatter(c.f32(), y.view, y0, x0, th, tw, r.has_shortcut ? nullptr : &x.view, &sums); // (+ x)
    });
    stats = std::move(ys);
    return y; // h and (unless y took its buffer) x are freed here
}

// Upsample2D (nearest 2x, then a 3x3 conv) on x -> [B, C, 2H, 2W]; `stats` becomes its sums.
Map upsample_tiled(const Upsample2D & u, Map x, Stats & stats, TileWalk & walk, const std::string & where) {
    const int64_t B = x.view.B, C = x.view.C, H2 = 2 * x.view.H, W2 = 2 * x.view.W;
    ArenaScope scope(u.conv.name);
    Map y = map_new(B, C, H2, W2);                                               // [B, C, 2H, 2W]
    Stats ys(B, stats.groups, C / stats.groups * H2 * W2);
    conv_pass(u.conv, x.view, 2, nullptr, y.view, &ys, walk, where);
    stats = std::move(ys);
    return y;
}

} // namespace

Tensor AutoencoderKL::decode_tiled(const Tensor & z, int64_t tile, AttentionMode mode, const std::atomic<bool> * cancel,
                                   const TileProgress & progress) const {
    require(tile >= 1, SDN_STATUS_BAD_ARGUMENT, "VAE tiled decode: tile must be >= 1 latent cell, got " + std::to_string(tile));
    ProfileRun profile("VAE decode (tiled)");
    const int64_t groups = config_.norm_num_groups;

    // 1. The whole latent: post_quant_conv, conv_in, mid block (attention over every cell).
    Tensor m = decode_mid(z, mode, cancel);                                      // [B, c_last, h, w]
    const int64_t B = m.dim(0), h = m.dim(2), w = m.dim(3);
    float * mdata = m.f32();
    Map x{std::move(m), MapView{mdata, B, 0, h, w, 0}};
    x.view.C = x.storage.dim(1);
    x.view.batch_stride = x.view.C * h * w;
    Stats stats(B, groups, x.view.C / groups * h * w);
    if (!arena_measuring()) {
        GroupSums sums = stats.sums();
        group_sums_add(x.view, sums);
    }

    // 2. Segment by segment, tile by tile.
    const int64_t tiles = static_cast<int64_t>(tile_spans(h, tile).size() * tile_spans(w, tile).size());
    int64_t segments = 1; // the output
    for (const Block & b : dec_up_) segments += 2 * static_cast<int64_t>(b.resnets.size()) + (b.has_resample ? 1 : 0);
    TileWalk walk{tile, h, cancel, progress, 0, segments * tiles};
    for (size_t i = 0; i < dec_up_.size(); ++i) {
        const Block & b = dec_up_[i];
        for (size_t j = 0; j < b.resnets.size(); ++j)
            x = resnet_tiled(b.resnets[j], std::move(x), stats, walk,
                             "VAE decoder up block " + std::to_string(i) + ", resnet " + std::to_string(j)); // [B, c_i, h_i, w_i]
        if (b.has_resample) x = upsample_tiled(b.upsample, std::move(x), stats, walk, "VAE decoder up block " + std::to_string(i) + ", upsampler");
    }

    // 3. conv_out(silu(conv_norm_out(x))).
    const int64_t H = x.view.H, W = x.view.W, out_ch = dec_conv_out_.cout;
    const Norm n(stats, dec_norm_out_, true);
    ArenaScope scope(dec_conv_out_.name);
    Tensor out = Tensor::empty({B, out_ch, H, W});                              // [B, out_channels, H, W]
    const MapView ov{out.f32(), B, out_ch, H, W, out_ch * H * W};
    conv_pass(dec_conv_out_, x.view, 1, &n.apply, ov, nullptr, walk, "VAE decoder output");
    return out;
}

} // namespace sdn
