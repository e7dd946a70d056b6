// The tiled VAE decode's memory estimate: AutoencoderKL::decode_tiled (vae_tiled.cc) replayed on a
// MemoryPlan, in the same order. Keep the two in step. A tile's buffers are all freed before the
// next tile starts, so each distinct tile shape (full, clipped at the right, at the bottom, corner)
// is replayed once per segment: the peak is the same as replaying every tile.
#include <string>

#include "../../core/error.h"
#include "../../ops/conv2d.h"
#include "vae_memory.h"
#include "vae_tiled.h"

namespace sdn {

namespace {

// Bytes of conv2d's packing buffer for an unpadded k x k convolution producing a th x tw tile.
int64_t conv_tile_workspace(int64_t B, int64_t cin, int64_t cout, int64_t k, int64_t th, int64_t tw) {
    return conv2d_workspace_bytes(Conv2dShape{B, cin, th + k - 1, tw + k - 1, cout, k, k, 1, 0});
}

// The tile shapes of an H x W map at tile side t.
template <typename Fn>
void each_tile_shape(int64_t H, int64_t W, int64_t t, Fn && fn) {
    for (int64_t th : tile_sizes(H, t))
        for (int64_t tw : tile_sizes(W, t)) fn(th, tw);
}

struct PlanMap {
    MemoryPlan::Id id;
    int64_t capacity; // floats per batch element of its buffer (a resnet may write a narrower map over it)
};

} // namespace

MemoryEstimate vae_decode_tiled_memory_estimate(const VAEConfig & config, const VAEDecodeTiledMemoryQuery & query) {
    require(query.tile >= 1, SDN_STATUS_BAD_ARGUMENT, "VAE tiled memory estimate: tile must be >= 1 latent cell");
    MemoryPlan p;
    const VAEDecodeMemoryQuery & q = query.decode;
    const std::vector<int> & ch = config.block_out_channels;
    const int n = static_cast<int>(ch.size());
    const int64_t B = q.batch, h = q.height;
    int64_t H = q.height, W = q.width, C = ch[n - 1];
    PlanMap x{plan_vae_decode_mid(p, config, q), C * H * W};

    for (int i = 0; i < n; ++i) {
        const int64_t out = ch[n - 1 - i];
        for (int j = 0; j < config.layers_per_block + 1; ++j) {
            const std::string where = "up block " + std::to_string(i) + ", resnet " + std::to_string(j);
            const int64_t t = query.tile * (H / h);
            p.where = where + ", conv1";
            const MemoryPlan::Id hm = p.alloc(B * out * H * W * 4);                  // h [B, out, H, W]
            each_tile_shape(H, W, t, [&](int64_t th, int64_t tw) {
                const MemoryPlan::Id g = p.alloc(B * C * (th + 2) * (tw + 2) * 4);  // silu(norm1(x)) + halo
                const MemoryPlan::Id c = p.alloc(B * out * th * tw * 4);
                p.transient(conv_tile_workspace(B, C, out, 3, th, tw), "conv");
                p.free(g);
                p.free(c);
            });
            p.where = where + ", conv2";
            const bool in_place = x.capacity >= out * H * W;
            const PlanMap y = in_place ? x : PlanMap{p.alloc(B * out * H * W * 4), out * H * W};
            each_tile_shape(H, W, t, [&](int64_t th, int64_t tw) {
                const MemoryPlan::Id c = p.alloc(B * out * th * tw * 4);
                if (C != out) {
                    const MemoryPlan::Id xs = p.alloc(B * C * th * tw * 4);         // x's tile for the shortcut
                    p.transient(conv_tile_workspace(B, C, out, 1, th, tw), "conv_shortcut");
                    p.free(xs);
                }
                const MemoryPlan::Id g = p.alloc(B * out * (th + 2) * (tw + 2) * 4); // silu(norm2(h)) + halo
                p.transient(conv_tile_workspace(B, out, out, 3, th, tw), "conv");
                p.free(g);
                p.free(c);
            });
            p.free(hm);
            if (!in_place) p.free(x.id);
            x = y;
            C = out;
        }
        if (i < n - 1) {
            p.where = "up block " + std::to_string(i) + ", upsampler";
            H *= 2;
            W *= 2;
            const int64_t t = query.tile * (H / h);
            const PlanMap y{p.alloc(B * C * H * W * 4), C * H * W};                 // [B, C, 2H, 2W]
            each_tile_shape(H, W, t, [&](int64_t th, int64_t tw) {
                const MemoryPlan::Id g = p.alloc(B * C * (th + 2) * (tw + 2) * 4);  // up-sampled x + halo
                const MemoryPlan::Id c = p.alloc(B * C * th * tw * 4);
                p.transient(conv_tile_workspace(B, C, C, 3, th, tw), "conv");
                p.free(g);
                p.free(c);
            });
            p.free(x.id);
            x = y;
        }
    }

    p.where = "output";
    const int64_t out_ch = config.out_channels, t = query.tile * (H / h);
    const MemoryPlan::Id out = p.alloc(B * out_ch * H * W * 4);                      // [B, out_channels, H, W]
    each_tile_shape(H, W, t, [&](int64_t th, int64_t tw) {
        const MemoryPlan::Id g = p.alloc(B * C * (th + 2) * (tw + 2) * 4);          // silu(conv_norm_out(x)) + halo
        const MemoryPlan::Id c = p.alloc(B * out_ch * th * tw * 4);
        p.transient(conv_tile_workspace(B, C, out_ch, 3, th, tw), "conv_out");
        p.free(g);
        p.free(c);
    });
    p.free(x.id);
    return memory_estimate_of(p, out);
}

void vae_decode_tiled_memory_check(const VAEConfig & config, const VAEDecodeTiledMemoryQuery & query, int64_t limit_bytes) {
    if (limit_bytes <= 0) return;
    const MemoryEstimate e = vae_decode_tiled_memory_estimate(config, query);
    if (e.peak.bytes <= limit_bytes) return;
    const VAEDecodeMemoryQuery & q = query.decode;
    throw Error(SDN_STATUS_OUT_OF_MEMORY,
                "VAE tiled decode: " + std::string(attention_mode_name(q.mode)) + " attention at a " + std::to_string(q.height) + "x" +
                    std::to_string(q.width) + " latent, batch " + std::to_string(q.batch) + ", tiles of " + std::to_string(query.tile) +
                    " latent cells, needs ~" + memory_bytes_str(e.peak.bytes) + " of working memory (at " + e.peak.where +
                    "), over the budget of " + memory_bytes_str(limit_bytes) +
                    "; the image-wide maps dominate: use normalization 'tile' (memory of one tile) or a smaller batch");
}

} // namespace sdn
