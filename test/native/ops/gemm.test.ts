import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { native, ops } from '../../../native/index.ts';
import { allFinite, FAST_IMPLS, random, relErr, toHalf } from './helpers.ts';

// Plain-JS reference, independent of the C++ naive twin: double sums.
function gemmRef(M: number, N: number, K: number, a: Float32Array, b: Float32Array, transB: boolean,
  bias: Float32Array | null, c0: Float32Array | null): Float64Array {
  const out = new Float64Array(M * N);
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[m * K + k] * (transB ? b[n * K + k] : b[k * N + n]);
      if (bias) s += bias[n];
      if (c0) s += c0[m * N + n];
      out[m * N + n] = s;
    }
  return out;
}

const TOL_F32 = 1e-5; // relative to max |ref|

describe.each(FAST_IMPLS)('gemm %s', (impl) => {
  const sizes = [1, 7, 17, 77, 129];
  it('matches the naive twin on awkward M, N, K (f32, both B layouts, bias)', () => {
    let seed = 1;
    for (const M of sizes)
      for (const N of [1, 17, 129])
        for (const K of [1, 7, 129]) {
          for (const transB of [false, true]) {
            const a = random(M * K, seed++), b = random(K * N, seed++), bias = random(N, seed++);
            const args = { M, N, K, a, b, transB, bias };
            const fast = ops.gemm({ ...args, impl });
            const naive = ops.gemm({ ...args, impl: 'naive' });
            expect(relErr(fast, naive), `M=${M} N=${N} K=${K} trans=${transB}`).toBeLessThan(TOL_F32);
          }
        }
  });

  it('matches a plain-JS reference on an SD-like skinny shape (77 x 768 x 320, f32 weight [N, K])', () => {
    const M = 77, N = 320, K = 768;
    const a = random(M * K, 11), b = random(N * K, 12), bias = random(N, 13);
    const fast = ops.gemm({ M, N, K, a, b, transB: true, bias, impl });
    expect(allFinite(fast)).toBe(true);
    expect(relErr(fast, gemmRef(M, N, K, a, b, true, bias, null))).toBeLessThan(TOL_F32);
  });

  it('K = 1000 and M = 1000 (several K blocks, several M blocks, threads)', () => {
    const cases = [[5, 33, 1000], [1000, 40, 9], [301, 70, 515]] as const;
    let seed = 100;
    for (const [M, N, K] of cases) {
      for (const transB of [false, true]) {
        const a = random(M * K, seed++), b = random(K * N, seed++);
        const fast = ops.gemm({ M, N, K, a, b, transB, impl });
        expect(relErr(fast, gemmRef(M, N, K, a, b, transB, null, null)), `${M}x${N}x${K}`).toBeLessThan(TOL_F32);
      }
    }
  });

  it('widens f16 and bf16 weights exactly as the naive twin (both layouts)', () => {
    let seed = 200;
    for (const kind of ['f16', 'bf16'] as const)
      for (const transB of [false, true])
        for (const [M, N, K] of [[7, 17, 129], [77, 33, 65], [1, 1, 1], [13, 129, 300]]) {
          const a = random(M * K, seed++), w = toHalf(random(K * N, seed++), kind), bias = random(N, seed++);
          const fast = ops.gemm({ M, N, K, a, b: w.bits, bDtype: kind, transB, bias, impl });
          const naive = ops.gemm({ M, N, K, a, b: w.bits, bDtype: kind, transB, bias, impl: 'naive' });
          expect(relErr(fast, naive), `${kind} ${M}x${N}x${K} trans=${transB}`).toBeLessThan(TOL_F32);
          // And against the JS reference on the rounded weights.
          expect(relErr(fast, gemmRef(M, N, K, a, w.values, transB, bias, null))).toBeLessThan(TOL_F32);
        }
  });

  it('accumulates into C, honours leading dimensions, and leaves the padding untouched', () => {
    const M = 17, N = 19, K = 23, lda = 29, ldb = 31, ldc = 37;
    const a = random(M * lda, 300), b = random(N * ldb, 301), c0 = random(M * ldc, 302), bias = random(N, 303);
    const fast = ops.gemm({ M, N, K, a, lda, b, ldb, transB: true, c: Float32Array.from(c0), ldc, bias, accumulate: true, impl });
    const naive = ops.gemm({ M, N, K, a, lda, b, ldb, transB: true, c: Float32Array.from(c0), ldc, bias, accumulate: true, impl: 'naive' });
    expect(relErr(fast, naive)).toBeLessThan(TOL_F32);
    for (let m = 0; m < M; m++)
      for (let n = N; n < ldc; n++) expect(fast[m * ldc + n]).toBe(c0[m * ldc + n]);
  });

  it('K = 0 gives bias (+ C); M or N = 0 writes nothing', () => {
    const bias = random(5, 400), c0 = random(15, 401);
    const out = ops.gemm({ M: 3, N: 5, K: 0, a: new Float32Array(0), b: new Float32Array(0), bias, c: Float32Array.from(c0), accumulate: true, impl });
    for (let i = 0; i < 15; i++) expect(out[i]).toBeCloseTo(c0[i] + bias[i % 5], 6);
    expect(ops.gemm({ M: 0, N: 4, K: 3, a: new Float32Array(0), b: random(12, 1), impl }).length).toBe(0);
  });
});

