// Seeded noise equal to PyTorch's CPU generator: `torch.randn(shape, generator=torch.Generator().manual_seed(seed))`
// and `torch.rand(...)` in float32, bit for bit, so that a seed gives the same image as diffusers.
//
// What torch computes (ATen, CPU):
// * Engine: 32-bit Mersenne Twister (mt19937), seeded like the reference `init_genrand` with the low 32 bits of
//   the 64-bit seed. `random()` is one engine output, `random64()` is (first << 32) | second.
// * Uniform float32 in [0, 1): (random() & (2^24 - 1)) * 2^-24. Uniform float64: (random64() & (2^53 - 1)) * 2^-53.
// * randn, float32, numel >= 16, contiguous (`normal_fill`): first ALL numel uniforms are drawn in order, then
//   Box-Muller runs on blocks of 16: for j < 8, u1 = 1 - data[j], u2 = data[j + 8],
//   data[j] = sqrt(-2 ln u1) cos(2 pi u2), data[j + 8] = sqrt(-2 ln u1) sin(2 pi u2). If numel % 16 != 0 the last
//   16 values are drawn again (16 fresh uniforms) and transformed, overwriting the tail. On x86 builds with AVX2
//   the block transform is `normal_fill_16_AVX2`, whose log/sin/cos are the Cephes polynomials of avx_mathfun.h
//   evaluated in float32; that is what the reference fixtures were produced with and what `boxMuller16` emulates.
// * randn, numel < 16 (`normal_distribution<double>` per element): u1, u2 uniform float64,
//   r = sqrt(-2 log1p(-u2)), theta = 2 pi u1; returns r cos(theta) and caches r sin(theta) in the generator for
//   the next small draw (the cache survives across calls and is cleared by manual_seed).
// torch builds without AVX2 (e.g. ARM) use the scalar normal_fill_16 (libm logf/cosf/sinf) and can differ by 1 ulp.

import { fmaF32 } from './float32.ts';

const STATE_N = 624;
const STATE_M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

/** A tensor shape: non-negative integer sizes. */
export type Shape = readonly number[];

/** PyTorch's CPU generator (at::CPUGeneratorImpl with its mt19937 engine). */
export class TorchGenerator {
  private readonly state = new Uint32Array(STATE_N);
  private left = 1;
  private next = 0;
  /** Box-Muller's second value, kept for the next scalar normal draw (torch's next_double_normal_sample). */
  private nextDoubleNormal: number | null = null;

  /** `torch.Generator().manual_seed(seed)`; seed is an integer in [0, 2^64). */
  constructor(seed: number | bigint = 67280421310721) {
    this.manualSeed(seed);
  }

  manualSeed(seed: number | bigint): this {
    const big = typeof seed === 'bigint' ? seed : BigInt(checkSeed(seed));
    if (big < 0n || big >= 1n << 64n) throw new RangeError(`seed ${seed} is outside [0, 2^64): pick a non-negative 64-bit integer.`);
    const state = this.state;
    state[0] = Number(big & 0xffffffffn);
    for (let j = 1; j < STATE_N; j++) {
      const previous = state[j - 1];
      state[j] = (Math.imul(1812433253, (previous ^ (previous >>> 30)) >>> 0) + j) >>> 0;
    }
    this.left = 1;
    this.next = 0;
    this.nextDoubleNormal = null;
    return this;
  }

