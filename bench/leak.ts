/**
 * Leak check: the RSS of a server (in this process) after 1,000 rejected requests and after 50 tiny-model
 * jobs, each measured after a forced GC against a warmed-up baseline, plus the engine's own counters.
 *
 *   npm run bench:leak                         # 1,000 rejected + 50 jobs, prints the table, exits 1 over a bound
 *   npm run bench:leak -- --rejected 200 --jobs 10 --json
 *
 * Bounds (why they are what they are):
 *   - rejected requests: RSS +32 MiB, JS heap +8 MiB over 1,000 requests: a request that leaked its body
 *     (>= 200 bytes) or its error object would show in the heap; 32 KiB of native memory per request
 *     would show in the RSS. Below that is allocator and JIT noise (measured: a few MiB either way).
 *   - jobs: RSS +64 MiB over 50 jobs (1.3 MiB per job): one leaked model load is 12 MiB (the tiny
 *     model's weights), one leaked activation arena block some MiB; the engine's activation bytes must
 *     return to exactly their baseline and its weight bytes stay constant (models stay cached, none added).
 */
import { startTestServer, tinyTxt2img, waitForRun } from '../test/helpers/server.ts';
import { native } from '../native/index.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('run with --expose-gc (npm run bench:leak does)');
  process.exit(2);
}
function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const REJECTED = arg('rejected', 1000);
const JOBS = arg('jobs', 50);
const asJson = process.argv.includes('--json');
const MiB = 2 ** 20;

interface Sample {
  rssMiB: number;
  heapMiB: number;
  activations: number;
  weights: number;
  mapped: number;
}
async function sample(): Promise<Sample> {
  for (let i = 0; i < 3; i++) {
    gc!();
    await new Promise((r) => setTimeout(r, 50));
  }
  native.memoryTrim();
  const m = process.memoryUsage();
  const s = native.memoryStats();
  return { rssMiB: m.rss / MiB, heapMiB: m.heapUsed / MiB, activations: s.activationsCurrent, weights: s.weightsCurrent, mapped: s.mappedCurrent };
}

