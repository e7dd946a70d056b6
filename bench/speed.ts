/**
 * Speed, side by side with the baselines, in one run: the engine against OpenBLAS sgemm (GEMM on the
 * SD 1.5 UNet's shapes), PyTorch CPU (bench/baseline/torch_sd15.py: CLIP, UNet, VAE decode) and
 * onnxruntime-node (the same networks exported to ONNX by bench/baseline/export_onnx.py, same seed, its
 * output checked against PyTorch's first: bench/baseline/ort-run.ts), on the same machine, with the
 * same thread count. Prints one table.
 *
 *   npm run bench:speed                                  # ~10-15 min on 2 busy cores (torch's UNet is most of it)
 *   npm run bench:speed -- --quick                       # smoke run: small latents, 1 repeat (~1-2 min)
 *   npm run bench:speed -- --full                        # also txt2img 512x512, 20 steps, Euler, f16, flash (long)
 *   npm run bench:speed -- --checkpoint /tmp/sd15.safetensors --repeat 3 --no-torch --only gemm,networks,attention
 *   npm run bench:speed -- --full --only txt2img --txt2img-size 128 --txt2img-steps 2   # checks the set-up quickly
 *   npm run bench:speed -- --precision bf16 --only networks,txt2img --full   # the engine in bf16 (AVX512_BF16)
 *   LATENTFLOW_ISA=avx2 npm run bench:speed -- --only networks   # the engine on its AVX2 path
 *   npm run bench:speed -- --no-ort --no-torch                   # the engine alone
 *   npm run bench:speed -- --only lcm                            # 512x512, 4 LCM steps, cfg 1, TAESD decode, warm (bench/lcm-taesd.ts)
 *
 * The ONNX files live in --onnx-dir (default $TMPDIR/latentflow-onnx); missing ones are exported first
 * (the UNet's: several minutes and 3.4 GB). openvino-node is not a baseline here: its install script
 * downloads the OpenVINO runtime, which this project's machines cannot fetch.
 *
 * The checkpoint (default /tmp/sd15.safetensors) is an SD 1.5-shaped one; random weights do:
 * `npm run make:sd15-random -- /tmp/sd15.safetensors`. The engine runs with f32 weights (as torch), or with
 * `--weights f16` stored as the file has them (mapped; the product's default), or `--weights q8_0` with the UNet in
 * 8-bit blocks, computing in f32 all the same. `--job-weights q8_0` runs the whole-job rows (txt2img, lcm) so.
 *
 * Needs, for the baselines only (the addon never links them): Debian's python3-torch (run with
 * /usr/bin/python3) and libopenblas-dev (bench/baseline/sgemm_openblas.c is compiled with cc).
 * Debian's OpenBLAS 0.3.21 picks its Cooperlake (AVX-512) kernels on these AMD VMs, which ran at half its
 * Haswell (AVX2) speed on Zen 4, so every OpenBLAS line is measured with both core types and the faster
 * is kept (bench/baseline/openblas.ts). The engine's GEMM lines come from sdn_ops_bench (C++).
 *
 * Wall time on a shared machine mostly measures the other load, so each network row also gives the
 * CPU seconds per call (the engine: process.cpuUsage(); torch: bench/baseline/torch_timed.py, which runs
 * torch_sd15.py unchanged and adds time.process_time() per call) and GFLOP per CPU-second.
 *
 * FLOPs are counted as torch_sd15.py counts them: convolutions and linears 2 * out * Cin * kh * kw,
 * attention 4 * B * H * Nq * Nk * d; norms, activations and adds count 0. "% peak" is the GFLOP/s
 * over the machine's measured sgemm peak (OpenBLAS, 2048^3, same thread count, same run).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
  attention,
  attentionExtraBytes,
  encodeText,
  loadModel,
  native,
  unetForward,
  vaeDecode,
  type AttentionShape,
  type ModelHandle,
  type Precision,
  type ProfileReport,
} from '../native/index.ts';
import { openblas } from './baseline/openblas.ts';
import { clockGHz, opsBench } from './ops-bench.ts';

// ------------------------------------------------------------------------------------------ options

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
function option(name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
}
const QUICK = flag('quick');
const FULL = flag('full');
const TORCH = !flag('no-torch');
const ORT = !flag('no-ort'); // onnxruntime-node on export_onnx.py's ONNX files (exported when missing)
const ONNX_DIR = option('onnx-dir', path.join(os.tmpdir(), 'latentflow-onnx'));
const PRECISION = option('precision', 'fp32') as Precision; // the engine's networks and --full's txt2img
// The engine's weight storage for the networks rows: f32 (as torch and onnxruntime hold them) or f16 (the file's,
// mapped; the product's default: the same values, widened exactly where the f32 products read them).
const NET_WEIGHTS = option('weights', 'f32') as 'f32' | 'f16' | 'q8_0';
const JOB_WEIGHTS = option('job-weights', 'f16') as 'f16' | 'q8_0'; // the whole-job rows (txt2img, lcm): the product's default, or the UNet in q8_0
const ONLY = option('only', 'gemm,networks,attention,txt2img,lcm').split(','); // sections to run (txt2img also needs --full)
const THREADS = Number(option('threads', '2'));
const REPEAT = Number(option('repeat', QUICK ? '1' : '3'));
const LATENT = Number(option('latent', QUICK ? '16' : '64'));
const CHECKPOINT = option('checkpoint', '/tmp/sd15.safetensors');
const TXT2IMG_SIZE = Number(option('txt2img-size', '512')); // --full's image size and steps (smaller ones check the set-up)
const TXT2IMG_STEPS = Number(option('txt2img-steps', '20'));
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const ROOT = path.resolve(import.meta.dirname, '..');

// -------------------------------------------------------------------------------------------- helpers

interface Timing {
  median: number; // wall seconds
  min: number;
  max: number;
  cpu?: number; // median CPU seconds of the process per call (user + system, all threads)
}
interface Row {
  name: string;
  engine?: Timing;
  baseline?: Timing;
  baselineName?: string;
  gflop?: number; // per call
  note?: string;
}
const rows: Row[] = [];
let peakGflops = NaN; // OpenBLAS sgemm 2048^3 at THREADS threads, this run

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const timing = (xs: number[], cpu?: number[]): Timing => ({
  median: median(xs), min: Math.min(...xs), max: Math.max(...xs), cpu: cpu?.length ? median(cpu) : undefined,
});
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const log = (line: string) => process.stderr.write(line + '\n');

function pseudoRandom(n: number, seed: number, amplitude = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 2 * amplitude;
  }
  return out;
}

// Times `repeat` calls after one warm-up; returns the seconds of each and what `after` saw after each.
async function timeCalls<T>(repeat: number, fn: () => Promise<unknown>, after?: () => T, warmUp = true): Promise<{ t: Timing; seen: Array<{ s: number; v?: T }> }> {
  if (warmUp) await fn();
  const seen: Array<{ s: number; v?: T }> = [];
  const cpu: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const c0 = cpuSeconds();
    const t0 = performance.now();
    await fn();
    seen.push({ s: (performance.now() - t0) / 1000, v: after?.() });
    cpu.push(cpuSeconds() - c0);
  }
  return { t: timing(seen.map((x) => x.s), cpu), seen };
}

// ---------------------------------------------------------------------------------------- PyTorch

interface TorchRecord {
  median_s: number;
  min_s: number;
  max_s: number;
  gflop: number;
  torch: string;
  calls_cpu_s: number[]; // from torch_timed.py: every call, the warm-up first
}

function torchRun(args: string[]): TorchRecord | null {
  if (!TORCH) return null;
  // torch_timed.py runs torch_sd15.py's main() unchanged and adds the CPU seconds of each call.
  log(`  torch: ${PYTHON} bench/baseline/torch_timed.py ${args.join(' ')}   (= torch_sd15.py + CPU times)`);
  const r = spawnSync(PYTHON, [path.join(ROOT, 'bench/baseline/torch_timed.py'), ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) {
    log(`  torch baseline failed (apt-get install python3-torch): ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`);
    return null;
  }
  const lines = r.stdout.trim().split('\n');
  return { ...JSON.parse(lines[lines.length - 2]), ...JSON.parse(lines[lines.length - 1]) } as TorchRecord;
}
// ------------------------------------------------------------------------------ onnxruntime-node

interface OrtRecord {
  median_s: number;
  min_s: number;
  max_s: number;
  cpu_s: number;
  rel_error_vs_torch: number | null;
  max_rss_gib: number;
  ort: string;
}

// The network's ONNX file (exported from torch_sd15.py by export_onnx.py, same seed) in onnxruntime-node,
// in a child process (bench/baseline/ort-run.ts), after checking its output against PyTorch's.
function ortRun(network: 'unet' | 'clip' | 'vae'): OrtRecord | null {
  if (!ORT) return null;
  if (!existsSync(path.join(ONNX_DIR, `${network}.json`))) {
    const args = [path.join(ROOT, 'bench/baseline/export_onnx.py'), '--out', ONNX_DIR, '--networks', network, '--latent', String(LATENT)];
    log(`  onnx: ${PYTHON} ${args.join(' ')}   (exports ${network} once; minutes for the UNet)`);
    const e = spawnSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (e.status !== 0) {
      log(`  ONNX export failed (apt-get install python3-torch python3-onnx): ${(e.stderr || '').trim().split('\n').pop()}`);
      return null;
    }
  }
  const args = ['--import', 'tsx', path.join(ROOT, 'bench/baseline/ort-run.ts'), ONNX_DIR, network, '--threads', String(THREADS), '--repeat', String(REPEAT)];
  log(`  onnxruntime-node: node ${args.slice(2).join(' ')}`);
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) {
    log(`  onnxruntime-node failed: ${(r.stderr || '').trim().split('\n').pop()}`);
    return null;
  }
  const record = JSON.parse(r.stdout.trim().split('\n').pop()!) as OrtRecord;
  if (record.rel_error_vs_torch === null || record.rel_error_vs_torch > 1e-4) {
    log(`  onnxruntime-node's ${network} differs from PyTorch's output by ${record.rel_error_vs_torch} x max|ref|: not used`);
    return null;
  }
  log(`  onnxruntime-node ${record.ort}: output within ${record.rel_error_vs_torch.toExponential(1)} x max|ref| of PyTorch's; peak RSS ${record.max_rss_gib.toFixed(2)} GiB`);
  return record;
}
const ortTiming = (r: OrtRecord): Timing => ({ median: r.median_s, min: r.min_s, max: r.max_s, cpu: r.cpu_s });

const torchTiming = (r: TorchRecord): Timing => ({
  median: r.median_s, min: r.min_s, max: r.max_s, cpu: r.calls_cpu_s.length > 1 ? median(r.calls_cpu_s.slice(1)) : undefined,
});

// ------------------------------------------------------------------------------------------ sections

const GEMM_SHAPES: Array<[number, number, number]> = [
  [4096, 320, 320], // 64x64 level linears (proj_in/out, to_q/k/v/out)
  [4096, 2880, 320], // a 3x3 320-channel conv as a GEMM
  [1024, 640, 1280],
  [256, 1280, 1280],
  [77, 768, 320], // cross-attention K/V of the text tokens
];

async function sectionGemm(): Promise<void> {
  log('GEMM vs OpenBLAS sgemm');
  const runs = QUICK ? 3 : 5;
  const shapes = QUICK ? GEMM_SHAPES.slice(0, 2) : GEMM_SHAPES;
  const blas = openblas([[2048, 2048, 2048], ...shapes], THREADS, runs, log);
  const peak = blas.get('2048x2048x2048');
  if (peak) {
    peakGflops = (2 * 2048 ** 3) / peak.best.min / 1e9; // the best run: what the machine can do (others share it)
    rows.push({ name: 'sgemm 2048^3 (the peak)', baseline: peak.best, baselineName: 'OpenBLAS', gflop: (2 * 2048 ** 3) / 1e9 });
  }
  // The engine's kernels from C++ (sdn_ops_bench), on the path the addon takes (LATENTFLOW_ISA caps both).
  const isa = native.cpuFeatures().isa;
  for (const dtype of ['f32', 'f16'] as const) {
    const measured = opsBench(['gemm', '--isa', isa, '--threads', String(THREADS), '--runs', String(runs), '--dtype', dtype,
      ...shapes.map(([M, K, N]) => `${M}x${K}x${N}`)]);
    for (const r of measured) {
      rows.push({
        name: `gemm ${r.M}x${r.K}x${r.N} ${dtype} (${isa})`, engine: { median: r.median_ms / 1000, min: r.min_ms / 1000, max: r.median_ms / 1000 },
        baseline: blas.get(`${r.M}x${r.K}x${r.N}`)?.best, baselineName: 'OpenBLAS f32', gflop: r.gflop,
      });
    }
  }
}

function profileRows(prefix: string, report: ProfileReport | undefined): void {
  if (!report) return;
  for (const op of report.ops) {
    const s = op.seconds;
    rows.push({
      name: `  ${prefix} ${op.op} (${op.calls} calls)`, engine: { median: s, min: s, max: s }, gflop: op.flops / 1e9,
      note: `${((100 * s) / report.totalSeconds).toFixed(1)}% of the call`,
    });
  }
}

async function sectionNetworks(model: ModelHandle): Promise<void> {
  const clipInfo = model.info.clip!; // SD 1.x
  const tokens = clipInfo.max_position_embeddings;
  const ids = new Int32Array(2 * tokens).fill(49407);
  ids[0] = ids[tokens] = 49406;
  for (let i = 1; i < tokens / 2; i++) ids[i] = ids[tokens + i] = (i * 7919) % 49406;

  native.profileCollect(true);
  // The profile of the run whose time is the median.
  const withProfile = async (fn: () => Promise<unknown>) => {
    const { t, seen } = await timeCalls(REPEAT, fn, () => native.profileLast());
    const mid = seen.find((x) => x.s === t.median)?.v;
    return { t, profile: mid, gflop: mid ? mid.ops.reduce((sum, o) => sum + o.flops, 0) / 1e9 : undefined };
  };

  log('CLIP text encoder, batch 2');
  let context: Float32Array = new Float32Array(0);
  const clip = await withProfile(async () => (context = await encodeText(model, ids)));
  const torchClip = torchRun(['clip', '--batch', '2', '--threads', String(THREADS), '--repeat', String(REPEAT)]);
  rows.push({ name: 'CLIP text encoder, batch 2', engine: clip.t, baseline: torchClip ? torchTiming(torchClip) : undefined, baselineName: 'PyTorch', gflop: clip.gflop });
  const ortClip = ortRun('clip');
  if (ortClip) rows.push({ name: 'CLIP text encoder, batch 2', engine: clip.t, baseline: ortTiming(ortClip), baselineName: 'onnxruntime-node', gflop: clip.gflop });

  log(`UNet ${LATENT}x${LATENT}, batch 2`);
  const unetShape = [2, model.info.unet.in_channels, LATENT, LATENT] as const;
  const latent = pseudoRandom(2 * 4 * LATENT * LATENT, 5);
  const t = new Float32Array([999, 999]);
  const unet = await withProfile(() => unetForward(model, latent, unetShape, t, context, { attention: 'flash' }));
  const unetNaive = QUICK ? undefined : await timeCalls(1, () => unetForward(model, latent, unetShape, t, context, { attention: 'naive' }), undefined, false);
  native.threadsSet(1);
  // The model is warm: no warm-up call at 1 thread.
  const unet1 = await timeCalls(QUICK ? 1 : Math.min(REPEAT, 2), () => unetForward(model, latent, unetShape, t, context, { attention: 'flash' }), undefined, false);
  native.threadsSet(THREADS);
  const vaeShape = [1, 4, LATENT, LATENT] as const;
  log(`VAE decode ${LATENT}x${LATENT}`);
  const z = pseudoRandom(4 * LATENT * LATENT, 9);
  const vae = await withProfile(() => vaeDecode(model, z, vaeShape, { attention: 'flash' }));
  native.profileCollect(false);

  const torchUnet = torchRun(['unet', '--latent', String(LATENT), '--batch', '2', '--threads', String(THREADS), '--repeat', String(REPEAT)]);
  rows.push({
    name: `UNet ${LATENT}x${LATENT} batch 2, flash`, engine: unet.t, baseline: torchUnet ? torchTiming(torchUnet) : undefined,
    baselineName: 'PyTorch naive', gflop: unet.gflop,
  });
  const ortUnet = LATENT === 64 ? ortRun('unet') : null; // the export is for the 64x64 latent
  if (ortUnet) rows.push({ name: `UNet ${LATENT}x${LATENT} batch 2, flash`, engine: unet.t, baseline: ortTiming(ortUnet), baselineName: 'onnxruntime-node', gflop: unet.gflop });
  profileRows('UNet', unet.profile);
  if (unetNaive) rows.push({ name: `UNet ${LATENT}x${LATENT} batch 2, naive (1 run)`, engine: unetNaive.t, baseline: torchUnet ? torchTiming(torchUnet) : undefined, baselineName: 'PyTorch naive', gflop: unet.gflop });
  rows.push({
    name: `UNet ${LATENT}x${LATENT} batch 2, 1 thread`, engine: unet1.t, gflop: unet.gflop,
    note: `scaling 1 -> ${THREADS} threads: ${(unet1.t.median / unet.t.median).toFixed(2)}x`,
  });
  const torchVae = torchRun(['vae', '--latent', String(LATENT), '--threads', String(THREADS), '--repeat', String(REPEAT)]);
  rows.push({ name: `VAE decode ${LATENT}x${LATENT} -> ${8 * LATENT}`, engine: vae.t, baseline: torchVae ? torchTiming(torchVae) : undefined, baselineName: 'PyTorch', gflop: vae.gflop });
  const ortVae = LATENT === 64 ? ortRun('vae') : null;
  if (ortVae) rows.push({ name: `VAE decode ${LATENT}x${LATENT} -> ${8 * LATENT}`, engine: vae.t, baseline: ortTiming(ortVae), baselineName: 'onnxruntime-node', gflop: vae.gflop });
  profileRows('VAE', vae.profile);
  if (torchUnet) log(`  torch ${torchUnet.torch}: UNet counts ${torchUnet.gflop} GFLOP per call`);
}

async function sectionAttention(): Promise<void> {
  log('flash vs naive attention');
  const limit = os.totalmem() / 4;
  for (const N of QUICK ? [1024, 4096] : [4096, 16384]) {
    // SD 1.5's first-level self-attention: 8 heads x 40; as many heads as naive's N x N scores fit in a quarter of RAM.
    let shape: AttentionShape = { B: 2, H: 8, Tq: N, Tk: N, D: 40 };
    while (attentionExtraBytes('naive', shape) > limit && shape.B * shape.H > 1)
      shape = shape.B > 1 ? { ...shape, B: 1 } : { ...shape, H: Math.max(1, shape.H >> 1) };
    const q = pseudoRandom(shape.B * shape.H * N * 40, 1);
    const k = pseudoRandom(shape.B * shape.H * N * 40, 2);
    const v = pseudoRandom(shape.B * shape.H * N * 40, 3);
    const gflop = (4 * shape.B * shape.H * N * N * 40) / 1e9;
    const res: Record<string, Timing> = {};
    for (const mode of ['naive', 'flash'] as const) res[mode] = (await timeCalls(QUICK ? 1 : 2, () => attention(mode, q, k, v, shape, 'bthd'))).t;
    rows.push({
      name: `attention flash, ${N} tokens (B${shape.B} H${shape.H} d40)`, engine: res.flash, baseline: res.naive, baselineName: 'engine naive', gflop,
    });
  }
}

// The runner reads checkpoints from <models>/checkpoints: a hard link (same file system) or a symlink.
function linkCheckpoint(modelsDir: string): void {
  mkdirSync(path.join(modelsDir, 'checkpoints'));
  const linked = path.join(modelsDir, 'checkpoints', path.basename(CHECKPOINT));
  try {
    linkSync(CHECKPOINT, linked);
  } catch {
    symlinkSync(CHECKPOINT, linked);
  }
}

// txt2img through the CLI, in a child process so that its peak RSS is its own (/usr/bin/time -v).
function sectionTxt2img(): void {
  const label = `txt2img ${TXT2IMG_SIZE}x${TXT2IMG_SIZE} ${TXT2IMG_STEPS} steps Euler ${JOB_WEIGHTS} flash ${PRECISION}`;
  log(`${label} (--full)`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lf-speed-txt2img-'));
  linkCheckpoint(dir);
  const file = path.join(dir, 'workflow.json');
  writeFileSync(file, readFileSync(path.join(ROOT, 'workflows/txt2img.json'), 'utf8'));
  const sets = [
    `4.ckpt_name=${path.basename(CHECKPOINT)}`, `4.weight_dtype=${JOB_WEIGHTS}`, `4.precision=${PRECISION}`, `5.width=${TXT2IMG_SIZE}`, `5.height=${TXT2IMG_SIZE}`,
    `3.steps=${TXT2IMG_STEPS}`, '3.sampler_name=euler', '3.scheduler=normal', '3.attention=flash',
  ].flatMap((s) => ['--set', s]);
  const args = ['-v', process.execPath, '--import', 'tsx', path.join(ROOT, 'bin/latentflow.ts'), 'run', file, ...sets,
    '--models-dir', dir, '--output-dir', path.join(dir, 'out')];
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', args, { encoding: 'utf8', env: { ...process.env, LATENTFLOW_THREADS: String(THREADS) }, maxBuffer: 1 << 24 });
  const seconds = (performance.now() - t0) / 1000;
  rmSync(dir, { recursive: true, force: true });
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr ?? '');
  const rssGiB = rss ? Number(rss[1]) / 2 ** 20 : NaN;
  rows.push({
    name: label, engine: { median: seconds, min: seconds, max: seconds },
    note: r.status === 0 ? `whole process (load, encode, sample, decode, save); peak RSS ${rssGiB.toFixed(2)} GiB`
      : `failed (exit ${r.status}): ${[r.stdout, r.stderr].join('\n').trim().split('\n').slice(-3).join(' | ')}`,
  });
}

// LCM + TAESD on a warm host (bench/lcm-taesd.ts in a child process, so its peak RSS is its own): issue 19's
// target is <= 10 s per picture and <= 2.0 GiB peak RSS at SD 1.5 shapes.
function sectionLcm(): void {
  const label = `txt2img 512x512, 4 LCM steps, cfg 1, TAESD decode, ${JOB_WEIGHTS} weights, ${PRECISION}, warm`;
  log(label);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lf-speed-lcm-'));
  mkdirSync(path.join(dir, 'vae_approx'));
  linkCheckpoint(dir);
  for (const half of ['encoder', 'decoder']) symlinkSync(path.join(ROOT, 'models/vae_approx', `taesd_${half}.safetensors`), path.join(dir, 'vae_approx', `taesd_${half}.safetensors`));
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/lcm-taesd.ts'), '--models-dir', dir, '--checkpoint', path.basename(CHECKPOINT),
    '--repeat', String(REPEAT), '--precision', PRECISION, '--weights', JOB_WEIGHTS], { encoding: 'utf8', env: { ...process.env, LATENTFLOW_THREADS: String(THREADS) }, maxBuffer: 1 << 24 });
  rmSync(dir, { recursive: true, force: true });
  const line = (r.stdout ?? '').trim().split('\n').at(-1) ?? '';
  if (r.status !== 0 || !line.startsWith('{')) {
    rows.push({ name: label, note: `failed (exit ${r.status}): ${[r.stdout, r.stderr].join('\n').trim().split('\n').slice(-3).join(' | ')}` });
    return;
  }
  const m = JSON.parse(line) as { cold: number; warm: number[]; peakRssBytes: number; faults: number[]; systemSeconds: number[] };
  const warmFaults = m.faults.slice(1), warmSystem = m.systemSeconds.slice(1);
  rows.push({
    name: label, engine: timing(m.warm),
    note: `target <= 10 s, <= 2.0 GiB; cold (load + run) ${m.cold.toFixed(1)} s; peak RSS of the process ${(m.peakRssBytes / 2 ** 30).toFixed(2)} GiB; per warm run ${warmFaults.map((f) => `${(f / 1000).toFixed(1)}k`).join(' / ')} page faults, ${warmSystem.map((x) => x.toFixed(2)).join(' / ')} s system time; random SD 1.5 weights (${path.basename(CHECKPOINT)}); the shipped demo TAESD decodes (same cost as SD 1.5's)`,
  });
}

// ------------------------------------------------------------------------------------------- output

function fmtTime(t?: Timing): string {
  if (!t) return '—';
  const f = (s: number) => (s >= 10 ? s.toFixed(1) : s >= 0.1 ? s.toFixed(2) : (s * 1000).toFixed(1) + 'm');
  return t.min === t.max ? `${f(t.median)} s` : `${f(t.median)} s (${f(t.min)}-${f(t.max)})`;
}

function printTable(): void {
  const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  const features = native.cpuFeatures();
  console.log(`\nbench:speed ${new Date().toISOString().slice(0, 16)}  ${os.cpus()[0]?.model ?? '?'} x${os.cpus().length}, ` +
    `clock ${clockGHz().toFixed(2)} GHz measured, kernels' path ${features.isa}${features.amx ? ` (AMX tiles: bf16${features.amxFp32 ? ' and fp32' : ''})` : ''}, engine precision ${PRECISION}, weights ${NET_WEIGHTS}, threads ${THREADS}, load average ${load}`);
  console.log(`measured sgemm peak (OpenBLAS 2048^3, ${THREADS} threads, best run): ${peakGflops.toFixed(1)} GFLOP/s; ` +
    `times are median (min-max) of ${REPEAT} calls after a warm-up ("m" = milliseconds); ratio = engine / baseline time; ` +
    `CPU-s = CPU seconds of the process per call (all threads; steadier than wall time on a shared machine)\n`);
  console.log('| op / network | engine wall | engine CPU-s | baseline wall | baseline CPU-s | ratio wall | ratio CPU | GFLOP | GFLOP/s (wall) | % of sgemm peak | GFLOP per CPU-s | note |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  const cpu = (t?: Timing) => (t?.cpu !== undefined ? t.cpu.toFixed(2) : '—');
  for (const r of rows) {
    const t = r.engine ?? r.baseline;
    const rate = r.gflop && t ? r.gflop / t.median : undefined;
    const ratio = r.engine && r.baseline ? (r.engine.median / r.baseline.median).toFixed(2) : '—';
    const ratioCpu = r.engine?.cpu && r.baseline?.cpu ? (r.engine.cpu / r.baseline.cpu).toFixed(2) : '—';
    const perCpu = r.gflop && t?.cpu ? (r.gflop / t.cpu).toFixed(1) : '—';
    const base = r.baseline ? `${fmtTime(r.baseline)} ${r.baselineName ?? ''}` : '—';
    console.log(`| ${r.name} | ${fmtTime(r.engine)} | ${cpu(r.engine)} | ${base} | ${cpu(r.baseline)} | ${ratio} | ${ratioCpu} | ` +
      `${r.gflop ? r.gflop.toFixed(1) : '—'} | ${rate ? rate.toFixed(1) : '—'} | ` +
      `${rate && peakGflops ? ((100 * rate) / peakGflops).toFixed(0) + '%' : '—'} | ${perCpu} | ${r.note ?? ''} |`);
  }
}

async function main(): Promise<void> {
  native.threadsSet(THREADS);
  if (ONLY.includes('gemm')) await sectionGemm();
  if (!ONLY.includes('networks')) {
    // skipped
  } else if (!existsSync(CHECKPOINT)) {
    log(`${CHECKPOINT} not found: networks skipped (npm run make:sd15-random -- ${CHECKPOINT})`);
  } else {
    const model = await loadModel(CHECKPOINT, { weights: NET_WEIGHTS, precision: PRECISION });
    try {
      await sectionNetworks(model);
    } finally {
      model.dispose();
      native.memoryTrim();
    }
  }
  if (ONLY.includes('attention')) await sectionAttention();
  if (FULL && ONLY.includes('txt2img')) sectionTxt2img();
  if (ONLY.includes('lcm')) {
    if (existsSync(CHECKPOINT)) sectionLcm();
    else log(`${CHECKPOINT} not found: lcm skipped (npm run make:sd15-random -- ${CHECKPOINT})`);
  }
  printTable();
}

await main();