  /** One 32-bit engine output (torch `random()`). */
  random(): number {
    if (--this.left === 0) this.twist();
    let y = this.state[this.next++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** Uniform float32 in [0, 1) from one engine output (exact in float32). */
  uniformFloat32(): number {
    return (this.random() & 0xffffff) * 2 ** -24;
  }

  /** Uniform float64 in [0, 1) from random64() = (first << 32) | second, masked to 53 bits. */
  uniformFloat64(): number {
    const high = this.random();
    const low = this.random();
    return ((high & 0x1fffff) * 2 ** 32 + low) * 2 ** -53;
  }

  /** One standard normal from torch's scalar path (`at::normal_distribution<double>`), with its cache. */
  normalFloat64(): number {
    if (this.nextDoubleNormal !== null) {
      const cached = this.nextDoubleNormal;
      this.nextDoubleNormal = null;
      return cached;
    }
    const u1 = this.uniformFloat64();
    const u2 = this.uniformFloat64();
    const radius = Math.sqrt(-2 * Math.log1p(-u2));
    const theta = 2 * Math.PI * u1;
    this.nextDoubleNormal = radius * Math.sin(theta);
    return radius * Math.cos(theta);
  }

  private twist(): void {
    const state = this.state;
    const mix = (u: number, v: number) => {
      const y = ((u & UPPER_MASK) | (v & LOWER_MASK)) >>> 0;
      return ((y >>> 1) ^ (v & 1 ? MATRIX_A : 0)) >>> 0;
    };
    let k = 0;
    for (; k < STATE_N - STATE_M; k++) state[k] = (state[k + STATE_M] ^ mix(state[k], state[k + 1])) >>> 0;
    for (; k < STATE_N - 1; k++) state[k] = (state[k + STATE_M - STATE_N] ^ mix(state[k], state[k + 1])) >>> 0;
    state[k] = (state[k + STATE_M - STATE_N] ^ mix(state[k], state[0])) >>> 0;
    this.left = STATE_N;
    this.next = 0;
  }
}

/** `torch.Generator().manual_seed(seed)`. */
export function generatorFromSeed(seed: number | bigint): TorchGenerator {
  return new TorchGenerator(seed);
}

/** `torch.randn(shape, generator=generator)` in float32 (CPU), bit-exact. */
export function randn(shape: Shape, generator: TorchGenerator): Float32Array {
  const size = numelOf(shape);
  const out = new Float32Array(size);
  if (size >= 16) {
    for (let i = 0; i < size; i++) out[i] = generator.uniformFloat32();
    for (let i = 0; i + 16 <= size; i += 16) boxMuller16(out, i);
    if (size % 16 !== 0) {
      const tail = size - 16;
      for (let i = 0; i < 16; i++) out[tail + i] = generator.uniformFloat32();
      boxMuller16(out, tail);
    }
  } else {
    for (let i = 0; i < size; i++) out[i] = generator.normalFloat64();
  }
  return out;
}

/** `torch.rand(shape, generator=generator)` in float32 (CPU): uniform [0, 1), one engine output per value. */
export function rand(shape: Shape, generator: TorchGenerator): Float32Array {
  const out = new Float32Array(numelOf(shape));
  for (let i = 0; i < out.length; i++) out[i] = generator.uniformFloat32();
  return out;
}

export function numelOf(shape: Shape): number {
  let size = 1;
  for (const dim of shape) {
    if (!Number.isInteger(dim) || dim < 0) throw new RangeError(`shape [${shape.join(', ')}] has a size that is not a non-negative integer.`);
    size *= dim;
  }
  return size;
}

function checkSeed(seed: number): number {
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`seed ${seed} is not an integer that a number can hold exactly: pass a bigint for seeds above 2^53.`);
  }
  return seed;
}

// ---- Box-Muller on 16 uniforms: torch's normal_fill_16_AVX2, lane by lane in float32 ----------------------------
//
// The reference build (GCC, -mavx2 -mfma, default -ffp-contract=fast) fused every multiply whose only use is an
// add/subtract into one FMA, so each such pair below is a single rounding (`fmaF32`), not two. Emulating that is what
// makes all 17,408 fixture values equal bit for bit (with two roundings about 1% differ by 1 ulp).

const f = Math.fround;
const TWO_PI_F32 = f(2 * Math.PI);

