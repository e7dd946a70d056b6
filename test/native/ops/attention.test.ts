import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  attention,
  attentionExp,
  attentionExtraBytes,
  attentionModes,
  isNativeError,
  native,
  type AttentionLayout,
  type AttentionShape,
} from '../../../native/index.ts';
import { randomQKV, referenceAttention, relativeError } from '../../helpers/attention.ts';
import { f32Tensor, readSafetensors } from '../../helpers/safetensors.ts';

// "Equal within 1e-5 relative": max |a - b| / max |b| <= 1e-5 (see relativeError).
const TOLERANCE = 1e-5;

const threadsBefore = native.threadsGet();
beforeAll(() => native.threadsSet(2));
afterAll(() => native.threadsSet(threadsBefore));

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}


/**
 * The estimate is the scores' bytes plus the GEMM's packing buffer (a few MiB at most at these shapes: k^T packed
 * for q k^T, 16384 keys x 40 at most; up to 6 MiB where f32 products take AMX tiles, whose packed elements are
 * three bf16 pieces with k padded to 64).
 */
function expectScoresPlusPacking(estimate: number, scoresBytes: number): void {
  expect(estimate).toBeGreaterThanOrEqual(scoresBytes);
  expect(estimate - scoresBytes).toBeLessThanOrEqual(6 << 20);
}

describe('attention: the fixture (q, k, v [1, 2, 1024, 40], out computed in float64)', () => {
  const fixture = readSafetensors(fileURLToPath(new URL('../../fixtures/expected/attention.safetensors', import.meta.url)));
  const [q, k, v, expected] = ['q', 'k', 'v', 'out'].map((name) => f32Tensor(fixture, name));
  const shape: AttentionShape = { B: 1, H: 2, Tq: 1024, Tk: 1024, D: 40 };

  it.each(attentionModes)('%s equals the float64 output within 1e-5 relative', async (mode) => {
    const { out, peakBytes } = await attention(mode, q, k, v, shape, 'bhtd', { scale: 0.15811388300841897 });
    expect(relativeError(out, expected)).toBeLessThan(TOLERANCE);
    expect(peakBytes).toBe(attentionExtraBytes(mode, shape));
  });
});

// One conformance suite, the same cases over every mode, each against the float64 reference.
const conformanceCases: { name: string; shape: AttentionShape }[] = [
  { name: 'one token', shape: { B: 1, H: 1, Tq: 1, Tk: 1, D: 8 } },
  { name: '7 tokens, D 40', shape: { B: 2, H: 3, Tq: 7, Tk: 7, D: 40 } },
  { name: '77 tokens, D 8', shape: { B: 1, H: 2, Tq: 77, Tk: 77, D: 8 } },
  { name: '77 tokens, D 64', shape: { B: 2, H: 2, Tq: 77, Tk: 77, D: 64 } },
  { name: '77 tokens, D 80', shape: { B: 1, H: 3, Tq: 77, Tk: 77, D: 80 } },
  { name: '77 tokens, D 160 (SD 1.5 deepest level)', shape: { B: 1, H: 2, Tq: 77, Tk: 77, D: 160 } },
  { name: 'odd head size D 3', shape: { B: 1, H: 2, Tq: 33, Tk: 19, D: 3 } },
  { name: 'cross-attention 7 x 77, D 40', shape: { B: 2, H: 2, Tq: 7, Tk: 77, D: 40 } },
  { name: 'cross-attention 300 x 77, D 80', shape: { B: 1, H: 2, Tq: 300, Tk: 77, D: 80 } },
  { name: 'one query, 1000 keys (8 key tiles)', shape: { B: 1, H: 1, Tq: 1, Tk: 1000, D: 40 } },
  { name: 'tile boundaries 65 x 129', shape: { B: 1, H: 1, Tq: 65, Tk: 129, D: 8 } },
];

