/**
 * Canny edge detection as ComfyUI's Canny node computes it (kornia.filters.canny with kernel_size (5, 5),
 * sigma (1, 1), hysteresis on, eps 1e-6), step by step in float32 as torch does:
 *
 *   gray = 0.299 R + 0.587 G + 0.114 B                           (kornia's rgb_to_grayscale)
 *   blurred = gaussian 5x5, sigma 1, separable (rows then columns), borders reflected (dcb|abcd|cba)
 *   gx, gy = 3x3 Sobel (unnormalised: [-1 0 1; -2 0 2; -1 0 1] and its transpose), borders replicated
 *   magnitude = sqrt(gx^2 + gy^2 + 1e-6); angle = atan2(gy, gx) in degrees, rounded to a multiple of 45
 *   non-maximum suppression: kept where magnitude > both neighbours along the angle (0 outside the picture)
 *   strong: magnitude > high, weak: low < magnitude <= high; hysteresis: weak pixels 8-connected (through
 *   weak pixels) to a strong one become edges (kornia iterates one pixel per round until nothing changes:
 *   the same fixed point as this flood fill)
 *   out: 1 on edges, 0 elsewhere, the same in the three channels
 *
 * The thresholds are on the gradient of a [0, 1] picture (Sobel unnormalised, so magnitudes reach about 4),
 * not OpenCV's 0..255 pixel-gradient thresholds: docs/NODES.md compares the two.
 */
import type { ImageValue } from '../socket-values.ts';

const f = Math.fround;

/** kornia's get_gaussian_kernel1d(5, 1.0) in float32. */
function gaussianKernel(size: number, sigma: number): Float32Array {
  const k = new Float32Array(size);
  let sum = 0;
  for (let i = 0; i < size; i++) {
    const x = i - Math.floor(size / 2);
    k[i] = f(Math.exp(f(-f(x * x) / f(2 * f(sigma * sigma)))));
  }
  for (let i = 0; i < size; i++) sum = f(sum + k[i]);
  for (let i = 0; i < size; i++) k[i] = f(k[i] / sum);
  return k;
}

/** Reflect padding index (torch's "reflect": the edge is not repeated). */
function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
  return i;
}

/** The edge map of one grayscale plane [H, W] -> [H, W] of 0 / 1. */
export function cannyPlane(gray: Float32Array, height: number, width: number, low: number, high: number): Float32Array {
  const H = height, W = width, n = H * W;
  const g = gaussianKernel(5, 1);
  // Gaussian blur: rows, then columns (reflect borders).
  const rows = new Float32Array(n);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      let s = 0;
      for (let t = 0; t < 5; t++) s = f(s + f(g[t] * gray[y * W + reflect(x + t - 2, W)]));
      rows[y * W + x] = s;
    }
  const blurred = new Float32Array(n);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      let s = 0;
      for (let t = 0; t < 5; t++) s = f(s + f(g[t] * rows[reflect(y + t - 2, H) * W + x]));
      blurred[y * W + x] = s;
    }
  // Sobel gradients (replicate borders), magnitude and rounded angle.
  const at = (y: number, x: number) => blurred[Math.min(Math.max(y, 0), H - 1) * W + Math.min(Math.max(x, 0), W - 1)];
  const magnitude = new Float32Array(n);
  const direction = new Uint8Array(n); // (angle / 45) mod 8
  const pi = f(Math.PI);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const a = at(y - 1, x - 1), b = at(y - 1, x), c = at(y - 1, x + 1);
      const d = at(y, x - 1), e = at(y, x + 1);
      const g1 = at(y + 1, x - 1), h = at(y + 1, x), i = at(y + 1, x + 1);
      const gx = f(f(f(f(f(-a + c) - f(2 * d)) + f(2 * e)) - g1) + i);
      const gy = f(f(f(f(f(-a - f(2 * b)) - c) + g1) + f(2 * h)) + i);
      magnitude[y * W + x] = f(Math.sqrt(f(f(f(gx * gx) + f(gy * gy)) + f(1e-6))));
      const degrees = f(f(180 * f(Math.atan2(gy, gx))) / pi);
      const sector = roundHalfEven(f(degrees / 45));
      direction[y * W + x] = ((sector % 8) + 8) % 8;
    }
  // Non-maximum suppression along the direction (both ways), zero outside the picture.
  const dy = [0, 1, 1, 1, 0, -1, -1, -1];
  const dx = [1, 1, 0, -1, -1, -1, 0, 1];
  const neighbour = (y: number, x: number) => (y < 0 || y >= H || x < 0 || x >= W ? 0 : magnitude[y * W + x]);
  const edges = new Uint8Array(n); // 0 none, 1 weak, 2 strong
  const fl = f(low), fh = f(high);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const m = magnitude[y * W + x];
      const p = direction[y * W + x], q = (p + 4) % 8;
      const kept = f(m - neighbour(y + dy[p], x + dx[p])) > 0 && f(m - neighbour(y + dy[q], x + dx[q])) > 0;
      if (!kept) continue;
      edges[y * W + x] = m > fh ? 2 : m > fl ? 1 : 0;
    }
  // Hysteresis: flood from every strong pixel through 8-connected weak ones.
  const out = new Float32Array(n);
  const stack: number[] = [];
  for (let k = 0; k < n; k++)
    if (edges[k] === 2) {
      out[k] = 1;
      stack.push(k);
    }
  while (stack.length > 0) {
    const k = stack.pop()!;
    const y = Math.floor(k / W), x = k - y * W;
    for (let t = 0; t < 8; t++) {
      const yy = y + dy[t], xx = x + dx[t];
      if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
      const j = yy * W + xx;
      if (edges[j] === 1 && out[j] === 0) {
        out[j] = 1;
        stack.push(j);
      }
    }
  }
  return out;
}

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** ComfyUI's Canny on an IMAGE [B, H, W, C] (C 3; 1 is read as gray) -> IMAGE [B, H, W, 3] of 0 / 1. */
export function canny(image: ImageValue, low: number, high: number): ImageValue {
  const [b, h, w, c] = image.shape;
  const plane = h * w;
  const out = new Float32Array(b * plane * 3);
  const wr = f(0.299), wg = f(0.587), wb = f(0.114);
  for (let n = 0; n < b; n++) {
    const gray = new Float32Array(plane);
    for (let i = 0; i < plane; i++) {
      const p = (n * plane + i) * c;
      gray[i] = c === 3 ? f(f(f(wr * image.data[p]) + f(wg * image.data[p + 1])) + f(wb * image.data[p + 2])) : image.data[p];
    }
    const edges = cannyPlane(gray, h, w, low, high);
    for (let i = 0; i < plane; i++) out.fill(edges[i], (n * plane + i) * 3, (n * plane + i) * 3 + 3);
  }
  return { data: out, shape: [b, h, w, 3] };
}
