#!/usr/bin/env python3
"""Why the engine's Winograd convolutions stay f32 under bf16 compute: the error of F(m x m, 3 x 3) when the
transformed weights U = G w G^T and inputs V = B^T d B are rounded to bf16 (what vdpbf16ps would multiply), against
the direct convolution with bf16 inputs, relative to max |y| (numpy simulation in float64 of the bf16 values).

    /usr/bin/python3 bench/baseline/winograd_bf16_error.py

Random inputs N(0, 1) and smooth ones (a ramp plus a per-channel offset), Cin 320, weights N(0, 1 / (9 Cin)),
seed 0. F(4x4) is the engine's (points 0, +-1, +-2); F(3x3) takes 0, +-1, 2; F(2x2) 0, +-1. Prints one line per
transform and input kind (docs/BENCHMARKS.md, Speed II, "Where the time goes now").
"""

import numpy as np

F4 = dict(BT=[[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0], [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]],
          G=[[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6], [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]],
          AT=[[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]])
F3 = dict(BT=[[2, -1, -2, 1, 0], [0, -2, -1, 1, 0], [0, 2, -3, 1, 0], [0, -1, 0, 1, 0], [0, 2, -1, -2, 1]],
          G=[[1 / 2, 0, 0], [-1 / 2, -1 / 2, -1 / 2], [-1 / 6, 1 / 6, -1 / 6], [1 / 6, 1 / 3, 2 / 3], [0, 0, 1]],
          AT=[[1, 1, 1, 1, 0], [0, 1, -1, 2, 0], [0, 1, 1, 4, 1]])
F2 = dict(BT=[[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], G=[[1, 0, 0], [.5, .5, .5], [.5, -.5, .5], [0, 0, 1]],
          AT=[[1, 1, 1, 0], [0, 1, -1, -1]])


def bf16(a):
    """Round to nearest even bfloat16, returned as float64."""
    b = np.asarray(a, np.float32).view(np.uint32).astype(np.uint64)
    return (((b + 0x7FFF + ((b >> 16) & 1)) >> 16) << 16).astype(np.uint32).view(np.float32).astype(np.float64)


def direct(d, w, m):
    y = np.zeros((d.shape[0], w.shape[0], m, m))
    for i in range(m):
        for j in range(m):
            y[:, :, i, j] = np.einsum("tcxy,ocxy->to", d[:, :, i:i + 3, j:j + 3], w)
    return y


def main():
    rng = np.random.default_rng(0)
    cin, cout, tiles = 320, 32, 150
    w = rng.standard_normal((cout, cin, 3, 3)) / np.sqrt(cin * 9)
    for name, f, m in (("F(4x4, 3x3)", F4, 4), ("F(3x3, 3x3)", F3, 3), ("F(2x2, 3x3)", F2, 2)):
        BT, G, AT = (np.array(f[k], np.float64) for k in ("BT", "G", "AT"))
        n = m + 2
        for kind in ("random", "smooth"):
            d = rng.standard_normal((tiles, cin, n, n))
            if kind == "smooth":
                d = 0.3 * d + np.linspace(0, 2, n)[None, None, :, None] + rng.standard_normal((tiles, cin, 1, 1))
            ref = direct(d, w, m)
            scale = np.abs(ref).max()
            U = np.einsum("ex,ocxy,fy->ocef", G, w, G)
            V = np.einsum("ex,tcxy,fy->tcef", BT, d, BT)
            errors = {}
            for label, u, v in (("f32", U.astype(np.float32).astype(np.float64), V.astype(np.float32).astype(np.float64)), ("bf16", bf16(U), bf16(V))):
                y = np.einsum("ie,toef,jf->toij", AT, np.einsum("ocef,tcef->toef", u, v), AT)
                errors[label] = np.abs(y - ref).max() / scale
            errors["direct bf16"] = np.abs(direct(bf16(d), bf16(w), m) - ref).max() / scale
            print(f"{name} {kind:6s}: " + ", ".join(f"{k} {v:.1e}" for k, v in errors.items()) + " x max|y|")


if __name__ == "__main__":
    main()
