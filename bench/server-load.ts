/**
 * `npm run bench:load`: is the server's event loop free while a job samples? 50 concurrent clients poll
 * the API (GET /api/runs, /queue, /api/system in turn) for a fixed time, first with the server idle, then
 * while a long txt2img job runs on the demo model; prints request latency p50/p99/max and throughput.
 * The server runs in its own process (spawned), so the load generator does not share its event loop.
 *
 *   npm run bench:load -- [--clients 50] [--seconds 15]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const clients = flag('clients', 50);
const seconds = flag('seconds', 15);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function poll(base: string, durationMs: number): Promise<{ latencies: number[]; errors: number }> {
  const paths = ['/api/runs', '/queue', '/api/system'];
  const latencies: number[] = [];
  let errors = 0;
  const end = Date.now() + durationMs;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = c; Date.now() < end; i++) {
        const started = performance.now();
        try {
          const response = await fetch(`${base}${paths[i % paths.length]}`);
          await response.arrayBuffer();
          if (!response.ok) errors++;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - started);
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), errors };
}

function report(label: string, r: { latencies: number[]; errors: number }, ms: number) {
  const l = r.latencies;
  console.log(
    `${label.padEnd(26)} ${String(l.length).padStart(7)} req  ${(l.length / (ms / 1000)).toFixed(0).padStart(6)} req/s  ` +
      `p50 ${percentile(l, 50).toFixed(1).padStart(6)} ms  p99 ${percentile(l, 99).toFixed(1).padStart(7)} ms  max ${l[l.length - 1].toFixed(1).padStart(7)} ms  errors ${r.errors}`,
  );
}

const port = await freePort();
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-load-'));
const server = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', '--port', String(port), '--data-dir', dataDir], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, LATENTFLOW_THREADS: process.env.LATENTFLOW_THREADS ?? '2' },
});
await new Promise<void>((resolve) => server.stdout!.on('data', (d) => String(d).includes('serving') && resolve()));
const base = `http://127.0.0.1:${port}`;
try {
  console.log(`latentflow server load: ${clients} clients polling for ${seconds} s each phase; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  report('idle server', await poll(base, seconds * 1000), seconds * 1000);

  // A long job on the demo model: 256x256, enough steps to outlast the polling.
  const workflow = JSON.parse(fs.readFileSync('workflows/txt2img.json', 'utf8'));
  const response = await fetch(`${base}/api/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ workflow, overrides: { '5.width': 256, '5.height': 256, '3.steps': 1000 } }),
  });
  const { id } = (await response.json()) as { id: string };
  for (;;) {
    const state = (await (await fetch(`${base}/api/runs`)).json()) as { running: { id: string }[] };
    if (state.running.some((j) => j.id === id)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 1000)); // past model loading, into sampling
  report('while a job samples', await poll(base, seconds * 1000), seconds * 1000);
  const job = (await (await fetch(`${base}/api/runs/${id}`)).json()) as { status: string };
  console.log(`the job was still ${job.status} at the end of the measurement`);
  await fetch(`${base}/api/interrupt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  fs.rmSync(dataDir, { recursive: true, force: true });
}