describe.each(attentionModes)('attention %s (conformance)', (mode) => {
  describe.each(['bhtd', 'bthd'] as const)('layout %s', (layout: AttentionLayout) => {
    it.each(conformanceCases)('$name matches the float64 reference', async ({ shape }) => {
      const { q, k, v } = randomQKV(shape, shape.Tq * 131 + shape.D);
      const { out } = await attention(mode, q, k, v, shape, layout);
      expect(relativeError(out, referenceAttention(q, k, v, shape, layout))).toBeLessThan(TOLERANCE);
    });
  });

  it('handles sharp softmaxes whose max moves from key tile to key tile', async () => {
    // Scores grow along the keys (k_j = (1 + j / 40) * k'_j) and q is large, so the running max of
    // every query changes in most key tiles and the rescaling by exp(m_old - m_new) really matters.
    const shape: AttentionShape = { B: 1, H: 2, Tq: 50, Tk: 700, D: 40 };
    const { q, k, v } = randomQKV(shape, 77, 3);
    for (let h = 0; h < shape.H; h++)
      for (let j = 0; j < shape.Tk; j++)
        for (let d = 0; d < shape.D; d++) k[(h * shape.Tk + j) * shape.D + d] *= 1 + j / 40;
    const { out } = await attention(mode, q, k, v, shape);
    expect(relativeError(out, referenceAttention(q, k, v, shape))).toBeLessThan(TOLERANCE);
  });

  it('gives the same output in both layouts', async () => {
    const shape: AttentionShape = { B: 2, H: 3, Tq: 41, Tk: 29, D: 16 };
    const { q, k, v } = randomQKV(shape, 5);
    // The same logical tensors, transposed from [B, H, T, D] to [B, T, H, D].
    const toBthd = (x: Float32Array, T: number) => {
      const y = new Float32Array(x.length);
      for (let b = 0; b < shape.B; b++)
        for (let h = 0; h < shape.H; h++)
          for (let t = 0; t < T; t++)
            for (let d = 0; d < shape.D; d++)
              y[((b * T + t) * shape.H + h) * shape.D + d] = x[((b * shape.H + h) * T + t) * shape.D + d];
      return y;
    };
    const a = await attention(mode, q, k, v, shape, 'bhtd');
    const b = await attention(mode, toBthd(q, shape.Tq), toBthd(k, shape.Tk), toBthd(v, shape.Tk), shape, 'bthd');
    expect(Array.from(b.out)).toEqual(Array.from(toBthd(a.out, shape.Tq)));
  });
});

describe('attention: long sequences agree across modes (4097 tokens)', () => {
  const cases: { name: string; shape: AttentionShape }[] = [
    { name: 'self-attention 4097 tokens, D 8', shape: { B: 1, H: 1, Tq: 4097, Tk: 4097, D: 8 } },
    { name: 'cross-attention 4097 x 77, D 40', shape: { B: 1, H: 2, Tq: 4097, Tk: 77, D: 40 } },
    { name: 'one query, 4097 keys, D 80', shape: { B: 1, H: 1, Tq: 1, Tk: 4097, D: 80 } },
  ];
  it.each(cases)('$name: sliced and flash equal naive', async ({ shape }) => {
    const { q, k, v } = randomQKV(shape, 4097);
    const naive = await attention('naive', q, k, v, shape, 'bthd');
    for (const mode of ['sliced', 'flash'] as const) {
      const { out } = await attention(mode, q, k, v, shape, 'bthd', { sliceBytes: 1 << 20 });
      expect(relativeError(out, naive.out), mode).toBeLessThan(TOLERANCE);
    }
  });
});

