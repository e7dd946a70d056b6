/**
 * Direct (implicit GEMM) vs Winograd F(4x4, 3x3) on the stride-1 3x3 convolutions of SD 1.5's UNet
 * (batch 2, 64x64 latent) and VAE decoder (64x64 latent -> 512x512), f32 weights of SD scale.
 *
 *   npm run bench:conv                                       # 2 threads, best of 3 calls per line, the CPU's best path
 *   npm run bench:conv -- --threads 1 --runs 5 --isa avx2
 *
 * Timed by sdn_ops_bench (bench/native/ops_bench.cc). Each line: CPU seconds per call (all threads;
 * steadier than wall time on a shared machine) of both algorithms, the ratio, GFLOP per CPU-second
 * (2 * out * Cin * 9, as for the direct convolution), the difference between the two outputs
 * relative to max |y|, the algorithm `auto` picks and the arena workspace it holds.
 */
import { option } from './args.ts';
import { opsBench } from './ops-bench.ts';

const THREADS = option('threads', '2'), RUNS = option('runs', '3');
const ISA = option('isa', '');

type Layer = { name: string; B: number; Cin: number; Cout: number; H: number; W: number; up?: number };
const LAYERS: Layer[] = [
  { name: 'UNet 64x64 320', B: 2, Cin: 320, Cout: 320, H: 64, W: 64 },
  { name: 'UNet 64x64 960->320', B: 2, Cin: 960, Cout: 320, H: 64, W: 64 },
  { name: 'UNet 32x32 640', B: 2, Cin: 640, Cout: 640, H: 32, W: 32 },
  { name: 'UNet 32x32 1280 (up-sampler)', B: 2, Cin: 1280, Cout: 1280, H: 32, W: 32, up: 2 },
  { name: 'UNet 32x32 1920->640', B: 2, Cin: 1920, Cout: 640, H: 32, W: 32 },
  { name: 'UNet 16x16 1280', B: 2, Cin: 1280, Cout: 1280, H: 16, W: 16 },
  { name: 'UNet 16x16 2560->1280', B: 2, Cin: 2560, Cout: 1280, H: 16, W: 16 },
  { name: 'UNet 8x8 1280', B: 2, Cin: 1280, Cout: 1280, H: 8, W: 8 },
  { name: 'VAE 64x64 512', B: 1, Cin: 512, Cout: 512, H: 64, W: 64 },
  { name: 'VAE 128x128 512', B: 1, Cin: 512, Cout: 512, H: 128, W: 128 },
  { name: 'VAE up-sampler 256x256 512 (2x fused)', B: 1, Cin: 512, Cout: 512, H: 256, W: 256, up: 2 },
  { name: 'VAE 256x256 256', B: 1, Cin: 256, Cout: 256, H: 256, W: 256 },
  { name: 'VAE 512x512 256->128', B: 1, Cin: 256, Cout: 128, H: 512, W: 512 },
  { name: 'VAE 512x512 128', B: 1, Cin: 128, Cout: 128, H: 512, W: 512 },
];

const common = ['--threads', THREADS, '--runs', RUNS, ...(ISA ? ['--isa', ISA] : [])];
const spec = (l: Layer) => {
  const up = l.up ?? 1;
  return `${l.B},${l.Cin},${l.Cout},${l.H / up},${l.W / up},3,1,1${up > 1 ? `,${up}` : ''}`;
};

let path = '';
const rows: string[] = [];
for (const l of LAYERS) {
  const [direct] = opsBench(['conv', ...common, '--algo', 'direct', spec(l)]);
  const [wino] = opsBench(['conv', ...common, '--algo', 'winograd', '--compare-direct', spec(l)]);
  const [auto] = opsBench(['conv', ...common, '--algo', 'auto', spec(l)]);
  path = direct.isa;
  const up = l.up ?? 1;
  rows.push(`| ${l.name} | ${l.B}x${l.Cin}x${l.H / up}x${l.W / up} | ${direct.cpu_s.toFixed(3)} | ${wino.cpu_s.toFixed(3)} | ` +
    `${(direct.cpu_s / wino.cpu_s).toFixed(2)}x | ${(wino.gflop / wino.cpu_s).toFixed(0)} | ${wino.rel_diff_vs_direct!.toExponential(1)} | ` +
    `${auto.algo} | ${(auto.workspace_bytes! / 2 ** 20).toFixed(1)} |`);
}
console.log(`conv2d direct vs Winograd, ${THREADS} threads, ${path} path, median of ${RUNS} calls (CPU seconds per call)\n`);
console.log('| layer | x (stored) | direct CPU-s | Winograd CPU-s | speed-up | Winograd GFLOP per CPU-s | rel. diff | auto | workspace MiB |');
console.log('|---|---|---:|---:|---:|---:|---:|---|---:|');
for (const r of rows) console.log(r);
