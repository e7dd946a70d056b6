/**
 * Scale-out: throughput of tiny-model jobs with the embedded runner and with 1 and 2 remote workers
 * (jobs per minute), and the queue's added latency per job (enqueue to a worker starting it, median,
 * measured with an idle worker), plus enqueue to the run's first event reaching a socket.io client.
 *
 *   npm run bench:scale
 *   npm run bench:scale -- --jobs 8 --samples 7 --steps 2 --workers 1,2 --threads 1
 *
 * Starts its own redis-server (Debian's `redis-server`) on a free loopback port, a server in this
 * process and `latentflow worker` child processes (LATENTFLOW_THREADS=1 each, like the embedded runner
 * here). Every job is the tiny fixture model's txt2img at 64x64 with distinct seeds. The machine's
 * other load counts: compare rows of one run, not runs of different days.
 */
import os from 'node:os';

import { io as connect, type Socket } from 'socket.io-client';

import { native } from '../native/index.ts';
import type { RunEvent } from '../protocol/index.ts';
import { startRedis } from '../test/helpers/redis.ts';
import { post, startRedisTestServer, startWorker, type TestWorker, until } from '../test/helpers/scale.ts';
import { json, startTestServer, type TestServer, tinyTxt2img } from '../test/helpers/server.ts';
import { option } from './args.ts';

const jobs = Number(option('jobs', '6'));
const samples = Number(option('samples', '5'));
const steps = Number(option('steps', '2'));
const workerCounts = option('workers', '1,2').split(',').map(Number);
process.env.LATENTFLOW_THREADS = option('threads', '1'); // inherited by the workers
native.threadsSet(Number(process.env.LATENTFLOW_THREADS));

interface Row {
  setup: string;
  jobsPerMinute: number;
  latencyMs: number | null;
  firstEventMs: number | null;
}

let seed = 1000;
async function queue(t: TestServer): Promise<{ id: string; postedAt: number }> {
  const postedAt = Date.now();
  const response = await post(t.base, '/api/runs', { workflow: tinyTxt2img({ seed: seed++, steps, prefix: 'bench' }) });
  if (response.status !== 202) throw new Error(`queueing failed: ${response.status} ${await response.text()}`);
  return { id: (await json(response)).id, postedAt };
}

async function finished(t: TestServer, ids: string[]): Promise<any[]> {
  return until('the jobs to finish', async () => {
    const all = await Promise.all(ids.map(async (id) => json(await fetch(`${t.base}/api/runs/${id}`))));
    if (all.some((j) => j.finishedAt !== null && j.status !== 'success')) throw new Error(`a job failed: ${JSON.stringify(all.find((j) => j.status !== 'success' && j.finishedAt))}`);
    return all.every((j) => j.finishedAt !== null) && all;
  }, 30 * 60_000, 100);
}

/** Throughput: all jobs queued at once, from the first POST to the last finish. */
async function throughput(t: TestServer): Promise<number> {
  const t0 = Date.now();
  const queued = [];
  for (let i = 0; i < jobs; i++) queued.push(await queue(t));
  const done = await finished(t, queued.map((q) => q.id));
  const t1 = Math.max(...done.map((j) => j.finishedAt));
  return jobs / ((t1 - t0) / 60_000);
}

/** Latency with idle runners: one job at a time; enqueue -> started, and POST -> first event on a socket. */
async function latency(t: TestServer): Promise<{ latencyMs: number; firstEventMs: number }> {
  const socket: Socket = connect(t.base, { transports: ['websocket'] });
  await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
  const firstEvent = new Map<string, number>();
  socket.on('run:event', (e: RunEvent) => {
    if (e.type === 'execution_start' && !firstEvent.has(e.runId)) firstEvent.set(e.runId, Date.now());
  });
  const started: number[] = [];
  const events: number[] = [];
  for (let i = 0; i < samples; i++) {
    // The run id is chosen here (ComfyUI's prompt_id), so the socket joins the room before the POST.
    const id = crypto.randomUUID();
    socket.emit('run:subscribe', { runId: id });
    await new Promise((r) => setTimeout(r, 50));
    const postedAt = Date.now();
    const response = await post(t.base, '/prompt', { prompt: tinyTxt2img({ seed: seed++, steps, prefix: 'bench' }), prompt_id: id });
    if (response.status !== 200) throw new Error(`queueing failed: ${response.status}`);
    const [job] = await finished(t, [id]);
    started.push(job.startedAt - job.createdAt);
    events.push(firstEvent.get(id)! - postedAt);
  }
  socket.close();
  return { latencyMs: median(started), firstEventMs: median(events) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const rows: Row[] = [];
const loadBefore = os.loadavg()[0];
const redis = await startRedis();
try {
  {
    const t = await startTestServer();
    try {
      await finished(t, [(await queue(t)).id]); // warm-up: load the model
      const jpm = await throughput(t);
      const lat = await latency(t);
      rows.push({ setup: 'embedded (1 runner in the server)', jobsPerMinute: jpm, ...lat });
    } finally {
      await t.close();
    }
  }
  const t = await startRedisTestServer(redis.url);
  try {
    for (const n of workerCounts) {
      const workers: TestWorker[] = await Promise.all(Array.from({ length: n }, (_, i) => startWorker(redis.url, `bench-${n}-${i}`)));
      try {
        // Warm-up: every worker loads the model (one job each, queued together).
        const warm = [];
        for (let i = 0; i < 2 * n; i++) warm.push((await queue(t)).id);
        await finished(t, warm);
        const jpm = await throughput(t);
        const lat = n === workerCounts[0] ? await latency(t) : { latencyMs: null, firstEventMs: null };
        rows.push({ setup: `Redis, ${n} worker${n > 1 ? 's' : ''}`, jobsPerMinute: jpm, ...lat });
      } finally {
        await Promise.all(workers.map((w) => w.stop()));
      }
    }
  } finally {
    await t.close();
  }
} finally {
  await redis.stop();
}

const fmt = (v: number | null, digits = 0) => (v === null ? '—' : v.toFixed(digits));
console.log(`\nScale-out: ${jobs} tiny-model jobs per row (64x64, ${steps} steps), LATENTFLOW_THREADS=${process.env.LATENTFLOW_THREADS} per runner, ${samples} latency samples`);
console.log(`machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown CPU'}; 1-minute load average ${loadBefore.toFixed(1)} before, ${os.loadavg()[0].toFixed(1)} after (other processes' load skews the rows)`);
console.log('| setup | jobs/min | enqueue -> started, median ms | POST -> first event on socket.io, median ms |');
console.log('|---|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.setup} | ${fmt(r.jobsPerMinute, 1)} | ${fmt(r.latencyMs)} | ${fmt(r.firstEventMs)} |`);
const base = rows.find((r) => r.setup.startsWith('Redis, 1'));
const two = rows.find((r) => r.setup.startsWith('Redis, 2'));
if (base && two) console.log(`\n2 workers / 1 worker: ${(two.jobsPerMinute / base.jobsPerMinute).toFixed(2)}x`);
process.exit(0);
