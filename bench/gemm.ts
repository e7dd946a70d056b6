/**
 * GEMM and conv2d throughput on the SD 1.5 UNet's shapes, next to the machine's theoretical peak.
 *
 *   npm run bench:gemm                 # 2 threads and 1 thread, f32 and f16 weights
 *   npm run bench:gemm -- --runs 9     # more runs per line (median reported)
 *
 * Peak = threads x clock x 32 FLOP/cycle (two 256-bit FMA pipes: 2 x 8 lanes x 2 FLOP). The clock is
 * measured while busy (a dependent-add chain, turbo included: ops.clockGHz()); /proc/cpuinfo's
 * nominal "cpu MHz" is printed beside it. Each line reports the median and the best of the runs: on
 * a machine shared with other work the best is the closer estimate of what the kernel can do.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

import { native, ops, type WeightDtype } from '../native/index.ts';

const argv = process.argv.slice(2);
const runsArg = argv.indexOf('--runs');
const RUNS = runsArg >= 0 ? Number(argv[runsArg + 1]) : 5;

function nominalClockGHz(): number {
  try {
    const m = /cpu MHz\s*:\s*([\d.]+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return Number(m[1]) / 1000;
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.speed ? os.cpus()[0].speed / 1000 : NaN;
}

function randomArray(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 0.1;
  }
  return out;
}

function weights(n: number, dtype: WeightDtype, seed: number): Float32Array | Uint16Array {
  const w = randomArray(n, seed);
  return dtype === 'f32' ? w : native.f32ToHalf(w, dtype);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timeMs(fn: () => Promise<unknown>): Promise<{ median: number; best: number }> {
  await fn(); // warm-up: packing buffers, page faults, thread wake-up
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { median: median(times), best: Math.min(...times) };
}

interface Row {
  op: string;
  shape: string;
  dtype: WeightDtype;
  threads: number;
  ms: number;
  gflops: number;
  best: number;
  peakPct: number;
}

const GEMM_SHAPES: Array<[number, number, number]> = [
  [4096, 320, 320],
  [4096, 2880, 320],
  [1024, 640, 1280],
  [256, 1280, 1280],
  [77, 768, 320],
];

async function main(): Promise<void> {
  const nominal = nominalClockGHz();
  const ghz = ops.clockGHz() || nominal;
  const threadCounts = [2, 1];
  const rows: Row[] = [];
  const features = native.cpuFeatures();
  console.log(`CPU: ${os.cpus()[0]?.model ?? '?'}, ${os.cpus().length} logical CPUs, ${ghz.toFixed(2)} GHz measured (${nominal.toFixed(2)} nominal), ` +
    `AVX2/FMA ${features.avx2Fma ? 'yes' : 'no'}, F16C ${features.f16c ? 'yes' : 'no'}; median of ${RUNS} runs`);
  for (const threads of threadCounts) {
    native.threadsSet(threads);
    const peak = threads * ghz * 32;
    for (const [M, K, N] of GEMM_SHAPES) {
      const a = randomArray(M * K, 1);
      const c = new Float32Array(M * N);
      const bias = randomArray(N, 3);
      for (const dtype of ['f32', 'f16'] as const) {
        const b = weights(N * K, dtype, 2); // a Linear weight [N, K]
        const t = await timeMs(() => ops.gemmAsync({ M, N, K, a, b, bDtype: dtype, transB: true, c, bias }));
        const flop = 2 * M * N * K;
        rows.push({
          op: 'gemm', shape: `${M} x ${K} x ${N}`, dtype, threads, ms: t.median, gflops: flop / t.median / 1e6,
          best: flop / t.best / 1e6, peakPct: (100 * flop / t.best / 1e6) / peak,
        });
      }
    }
    // Convolutions of the UNet's first level (64 x 64 latent, 320 channels) and its lowest, batch 1.
    const convs: Array<{ name: string; Cin: number; Cout: number; H: number; k: number; stride: number; pad: number }> = [
      { name: 'conv 3x3', Cin: 320, Cout: 320, H: 64, k: 3, stride: 1, pad: 1 },
      { name: 'conv 1x1', Cin: 320, Cout: 320, H: 64, k: 1, stride: 1, pad: 0 },
      { name: 'conv 3x3 s2', Cin: 320, Cout: 320, H: 64, k: 3, stride: 2, pad: 1 },
      { name: 'conv 3x3', Cin: 1280, Cout: 1280, H: 8, k: 3, stride: 1, pad: 1 }, // the lowest level
    ];
    for (const cv of convs) {
      const x = randomArray(cv.Cin * cv.H * cv.H, 4);
      const bias = randomArray(cv.Cout, 5);
      const Ho = Math.floor((cv.H + 2 * cv.pad - cv.k) / cv.stride) + 1;
      const y = new Float32Array(cv.Cout * Ho * Ho);
      for (const dtype of ['f32', 'f16'] as const) {
        const w = weights(cv.Cout * cv.Cin * cv.k * cv.k, dtype, 6);
        const t = await timeMs(() => ops.conv2dAsync({
          x, xShape: [1, cv.Cin, cv.H, cv.H], w, wDtype: dtype, wShape: [cv.Cout, cv.Cin, cv.k, cv.k],
          stride: cv.stride, pad: cv.pad, bias, y,
        }));
        const flop = 2 * cv.Cout * Ho * Ho * cv.Cin * cv.k * cv.k;
        rows.push({
          op: cv.name, shape: `${cv.Cin}->${cv.Cout} @ ${cv.H}x${cv.H}`, dtype, threads, ms: t.median,
          gflops: flop / t.median / 1e6, best: flop / t.best / 1e6, peakPct: (100 * flop / t.best / 1e6) / peak,
        });
      }
    }
  }
  native.threadsSet(0);

  const header = '| op | shape (M x K x N) | weights | threads | median ms | median GFLOP/s | best GFLOP/s | best, % of peak |';
  console.log('');
  for (const threads of threadCounts) console.log(`peak with ${threads} thread(s): ${(threads * ghz * 32).toFixed(1)} GFLOP/s`);
  console.log('');
  console.log(header);
  console.log('|---|---|---|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.op} | ${r.shape} | ${r.dtype} | ${r.threads} | ${r.ms.toFixed(2)} | ${r.gflops.toFixed(1)} | ${r.best.toFixed(1)} | ${r.peakPct.toFixed(0)}% |`);
  }
}

await main();
