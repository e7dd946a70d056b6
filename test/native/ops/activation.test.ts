import { describe, expect, it } from 'vitest';

import { ops, opsAddon } from '../../../native/index.ts';
import { allFinite, FAST_IMPLS, random, relErr } from './helpers.ts';

// Relative error of the vectorised element functions against the C library's (through the naive
// path's twins) and against JS's double-precision Math.exp.
function maxRelErr(got: Float32Array, ref: ArrayLike<number>, floor = 1e-30): number {
  let m = 0;
  for (let i = 0; i < got.length; i++) {
    if (Math.abs(ref[i]) < floor) continue;
    m = Math.max(m, Math.abs(got[i] - ref[i]) / Math.abs(ref[i]));
  }
  return m;
}

function grid(lo: number, hi: number, n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}

// erf in double from its Maclaurin series (|x| < 3) and continued fraction for erfc (|x| >= 3).
function erfDouble(x: number): number {
  const a = Math.abs(x);
  if (a < 3) {
    let term = a, sum = a;
    for (let n = 1; n < 200; n++) {
      term *= (-a * a) / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  return Math.sign(x) * (1 - erfcDouble(a));
}

function erfcDouble(x: number): number {
  if (x < 3) return 1 - erfDouble(x);
  // Lentz continued fraction: erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...))))
  let f = 0;
  for (let n = 60; n >= 1; n--) f = (n / 2) / (x + f);
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / (x + f);
}

describe('vectorised exp / erf / erfc accuracy', () => {
  it('exp: max relative error < 1e-6 over [-87, 88]', () => {
    const x = grid(-87, 88, 200_003);
    const y = ops.math('exp', x);
    const ref = Array.from(x, (v) => Math.exp(v));
    expect(maxRelErr(y, ref)).toBeLessThan(1e-6);
    const edge = ops.math('exp', new Float32Array([-1000, 1000, 0, NaN, -Infinity]));
    expect(Array.from(edge.subarray(0, 3))).toEqual([0, Infinity, 1]);
    expect(Number.isNaN(edge[3])).toBe(true);
    expect(edge[4]).toBe(0);
  });

  it('erf: max relative error < 1e-6 over [-6, 6] (including tiny arguments)', () => {
    const x = new Float32Array([...grid(-6, 6, 120_001), 1e-30, -1e-20, 1e-7, 0.999999, 1.000001]);
    const y = ops.math('erf', x);
    expect(maxRelErr(y, Array.from(x, erfDouble))).toBeLessThan(1e-6);
    expect(Array.from(ops.math('erf', new Float32Array([0, 10, -10, Infinity])))).toEqual([0, 1, -1, 1]);
  });

  it('erfc: max relative error < 1e-6 over [-6, 9] (down to 1e-36)', () => {
    const x = grid(-6, 9, 150_001);
    const y = ops.math('erfc', x);
    expect(maxRelErr(y, Array.from(x, (v) => (v < 0 ? 2 - erfcDouble(-v) : erfcDouble(v))))).toBeLessThan(1e-6);
  });
});

describe.each(FAST_IMPLS)('activations %s', (impl) => {
  const kinds = ['silu', 'gelu', 'gelu_tanh', 'quick_gelu'] as const;
  // Double-precision definitions, evaluated on the float inputs.
  const reference: Record<(typeof kinds)[number], (v: number) => number> = {
    silu: (v) => v / (1 + Math.exp(-v)),
    gelu: (v) => 0.5 * v * (v < 0 ? erfcDouble(-v / Math.SQRT2) : 1 + erfDouble(v / Math.SQRT2)),
    gelu_tanh: (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
    quick_gelu: (v) => v / (1 + Math.exp(-1.702 * v)),
  };

  it.each(kinds)('%s matches the naive twin and the definition (odd length, wide range, no NaN)', (kind) => {
    const x = new Float32Array([...random(100_003, 7, -12, 12), 0, -0, 1e-30, -90, 90]);
    const fast = ops.activation(kind, x, impl);
    const naive = ops.activation(kind, x, 'naive');
    expect(allFinite(fast)).toBe(true);
    expect(relErr(fast, naive)).toBeLessThan(1e-6);
    // Element-wise against the definition wherever the value is not tiny (the naive twin's float
    // 1 + erf(x) itself loses digits for negative x, the fast path's erfc does not).
    expect(maxRelErr(fast, Array.from(x, reference[kind]), 1e-3)).toBeLessThan(2e-6);
  });

  it('gelu (exact) against a JS reference: x * Phi(x)', () => {
    const x = random(10_001, 9, -6, 6);
    const ref = Array.from(x, (v) => 0.5 * v * (1 + erfDouble(v / Math.SQRT2)));
    expect(relErr(ops.activation('gelu', x, impl), ref)).toBeLessThan(1e-6);
  });

  it('geglu in place (y = x) gives the same rows', () => {
    const M = 300, D = 77;
    const x = random(M * 2 * D, 123, -4, 4);
    const want = ops.geglu(x, M, D, 'naive');
    const buf = Float32Array.from(x);
    opsAddon.opsGeglu(impl, buf, buf, M, D);
    expect(relErr(buf.subarray(0, M * D), want)).toBeLessThan(1e-6);
  });

  it('geglu: value * gelu(gate) per row, odd D', () => {
    for (const [M, D] of [[1, 1], [7, 13], [77, 1280]]) {
      const x = random(M * 2 * D, M + D, -4, 4);
      const fast = ops.geglu(x, M, D, impl);
      const naive = ops.geglu(x, M, D, 'naive');
      expect(relErr(fast, naive), `${M}x${D}`).toBeLessThan(1e-6);
      const m = M - 1, d = D - 1; // JS check of the last element
      const v = x[m * 2 * D + d], g = x[m * 2 * D + D + d];
      expect(fast[m * D + d]).toBeCloseTo(v * 0.5 * g * (1 + erfDouble(g / Math.SQRT2)), 5);
    }
  });
});
