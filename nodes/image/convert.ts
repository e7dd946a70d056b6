/**
 * Layout conversions between the VAE's pictures ([B, 3, H, W] in [-1, 1], channels first) and
 * ComfyUI's IMAGE ([B, H, W, 3] in [0, 1], channels last), and 8-bit RGB for PNG files.
 */

/** VAE output [B, 3, H, W] in [-1, 1] -> IMAGE data [B, H, W, 3] in [0, 1] (clamped, as diffusers' postprocess). */
export function vaeToImage(x: Float32Array, batch: number, height: number, width: number): Float32Array {
  const out = new Float32Array(batch * height * width * 3);
  const plane = height * width;
  for (let b = 0; b < batch; b++)
    for (let c = 0; c < 3; c++) {
      const src = (b * 3 + c) * plane;
      for (let i = 0; i < plane; i++) {
        const v = x[src + i] / 2 + 0.5;
        out[(b * plane + i) * 3 + c] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    }
  return out;
}

/** IMAGE data [B, H, W, 3] in [0, 1] -> VAE input [B, 3, H, W] in [-1, 1]. */
export function imageToVae(image: Float32Array, batch: number, height: number, width: number): Float32Array {
  const out = new Float32Array(batch * 3 * height * width);
  const plane = height * width;
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < plane; i++)
      for (let c = 0; c < 3; c++) out[(b * 3 + c) * plane + i] = image[(b * plane + i) * 3 + c] * 2 - 1;
  return out;
}

/** One picture of an IMAGE batch as 8-bit RGB, rounded as diffusers' numpy_to_pil: round(v * 255). */
export function imageToRgb8(image: Float32Array, index: number, height: number, width: number): Uint8Array {
  const n = height * width * 3;
  const out = new Uint8Array(n);
  const base = index * n;
  for (let i = 0; i < n; i++) {
    const v = Math.round(image[base + i] * 255);
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return out;
}

/** 8-bit pixels (1-4 channels) -> IMAGE data [1, H, W, 3] in [0, 1]; gray is replicated, alpha dropped. */
export function rgb8ToImage(data: Uint8Array, channels: number, height: number, width: number): Float32Array {
  const out = new Float32Array(height * width * 3);
  for (let i = 0; i < height * width; i++) {
    const p = i * channels;
    const gray = channels < 3;
    out[i * 3] = data[p] / 255;
    out[i * 3 + 1] = data[gray ? p : p + 1] / 255;
    out[i * 3 + 2] = data[gray ? p : p + 2] / 255;
  }
  return out;
}
