/**
 * Attention benchmark: time (median) and peak extra working memory of each attention mode, SD 1.5's
 * attention shapes (8 heads x 40 dims, batch 2 = CFG's two halves), self-attention (Tk = N) and
 * cross-attention (Tk = 77 text tokens), N in {1024, 4096, 16384} image tokens (SD 1.5 at 256, 512
 * and 1024 px: the first UNet level has (px / 8)^2 tokens).
 *
 *   npm run bench:attention                       # the whole table (LATENTFLOW_THREADS=2 on a shared box)
 *   npm run bench:attention -- --tokens 1024,4096 --modes naive,flash --repeat 3
 *   npm run bench:attention -- --allow-huge       # also run modes predicted above the memory limit
 *
 * A mode whose predicted working memory (attentionExtraBytes) is over a quarter of this machine's RAM
 * is not run; it is reported as refused, with the estimate. A mode whose time, extrapolated from the
 * previous size, is over --max-seconds is reported as skipped, with the extrapolation.
 */
import os from 'node:os';

import {
  attention,
  attentionExtraBytes,
  attentionModes,
  native,
  type AttentionMode,
  type AttentionShape,
} from '../native/index.ts';

interface Options {
  tokens: number[];
  modes: AttentionMode[];
  repeat: number;
  maxSeconds: number;
  allowHuge: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { tokens: [1024, 4096, 16384], modes: [...attentionModes], repeat: 5, maxSeconds: 120, allowHuge: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`bench:attention: ${arg} needs a value`);
      return next;
    };
    if (arg === '--allow-huge') options.allowHuge = true;
    else if (arg === '--tokens') options.tokens = value().split(',').map(Number);
    else if (arg === '--modes') options.modes = value().split(',') as AttentionMode[];
    else if (arg === '--repeat') options.repeat = Number(value());
    else if (arg === '--max-seconds') options.maxSeconds = Number(value());
    else throw new Error(`bench:attention: unknown argument ${arg} (see the header of bench/attention.ts)`);
  }
  for (const mode of options.modes)
    if (!attentionModes.includes(mode)) throw new Error(`bench:attention: unknown mode "${mode}" (${attentionModes.join(', ')})`);
  return options;
}

function randomFloats(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    // Sum of 4 uniforms: roughly normal, std ~0.58; cheap for 10M floats.
    let sum = 0;
    for (let j = 0; j < 4; j++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      sum += state / 2 ** 32;
    }
    out[i] = (sum - 2) * 1.7;
  }
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mib = (bytes: number) => (bytes >= 100 * 2 ** 20 ? (bytes / 2 ** 30).toFixed(2) + ' GiB' : (bytes / 2 ** 20).toFixed(2) + ' MiB');
const seconds = (ms: number) => (ms >= 10_000 ? (ms / 1000).toFixed(1) + ' s' : ms.toFixed(1) + ' ms');

type Row =
  | { kind: 'ran'; ms: number; runs: number; peakBytes: number; predicted: number }
  | { kind: 'refused'; predicted: number }
  | { kind: 'skipped'; predicted: number; estimatedMs: number };

async function measure(mode: AttentionMode, shape: AttentionShape, inputs: { q: Float32Array; k: Float32Array; v: Float32Array }, repeat: number) {
  const run = async () => {
    const t0 = performance.now();
    const { peakBytes } = await attention(mode, inputs.q, inputs.k, inputs.v, shape, 'bthd');
    return { ms: performance.now() - t0, peakBytes };
  };
  const first = await run(); // warm-up (thread pool, arena blocks, page faults) unless it is slow
  if (first.ms > 5000) return { ms: first.ms, runs: 1, peakBytes: first.peakBytes };
  const times: number[] = [];
  let peakBytes = 0;
  for (let i = 0; i < repeat; i++) {
    const r = await run();
    times.push(r.ms);
    peakBytes = Math.max(peakBytes, r.peakBytes);
  }
  return { ms: median(times), runs: repeat, peakBytes };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const limitBytes = os.totalmem() / 4;
  const features = native.cpuFeatures();
  console.log(`# attention benchmark — ${new Date().toISOString().slice(0, 10)}`);
  console.log(
    `threads ${native.threadsGet()}, AVX2/FMA ${features.avx2Fma ? 'yes' : 'no'}, ${os.cpus()[0]?.model ?? 'cpu'}, ` +
      `RAM ${mib(os.totalmem())} (modes predicted over ${mib(limitBytes)} are refused${options.allowHuge ? ': --allow-huge given, run anyway' : ''}), node ${process.version}`,
  );
  console.log('shapes: batch 2, 8 heads x 40 dims, layout [B, T, H*D]; times are medians; "peak" is the arena high-water mark above the inputs/output\n');
  console.log('| attention | N (Tq) | Tk | mode | time | runs | peak extra memory | predicted |');
  console.log('|---|---:|---:|---|---:|---:|---:|---:|');

  const summary: string[] = [];
  const lastMs = new Map<string, { N: number; ms: number }>();
  for (const kind of ['self', 'cross'] as const) {
    for (const N of options.tokens) {
      const shape: AttentionShape = { B: 2, H: 8, Tq: N, Tk: kind === 'self' ? N : 77, D: 40 };
      const inputs = {
        q: randomFloats(shape.B * shape.H * shape.Tq * shape.D, N),
        k: randomFloats(shape.B * shape.H * shape.Tk * shape.D, N + 1),
        v: randomFloats(shape.B * shape.H * shape.Tk * shape.D, N + 2),
      };
      const rows = new Map<AttentionMode, Row>();
      for (const mode of options.modes) {
        const predicted = attentionExtraBytes(mode, shape);
        const previous = lastMs.get(`${kind}:${mode}`);
        const growth = previous ? (kind === 'self' ? (N / previous.N) ** 2 : N / previous.N) : 1;
        let row: Row;
        if (predicted > limitBytes && !options.allowHuge) row = { kind: 'refused', predicted };
        else if (previous && previous.ms * growth > options.maxSeconds * 1000)
          row = { kind: 'skipped', predicted, estimatedMs: previous.ms * growth };
        else {
          const m = await measure(mode, shape, inputs, options.repeat);
          row = { kind: 'ran', ...m, predicted };
          lastMs.set(`${kind}:${mode}`, { N, ms: m.ms });
        }
        rows.set(mode, row);
        const time = row.kind === 'ran' ? seconds(row.ms) : row.kind === 'refused' ? 'refused' : `skipped (~${seconds(row.estimatedMs)} est.)`;
        const peak = row.kind === 'ran' ? mib(row.peakBytes) : '—';
        console.log(`| ${kind} | ${N} | ${shape.Tk} | ${mode} | ${time} | ${row.kind === 'ran' ? row.runs : 0} | ${peak} | ${mib(row.predicted)} |`);
      }
      const naive = rows.get('naive');
      const flash = rows.get('flash');
      if (naive && flash?.kind === 'ran') {
        const memory = `memory flash/naive = 1/${Math.round(naive.predicted / flash.peakBytes)}`;
        const time = naive.kind === 'ran' ? `time flash/naive = ${(flash.ms / naive.ms).toFixed(3)}` : `naive ${naive.kind}`;
        summary.push(`- ${kind} N=${N}, Tk=${shape.Tk}: ${time}, ${memory}`);
      }
    }
  }
  console.log('\nratios (memory uses naive\'s predicted bytes where naive did not run):');
  for (const line of summary) console.log(line);
}

await main();