describe('attention sliced: slices of heads and of query rows', () => {
  const shape: AttentionShape = { B: 2, H: 3, Tq: 57, Tk: 23, D: 8 };
  const { q, k, v } = randomQKV(shape, 9);
  const expected = referenceAttention(q, k, v, shape, 'bthd');

  it.each([
    { sliceHeads: 1, sliceBytes: 0 },
    { sliceHeads: 2, sliceBytes: 0 }, // 3 heads: a slice of 2 then a slice of 1
    { sliceHeads: 3, sliceBytes: 0 },
    { sliceHeads: 3, sliceBytes: 2 * 57 * 23 * 4 }, // budget for 2 heads: cut to 2
    { sliceHeads: 1, sliceBytes: 10 * 23 * 4 }, // one head is over budget: blocks of 10 rows
    { sliceHeads: 1, sliceBytes: 1 }, // below one row: one row at a time
  ])('sliceHeads $sliceHeads, sliceBytes $sliceBytes equals the reference; peak = one slice', async (options) => {
    const { out, peakBytes } = await attention('sliced', q, k, v, shape, 'bthd', options);
    expect(relativeError(out, expected)).toBeLessThan(TOLERANCE);
    expect(peakBytes).toBe(attentionExtraBytes('sliced', shape, options));
  });

  it('slices like diffusers: H/2 heads by default, then query blocks within the byte budget', () => {
    const sd = (T: number): AttentionShape => ({ B: 2, H: 8, Tq: T, Tk: T, D: 40 });
    // 1024 tokens: 4 heads x 1024 x 1024 floats = 16 MiB, under the 64 MiB default budget.
    expectScoresPlusPacking(attentionExtraBytes('sliced', sd(1024)), 16 << 20);
    // 4096 tokens: one head (64 MiB) fills the budget.
    expectScoresPlusPacking(attentionExtraBytes('sliced', sd(4096)), 64 << 20);
    // 16384 tokens: one head is 1 GiB, so blocks of 1024 query rows (64 MiB).
    expectScoresPlusPacking(attentionExtraBytes('sliced', sd(16384)), 64 << 20);
    expectScoresPlusPacking(attentionExtraBytes('sliced', sd(16384), { sliceBytes: 16 << 20 }), 16 << 20);
  });
});

describe('attention: working memory (arena peak) equals the prediction', () => {
  it.each(attentionModes)('%s: peakBytes = attentionExtraBytes on several shapes, 1 and 2 threads', async (mode) => {
    const shapes: AttentionShape[] = [
      { B: 1, H: 1, Tq: 1, Tk: 1, D: 8 },
      { B: 2, H: 8, Tq: 256, Tk: 77, D: 40 },
      { B: 1, H: 2, Tq: 300, Tk: 300, D: 80 },
    ];
    for (const threads of [1, 2]) {
      native.threadsSet(threads);
      for (const shape of shapes) {
        const { q, k, v } = randomQKV(shape, 1);
        const { peakBytes } = await attention(mode, q, k, v, shape, 'bthd');
        expect(peakBytes, `${threads} threads, ${JSON.stringify(shape)}`).toBe(attentionExtraBytes(mode, shape));
      }
    }
    native.threadsSet(2);
  });

  it('naive needs B*H*Tq*Tk*4 bytes; at 16384 tokens (SD 1.5 at 1024x1024) that is 16 GiB (17.2 GB)', () => {
    expectScoresPlusPacking(attentionExtraBytes('naive', { B: 2, H: 8, Tq: 4096, Tk: 4096, D: 40 }), 2 ** 30);
    expectScoresPlusPacking(attentionExtraBytes('naive', { B: 2, H: 8, Tq: 16384, Tk: 16384, D: 40 }), 2 ** 34);
  });

  it('flash at 4096 tokens measures > 100x less than naive and does not grow with tokens', async () => {
    const shape: AttentionShape = { B: 1, H: 1, Tq: 4096, Tk: 4096, D: 8 };
    const { q, k, v } = randomQKV(shape, 2);
    const naive = await attention('naive', q, k, v, shape);
    const flash = await attention('flash', q, k, v, shape);
    expect(relativeError(flash.out, naive.out)).toBeLessThan(TOLERANCE);
    expectScoresPlusPacking(naive.peakBytes, 4096 * 4096 * 4);
    expect(flash.peakBytes).toBeGreaterThan(0);
    expect(flash.peakBytes * 100).toBeLessThan(naive.peakBytes);
    const sd = (T: number): AttentionShape => ({ B: 2, H: 8, Tq: T, Tk: T, D: 40 });
    expect(attentionExtraBytes('flash', sd(16384))).toBe(attentionExtraBytes('flash', sd(4096)));
    expect(attentionExtraBytes('flash', sd(4096)) * 1000).toBeLessThan(attentionExtraBytes('naive', sd(4096)));
  });

  it('threads do not change the result (each query tile is one task)', async () => {
    const shape: AttentionShape = { B: 1, H: 2, Tq: 200, Tk: 150, D: 40 };
    const { q, k, v } = randomQKV(shape, 3);
    native.threadsSet(1);
    const one = await attention('flash', q, k, v, shape);
    native.threadsSet(2);
    const two = await attention('flash', q, k, v, shape);
    expect(Array.from(two.out)).toEqual(Array.from(one.out));
  });
});

