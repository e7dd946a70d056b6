#!/usr/bin/env python3
"""Writes test/fixtures/canny/reference.safetensors: ComfyUI's Canny node (kornia.filters.canny with its defaults,
kernel (5, 5), sigma (1, 1), hysteresis, eps 1e-6), written here in torch from kornia's published definition, on
fixture pictures, plus how OpenCV's cv2.Canny compares (printed, and in reference.json for docs/NODES.md).

Pictures (IMAGE layout [1, H, W, 3] in [0, 1]):
  shapes  96x128: a gradient background, a filled circle, a rectangle outline, a soft-edged square, a little noise
          (seed 0)
  ddim    test/fixtures/expected/pipeline_ddim.png (64x64, the tiny model's picture: busy, low contrast)
Thresholds (low, high): (0.4, 0.8) ComfyUI's defaults, (0.1, 0.2), (0.05, 0.5).
Outputs edges.<picture>.<k> [1, H, W] of 0 / 1 (the node repeats the map in the three channels of its IMAGE).

Run from the repository root with Debian's Python (python3-torch, python3-opencv, python3-pil):

    /usr/bin/python3 scripts/reference/make_canny.py
"""

import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from comfy_sampling import safetensors_io  # noqa: E402

THRESHOLDS = [(0.4, 0.8), (0.1, 0.2), (0.05, 0.5)]


def gaussian1d(size, sigma):
    x = torch.arange(size, dtype=torch.float32) - size // 2
    g = torch.exp(-x.pow(2.0) / (2 * sigma ** 2))
    return g / g.sum()


def canny(image, low, high):
    """image [B, 3, H, W] in [0, 1] -> (magnitude after suppression, edges) [B, 1, H, W]."""
    w = torch.tensor([0.299, 0.587, 0.114])
    gray = w[0] * image[:, 0:1] + w[1] * image[:, 1:2] + w[2] * image[:, 2:3]
    g = gaussian1d(5, 1.0)
    blurred = F.conv2d(F.pad(gray, (2, 2, 0, 0), mode="reflect"), g.view(1, 1, 1, 5))
    blurred = F.conv2d(F.pad(blurred, (0, 0, 2, 2), mode="reflect"), g.view(1, 1, 5, 1))
    sobel_x = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    padded = F.pad(blurred, (1, 1, 1, 1), mode="replicate")
    gx = F.conv2d(padded, sobel_x.view(1, 1, 3, 3))
    gy = F.conv2d(padded, sobel_x.t().contiguous().view(1, 1, 3, 3))
    magnitude = torch.sqrt(gx * gx + gy * gy + 1e-6)
    angle = 180.0 * torch.atan2(gy, gx) / torch.tensor(math.pi)
    angle = torch.round(angle / 45) * 45
    # neighbour k of the 8 directions (k * 45 degrees; y grows downwards): magnitude - neighbour, 0 outside
    offsets = [(0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1), (-1, 0), (-1, 1)]
    padded_m = F.pad(magnitude, (1, 1, 1, 1))
    H, W = magnitude.shape[2:]
    diffs = torch.cat([magnitude - padded_m[:, :, 1 + dy:1 + dy + H, 1 + dx:1 + dx + W] for dy, dx in offsets], 1)
    positive = ((angle / 45) % 8).long()
    negative = ((angle / 45 + 4) % 8).long()
    is_max = torch.stack([torch.gather(diffs, 1, positive), torch.gather(diffs, 1, negative)], 1).min(dim=1)[0] > 0.0
    magnitude = magnitude * is_max
    edges = (magnitude > low) * 0.5 + (magnitude > high) * 0.5
    # hysteresis: weak pixels next to a strong one become strong, until nothing changes
    while True:
        weak = (edges == 0.5).float()
        strong = (edges == 1).float()
        near = F.max_pool2d(F.pad(strong, (1, 1, 1, 1)), 3, stride=1)
        grown = torch.clamp(near * weak + strong, max=1.0)
        nxt = grown + (grown == 0) * weak * 0.5
        if torch.equal(nxt, edges):
            break
        edges = nxt
    return magnitude, (edges == 1).float()


def shapes_picture():
    H, W = 96, 128
    y, x = torch.meshgrid(torch.arange(H, dtype=torch.float32), torch.arange(W, dtype=torch.float32), indexing="ij")
    img = torch.stack([0.1 + 0.3 * x / W, 0.15 + 0.2 * y / H, torch.full_like(x, 0.2)], 0)
    circle = ((x - 40) ** 2 + (y - 45) ** 2) < 20 ** 2
    img[:, circle] = torch.tensor([1.0, 0.9, 0.6])[:, None]
    frame = ((x >= 75) & (x <= 115) & (y >= 15) & (y <= 55)) & ~((x >= 79) & (x <= 111) & (y >= 19) & (y <= 51))
    img[:, frame] = torch.tensor([0.9, 0.9, 1.0])[:, None]
    soft = torch.clamp(1 - torch.maximum((x - 95).abs(), (y - 78).abs()) / 12, 0, 1) * 0.6
    img = img + soft[None]
    img = img + 0.02 * torch.randn((3, H, W), generator=torch.Generator().manual_seed(0))
    img = torch.clamp(img, 0, 1)
    return (img * 255).round() / 255  # as a decoded 8-bit picture would be


def main():
    torch.set_num_threads(1)
    out_dir = os.path.join("test", "fixtures", "canny")
    os.makedirs(out_dir, exist_ok=True)
    ddim = torch.from_numpy(np.asarray(Image.open("test/fixtures/expected/pipeline_ddim.png").convert("RGB"), dtype=np.float32) / 255).permute(2, 0, 1)
    pictures = {"shapes": shapes_picture(), "ddim": ddim}
    out, summary = {}, {"thresholds": THRESHOLDS, "opencv": {}}
    try:
        import cv2
    except ImportError:
        cv2 = None
    for name, planes in pictures.items():
        out[f"image.{name}"] = planes.permute(1, 2, 0)[None].contiguous()
        for k, (low, high) in enumerate(THRESHOLDS):
            _, edges = canny(planes[None], low, high)
            out[f"edges.{name}.{k}"] = edges[0]  # [1, H, W]; the node repeats it in three channels
            if cv2 is not None:
                gray8 = np.round(255 * (0.299 * planes[0] + 0.587 * planes[1] + 0.114 * planes[2]).numpy()).astype(np.uint8)
                cv = cv2.Canny(cv2.GaussianBlur(gray8, (5, 5), 1.0), 255 * low, 255 * high, L2gradient=True) > 0
                ours = edges[0, 0].numpy() > 0
                agree = float((cv == ours).mean())
                summary["opencv"][f"{name}.{k}"] = {"agreement": agree, "kornia_edge_pixels": int(ours.sum()), "opencv_edge_pixels": int(cv.sum())}
                print(f"{name} ({low}, {high}): kornia {int(ours.sum())} edge pixels, OpenCV {int(cv.sum())}; same at {100 * agree:.2f}% of pixels")
    safetensors_io.write(os.path.join(out_dir, "reference.safetensors"), out, {"torch": torch.__version__})
    with open(os.path.join(out_dir, "reference.json"), "w") as f:
        json.dump(summary, f, indent=2)


if __name__ == "__main__":
    main()
