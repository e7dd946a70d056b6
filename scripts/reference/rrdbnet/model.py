"""RRDBNet (ESRGAN's generator; Real-ESRGAN / basicsr's module names), written from the ESRGAN paper (Wang et
al. 2018) and the published definitions, for the engine's reference outputs and for training.

state_dict() names are the new layout's: conv_first, body.N.rdbK.convJ, conv_body, conv_upK, conv_hr,
conv_last. `to_old_layout` renames them to the original ESRGAN code's flattened Sequential (model.0,
model.1.sub.N.RDBK.convJ.0, model.1.sub.<nb>, model.<3k>, model.<3n+2>, model.<3n+4>).

    RDB(x)  = conv5(cat(x, x1, .., x4)) * 0.2 + x,  x_k = lrelu(conv_k(cat(x, x1, .., x_{k-1})))
    RRDB(x) = rdb3(rdb2(rdb1(x))) * 0.2 + x
    fea = conv_first(x'), x' = pixel_unshuffle(reflect-pad(x), u) when u > 1
    h   = fea + conv_body(RRDB_{nb-1}(.. RRDB_0(fea)))
    n times: h = lrelu(conv_upK(nearest 2x(h)));  out = conv_last(lrelu(conv_hr(h))), cropped to s H x s W
"""

import torch
import torch.nn.functional as F
from torch import nn


def conv(n_in, n_out):
    return nn.Conv2d(n_in, n_out, 3, padding=1)


class RDB(nn.Module):
    def __init__(self, nf, gc):
        super().__init__()
        for k in range(5):
            setattr(self, f"conv{k + 1}", conv(nf + k * gc, gc if k < 4 else nf))

    def forward(self, x):
        feats = [x]
        for k in range(1, 5):
            feats.append(F.leaky_relu(getattr(self, f"conv{k}")(torch.cat(feats, 1)), 0.2))
        return self.conv5(torch.cat(feats, 1)) * 0.2 + x


class RRDB(nn.Module):
    def __init__(self, nf, gc):
        super().__init__()
        self.rdb1, self.rdb2, self.rdb3 = RDB(nf, gc), RDB(nf, gc), RDB(nf, gc)

    def forward(self, x):
        return self.rdb3(self.rdb2(self.rdb1(x))) * 0.2 + x


class RRDBNet(nn.Module):
    def __init__(self, nf=64, gc=32, nb=23, upsamples=2, shuffle=1, channels=3):
        super().__init__()
        self.shuffle, self.upsamples = shuffle, upsamples
        self.conv_first = conv(channels * shuffle * shuffle, nf)
        self.body = nn.Sequential(*[RRDB(nf, gc) for _ in range(nb)])
        self.conv_body = conv(nf, nf)
        for k in range(upsamples):
            setattr(self, f"conv_up{k + 1}", conv(nf, nf))
        self.conv_hr = conv(nf, nf)
        self.conv_last = conv(nf, channels)

    @property
    def scale(self):
        return 2 ** self.upsamples // self.shuffle

    def forward(self, x):
        H, W = x.shape[2], x.shape[3]
        u = self.shuffle
        if u > 1:
            x = F.pad(x, (0, (u - W % u) % u, 0, (u - H % u) % u), mode="reflect")
            x = F.pixel_unshuffle(x, u)
        fea = self.conv_first(x)
        h = fea + self.conv_body(self.body(fea))
        for k in range(self.upsamples):
            h = F.leaky_relu(getattr(self, f"conv_up{k + 1}")(F.interpolate(h, scale_factor=2, mode="nearest")), 0.2)
        out = self.conv_last(F.leaky_relu(self.conv_hr(h), 0.2))
        return out[:, :, : H * self.scale, : W * self.scale]


def to_old_layout(state, nb, upsamples):
    """New-layout names -> the original ESRGAN code's (its flattened Sequential's indices)."""
    out = {}
    for key, value in state.items():
        parts = key.split(".")
        if parts[0] == "conv_first":
            name = f"model.0.{parts[1]}"
        elif parts[0] == "body":
            name = f"model.1.sub.{parts[1]}.RDB{parts[2][3:]}.{parts[3]}.0.{parts[4]}"
        elif parts[0] == "conv_body":
            name = f"model.1.sub.{nb}.{parts[1]}"
        elif parts[0].startswith("conv_up"):
            name = f"model.{3 * int(parts[0][7:])}.{parts[1]}"
        elif parts[0] == "conv_hr":
            name = f"model.{3 * upsamples + 2}.{parts[1]}"
        elif parts[0] == "conv_last":
            name = f"model.{3 * upsamples + 4}.{parts[1]}"
        else:
            raise KeyError(key)
        out[name] = value
    return out
