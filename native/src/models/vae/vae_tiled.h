// vae_tiled.h — the tile grid of AutoencoderKL::decode_tiled (vae_tiled.cc).
//
// The tiled decode in brief. The decoder's only non-local operations are its group norms (statistics
// over a whole (batch, group)) and the mid block's attention (global over the latent). So:
//   1. post_quant_conv, conv_in and the mid block run once on the whole latent (1/64 of the pixels);
//   2. every later layer runs as a *segment*: tile by tile over its output, each tile reading its input
//      region plus a 1-pixel halo (a 3x3 convolution), normalised with the statistics of the WHOLE
//      input map, zero-padded only at the image border (after the normalisation, as the plain
//      convolution pads the normalised map). While a segment writes its output map, the per-(batch,
//      group) sums and sums of squares of what it writes are accumulated (in double), so the next
//      group norm's mean and variance are ready when the segment ends.
// Segments of a resnet: conv1(silu(norm1(x))) -> h (a new map); conv2(silu(norm2(h))) + shortcut(x)
// -> y, written over x (in place: a tile's output reads x at its own pixels only). An up-sampler:
// conv(nearest 2x (x)) -> a new map at twice the size (the up-sampling read through the gather, never
// materialised). The output: conv_out(silu(conv_norm_out(x))).
//
// Memory: the carried maps (x, the resnet's h) live once, without halo duplication; beyond them one
// tile's buffers (its normalised input with halo, its output, the convolution's packing buffer).
// Tiles are the same image region at every level: `tile` latent cells are tile * s pixels at a level
// of scale s (s = 1 at the latent, 8 at the output of SD's VAE).
#pragma once

#include <cstdint>
#include <vector>

namespace sdn {

struct TileSpan {
    int64_t start, size;
};

// [0, tile), [tile, 2 tile), ... covering [0, size); the last one clipped. tile >= 1.
std::vector<TileSpan> tile_spans(int64_t size, int64_t tile);

} // namespace sdn
