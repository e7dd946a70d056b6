/**
 * GEMM and conv2d throughput on the SD 1.5 UNet's shapes, on every instruction-set path this CPU has,
 * next to the measured register peak of that path and to OpenBLAS sgemm, side by side in one run.
 *
 *   npm run bench:gemm                              # 2 threads and 1, every path, f32 / f16 weights, bf16 compute
 *   npm run bench:gemm -- --runs 9 --threads 2      # more runs per line, one thread count
 *   npm run bench:gemm -- --no-blas --paths avx512  # skip OpenBLAS, one path
 *
 * The kernels are timed by sdn_ops_bench (bench/native/ops_bench.cc, no N-API in between). Peaks are
 * measured, not computed: register-only loops of 256-bit FMAs (the avx2 and portable paths' ceiling),
 * 512-bit FMAs (avx512) and vdpbf16ps (bf16 compute), each on the same number of threads. Each line
 * reports the median and the best of the runs after a warm-up; on a machine shared with other work the
 * best is the closer estimate of what the kernel can do, and the OpenBLAS ratio compares medians.
 */
import os from 'node:os';

import { option } from './args.ts';
import { openblas } from './baseline/openblas.ts';
import { clockGHz, opsBench, peakOf, registerPeaks, type Isa } from './ops-bench.ts';

const argv = process.argv.slice(2);
const RUNS = Number(option('runs', '5'));
const THREADS = option('threads', '2,1').split(',').map(Number);
const BLAS = !argv.includes('--no-blas');

const GEMM_SHAPES: Array<[number, number, number]> = [
  [4096, 320, 320], // 64x64 level linears (proj_in/out, to_q/k/v/out)
  [4096, 2880, 320], // a 3x3 320-channel conv as a GEMM
  [1024, 640, 1280],
  [256, 1280, 1280],
  [77, 768, 320], // cross-attention K/V of the text tokens
];
// Convolutions of the UNet's first level (64 x 64 latent, 320 channels) and its lowest, batch 1
// (B,Cin,Cout,H,W,k,stride,pad): the 3x3 stride-1 one as the direct implicit GEMM and as Winograd.
const CONVS: Array<{ name: string; spec: string; algo: 'direct' | 'winograd' | 'auto' }> = [
  { name: 'conv 3x3 direct', spec: '1,320,320,64,64,3,1,1', algo: 'direct' },
  { name: 'conv 3x3 winograd', spec: '1,320,320,64,64,3,1,1', algo: 'winograd' },
  { name: 'conv 1x1', spec: '1,320,320,64,64,1,1,0', algo: 'auto' },
  { name: 'conv 3x3 s2', spec: '1,320,320,64,64,3,2,1', algo: 'auto' },
  { name: 'conv 3x3 (8x8)', spec: '1,1280,1280,8,8,3,1,1', algo: 'auto' },
];

const ghz = clockGHz();
const paths: Isa[] = (['portable', 'avx2', 'avx512'] as Isa[]).filter((isa) => {
  try {
    opsBench(['gemm', '--isa', isa, '--runs', '1', '8x8x8']);
    return true;
  } catch {
    return false; // the CPU lacks it
  }
});
const wanted = option('paths', paths.filter((p) => p !== 'portable').join(',')).split(',');
const bf16 = paths.includes('avx512') && (() => {
  try {
    opsBench(['gemm', '--precision', 'bf16', '--runs', '1', '8x8x8']);
    return true;
  } catch {
    return false;
  }
})();

console.log(`CPU: ${os.cpus()[0]?.model ?? '?'}, ${os.cpus().length} logical CPUs, ${ghz.toFixed(2)} GHz measured, ` +
  `paths: ${paths.join(', ')}${bf16 ? ' + bf16 compute' : ''}; median and best of ${RUNS} runs, ` +
  `load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);

const header = '| op | shape (M x K x N) | path | weights | compute | threads | median ms | median GFLOP/s | best GFLOP/s | best, % of the path\'s peak | OpenBLAS median ms | engine / OpenBLAS time |';
const lines: string[] = [];
for (const threads of THREADS) {
  const peaks = registerPeaks(threads);
  console.log(`register peaks on ${threads} thread(s): ${Object.entries(peaks).map(([k, v]) => `${k} ${v?.toFixed(1)} GFLOP/s`).join(', ')}`);
  const blas = BLAS ? openblas(GEMM_SHAPES, threads, RUNS, (l) => console.error(l)) : new Map();
  const configs: Array<{ isa: Isa; dtype: string; precision: 'fp32' | 'bf16' }> = [];
  for (const isa of paths.filter((p) => wanted.includes(p)))
    for (const dtype of ['f32', 'f16']) configs.push({ isa, dtype, precision: 'fp32' });
  if (bf16 && wanted.includes('avx512')) for (const dtype of ['f32', 'f16']) configs.push({ isa: 'avx512', dtype, precision: 'bf16' });
  for (const c of configs) {
    const common = ['--isa', c.isa, '--threads', String(threads), '--runs', String(RUNS), '--dtype', c.dtype, '--precision', c.precision];
    const peak = peakOf(peaks, c.isa, c.precision);
    const row = (op: string, shape: string, r: { gflop: number; median_ms: number; min_ms: number }, blasMs?: number) => {
      const best = r.gflop / r.min_ms * 1000;
      lines.push(`| ${op} | ${shape} | ${c.isa} | ${c.dtype} | ${c.precision} | ${threads} | ${r.median_ms.toFixed(2)} | ` +
        `${(r.gflop / r.median_ms * 1000).toFixed(1)} | ${best.toFixed(1)} | ${(100 * best / peak).toFixed(0)}% | ` +
        `${Number.isFinite(blasMs) ? blasMs!.toFixed(2) : '—'} | ${Number.isFinite(blasMs) ? (r.median_ms / blasMs!).toFixed(2) : '—'} |`);
    };
    for (const r of opsBench(['gemm', ...common, ...GEMM_SHAPES.map(([M, K, N]) => `${M}x${K}x${N}`)]))
      row('gemm', `${r.M} x ${r.K} x ${r.N}`, r, (blas.get(`${r.M}x${r.K}x${r.N}`)?.best.median ?? NaN) * 1000);
    for (const cv of CONVS) {
      const [r] = opsBench(['conv', ...common, '--algo', cv.algo, cv.spec]);
      const [, Cin, Cout, H] = cv.spec.split(',');
      row(`${cv.name} (${r.algo})`, `${Cin}->${Cout} @ ${H}x${H}`, r);
    }
  }
}
console.log(`\n${header}\n|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|`);
for (const l of lines) console.log(l);
console.log('\nFLOPs of a convolution are the direct one\'s (2 x out x Cin x k x k), so Winograd lines can exceed the peak.');
