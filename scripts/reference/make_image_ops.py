#!/usr/bin/env python3
"""Writes test/fixtures/image-ops/reference.{safetensors,json}: what ComfyUI's image, mask and latent operations
give on small random inputs, computed the way ComfyUI computes them (torch.nn.functional.interpolate, PIL's
LANCZOS on 8-bit pictures, scipy's grey dilation/erosion, conv2d with reflect padding), transcribed from
ComfyUI's comfy/utils.py, nodes.py, comfy_extras/nodes_mask.py and nodes_post_processing.py.

Run from the repository root with Debian's Python (python3-torch, python3-pil, python3-scipy):

    /usr/bin/python3 scripts/reference/make_image_ops.py
"""

import json
import math
import os
import sys

import numpy as np
import PIL
import scipy
import scipy.ndimage
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from comfy_sampling import safetensors_io  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "test", "fixtures", "image-ops")


def lanczos(samples, width, height):
    """comfy.utils.lanczos: uint8 PIL pictures resized with Image.LANCZOS, back to float."""
    images = [Image.fromarray(np.clip(255.0 * image.movedim(0, -1).cpu().numpy(), 0, 255).astype(np.uint8)) for image in samples]
    images = [image.resize((width, height), resample=Image.LANCZOS) for image in images]
    images = [torch.from_numpy(np.array(image).astype(np.float32) / 255.0).movedim(-1, 0) for image in images]
    return torch.stack(images)


def bislerp(samples, width, height):
    """comfy.utils.bislerp."""

    def slerp(b1, b2, r):
        c = b1.shape[-1]
        b1_norms = torch.norm(b1, dim=-1, keepdim=True)
        b2_norms = torch.norm(b2, dim=-1, keepdim=True)
        b1_normalized = b1 / b1_norms
        b2_normalized = b2 / b2_norms
        b1_normalized[b1_norms.expand(-1, c) == 0.0] = 0.0
        b2_normalized[b2_norms.expand(-1, c) == 0.0] = 0.0
        dot = (b1_normalized * b2_normalized).sum(1)
        omega = torch.acos(dot)
        so = torch.sin(omega)
        res = (torch.sin((1.0 - r.squeeze(1)) * omega) / so).unsqueeze(1) * b1_normalized + (torch.sin(r.squeeze(1) * omega) / so).unsqueeze(1) * b2_normalized
        res *= (b1_norms * (1.0 - r) + b2_norms * r).expand(-1, c)
        res[dot > 1 - 1e-5] = b1[dot > 1 - 1e-5]
        res[dot < 1e-5 - 1] = (b1 * (1.0 - r) + b2 * r)[dot < 1e-5 - 1]
        return res

    def generate_bilinear_data(length_old, length_new):
        coords_1 = torch.arange(length_old, dtype=torch.float32).reshape((1, 1, 1, -1))
        coords_1 = F.interpolate(coords_1, size=(1, length_new), mode="bilinear")
        ratios = coords_1 - coords_1.floor()
        coords_1 = coords_1.to(torch.int64)
        coords_2 = torch.arange(length_old, dtype=torch.float32).reshape((1, 1, 1, -1)) + 1
        coords_2[:, :, :, -1] -= 1
        coords_2 = F.interpolate(coords_2, size=(1, length_new), mode="bilinear")
        coords_2 = coords_2.to(torch.int64)
        return ratios, coords_1, coords_2

    n, c, h, w = samples.shape
    h_new, w_new = (height, width)
    ratios, coords_1, coords_2 = generate_bilinear_data(w, w_new)
    coords_1 = coords_1.expand((n, c, h, -1))
    coords_2 = coords_2.expand((n, c, h, -1))
    ratios = ratios.expand((n, 1, h, -1))
    pass_1 = samples.gather(-1, coords_1).movedim(1, -1).reshape((-1, c))
    pass_2 = samples.gather(-1, coords_2).movedim(1, -1).reshape((-1, c))
    ratios = ratios.movedim(1, -1).reshape((-1, 1))
    result = slerp(pass_1, pass_2, ratios)
    result = result.reshape(n, h, w_new, c).movedim(-1, 1)
    ratios, coords_1, coords_2 = generate_bilinear_data(h, h_new)
    coords_1 = coords_1.reshape((1, 1, -1, 1)).expand((n, c, -1, w_new))
    coords_2 = coords_2.reshape((1, 1, -1, 1)).expand((n, c, -1, w_new))
    ratios = ratios.reshape((1, 1, -1, 1)).expand((n, 1, -1, w_new))
    pass_1 = result.gather(-2, coords_1).movedim(1, -1).reshape((-1, c))
    pass_2 = result.gather(-2, coords_2).movedim(1, -1).reshape((-1, c))
    ratios = ratios.movedim(1, -1).reshape((-1, 1))
    result = slerp(pass_1, pass_2, ratios)
    return result.reshape(n, h_new, w_new, c).movedim(-1, 1)