describe('gemm: large shapes (async, threaded)', () => {
  it('an SD UNet shape in f16 (1024 x 640 x 1280 slice) matches the naive twin on sampled rows', async () => {
    const M = 256, K = 640, N = 1280;
    const a = random(M * K, 500), w = toHalf(random(N * K, 501, -0.05, 0.05), 'f16'), bias = random(N, 502);
    const fast = await ops.gemmAsync({ M, N, K, a, b: w.bits, bDtype: 'f16', transB: true, bias });
    // Reference on 16 sampled rows (the naive twin on all of it is slow).
    const rows = [0, 1, 5, 6, 77, 100, 128, 143, 144, 150, 200, 240, 250, 253, 254, 255];
    const sub = new Float32Array(rows.length * K);
    rows.forEach((r, i) => sub.set(a.subarray(r * K, (r + 1) * K), i * K));
    const ref = ops.gemm({ M: rows.length, N, K, a: sub, b: w.bits, bDtype: 'f16', transB: true, bias, impl: 'naive' });
    const got = new Float32Array(rows.length * N);
    rows.forEach((r, i) => got.set(fast.subarray(r * N, (r + 1) * N), i * N));
    expect(relErr(got, ref)).toBeLessThan(TOL_F32);
  });

  it('1 and 2 threads give the same bits, and match the naive twin (every driver path, f32/f16/bf16)', async () => {
    // M <= 144 (B packed block by block, tiles along N), M in (144, 288] (the same on cores with
    // >= 1 MiB of L2, B pre-packed elsewhere), M > 288 (B pre-packed once, shared by the threads;
    // A packed per M tile), with partial micro-tiles and K not a multiple of 4 or 8.
    const before = native.threadsGet();
    let seed = 520;
    try {
      for (const [M, N, K] of [[77, 333, 301], [154, 320, 768], [250, 129, 515], [301, 70, 1030], [600, 47, 13]])
        for (const kind of ['f32', 'f16', 'bf16'] as const) {
          const a = random(M * K, seed++), w0 = random(N * K, seed++, -0.1, 0.1), bias = random(N, seed++);
          const b = kind === 'f32' ? w0 : toHalf(w0, kind).bits;
          const args = { M, N, K, a, b, bDtype: kind, transB: true, bias };
          native.threadsSet(1);
          const one = await ops.gemmAsync(args);
          native.threadsSet(2);
          const two = await ops.gemmAsync(args);
          expect(Buffer.from(two.buffer).equals(Buffer.from(one.buffer)), `${kind} ${M}x${N}x${K}`).toBe(true);
          if (M <= 154) expect(relErr(two, ops.gemm({ ...args, impl: 'naive' })), `${kind} ${M}x${N}x${K}`).toBeLessThan(TOL_F32);
        }
    } finally {
      native.threadsSet(before);
    }
    // The larger ones against the naive twin on sampled rows (the whole naive product is slow).
    const M = 600, N = 47, K = 13;
    const a = random(M * K, 590), b = random(N * K, 591);
    expect(relErr(ops.gemm({ M, N, K, a, b, transB: true }), gemmRef(M, N, K, a, b, true, null, null))).toBeLessThan(TOL_F32);
  });

  it('K slices: a weight too large to pack at once (N = 4100, K = 1100) still matches', () => {
    const M = 9, N = 4100, K = 1100;
    const a = random(M * K, 600), w = toHalf(random(N * K, 601), 'bf16');
    const fast = ops.gemm({ M, N, K, a, b: w.bits, bDtype: 'bf16', transB: true, c: random(M * N, 602), accumulate: true });
    const naive = ops.gemm({ M, N, K, a, b: w.bits, bDtype: 'bf16', transB: true, c: random(M * N, 602), accumulate: true, impl: 'naive' });
    expect(relErr(fast, naive)).toBeLessThan(TOL_F32);
  });

  it('K slices with bias and accumulate (small cap forces several slices)', () => {
    const previous = ops.packedCapSet(4096);
    try {
      const M = 300, N = 40, K = 700;
      const a = random(M * K, 610), b = random(N * K, 611), bias = random(N, 612), c0 = random(M * N, 613);
      const fast = ops.gemm({ M, N, K, a, b, transB: true, bias, c: Float32Array.from(c0), accumulate: true });
      expect(relErr(fast, gemmRef(M, N, K, a, b, true, bias, c0))).toBeLessThan(TOL_F32);
    } finally {
      ops.packedCapSet(previous);
    }
  });

  it('rejects inconsistent arguments with a status code instead of crashing', () => {
    expect(() => ops.gemm({ M: 4, N: 4, K: 4, a: new Float32Array(3), b: new Float32Array(16) })).toThrow(
      expect.objectContaining({ code: 'SDN_STATUS_BAD_SHAPE' }),
    );
    expect(() => ops.gemm({ M: 2, N: 2, K: 4, a: new Float32Array(8), lda: 2, b: new Float32Array(8) })).toThrow(
      expect.objectContaining({ code: 'SDN_STATUS_BAD_ARGUMENT' }),
    );
  });
});

