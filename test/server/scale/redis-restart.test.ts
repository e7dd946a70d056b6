// Redis restarted under load: a server (its own process) and a worker run jobs while redis-server is
// killed (SIGKILL while a job samples, then SIGTERM with jobs queued) and started again on the same port.
// Redis keeps an append-only file with an fsync per write (as docs/RELIABILITY.md asks of production),
// so every job the server acknowledged is still in Redis after the restart.
// Proves: during the outage the server keeps serving (enqueues get 503 `queue_unavailable`, pages
// that need no Redis get 200) and neither process crashes; both reconnect by themselves; every
// acknowledged job finishes exactly once, with its image; nothing is lost.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { decodePng, readPngText } from '../../../nodes/image/png.ts';
import { freePort, type RestartableRedis, startRedis } from '../../helpers/redis.ts';
import { connectRunEventClient, post, type ServerProcess, startServerProcess, startWorker, type TestWorker, until } from '../../helpers/scale.ts';
import { json, makeModelsDir, tinyTxt2img } from '../../helpers/server.ts';

let redis: RestartableRedis;
let server: ServerProcess | null = null;
let worker: TestWorker | null = null;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-scale-redis-restart-'));
const modelsDir = makeModelsDir();

beforeAll(async () => {
  redis = await startRedis({ persistent: true });
  const port = await freePort();
  [server, worker] = await Promise.all([startServerProcess({ port, redisUrl: redis.url, dataDir, modelsDir }), startWorker(redis.url, 'wo')]);
});

afterAll(async () => {
  await server?.kill();
  await worker?.stop();
  await redis?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(modelsDir, { recursive: true, force: true });
});

/**
 * What a run's events went through, for a failure message: its record (did it run?), the client's socket and
 * what it heard, and Redis' view of every connection (name, subscriptions: is each events-sub subscribed?).
 * This test failed about once in 30 runs (2026-12-07) with the probe job finished and no event of it on a
 * connected socket; the next failure says where the events stopped.
 */
async function eventPathState(base: string, runId: string, connected: boolean, heard: { type: string }[] | undefined): Promise<string> {
  const record = await (await fetch(`${base}/api/runs/${runId}`)).json().catch(() => null) as { status?: string; finishedAt?: number | null } | null;
  const probe = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  try {
    const clients = String(await probe.client('LIST')).trim().split('\n')
      .map((line) => `${/ name=(\S*)/.exec(line)?.[1] || '(unnamed)'} sub=${/ sub=(\d+)/.exec(line)?.[1]} cmd=${/ cmd=(\S+)/.exec(line)?.[1]}`);
    return `run ${runId}: status ${record?.status} finishedAt ${record?.finishedAt}; socket connected ${connected}, heard ${JSON.stringify(heard?.map((e) => e.type) ?? [])}\n` +
      `Redis clients:\n  ${clients.join('\n  ')}\nserver log (end):\n${server!.log().slice(-1500)}\nworker log (end):\n${worker!.log().slice(-1500)}`;
  } finally {
    probe.disconnect();
  }
}