describe('attention: the flash kernel exp', () => {
  it('is within 2e-7 relative of exp over [-87, 88], exactly 0 below FLT_MIN, NaN stays NaN', () => {
    const n = 200_003;
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = -87 + (175 * i) / (n - 1);
    const y = attentionExp(x);
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(y[i] / Math.exp(x[i]) - 1));
    expect(worst).toBeLessThan(2e-7);
    const special = attentionExp(new Float32Array([0, -Infinity, -88, -100, NaN, -87.3, 1, -1, 0.5]));
    expect(special[0]).toBe(1);
    expect(special[1]).toBe(0);
    expect(special[2]).toBe(0);
    expect(special[3]).toBe(0);
    expect(special[4]).toBeNaN();
    expect(special[5]).toBeGreaterThan(0);
    for (const [i, value] of [[6, 1], [7, -1], [8, 0.5]]) expect(Math.abs(special[i] / Math.exp(value) - 1)).toBeLessThan(2e-7);
  });
});

// Each path below the CPU's best (the best runs in this process), through the binding, in a child
// process with LATENTFLOW_ISA (the op test program, ops.test.ts, checks every path's kernels directly).
const lowerPaths = (['portable', 'avx2', 'avx512'] as const).slice(0, ['portable', 'avx2', 'avx512'].indexOf(native.cpuFeatures().isa));
describe.each(lowerPaths)('attention on the %s path (LATENTFLOW_ISA, in a child process)', (isa) => {
  it('flash equals naive and the fixture within 1e-5', async () => {
    const child = fileURLToPath(new URL('./attention-path-child.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child], {
      env: { ...process.env, LATENTFLOW_ISA: isa, LATENTFLOW_THREADS: '2' },
    });
    const report = JSON.parse(stdout.trim().split('\n').pop()!) as { isa: string; cases: { name: string; error: number }[] };
    expect(report.isa).toBe(isa);
    expect(report.cases.length).toBe(5);
    for (const c of report.cases) expect(c.error, c.name).toBeLessThan(TOLERANCE);
  });
});

describe('attention: errors a caller can cause', () => {
  const shape: AttentionShape = { B: 1, H: 2, Tq: 4, Tk: 3, D: 8 };
  const { q, k, v } = randomQKV(shape, 4);

  it('rejects a wrong element count with SDN_STATUS_BAD_SHAPE naming the operand', async () => {
    const error = await rejection(attention('flash', q, k.subarray(1), v, shape));
    expect(isNativeError(error)).toBe(true);
    expect(error.code).toBe('SDN_STATUS_BAD_SHAPE');
    expect(error.message).toMatch(/"k"/);
  });

  it('rejects an unknown mode or layout with SDN_STATUS_BAD_ARGUMENT', async () => {
    // @ts-expect-error: not a mode
    expect((await rejection(attention('xformers', q, k, v, shape))).code).toBe('SDN_STATUS_BAD_ARGUMENT');
    // @ts-expect-error: not a layout
    expect((await rejection(attention('flash', q, k, v, shape, 'tbhd'))).code).toBe('SDN_STATUS_BAD_ARGUMENT');
  });

  it('rejects zero dimensions and a non-finite scale', async () => {
    expect((await rejection(attention('naive', q, k, v, { ...shape, D: 0 }))).code).toBe('SDN_STATUS_BAD_SHAPE');
    expect((await rejection(attention('naive', q, k, v, shape, 'bhtd', { scale: NaN }))).code).toBe('SDN_STATUS_BAD_ARGUMENT');
    expect(() => attentionExtraBytes('flash', { ...shape, Tk: 0 })).toThrow(/>= 1/);
    const huge = 2 ** 30;
    expect(() => attentionExtraBytes('naive', { B: huge, H: huge, Tq: huge, Tk: huge, D: 1 })).toThrow(/too large/);
  });

  it('refuses a run over memoryLimitBytes up front, naming the estimate', async () => {
    const error = await rejection(attention('naive', q, k, v, shape, 'bhtd', { memoryLimitBytes: 100 }));
    expect(error.code).toBe('SDN_STATUS_OUT_OF_MEMORY');
    expect(error.message).toMatch(/naive.*needs .* MiB.*flash/);
    expect((await attention('flash', q, k, v, shape, 'bhtd', { memoryLimitBytes: 1 << 20 })).out.length).toBe(q.length);
  });
});
