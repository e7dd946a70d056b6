/**
 * Tiled decoding: decode a large latent as overlapping tiles and blend them, so the VAE's working memory
 * is that of one tile. Inside the overlaps each output pixel is a weighted mean of the tiles covering it,
 * with weights ramping linearly from a tile's inner edge, so seams do not show; away from overlaps a pixel
 * comes from one tile only. This is VAEDecodeTiled's `normalization: 'tile'` (ComfyUI's behaviour): every
 * group norm of a tile uses the tile's own statistics and the mid-block attention sees only the tile, so
 * the result is close to a plain decode, not equal (tones shift between tiles), unless one tile covers
 * everything. `normalization: 'image'` uses the engine's vaeDecodeTiled instead, equal to the plain decode.
 */

/** Decodes a latent [B, C, h, w] into pixels [B, 3, h*scale, w*scale]. */
export type DecodeFn = (latent: Float32Array, shape: readonly [number, number, number, number]) => Promise<Float32Array>;

/** Start offsets of tiles of `tile` cells with `overlap` cells of overlap covering `size` cells. */
export function tileStarts(size: number, tile: number, overlap: number): number[] {
  if (tile >= size) return [0];
  const stride = Math.max(1, tile - overlap);
  const starts: number[] = [];
  for (let s = 0; ; s += stride) {
    if (s + tile >= size) {
      starts.push(size - tile);
      break;
    }
    starts.push(s);
  }
  return [...new Set(starts)];
}

/** Blend weight of position `i` (0-based) inside a tile of `length` pixels that overlaps neighbours. */
function ramp(i: number, length: number, rampBefore: number, rampAfter: number): number {
  let w = 1;
  if (rampBefore > 0 && i < rampBefore) w = Math.min(w, (i + 0.5) / rampBefore);
  if (rampAfter > 0 && i >= length - rampAfter) w = Math.min(w, (length - i - 0.5) / rampAfter);
  return w;
}

export async function decodeTiled(
  decode: DecodeFn,
  latent: Float32Array,
  shape: readonly [number, number, number, number],
  options: { tile: number; overlap: number; scale: number; outChannels?: number; onTile?: (done: number, total: number) => void },
): Promise<Float32Array> {
  const [B, C, h, w] = shape;
  const { scale } = options;
  const outC = options.outChannels ?? 3;
  const tile = Math.max(1, options.tile);
  const overlap = Math.max(0, Math.min(options.overlap, tile - 1));
  const ys = tileStarts(h, tile, overlap);
  const xs = tileStarts(w, tile, overlap);
  const H = h * scale, W = w * scale;
  const sum = new Float32Array(B * outC * H * W);
  const weight = new Float32Array(H * W);
  const total = ys.length * xs.length;
  let done = 0;
  for (const y0 of ys) {
    for (const x0 of xs) {
      const th = Math.min(tile, h), tw = Math.min(tile, w);
      const sub = new Float32Array(B * C * th * tw);
      for (let b = 0; b < B; b++)
        for (let c = 0; c < C; c++)
          for (let y = 0; y < th; y++) {
            const src = ((b * C + c) * h + y0 + y) * w + x0;
            sub.set(latent.subarray(src, src + tw), ((b * C + c) * th + y) * tw);
          }
      const pixels = await decode(sub, [B, C, th, tw]);
      const ph = th * scale, pw = tw * scale;
      // Ramp only on sides that border another tile; the overlap region in pixels.
      const rampPx = overlap * scale;
      const top = y0 > 0 ? rampPx : 0, bottom = y0 + th < h ? rampPx : 0;
      const left = x0 > 0 ? rampPx : 0, right = x0 + tw < w ? rampPx : 0;
      for (let y = 0; y < ph; y++) {
        const wy = ramp(y, ph, top, bottom);
        for (let x = 0; x < pw; x++) {
          const wt = wy * ramp(x, pw, left, right);
          const o = (y0 * scale + y) * W + x0 * scale + x;
          weight[o] += wt;
          for (let b = 0; b < B; b++)
            for (let c = 0; c < outC; c++) sum[((b * outC + c) * H * W) + o] += wt * pixels[((b * outC + c) * ph + y) * pw + x];
        }
      }
      options.onTile?.(++done, total);
    }
  }
  for (let b = 0; b < B; b++)
    for (let c = 0; c < outC; c++) {
      const base = (b * outC + c) * H * W;
      for (let i = 0; i < H * W; i++) sum[base + i] /= weight[i];
    }
  return sum;
}