describe('Redis restarted under load', () => {
  it('loses no acknowledged job: the server answers 503 meanwhile, both processes reconnect, every job finishes once', async () => {
    const base = server!.base;
    const { socket, byRun: events } = await connectRunEventClient(base, 'outage', { reconnectionDelay: 100, reconnectionDelayMax: 500 });

    const acknowledged: { id: string; seed: number }[] = [];
    let seed = 500;
    const enqueue = async (steps: number) => {
      const s = seed++;
      const response = await post(base, '/api/runs', { workflow: tinyTxt2img({ seed: s, steps, prefix: `outage${s}` }), clientId: 'outage' });
      if (response.status !== 202) return response;
      acknowledged.push({ id: (await json(response)).id, seed: s });
      return response;
    };

    // 1. Three jobs; the first samples long enough to be caught at it. Redis is killed without warning.
    for (const steps of [40, 1, 1]) expect((await enqueue(steps)).status).toBe(202);
    const first = acknowledged[0].id;
    await until('the first job to sample', async () => events.get(first)?.some((e) => e.type === 'progress'), 90_000, 20);
    await redis.kill('SIGKILL');

    // During the outage: enqueues and queue reads are refused quickly and clearly; the rest serves.
    // How long the refusal takes (at once, or after the server's 5 s wait): npm run bench:redis-outage.
    const refused = await enqueue(1);
    expect(refused.status).toBe(503);
    expect((await json(refused)).error.code).toBe('queue_unavailable');
    expect((await fetch(`${base}/api/runs/${first}`)).status).toBe(503);
    expect((await fetch(`${base}/api/node-types`)).status).toBe(200);
    const system = await fetch(`${base}/api/system`);
    expect([200, 503]).toContain(system.status);
    await new Promise((r) => setTimeout(r, 4000)); // longer than the worker's lock: it notices the outage

    await redis.restart();
    // The server reconnects by itself: enqueues are accepted again.
    await until('the server to accept jobs again', async () => (await enqueue(1)).status === 202, 20_000, 200);

    // 2. Jobs queued, then Redis stopped politely (SIGTERM) and started again at once.
    for (let i = 0; i < 2; i++) expect((await enqueue(1)).status).toBe(202);
    await redis.kill('SIGTERM');
    expect((await enqueue(1)).status).toBe(503);
    await redis.restart();
    await until('the server to accept jobs again', async () => (await enqueue(1)).status === 202, 20_000, 200);

    // Every acknowledged job finishes, successfully, once, with its own image.
    const ids = acknowledged.map((a) => a.id);
    const jobs = await until('every acknowledged job to finish', async () => {
      const all = await Promise.all(ids.map(async (id) => {
        const res = await fetch(`${base}/api/runs/${id}`);
        return res.status === 200 ? json(res) : { finishedAt: null };
      }));
      return all.every((j) => j.finishedAt !== null) && all;
    }, 180_000, 250);
    expect(jobs.map((j) => j.status)).toEqual(Array(ids.length).fill('success'));
    const history = await json(await fetch(`${base}/api/runs/history?limit=100`));
    expect(history.total).toBe(ids.length);
    expect(history.jobs.map((j: { id: string }) => j.id).sort()).toEqual([...ids].sort());
    for (const [i, job] of jobs.entries()) {
      const res = await fetch(`${base}/view?${new URLSearchParams(job.outputs['9'].images[0])}`);
      expect(res.status).toBe(200);
      const png = Buffer.from(await res.arrayBuffer());
      expect(decodePng(png).width).toBe(64);
      expect(JSON.parse(readPngText(png).prompt)['3'].inputs.seed).toBe(acknowledged[i].seed);
    }
    // Each job ended at most once for the client (events sent during an outage may be lost, never doubled).
    for (const id of ids) expect((events.get(id) ?? []).filter((e) => e.type === 'execution_success').length).toBeLessThanOrEqual(1);
    // The job caught by the SIGKILL ran again (its lock was lost with Redis) or finished in one attempt.
    console.log(`redis restart: ${ids.length} acknowledged jobs, attempts ${jobs.map((j) => j.attempts).join(',')}`);

    // Events flow again after the restarts: the jobs queued last reached the socket, ending once.
    // Events flow again: a job queued now reaches the socket from its first event to its end, once.
    // (Pub/sub keeps nothing: an event published while a connection was re-subscribing is lost, which is
    // why clients re-read a run's state after reconnecting; its record in Redis is what counts.)
    const probe = await enqueue(1);
    expect(probe.status).toBe(202);
    const last = acknowledged.at(-1)!.id;
    await until('a new job to end on the socket', async () => events.get(last)?.some((e) => e.type === 'execution_success'), 60_000)
      .catch(async (error: Error) => { throw new Error(`${error.message}\n${await eventPathState(base, last, socket.connected, events.get(last))}`); });
    expect(events.get(last)!.map((e) => e.type)).toEqual(expect.arrayContaining(['queued', 'execution_start', 'executed', 'execution_success']));
    expect(events.get(last)!.filter((e) => e.type === 'execution_success')).toHaveLength(1);

    // Neither process crashed; the worker is listed again with a fresh heartbeat.
    expect(server!.proc.exitCode).toBeNull();
    expect(worker!.proc.exitCode).toBeNull();
    expect(server!.log()).not.toMatch(/unhandled|uncaught/i);
    expect(worker!.log()).not.toMatch(/unhandled|uncaught/i);
    const listed = await until('the worker to be listed again', async () => {
      const s = await json(await fetch(`${base}/api/system`));
      return s.workers.find((w: { id: string }) => w.id === 'wo');
    }, 10_000);
    expect(Date.now() - listed.lastHeartbeat).toBeLessThan(5000);
    socket.close();
  }, 300_000);
});