/** data[at .. at+16): uniforms in, normals out (u1 = 1 - data[j], u2 = data[j + 8]). */
function boxMuller16(data: Float32Array, at: number): void {
  for (let j = 0; j < 8; j++) {
    const u1 = f(1 - data[at + j]);
    const u2 = data[at + j + 8];
    const radius = f(Math.sqrt(f(-2 * logCephes(u1))));
    const theta = f(TWO_PI_F32 * u2);
    sinCosCephes(theta);
    data[at + j] = f(radius * sinCos[1]);
    data[at + j + 8] = f(radius * sinCos[0]);
  }
}

// avx_mathfun.h (Pommier's sse_mathfun ported to AVX): Cephes logf / sincosf polynomials.
const SQRTHF = f(0.707106781186547524);
const LOG_P = [
  7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
  2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
].map(f);
const LOG_Q1 = f(-2.1219444e-4);
const LOG_Q2 = f(0.693359375);
const bitsView = new DataView(new ArrayBuffer(4));

/** log256_ps for one lane, x in (0, 1]. */
function logCephes(input: number): number {
  const x0 = Math.max(input, 2 ** -126);
  bitsView.setFloat32(0, x0);
  const bits = bitsView.getUint32(0);
  // x = mantissa with the exponent of 0.5 (x in [0.5, 1)), e = exponent + 1.
  bitsView.setUint32(0, ((bits & ~0x7f800000) | 0x3f000000) >>> 0);
  let x = bitsView.getFloat32(0);
  let e = (bits >>> 23) - 0x7f + 1;
  // if x < sqrt(1/2): e -= 1, x = x + x - 1, else x = x - 1.
  const below = x < SQRTHF;
  const tmp = below ? x : 0;
  x = f(x - 1);
  e = e - (below ? 1 : 0);
  x = f(x + tmp);
  const z = f(x * x);
  let y = LOG_P[0];
  for (let k = 1; k < LOG_P.length; k++) y = fmaF32(y, x, LOG_P[k]);
  y = f(y * x);
  y = fmaF32(y, z, f(e * LOG_Q1));
  y = f(y - f(z * 0.5));
  x = f(x + y);
  return fmaF32(e, LOG_Q2, x);
}

const MINUS_DP = [-0.78515625, -2.4187564849853515625e-4, -3.77489497744594108e-8].map(f);
const SINCOF = [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1].map(f);
const COSCOF = [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2].map(f);
const FOPI = f(1.27323954473516); // 4 / pi
const sinCos = new Float64Array(2); // [sin, cos] of the last sinCosCephes call

/** sincos256_ps for one lane, x >= 0 (theta in [0, 2 pi)); writes [sin, cos] into `sinCos`. */
function sinCosCephes(input: number): void {
  let x = Math.abs(input);
  // Octant j (made even), reduce x by j * pi/4 in three parts (extended-precision modular arithmetic).
  let j = Math.trunc(f(x * FOPI));
  j = (j + 1) & ~1;
  for (const part of MINUS_DP) x = fmaF32(j, part, x);
  const sinNegative = (input < 0) !== ((j & 4) !== 0);
  const cosNegative = (~(j - 2) & 4) !== 0;
  const sinPolyIsSin = (j & 2) === 0;
  const z = f(x * x);
  let c = fmaF32(COSCOF[0], z, COSCOF[1]);
  c = fmaF32(c, z, COSCOF[2]);
  c = f(c * z);
  c = fmaF32(c, z, -f(z * 0.5));
  c = f(c + 1);
  let s = fmaF32(SINCOF[0], z, SINCOF[1]);
  s = fmaF32(s, z, SINCOF[2]);
  s = f(s * z);
  s = fmaF32(s, x, x);
  const sine = sinPolyIsSin ? s : c;
  const cosine = sinPolyIsSin ? c : s;
  sinCos[0] = sinNegative ? -sine : sine;
  sinCos[1] = cosNegative ? -cosine : cosine;
}
