#include "conv2d.h"

#include "gemm.h"

namespace sdn {

void conv2d_naive(const Conv2dShape & s, const float * x, const Tensor & w, const float * bias, const float * residual,
                  float * y) {
    const int64_t Ho = s.out_h(), Wo = s.out_w();
    const MatB wm{w.data, w.dtype, false, 1}; // flat index view for matb_at(k = flat index, n = 0)
    for (int64_t b = 0; b < s.B; ++b)
        for (int64_t co = 0; co < s.Cout; ++co)
            for (int64_t oy = 0; oy < Ho; ++oy)
                for (int64_t ox = 0; ox < Wo; ++ox) {
                    double sum = bias ? bias[co] : 0.0;
                    for (int64_t ci = 0; ci < s.Cin; ++ci)
                        for (int64_t ky = 0; ky < s.KH; ++ky) {
                            const int64_t iy = oy * s.stride - s.pad + ky;
                            if (iy < 0 || iy >= s.H) continue;
                            for (int64_t kx = 0; kx < s.KW; ++kx) {
                                const int64_t ix = ox * s.stride - s.pad + kx;
                                if (ix < 0 || ix >= s.W) continue;
                                const float xv = x[((b * s.Cin + ci) * s.H + iy) * s.W + ix];
                                const float wv = matb_at(wm, ((co * s.Cin + ci) * s.KH + ky) * s.KW + kx, 0);
                                sum += static_cast<double>(xv) * wv;
                            }
                        }
                    const int64_t o = ((b * s.Cout + co) * Ho + oy) * Wo + ox;
                    y[o] = static_cast<float>(sum) + (residual ? residual[o] : 0.0f);
                }
}

// TODO(kernels): implicit GEMM over packed weights; until then the naive twin.
void conv2d(const Conv2dShape & s, const float * x, const Tensor & w, const float * bias, const float * residual, float * y) {
    conv2d_naive(s, x, w, bias, residual, y);
}

} // namespace sdn