describe('gemm: pre-packed weights', () => {
  it('gemmPacked equals gemm for f32/f16/bf16 weights, M from 1 to 300, and counts its memory', () => {
    let seed = 700;
    for (const kind of ['f32', 'f16', 'bf16'] as const) {
      const N = 77, K = 129;
      const w0 = random(N * K, seed++);
      const b = kind === 'f32' ? w0 : toHalf(w0, kind).bits;
      const before = native.memoryStats().weightsCurrent;
      const packed = ops.packLinear(N, K, b, { bDtype: kind, transB: true });
      const info = ops.packedInfo(packed);
      expect(info).toMatchObject({ rows: N, K });
      expect(info.bytes).toBeGreaterThanOrEqual(N * K * 4);
      expect(native.memoryStats().weightsCurrent - before).toBe(info.bytes);
      for (const M of [1, 7, 150, 300]) {
        const a = random(M * K, seed++), bias = random(N, seed++), c0 = random(M * N, seed++);
        const got = ops.gemmPacked(M, a, packed, { bias, c: Float32Array.from(c0), accumulate: true });
        const want = ops.gemm({ M, N, K, a, b, bDtype: kind, transB: true, bias, c: Float32Array.from(c0), accumulate: true, impl: 'naive' });
        expect(relErr(got, want), `${kind} M=${M}`).toBeLessThan(TOL_F32);
      }
    }
  });

  it('rejects a convolution\'s packed weight', () => {
    const packed = ops.packConv(random(2 * 3 * 9, 1), [2, 3, 3, 3]);
    expect(() => ops.gemmPacked(1, random(27, 2), packed)).toThrow(expect.objectContaining({ code: 'SDN_STATUS_BAD_ARGUMENT' }));
  });
});

describe('gemm: LATENTFLOW_FORCE_PORTABLE=1', () => {
  it('turns the AVX2 path off in a fresh process, which still computes the same product', () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
    const script = `
      import { native, ops } from './native/index.ts';
      const M = 33, N = 47, K = 65;
      const a = Float32Array.from({ length: M * K }, (_, i) => Math.sin(i));
      const b = Float32Array.from({ length: N * K }, (_, i) => Math.cos(i));
      const fast = ops.gemm({ M, N, K, a, b, transB: true });
      const naive = ops.gemm({ M, N, K, a, b, transB: true, impl: 'naive' });
      let err = 0; for (let i = 0; i < fast.length; i++) err = Math.max(err, Math.abs(fast[i] - naive[i]));
      console.log(JSON.stringify({ features: native.cpuFeatures(), err }));`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root, env: { ...process.env, LATENTFLOW_FORCE_PORTABLE: '1' }, encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(out.features).toEqual({ avx2Fma: false, f16c: false });
    expect(out.err).toBeLessThan(1e-4);
  });
});
