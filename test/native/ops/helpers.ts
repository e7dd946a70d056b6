/** Shared helpers of the ops tests: seeded random data, error measures, f16/bf16 rounding. */
import { native } from '../../../native/index.ts';

/** Deterministic uniform numbers in [lo, hi) (mulberry32). */
export function random(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = lo + (hi - lo) * u;
  }
  return out;
}

export function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

/** max |a - b| / max |b|: the error relative to the reference's scale. NaN anywhere gives Infinity. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (Number.isNaN(d)) return Infinity;
    m = Math.max(m, d);
  }
  return m / Math.max(maxAbs(b), 1e-30);
}

export function allFinite(x: ArrayLike<number>): boolean {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return false;
  return true;
}

/** Rounds f32 data to f16 or bf16: the raw bits (for the kernel) and their f32 values (for references). */
export function toHalf(x: Float32Array, kind: 'f16' | 'bf16'): { bits: Uint16Array; values: Float32Array } {
  const bits = native.f32ToHalf(x, kind);
  return { bits, values: native.halfToF32(bits, kind) };
}

/** The implementations to compare with 'naive': the dispatched one, plus the portable one on AVX2 CPUs. */
export const FAST_IMPLS = ['fast', 'portable'] as const;

/** Index of the first element where a and b differ bit-for-bit (NaN equals NaN), or -1; fast on large arrays. */
export function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  return -1;
}
