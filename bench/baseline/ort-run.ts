/**
 * The onnxruntime-node baseline of bench/speed.ts: runs one network exported by export_onnx.py on the
 * CPU, first checking its output against PyTorch's for the same inputs, then timing calls. Runs in its
 * own process (its memory is its own: ONNX Runtime holds the fp32 weights plus its arena) and prints
 * one JSON line.
 *
 *   node --import tsx bench/baseline/ort-run.ts /tmp/latentflow-onnx unet --threads 2 --repeat 3
 *
 * Session: the CPU execution provider, intra-op threads = --threads, one inter-op thread, sequential
 * execution, every graph optimisation ('all'), the memory arena and pattern on (the defaults).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import ort from 'onnxruntime-node';

import { option } from '../args.ts';

interface Manifest {
  inputs: Array<{ name: string; dtype: 'float32' | 'int64'; shape: number[]; file: string }>;
  output: { shape: number[]; file: string };
  torch: string;
  seed: number;
}

const [dir, network] = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && (i === 0 || !all[i - 1].startsWith('--')));
if (!dir || !network) {
  console.error('usage: ort-run.ts ONNX_DIR unet|clip|vae [--threads N] [--repeat N]');
  process.exit(2);
}
const threads = Number(option('threads', '2'));
const repeat = Number(option('repeat', '3'));
const manifest = JSON.parse(readFileSync(path.join(dir, `${network}.json`), 'utf8')) as Manifest;

function read(file: string, dtype: 'float32' | 'int64') {
  const bytes = readFileSync(path.join(dir, file));
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return dtype === 'int64' ? new BigInt64Array(buffer) : new Float32Array(buffer);
}

const t0 = performance.now();
const session = await ort.InferenceSession.create(path.join(dir, `${network}.onnx`), {
  executionProviders: ['cpu'],
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
});
const loadSeconds = (performance.now() - t0) / 1000;
const feeds: Record<string, ort.Tensor> = {};
for (const input of manifest.inputs) feeds[input.name] = new ort.Tensor(input.dtype, read(input.file, input.dtype), input.shape);

const run = async () => (await session.run(feeds)).output.data as Float32Array;
// The check: the runtime's output for PyTorch's inputs against PyTorch's own (first call, also the warm-up).
const out = await run();
const expected = read(manifest.output.file, 'float32') as Float32Array;
let diff = 0, scale = 0;
for (let i = 0; i < expected.length; i++) {
  diff = Math.max(diff, Math.abs(out[i] - expected[i]));
  scale = Math.max(scale, Math.abs(expected[i]));
}
const wall: number[] = [], cpu: number[] = [];
for (let i = 0; i < repeat; i++) {
  const c0 = process.cpuUsage(), w0 = performance.now();
  await run();
  wall.push((performance.now() - w0) / 1000);
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1e6);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(JSON.stringify({
  network, ort: ort.env.versions.node, threads, repeat, load_s: loadSeconds,
  median_s: median(wall), min_s: Math.min(...wall), max_s: Math.max(...wall), cpu_s: median(cpu),
  rel_error_vs_torch: out.length === expected.length ? diff / scale : null,
  max_rss_gib: process.resourceUsage().maxRSS / 2 ** 20,
}));
