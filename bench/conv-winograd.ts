/**
 * Direct (implicit GEMM) vs Winograd F(4x4, 3x3) on the stride-1 3x3 convolutions of SD 1.5's UNet
 * (batch 2, 64x64 latent) and VAE decoder (64x64 latent -> 512x512), f32 weights of SD scale.
 *
 *   npm run bench:conv                                       # 2 threads, best of 3 calls per line
 *   npm run bench:conv -- --threads 1 --runs 5
 *
 * Each line: CPU seconds per call (all threads; steadier than wall time on a shared machine) of both
 * algorithms, the ratio, GFLOP per CPU-second (2 * out * Cin * 9, as for the direct convolution),
 * the difference between the two outputs relative to max |y|, the algorithm `auto` picks and the
 * arena workspace it holds.
 */
import { native, ops } from '../native/index.ts';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const THREADS = option('threads', 2), RUNS = option('runs', 3);

type Layer = { name: string; B: number; Cin: number; Cout: number; H: number; W: number; up?: number };
const LAYERS: Layer[] = [
  { name: 'UNet 64x64 320', B: 2, Cin: 320, Cout: 320, H: 64, W: 64 },
  { name: 'UNet 64x64 960->320', B: 2, Cin: 960, Cout: 320, H: 64, W: 64 },
  { name: 'UNet 32x32 640', B: 2, Cin: 640, Cout: 640, H: 32, W: 32 },
  { name: 'UNet 32x32 1280 (up-sampler)', B: 2, Cin: 1280, Cout: 1280, H: 32, W: 32, up: 2 },
  { name: 'UNet 32x32 1920->640', B: 2, Cin: 1920, Cout: 640, H: 32, W: 32 },
  { name: 'UNet 16x16 1280', B: 2, Cin: 1280, Cout: 1280, H: 16, W: 16 },
  { name: 'UNet 16x16 2560->1280', B: 2, Cin: 2560, Cout: 1280, H: 16, W: 16 },
  { name: 'UNet 8x8 1280 (direct)', B: 2, Cin: 1280, Cout: 1280, H: 8, W: 8 },
  { name: 'VAE 64x64 512', B: 1, Cin: 512, Cout: 512, H: 64, W: 64 },
  { name: 'VAE 128x128 512', B: 1, Cin: 512, Cout: 512, H: 128, W: 128 },
  { name: 'VAE up-sampler 256x256 512 (2x fused)', B: 1, Cin: 512, Cout: 512, H: 256, W: 256, up: 2 },
  { name: 'VAE 256x256 256', B: 1, Cin: 256, Cout: 256, H: 256, W: 256 },
  { name: 'VAE 512x512 256->128', B: 1, Cin: 256, Cout: 128, H: 512, W: 512 },
  { name: 'VAE 512x512 128', B: 1, Cin: 128, Cout: 128, H: 512, W: 512 },
];

// Deterministic values in [-scale, scale).
function values(n: number, seed: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 4294967296 - 0.5) * 2 * scale;
  }
  return out;
}

function relDiff(a: Float32Array, b: Float32Array): number {
  let d = 0, m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / m;
}

native.threadsSet(THREADS);
console.log(`conv2d direct vs Winograd, ${THREADS} threads, best of ${RUNS} calls (CPU seconds per call)\n`);
console.log('| layer | x (stored) | direct CPU-s | Winograd CPU-s | speed-up | Winograd GFLOP per CPU-s | rel. diff | auto | workspace MiB |');
console.log('|---|---|---:|---:|---:|---:|---:|---|---:|');
for (const l of LAYERS) {
  const up = l.up ?? 1;
  const xShape: [number, number, number, number] = [l.B, l.Cin, l.H / up, l.W / up];
  const wShape: [number, number, number, number] = [l.Cout, l.Cin, 3, 3];
  const x = values(l.B * l.Cin * (l.H / up) * (l.W / up), 1, 1), w = values(l.Cout * l.Cin * 9, 2, 0.03), bias = values(l.Cout, 3, 0.1);
  const y = new Float32Array(l.B * l.Cout * l.H * l.W);
  const cpu: Record<string, number> = {}, out: Record<string, Float32Array> = {};
  for (const algo of ['direct', 'winograd'] as const) {
    ops.convAlgoSet(algo);
    ops.conv2d({ x, xShape, w, wShape, pad: 1, bias, upsample: up, y }); // warm-up (arena, pages)
    let best = Infinity;
    for (let r = 0; r < RUNS; r++) {
      const c0 = process.cpuUsage();
      ops.conv2d({ x, xShape, w, wShape, pad: 1, bias, upsample: up, y });
      const c = process.cpuUsage(c0);
      best = Math.min(best, (c.user + c.system) / 1e6);
    }
    cpu[algo] = best;
    out[algo] = Float32Array.from(y);
  }
  ops.convAlgoSet('auto');
  const plan = ops.convPlan({ xShape, wShape, pad: 1, upsample: up });
  const gflop = (2 * l.B * l.Cout * l.H * l.W * l.Cin * 9) / 1e9;
  console.log(`| ${l.name} | ${xShape.join('x')} | ${cpu.direct.toFixed(3)} | ${cpu.winograd.toFixed(3)} | ${(cpu.direct / cpu.winograd).toFixed(2)}x | ` +
    `${(gflop / cpu.winograd).toFixed(0)} | ${relDiff(out.winograd, out.direct).toExponential(1)} | ${plan.algo} | ${(plan.workspaceBytes / 2 ** 20).toFixed(1)} |`);
}
