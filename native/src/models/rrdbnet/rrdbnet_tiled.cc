// RRDBNet::upscale: a picture in tiles, each run with a margin of real neighbouring pixels; with the margin
// as wide as the network's receptive field (halo(), the default) the result is the one-piece result (up to
// the convolutions' rounding).
//
// Why that is halo(): an output pixel depends on the low-resolution pixels within
//   1 (conv_first) + 15 per RRDB (3 dense blocks of 5 convolutions) + 1 (conv_body)
// of its own, each a 3x3 convolution (radius 1). The up-sampling part adds at most 2 low-resolution pixels:
// output pixel Y of the 2^n grid depends on Y - 3 .. Y + 3 after conv_last, conv_hr and conv_up_n (radius 1
// each at 2^n); nearest up-sampling maps index i to floor(i / 2), and each conv_up_k adds 1 at its grid, so
// at the low resolution this becomes floor(Y / 2^n) - 2 .. floor(Y / 2^n) + 2 for every n >= 1 (and
// Y - 2 .. Y + 2 for n = 0). With a pixel-unshuffle by u, one low-resolution pixel is u input pixels, and
// tiles start at multiples of u so their unshuffled grid is the picture's; a tile that ends at the
// picture's bottom or right edge is reflect-padded there exactly as the whole picture is.
#include <algorithm>
#include <cstring>

#include "../../core/arena.h"
#include "rrdbnet.h"

namespace sdn {

Tensor RRDBNet::upscale(const Tensor & x, int64_t tile, int64_t margin_asked, const std::atomic<bool> * cancel, const TileProgress & progress) const {
    const RRDBNetConfig & c = config_;
    require(x.rank() == 4 && x.dim(1) == c.in_channels && x.dim(0) >= 1, SDN_STATUS_BAD_SHAPE,
            "upscale: image has shape " + shape_str(x.shape) + ", expected [B, " + std::to_string(c.in_channels) + ", H, W]");
    const int64_t B = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3), u = c.shuffle, s = c.scale();
    require(H >= u && W >= u, SDN_STATUS_BAD_SHAPE,
            "upscale: a " + std::to_string(W) + "x" + std::to_string(H) + " picture is too small for this model (its sides must be >= " + std::to_string(u) + ")");
    require(tile >= 0 && tile % u == 0, SDN_STATUS_BAD_ARGUMENT,
            "upscale: tile " + std::to_string(tile) + " must be a multiple of " + std::to_string(u) + " pixels (0: the whole picture)");
    require(margin_asked >= 0, SDN_STATUS_BAD_ARGUMENT, "upscale: margin " + std::to_string(margin_asked) + " must be >= 0 pixels (0: the receptive field's)");
    const int64_t th = tile == 0 ? H : std::min(tile, H), tw = tile == 0 ? W : std::min(tile, W);
    const int64_t margin = margin_asked == 0 ? halo() : (margin_asked + u - 1) / u * u; // tiles stay on the unshuffled grid
    const int64_t ny = (H + th - 1) / th, nx = (W + tw - 1) / tw, total = B * ny * nx;

    Tensor out = Tensor::empty({B, C, H * s, W * s});
    int64_t done = 0;
    for (int64_t b = 0; b < B; ++b)
        for (int64_t ty = 0; ty < ny; ++ty)
            for (int64_t tx = 0; tx < nx; ++tx) {
                check_cancelled(cancel, "upscale tile " + std::to_string(done + 1) + " of " + std::to_string(total));
                // the tile's own pixels [y0, y1) x [x0, x1), and the window it is run on (with the margin)
                const int64_t y0 = ty * th, y1 = std::min(H, y0 + th), x0 = tx * tw, x1 = std::min(W, x0 + tw);
                const int64_t wy0 = std::max<int64_t>(0, y0 - margin), wy1 = std::min(H, y1 + margin);
                const int64_t wx0 = std::max<int64_t>(0, x0 - margin), wx1 = std::min(W, x1 + margin);
                const int64_t wh = wy1 - wy0, ww = wx1 - wx0;
                Tensor window;
                if (wh == H && ww == W) {                                       // the whole picture b: a view
                    float * base = x.data ? const_cast<float *>(x.f32()) + b * C * H * W : nullptr;
                    window = Tensor::view(base, {1, C, H, W}, DType::F32, x.owner, x.storage);
                } else {
                    window = Tensor::empty({1, C, wh, ww});                     // [1, 3, wh, ww]
                    if (!arena_measuring())
                        for (int64_t ch = 0; ch < C; ++ch)
                            for (int64_t i = 0; i < wh; ++i)
                                std::memcpy(window.f32() + (ch * wh + i) * ww, x.f32() + ((b * C + ch) * H + wy0 + i) * W + wx0, sizeof(float) * ww);
                }
                Tensor y = forward(window, cancel);                             // [1, 3, s wh, s ww]
                window = Tensor();
                if (!arena_measuring())
                    for (int64_t ch = 0; ch < C; ++ch)
                        for (int64_t i = y0 * s; i < y1 * s; ++i)
                            std::memcpy(out.f32() + ((b * C + ch) * H * s + i) * W * s + x0 * s,
                                        y.f32() + (ch * wh * s + i - wy0 * s) * ww * s + (x0 - wx0) * s, sizeof(float) * (x1 - x0) * s);
                y = Tensor();
                ++done;
                if (progress) progress(done, total);
            }
    return out;
}

} // namespace sdn
