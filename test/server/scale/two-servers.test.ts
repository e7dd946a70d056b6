// Two server instances on one Redis with one remote worker: a job queued on instance B runs on the
// worker, and its events reach a socket.io client and a ComfyUI /ws client of instance A (once each);
// its image is served by both. Also: a node error is reported and not retried; a fault of the worker
// (its disk) is retried with backoff and then succeeds.
import fs from 'node:fs';
import path from 'node:path';

import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

import { decodePng, readPngText } from '../../../nodes/image/png.ts';
import type { RunEvent } from '../../../protocol/index.ts';
import { type TestRedis, startRedis } from '../../helpers/redis.ts';
import { post, startRedisTestServer, startWorker, type TestWorker, until } from '../../helpers/scale.ts';
import { json, type TestServer, tinyTxt2img, waitForRun } from '../../helpers/server.ts';

let redis: TestRedis;
let a: TestServer;
let b: TestServer;
let worker: TestWorker;

beforeAll(async () => {
  redis = await startRedis();
  [a, b, worker] = await Promise.all([startRedisTestServer(redis.url), startRedisTestServer(redis.url), startWorker(redis.url, 'wb')]);
});

afterAll(async () => {
  await worker?.stop();
  await a?.close();
  await b?.close();
  await redis?.stop();
});

function terminal(e: RunEvent) {
  return e.type === 'execution_success' || e.type === 'execution_error' || e.type === 'execution_interrupted';
}