const t = await startTestServer({ bodyLimitBytes: 1024 * 1024 });
const post = (route: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${t.base}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

/** Four kinds of refusal in turn: malformed JSON, an invalid workflow, a traversal, a cross-site POST. */
async function rejected(i: number) {
  let response: Response;
  switch (i % 4) {
    case 0:
      response = await post('/api/runs', '{"workflow": ');
      break;
    case 1: {
      const wf = tinyTxt2img();
      (wf['5'].inputs as Record<string, unknown>).width = 1_000_000 + i;
      response = await post('/api/runs', JSON.stringify({ workflow: wf }));
      break;
    }
    case 2:
      response = await fetch(`${t.base}/view?filename=..%2f..%2fsecret${i}.txt&type=output`);
      break;
    default:
      response = await post('/api/runs', JSON.stringify({ workflow: tinyTxt2img() }), { origin: 'https://evil.example' });
  }
  await response.arrayBuffer();
  if (response.status < 400 || response.status >= 500) throw new Error(`request ${i} was not refused cleanly: ${response.status}`);
}

async function job(i: number) {
  // A new seed and prompt each time, so the text encoder, sampler and decoder really run.
  const response = await post('/api/runs', JSON.stringify({ workflow: tinyTxt2img({ seed: 1000 + i, steps: 2, prompt: `a small cat number ${i}`, prefix: `leak${i}` }) }));
  const { id } = (await response.json()) as { id: string };
  const done = await waitForRun(t.base, id, 120_000);
  if (done.status !== 'success') throw new Error(`job ${i} failed: ${JSON.stringify(done.error)}`);
}

const started = performance.now();
// Warm-up: routes, JIT, the model cache, the SQLite page cache.
for (let i = 0; i < 100; i++) await rejected(i);
for (let i = 0; i < 5; i++) await job(-1 - i);
const base = await sample();
for (let i = 0; i < REJECTED; i++) await rejected(i);
const afterRejected = await sample();
for (let i = 0; i < JOBS; i++) await job(i);
const afterJobs = await sample();
await t.close();
const seconds = (performance.now() - started) / 1000;

const bounds = { rejectedRssMiB: 32, rejectedHeapMiB: 8, jobsRssMiB: 64 };
const result = {
  rejected: REJECTED,
  jobs: JOBS,
  seconds: Number(seconds.toFixed(1)),
  baseline: base,
  rejectedRssDeltaMiB: Number((afterRejected.rssMiB - base.rssMiB).toFixed(1)),
  rejectedHeapDeltaMiB: Number((afterRejected.heapMiB - base.heapMiB).toFixed(1)),
  jobsRssDeltaMiB: Number((afterJobs.rssMiB - afterRejected.rssMiB).toFixed(1)),
  jobsHeapDeltaMiB: Number((afterJobs.heapMiB - afterRejected.heapMiB).toFixed(1)),
  activationsDelta: afterJobs.activations - afterRejected.activations,
  weightsDelta: afterJobs.weights - afterRejected.weights,
  bounds,
};
const failures = [
  result.rejectedRssDeltaMiB > bounds.rejectedRssMiB && `RSS grew ${result.rejectedRssDeltaMiB} MiB over ${REJECTED} rejected requests (bound ${bounds.rejectedRssMiB})`,
  result.rejectedHeapDeltaMiB > bounds.rejectedHeapMiB && `JS heap grew ${result.rejectedHeapDeltaMiB} MiB over ${REJECTED} rejected requests (bound ${bounds.rejectedHeapMiB})`,
  result.jobsRssDeltaMiB > bounds.jobsRssMiB && `RSS grew ${result.jobsRssDeltaMiB} MiB over ${JOBS} jobs (bound ${bounds.jobsRssMiB})`,
  result.activationsDelta !== 0 && `engine activation bytes changed by ${result.activationsDelta} over ${JOBS} jobs (must return to baseline)`,
  result.weightsDelta !== 0 && `engine weight bytes changed by ${result.weightsDelta} over ${JOBS} jobs (models are cached; none may be added)`,
].filter(Boolean) as string[];

if (asJson) console.log(JSON.stringify({ ...result, failures }));
else {
  console.log(`leak check (${seconds.toFixed(0)} s, LATENTFLOW_THREADS=${process.env.LATENTFLOW_THREADS ?? 'default'})`);
  console.log(`  baseline after warm-up        RSS ${base.rssMiB.toFixed(1)} MiB, heap ${base.heapMiB.toFixed(1)} MiB, engine weights ${(base.weights / MiB).toFixed(1)} MiB, mapped ${(base.mapped / MiB).toFixed(1)} MiB`);
  console.log(`  after ${REJECTED} rejected requests  RSS ${result.rejectedRssDeltaMiB >= 0 ? '+' : ''}${result.rejectedRssDeltaMiB} MiB (bound +${bounds.rejectedRssMiB}), heap ${result.rejectedHeapDeltaMiB >= 0 ? '+' : ''}${result.rejectedHeapDeltaMiB} MiB (bound +${bounds.rejectedHeapMiB})`);
  console.log(`  after ${JOBS} tiny-model jobs       RSS ${result.jobsRssDeltaMiB >= 0 ? '+' : ''}${result.jobsRssDeltaMiB} MiB (bound +${bounds.jobsRssMiB}), heap ${result.jobsHeapDeltaMiB >= 0 ? '+' : ''}${result.jobsHeapDeltaMiB} MiB, engine activations ${result.activationsDelta} B, weights ${result.weightsDelta} B`);
  for (const f of failures) console.log(`  OVER: ${f}`);
  console.log(failures.length === 0 ? '  flat: within every bound' : `  ${failures.length} bound(s) exceeded`);
}
process.exit(failures.length === 0 ? 0 : 1);
