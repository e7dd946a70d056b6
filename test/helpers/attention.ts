/**
 * Test helpers for attention: seeded random q/k/v, a float64 reference written from the formula, and
 * the error measure the attention tests use.
 */
import type { AttentionLayout, AttentionShape } from '../../native/index.ts';

/** Standard normal floats from a seeded generator (mulberry32 + Box-Muller): the same for a seed everywhere. */
export function randomNormal(count: number, seed: number, std = 1): Float32Array {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 2 ** 32;
  };
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const radius = Math.sqrt(-2 * Math.log(uniform())) * std;
    const angle = 2 * Math.PI * uniform();
    out[i] = radius * Math.cos(angle);
    if (i + 1 < count) out[i + 1] = radius * Math.sin(angle);
  }
  return out;
}

export function randomQKV(shape: AttentionShape, seed: number, std = 1) {
  const { B, H, Tq, Tk, D } = shape;
  return {
    q: randomNormal(B * H * Tq * D, seed, std),
    k: randomNormal(B * H * Tk * D, seed + 1),
    v: randomNormal(B * H * Tk * D, seed + 2),
  };
}

/** Index of element (b, h, t, d) in a [B, H, T, D] ('bhtd') or [B, T, H, D] ('bthd') array. */
export function at(layout: AttentionLayout, shape: AttentionShape, T: number, b: number, h: number, t: number, d: number) {
  const { H, D } = shape;
  return layout === 'bhtd' ? ((b * H + h) * T + t) * D + d : ((b * T + t) * H + h) * D + d;
}

/** softmax(q k^T * scale) v in float64, straight from the definition. */
export function referenceAttention(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  shape: AttentionShape,
  layout: AttentionLayout = 'bhtd',
  scale = 1 / Math.sqrt(shape.D),
): Float64Array {
  const { B, H, Tq, Tk, D } = shape;
  const out = new Float64Array(B * H * Tq * D);
  const weights = new Float64Array(Tk);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < Tq; i++) {
        let max = -Infinity;
        for (let j = 0; j < Tk; j++) {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[at(layout, shape, Tq, b, h, i, d)] * k[at(layout, shape, Tk, b, h, j, d)];
          weights[j] = dot * scale;
          max = Math.max(max, weights[j]);
        }
        let sum = 0;
        for (let j = 0; j < Tk; j++) sum += weights[j] = Math.exp(weights[j] - max);
        for (let d = 0; d < D; d++) {
          let acc = 0;
          for (let j = 0; j < Tk; j++) acc += weights[j] * v[at(layout, shape, Tk, b, h, j, d)];
          out[at(layout, shape, Tq, b, h, i, d)] = acc / sum;
        }
      }
  return out;
}

/** max |actual - expected| / max |expected|: the "relative" in "equal within 1e-5 relative". */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const delta = Math.abs(actual[i] - expected[i]);
    diff = Number.isNaN(delta) ? Infinity : Math.max(diff, delta);
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / scale;
}