def common_upscale(samples, width, height, upscale_method, crop):
    if crop == "center":
        old_width = samples.shape[-1]
        old_height = samples.shape[-2]
        old_aspect = old_width / old_height
        new_aspect = width / height
        x = 0
        y = 0
        if old_aspect > new_aspect:
            x = round((old_width - old_width * (new_aspect / old_aspect)) / 2)
        elif old_aspect < new_aspect:
            y = round((old_height - old_height * (old_aspect / new_aspect)) / 2)
        s = samples.narrow(-2, y, old_height - y * 2).narrow(-1, x, old_width - x * 2)
    else:
        s = samples
    if upscale_method == "bislerp":
        return bislerp(s, width, height)
    if upscale_method == "lanczos":
        return lanczos(s, width, height)
    return F.interpolate(s, size=(height, width), mode=upscale_method)


def gaussian_kernel(kernel_size, sigma):
    x, y = torch.meshgrid(torch.linspace(-1, 1, kernel_size), torch.linspace(-1, 1, kernel_size), indexing="ij")
    d = torch.sqrt(x * x + y * y)
    g = torch.exp(-(d * d) / (2.0 * sigma * sigma))
    return g / g.sum()


def blur(image, blur_radius, sigma):
    batch_size, height, width, channels = image.shape
    kernel_size = blur_radius * 2 + 1
    kernel = gaussian_kernel(kernel_size, sigma).repeat(channels, 1, 1).unsqueeze(1)
    image = image.permute(0, 3, 1, 2)
    padded_image = F.pad(image, (blur_radius, blur_radius, blur_radius, blur_radius), "reflect")
    blurred = F.conv2d(padded_image, kernel, padding=kernel_size // 2, groups=channels)[:, :, blur_radius:-blur_radius, blur_radius:-blur_radius]
    return blurred.permute(0, 2, 3, 1)


def sharpen(image, sharpen_radius, sigma, alpha):
    batch_size, height, width, channels = image.shape
    kernel_size = sharpen_radius * 2 + 1
    kernel = gaussian_kernel(kernel_size, sigma) * -(alpha * 10)
    center = kernel_size // 2
    kernel[center, center] = kernel[center, center] - kernel.sum() + 1.0
    kernel = kernel.repeat(channels, 1, 1).unsqueeze(1)
    tensor_image = image.permute(0, 3, 1, 2)
    tensor_image = F.pad(tensor_image, (sharpen_radius, sharpen_radius, sharpen_radius, sharpen_radius), "reflect")
    sharpened = F.conv2d(tensor_image, kernel, padding=center, groups=channels)[:, :, sharpen_radius:-sharpen_radius, sharpen_radius:-sharpen_radius]
    return torch.clamp(sharpened.permute(0, 2, 3, 1), 0, 1)


def grow_mask(mask, expand, tapered_corners):
    c = 0 if tapered_corners else 1
    kernel = np.array([[c, 1, c], [1, 1, 1], [c, 1, c]])
    mask = mask.reshape((-1, mask.shape[-2], mask.shape[-1]))
    out = []
    for m in mask:
        output = m.numpy()
        for _ in range(abs(expand)):
            if expand < 0:
                output = scipy.ndimage.grey_erosion(output, footprint=kernel)
            else:
                output = scipy.ndimage.grey_dilation(output, footprint=kernel)
        out.append(torch.from_numpy(output))
    return torch.stack(out, dim=0)


def feather_mask(mask, left, top, right, bottom):
    output = mask.reshape((-1, mask.shape[-2], mask.shape[-1])).clone()
    left = min(left, output.shape[-1])
    right = min(right, output.shape[-1])
    top = min(top, output.shape[-2])
    bottom = min(bottom, output.shape[-2])
    for x in range(left):
        output[:, :, x] *= (x + 1.0) / left
    for x in range(right):
        output[:, :, -x] *= (x + 1) / right
    for y in range(top):
        output[:, y, :] *= (y + 1) / top
    for y in range(bottom):
        output[:, -y, :] *= (y + 1) / bottom
    return output


def mask_composite(destination, source, x, y, operation):
    output = destination.reshape((-1, destination.shape[-2], destination.shape[-1])).clone()
    source = source.reshape((-1, source.shape[-2], source.shape[-1]))
    left, top = (x, y)
    right, bottom = (min(left + source.shape[-1], destination.shape[-1]), min(top + source.shape[-2], destination.shape[-2]))
    visible_width, visible_height = (right - left, bottom - top)
    source_portion = source[:, :visible_height, :visible_width]
    destination_portion = output[:, top:bottom, left:right]
    if operation == "multiply":
        output[:, top:bottom, left:right] = destination_portion * source_portion
    elif operation == "add":
        output[:, top:bottom, left:right] = destination_portion + source_portion
    elif operation == "subtract":
        output[:, top:bottom, left:right] = destination_portion - source_portion
    elif operation == "and":
        output[:, top:bottom, left:right] = torch.bitwise_and(destination_portion.round().bool(), source_portion.round().bool()).float()
    elif operation == "or":
        output[:, top:bottom, left:right] = torch.bitwise_or(destination_portion.round().bool(), source_portion.round().bool()).float()
    elif operation == "xor":
        output[:, top:bottom, left:right] = torch.bitwise_xor(destination_portion.round().bool(), source_portion.round().bool()).float()
    return torch.clamp(output, 0.0, 1.0)


def composite(destination, source, x, y, mask=None, multiplier=8, resize_source=False):
    destination = destination.clone()
    if resize_source:
        source = F.interpolate(source, size=(destination.shape[2], destination.shape[3]), mode="bilinear")
    source = source.repeat((destination.shape[0] // source.shape[0],) + (1,) * (source.dim() - 1))
    x = max(-source.shape[3] * multiplier, min(x, destination.shape[3] * multiplier))
    y = max(-source.shape[2] * multiplier, min(y, destination.shape[2] * multiplier))
    left, top = (x // multiplier, y // multiplier)
    right, bottom = (left + source.shape[3], top + source.shape[2])
    if mask is None:
        mask = torch.ones_like(source)
    else:
        mask = F.interpolate(mask.reshape((-1, 1, mask.shape[-2], mask.shape[-1])), size=(source.shape[2], source.shape[3]), mode="bilinear")
        mask = mask.repeat((source.shape[0] // mask.shape[0], 1, 1, 1))
    visible_width, visible_height = (destination.shape[3] - left + min(0, x), destination.shape[2] - top + min(0, y))
    mask = mask[:, :, :visible_height, :visible_width]
    inverse_mask = torch.ones_like(mask) - mask
    source_portion = mask * source[:, :, :visible_height, :visible_width]
    destination_portion = inverse_mask * destination[:, :, top:bottom, left:right]
    destination[:, :, top:bottom, left:right] = source_portion + destination_portion
    return destination


def pad_for_outpaint(image, left, top, right, bottom, feathering):
    d1, d2, d3, d4 = image.size()
    new_image = torch.ones((d1, d2 + top + bottom, d3 + left + right, d4), dtype=torch.float32) * 0.5
    new_image[:, top:top + d2, left:left + d3, :] = image
    mask = torch.ones((d2 + top + bottom, d3 + left + right), dtype=torch.float32)
    t = torch.zeros((d2, d3), dtype=torch.float32)
    if feathering > 0 and feathering * 2 < d2 and feathering * 2 < d3:
        for i in range(d2):
            for j in range(d3):
                dt = i if top != 0 else d2
                db = d2 - i if bottom != 0 else d2
                dl = j if left != 0 else d3
                dr = d3 - j if right != 0 else d3
                d = min(dt, db, dl, dr)
                if d >= feathering:
                    continue
                v = (feathering - d) / feathering
                t[i, j] = v * v
    mask[top:top + d2, left:left + d3] = t
    return new_image, mask.unsqueeze(0)


def inpaint_mask(pixels, mask, grow_mask_by):
    """VAEEncodeForInpaint's pixels (masked grey) and noise mask, without the encode."""
    x = (pixels.shape[1] // 8) * 8
    y = (pixels.shape[2] // 8) * 8
    mask = F.interpolate(mask.reshape((-1, 1, mask.shape[-2], mask.shape[-1])), size=(pixels.shape[1], pixels.shape[2]), mode="bilinear")
    pixels = pixels.clone()
    if pixels.shape[1] != x or pixels.shape[2] != y:
        x_offset = (pixels.shape[1] % 8) // 2
        y_offset = (pixels.shape[2] % 8) // 2
        pixels = pixels[:, x_offset:x + x_offset, y_offset:y + y_offset, :]
        mask = mask[:, :, x_offset:x + x_offset, y_offset:y + y_offset]
    if grow_mask_by == 0:
        mask_erosion = mask
    else:
        kernel_tensor = torch.ones((1, 1, grow_mask_by, grow_mask_by))
        padding = math.ceil((grow_mask_by - 1) / 2)
        mask_erosion = torch.clamp(F.conv2d(mask.round(), kernel_tensor, padding=padding), 0, 1)
    m = (1.0 - mask.round()).squeeze(1)
    for i in range(3):
        pixels[:, :, :, i] -= 0.5
        pixels[:, :, :, i] *= m
        pixels[:, :, :, i] += 0.5
    return pixels, mask_erosion[:, :, :x, :y].round()


def reshape_mask(input_mask, output_shape):
    """comfy.utils.reshape_mask (the sampler's noise mask at the latent's shape)."""
    mask = F.interpolate(input_mask.reshape((-1, 1, input_mask.shape[-2], input_mask.shape[-1])), size=output_shape[2:], mode="bilinear")
    if mask.shape[1] < output_shape[1]:
        mask = mask.repeat((1, output_shape[1], 1, 1))[:, :output_shape[1]]
    return mask.repeat((output_shape[0] // mask.shape[0], 1, 1, 1))


def main():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(20)
    t = {}
    image = torch.rand((2, 13, 17, 3), generator=g)  # IMAGE [B, H, W, 3]
    t["image"] = image
    planes = image.movedim(-1, 1)
    sizes = {"up": (30, 21), "down": (9, 7), "wide": (40, 11)}  # (width, height)
    for method in ["nearest-exact", "bilinear", "area", "bicubic", "lanczos"]:
        for name, (w, h) in sizes.items():
            for crop in ["disabled", "center"]:
                t[f"resize/{method}/{name}/{crop}"] = common_upscale(planes, w, h, method, crop).movedim(1, -1).contiguous()
    latent = torch.randn((2, 4, 5, 7), generator=g)
    t["latent"] = latent
    latent[1, :, 2, 3] = 0  # a zero vector (slerp's zero-norm case)
    latent[0, :, 1, 2] = latent[0, :, 1, 1]  # equal neighbours (the dot > 1 - 1e-5 case)
    t["latent"] = latent.clone()
    for name, (w, h) in {"up": (12, 9), "down": (4, 3), "odd": (11, 6)}.items():
        t[f"bislerp/{name}"] = common_upscale(latent, w, h, "bislerp", "disabled")
    t["blur/r2s1.5"] = blur(image, 2, 1.5)
    t["blur/r1s0.3"] = blur(image, 1, 0.3)
    t["sharpen/r1s1a1"] = sharpen(image, 1, 1.0, 1.0)
    t["sharpen/r3s2a0.4"] = sharpen(image, 3, 2.0, 0.4)
    mask = (torch.rand((2, 12, 15), generator=g) > 0.8).float() * torch.rand((2, 12, 15), generator=g)
    t["mask"] = mask
    for expand in [-1, 2, 3]:
        for tapered in [True, False]:
            t[f"grow/{expand}/{int(tapered)}"] = grow_mask(mask, expand, tapered)
    soft = torch.rand((2, 12, 15), generator=g)
    t["soft"] = soft
    t["feather/3-2-4-5"] = feather_mask(soft, 3, 2, 4, 5)
    small = torch.rand((1, 5, 6), generator=g)
    t["small"] = small
    for op in ["multiply", "add", "subtract", "and", "or", "xor"]:
        t[f"maskcomposite/{op}"] = mask_composite(soft, small, 11, 4, op)
    # Image composite (multiplier 1) with a mask of another size; latent composite (multiplier 8).
    dest = torch.rand((2, 3, 13, 17), generator=g)
    src = torch.rand((1, 3, 6, 8), generator=g)
    cmask = torch.rand((1, 3, 4), generator=g)
    t["composite/dest"] = dest.movedim(1, -1).contiguous()
    t["composite/src"] = src.movedim(1, -1).contiguous()
    t["composite/mask"] = cmask
    t["composite/image"] = composite(dest, src, 12, 9, cmask, 1, False).movedim(1, -1).contiguous()
    t["composite/image-resize"] = composite(dest, src, 3, 2, cmask, 1, True).movedim(1, -1).contiguous()
    t["composite/image-nomask"] = composite(dest, src, 5, 1, None, 1, False).movedim(1, -1).contiguous()
    t["composite/latent"] = composite(latent, latent[:1, :, :3, :4], 24, 16, cmask, 8, False)
    pad_image, pad_mask = pad_for_outpaint(image[:, :, :, :], 8, 0, 16, 24, 5)
    t["pad/image"] = pad_image
    t["pad/mask"] = pad_mask
    big = torch.rand((1, 21, 27, 3), generator=g)
    bigmask = (torch.rand((1, 10, 9), generator=g) > 0.6).float()
    t["inpaint/pixels"] = big
    t["inpaint/mask"] = bigmask
    for grow in [0, 3, 6]:
        masked, noise_mask = inpaint_mask(big, bigmask, grow)
        t[f"inpaint/masked/{grow}"] = masked.contiguous()
        t[f"inpaint/noise_mask/{grow}"] = noise_mask.reshape((-1, noise_mask.shape[-2], noise_mask.shape[-1])).contiguous()
    t["noisemask/latent"] = reshape_mask(bigmask, (2, 4, 3, 4))
    safetensors_io.write(os.path.join(OUT, "reference.safetensors"), t)
    info = {
        "generator": "scripts/reference/make_image_ops.py",
        "torch": torch.__version__,
        "PIL": PIL.__version__,
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "tensors": {k: list(v.shape) for k, v in sorted(t.items())},
        "sizes": {k: list(v) for k, v in sizes.items()},
    }
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(info, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
