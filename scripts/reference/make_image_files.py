#!/usr/bin/env python3
"""Writes the small picture files LoadImage's tests read (test/fixtures/image-ops/files/), with PIL and OpenCV:

  rgb16.png      3x2 RGB, 16 bits per sample (values below in `rgb16`), written by OpenCV
  gray16.png     3x2 gray, 16 bits (0, 10000, ..., 50000)
  oriented.jpg   stored 4x2 (landscape) with EXIF orientation 6 (rotate 90 degrees clockwise to view): viewed,
                 it is 2 wide and 4 tall; stored left half red, right half blue -> viewed top red, bottom blue
  alpha.webp     lossless 4x3 RGBA, alpha 255 in the top row, 0 in the middle row, 128 in the bottom row

Run from the repository root with Debian's Python (python3-pil, python3-opencv):

    /usr/bin/python3 scripts/reference/make_image_files.py
"""

import os

import cv2
import numpy as np
from PIL import Image

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "test", "fixtures", "image-ops", "files")


def main():
    os.makedirs(OUT, exist_ok=True)
    rgb16 = np.array([[[1000, 0, 60000], [65535, 32768, 1]], [[5, 50000, 40000], [0, 65535, 0]], [[123, 456, 789], [30000, 20000, 10000]]], dtype=np.uint16)
    rgb16 = rgb16.reshape(2, 3, 3)  # [H=2, W=3, RGB]
    cv2.imwrite(os.path.join(OUT, "rgb16.png"), rgb16[:, :, ::-1])  # OpenCV writes BGR
    gray16 = (np.arange(6, dtype=np.uint16).reshape(2, 3) * 10000)
    Image.fromarray(gray16).save(os.path.join(OUT, "gray16.png"))
    stored = np.zeros((2, 4, 3), dtype=np.uint8)
    stored[:, :2] = (255, 0, 0)
    stored[:, 2:] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(stored).save(os.path.join(OUT, "oriented.jpg"), quality=100, subsampling=0, exif=exif.tobytes())
    rgba = np.zeros((3, 4, 4), dtype=np.uint8)
    rgba[..., 0] = 200
    rgba[..., 1] = np.arange(4, dtype=np.uint8)[None, :] * 50
    rgba[..., 2] = 10
    rgba[0, :, 3] = 255
    rgba[1, :, 3] = 0
    rgba[2, :, 3] = 128
    Image.fromarray(rgba, "RGBA").save(os.path.join(OUT, "alpha.webp"), lossless=True, exact=True)


if __name__ == "__main__":
    main()
