import { execFileSync } from 'node:child_process';

import { describe, expect, it } from 'vitest';

import { attention, native } from '../../native/index.ts';

// Reference f16 -> f32 decoding written from the IEEE 754 definition.
function f16ToF32Reference(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

describe('core: f16/bf16 conversion', () => {
  it('decodes all 65536 f16 bit patterns exactly', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const out = native.halfToF32(all, 'f16');
    for (let i = 0; i < 65536; i++) {
      const expected = f16ToF32Reference(i);
      if (Number.isNaN(expected)) expect(Number.isNaN(out[i])).toBe(true);
      else expect(Object.is(out[i], Math.fround(expected)) || out[i] === expected).toBe(true);
    }
  });

  it('rounds f32 -> f16 to nearest even and round-trips every finite f16', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const widened = native.halfToF32(all, 'f16');
    const back = native.f32ToHalf(widened, 'f16');
    for (let i = 0; i < 65536; i++) {
      if (Number.isNaN(widened[i])) continue;
      expect(back[i]).toBe(i);
    }
    // 3 * 2^-26 = 0.75 of the smallest subnormal rounds up to it. Ties: 1 + 2^-11 lies halfway between 1 and the next f16 (1 + 2^-10): rounds to even (1.0 = 0x3c00).
    const ties = new Float32Array([1 + 2 ** -11, 1 + 3 * 2 ** -11, 65520, 65519, 2 ** -25, 3 * 2 ** -26, -0]);
    expect(Array.from(native.f32ToHalf(ties, 'f16'))).toEqual([0x3c00, 0x3c02, 0x7c00, 0x7bff, 0x0000, 0x0001, 0x8000]);
  });

  it('converts bf16 both ways with round-to-nearest-even', () => {
    const values = new Float32Array([1, -2.5, 3.14159265, 1e-30, 65504, 3e38]);
    const bf = native.f32ToHalf(values, 'bf16');
    const back = native.halfToF32(bf, 'bf16');
    for (let i = 0; i < values.length; i++) {
      expect(Math.abs(back[i] - values[i])).toBeLessThanOrEqual(Math.abs(values[i]) * 2 ** -8);
    }
    expect(bf[0]).toBe(0x3f80);
  });

  it('gives the same f16 rounding on the portable path and the F16C path (bulk and tail)', () => {
    const random = new Float32Array(10_007);
    let seed = 12345;
    for (let i = 0; i < random.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      random[i] = ((seed / 2 ** 32) - 0.5) * 2 ** ((seed % 40) - 20);
    }
    const bulk = native.f32ToHalf(random, 'f16');
    // Element-wise through a 1-element array takes the scalar path.
    for (let i = 0; i < random.length; i += 97) {
      expect(native.f32ToHalf(random.subarray(i, i + 1), 'f16')[0]).toBe(bulk[i]);
    }
  });
});

describe('core: threads and memory', () => {
  it('sets and reports the thread count', () => {
    const before = native.threadsGet();
    expect(native.threadsSet(1)).toBe(1);
    expect(native.threadsSet(2)).toBe(2);
    native.threadsSet(before);
    expect(() => native.threadsSet(-1)).toThrow(/threads/);
  });

  it('reports memory counters as numbers', () => {
    const stats = native.memoryStats();
    for (const key of ['activationsCurrent', 'activationsPeak', 'weightsCurrent', 'mappedCurrent'] as const) {
      expect(typeof stats[key]).toBe('number');
      expect(stats[key]).toBeGreaterThanOrEqual(0);
    }
    native.memoryPeakReset();
    expect(native.memoryStats().activationsPeak).toBe(native.memoryStats().activationsCurrent);
  });

  it('reports the CPU features it dispatches on', () => {
    const features = native.cpuFeatures();
    expect(typeof features.avx2Fma).toBe('boolean');
    expect(typeof features.f16c).toBe('boolean');
  });

  it('takes AMX tiles for bf16 and fp32 products only where the CPU has them, unless LATENTFLOW_AMX=0 (or LATENTFLOW_AMX_FP32=0 for fp32)', () => {
    const features = native.cpuFeatures();
    expect(features.amx).toBe(features.bf16 && features.amxBf16 && process.env.LATENTFLOW_AMX !== '0');
    expect(features.amxFp32).toBe(features.amx && features.isa === 'avx512' && process.env.LATENTFLOW_AMX_FP32 !== '0');
    if (!features.amx) return;
    const script = "import('./native/index.ts').then((m) => console.log(JSON.stringify(m.native.cpuFeatures())))";
    const featuresWith = (env: Record<string, string>) => JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '-e', script], {
      encoding: 'utf8', env: { ...process.env, ...env },
    })) as { amx: boolean; amxFp32: boolean; amxBf16: boolean; bf16: boolean };
    expect(featuresWith({ LATENTFLOW_AMX: '0' })).toMatchObject({ amx: false, amxFp32: false, amxBf16: true, bf16: true });
    expect(featuresWith({ LATENTFLOW_AMX_FP32: '0' })).toMatchObject({ amx: true, amxFp32: false, amxBf16: true, bf16: true });
  });
});

describe('core: the worker pool under concurrent use', () => {
  it('finishes concurrent parallel native calls while the thread count changes (no deadlock, same results)', async () => {
    const shape = { B: 1, H: 4, Tq: 256, Tk: 256, D: 32 };
    const n = shape.B * shape.H * shape.Tq * shape.D;
    const q = new Float32Array(n).map((_, i) => Math.sin(i));
    const k = new Float32Array(n).map((_, i) => Math.cos(i * 0.7));
    const v = new Float32Array(n).map((_, i) => Math.sin(i * 1.3));
    const reference = (await attention('flash', q, k, v, shape)).out;
    const before = native.threadsGet();
    const runs: Promise<{ out: Float32Array }>[] = [];
    for (let round = 0; round < 40; round++) {
      runs.push(attention('flash', q, k, v, shape));
      native.threadsSet(1 + (round % 2)); // resizes the pool between and during regions on other threads
      expect(native.threadsGet()).toBe(1 + (round % 2));
    }
    const results = await Promise.all(runs);
    native.threadsSet(before);
    for (const r of results) expect(Buffer.from(r.out.buffer).equals(Buffer.from(reference.buffer))).toBe(true);
  });
});