describe('two server instances, one Redis', () => {
  it('lists the worker with its heartbeat on both instances', async () => {
    for (const server of [a, b]) {
      const system = await json(await fetch(`${server.base}/api/system`));
      expect(system.queue.mode).toBe('redis');
      const w = system.workers.find((x: { id: string }) => x.id === 'wb');
      expect(w).toMatchObject({ id: 'wb', kind: 'remote', pid: worker.pid, status: 'idle', currentJob: null, concurrency: 1 });
      expect(Date.now() - w.lastHeartbeat).toBeLessThan(5000);
    }
  });

  it('delivers the events of a job queued on B and run by the worker to the clients of A, once each', async () => {
    const socketA: Socket = connect(a.base, { transports: ['websocket'] });
    const socketB: Socket = connect(b.base, { transports: ['websocket'] });
    await Promise.all([socketA, socketB].map((s) => new Promise<void>((resolve) => s.on('connect', () => resolve()))));
    const comfy = new WebSocket(`ws://${a.address}/ws?clientId=comfy-a`);
    const comfyMessages: { type: string; data: Record<string, unknown> }[] = [];
    comfy.on('message', (data, isBinary) => {
      if (!isBinary) comfyMessages.push(JSON.parse(String(data)));
    });
    await new Promise((resolve) => comfy.once('open', resolve));

    const response = await post(b.base, '/prompt', { prompt: tinyTxt2img({ seed: 5, steps: 3, prefix: 'cross' }), client_id: 'comfy-a' });
    expect(response.status).toBe(200);
    const { prompt_id: id } = await json(response);
    const seenA: RunEvent[] = [];
    const seenB: RunEvent[] = [];
    const doneA = new Promise<void>((resolve) => socketA.on('run:event', (e: RunEvent) => (seenA.push(e), terminal(e) && resolve())));
    const doneB = new Promise<void>((resolve) => socketB.on('run:event', (e: RunEvent) => (seenB.push(e), terminal(e) && resolve())));
    socketA.emit('run:subscribe', { runId: id });
    socketB.emit('run:subscribe', { runId: id });
    await Promise.all([doneA, doneB]);
    await until('the /ws end of run', async () => comfyMessages.some((m) => m.type === 'executing' && m.data.node === null && m.data.prompt_id === id));

    for (const seen of [seenA, seenB]) {
      const types = seen.map((e) => e.type);
      expect(types.at(-1)).toBe('execution_success');
      expect(types.filter((t) => t === 'execution_success')).toHaveLength(1);
      expect(types.filter((t) => t === 'executed')).toHaveLength(1);
      expect(types.filter((t) => t === 'progress').length).toBeGreaterThanOrEqual(3);
    }
    const comfyTypes = comfyMessages.filter((m) => m.data.prompt_id === id).map((m) => m.type);
    expect(comfyTypes).toContain('execution_start');
    expect(comfyTypes.filter((t) => t === 'execution_success')).toHaveLength(1);
    expect(comfyTypes.filter((t) => t === 'progress').length).toBeGreaterThanOrEqual(3);

    // The image the events name is served by both instances, with the run's workflow inside.
    const executed = seenA.find((e) => e.type === 'executed') as Extract<RunEvent, { type: 'executed' }>;
    const image = (executed.output.images as { filename: string; subfolder: string; type: string }[])[0];
    expect(image.filename).toMatch(/^cross_\d{5}_\.png$/);
    for (const server of [a, b]) {
      const res = await fetch(`${server.base}/view?${new URLSearchParams(image)}`);
      expect(res.status).toBe(200);
      const png = Buffer.from(await res.arrayBuffer());
      expect(decodePng(png).width).toBe(64);
      expect(JSON.parse(readPngText(png).prompt)['3'].inputs.seed).toBe(5);
    }
    const job = await json(await fetch(`${a.base}/api/runs/${id}`));
    expect(job).toMatchObject({ status: 'success', attempts: 1, worker: 'wb' });
    expect(job.outputs['9'].images[0].filename).toBe(image.filename);
    const history = await json(await fetch(`${a.base}/history/${id}`));
    expect(history[id].status.completed).toBe(true);
    socketA.close();
    socketB.close();
    comfy.close();
  });

  it('interrupts a job running on the worker from the other instance, and deletes a queued one', async () => {
    const first = await json(await post(a.base, '/api/runs', { workflow: tinyTxt2img({ seed: 11, steps: 200 }) }));
    const second = await json(await post(a.base, '/api/runs', { workflow: tinyTxt2img({ seed: 12, steps: 1 }) }));
    await until('the first to run', async () => (await json(await fetch(`${b.base}/api/runs`))).running.some((j: { id: string }) => j.id === first.id), 60_000, 50);
    expect((await json(await fetch(`${b.base}/api/runs/${second.id}`, { method: 'DELETE' }))).deleted).toBe(true);
    expect((await json(await post(b.base, '/api/interrupt', { runId: first.id }))).interrupted).toBe(true);
    const job = await waitForRun(a.base, first.id, 60_000);
    expect(job, JSON.stringify(job.error)).toMatchObject({ status: 'interrupted', attempts: 1 });
    expect((await fetch(`${a.base}/api/runs/${second.id}`)).status).toBe(404);
    expect((await json(await fetch(`${a.base}/api/runs`))).queued).toEqual([]);
  });

  it('reports a node error on the worker once, without retrying it', async () => {
    // The servers offer the single-file checkpoint; this worker's models folder does not hold it.
    const response = await post(a.base, '/api/runs', { workflow: tinyTxt2img({ loader: 'checkpoint', steps: 1 }) });
    expect(response.status).toBe(202);
    const { id } = await json(response);
    const job = await waitForRun(b.base, id, 60_000);
    expect(job.status).toBe('error');
    expect(job.attempts).toBe(1);
    expect(job.error.issues?.[0], JSON.stringify(job.error)).toMatchObject({ nodeId: '4', code: 'value_invalid' });
  });

  it('retries a fault of the worker with backoff, then succeeds', async () => {
    // The worker's job folder cannot be made (a file is in the way) until the test removes it.
    const blocker = path.join(worker.dataDir, 'jobs');
    fs.rmSync(blocker, { recursive: true, force: true });
    fs.writeFileSync(blocker, 'not a folder');
    const { id } = await json(await post(b.base, '/api/runs', { workflow: tinyTxt2img({ seed: 9, steps: 1, prefix: 'retry' }) }));
    await until('the first attempt to fail', async () => {
      const job = await json(await fetch(`${b.base}/api/runs/${id}`));
      return job.attempts >= 1 && job.status === 'queued';
    }, 30_000, 50);
    fs.rmSync(blocker);
    const job = await waitForRun(a.base, id, 60_000);
    expect(job.status).toBe('success');
    expect(job.attempts).toBe(2);
  });

  it('lets a worker stopped with SIGTERM finish its running job, then leave the list', async () => {
    // Enough steps that the job is still running when the poll sees it (the engine is fast; 1 step could finish unseen).
    const { id } = await json(await post(a.base, '/api/runs', { workflow: tinyTxt2img({ seed: 21, steps: 80, prefix: 'drain' }) }));
    await until('the job to run', async () => (await json(await fetch(`${a.base}/api/runs/${id}`))).status === 'running', 60_000, 50);
    await worker.stop();
    expect(worker.proc.exitCode).toBe(0);
    const job = await json(await fetch(`${a.base}/api/runs/${id}`));
    expect(job).toMatchObject({ status: 'success', attempts: 1 });
    expect((await json(await fetch(`${a.base}/api/system`))).workers).toEqual([]);
  });
});
