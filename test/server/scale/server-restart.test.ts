// The server killed (SIGKILL) and restarted while its jobs wait in Redis: nothing is lost. The jobs
// run when a worker comes, and their events reach a socket.io client that reconnected by itself and a
// ComfyUI /ws client that connected to the new server; history and images are there.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

import { decodePng } from '../../../nodes/image/png.ts';
import type { RunEvent } from '../../../protocol/index.ts';
import { freePort, type TestRedis, startRedis } from '../../helpers/redis.ts';
import { post, type ServerProcess, startServerProcess, startWorker, type TestWorker, until } from '../../helpers/scale.ts';
import { json, makeModelsDir, tinyTxt2img } from '../../helpers/server.ts';

let redis: TestRedis;
let server: ServerProcess | null = null;
let worker: TestWorker | null = null;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-scale-restart-'));
const modelsDir = makeModelsDir();

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await server?.kill();
  await worker?.stop();
  await redis?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(modelsDir, { recursive: true, force: true });
});

describe('server restart with jobs waiting in Redis', () => {
  it('runs them afterwards and delivers their events to clients of the new server', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    server = await startServerProcess({ port, redisUrl: redis.url, dataDir, modelsDir });

    const ids: string[] = [];
    const events = new Map<string, RunEvent[]>();
    let connects = 0;
    const socket: Socket = connect(base, { transports: ['websocket'], reconnectionDelay: 100, reconnectionDelayMax: 500 });
    socket.on('connect', () => {
      connects++;
      for (const id of ids) socket.emit('run:subscribe', { runId: id }); // rooms are per connection: join again
    });
    socket.on('run:event', (e: RunEvent) => events.set(e.runId, [...(events.get(e.runId) ?? []), e]));
    await until('the socket to connect', async () => connects === 1);

    for (let i = 0; i < 2; i++) {
      const response = await post(base, '/api/runs', { workflow: tinyTxt2img({ seed: 300 + i, steps: 1, prefix: `restart${i}` }), clientId: 'comfy-r' });
      expect(response.status).toBe(202);
      const { id } = await json(response);
      ids.push(id);
      socket.emit('run:subscribe', { runId: id });
    }

    await server.kill();
    server = await startServerProcess({ port, redisUrl: redis.url, dataDir, modelsDir });
    await until('the socket to reconnect by itself', async () => connects === 2, 20_000);

    const waiting = await json(await fetch(`${base}/api/runs`));
    expect(waiting.queued.map((j: { id: string }) => j.id).sort()).toEqual([...ids].sort());
    const comfy = new WebSocket(`ws://127.0.0.1:${port}/ws?clientId=comfy-r`);
    const comfyMessages: { type: string; data: Record<string, unknown> }[] = [];
    comfy.on('message', (data, isBinary) => {
      if (!isBinary) comfyMessages.push(JSON.parse(String(data)));
    });
    await new Promise((resolve) => comfy.once('open', resolve));

    worker = await startWorker(redis.url, 'wr');
    for (const id of ids) {
      await until(`run ${id} to end on the socket`, async () => events.get(id)?.some((e) => e.type === 'execution_success'), 90_000);
      await until(`run ${id} to end on /ws`, async () => comfyMessages.some((m) => m.type === 'execution_success' && m.data.prompt_id === id), 10_000);
      const types = events.get(id)!.map((e) => e.type);
      expect(types).toContain('execution_start');
      expect(types).toContain('executed');
      const job = await json(await fetch(`${base}/api/runs/${id}`));
      expect(job).toMatchObject({ status: 'success', attempts: 1, worker: 'wr' });
      const res = await fetch(`${base}/view?${new URLSearchParams(job.outputs['9'].images[0])}`);
      expect(res.status).toBe(200);
      expect(decodePng(Buffer.from(await res.arrayBuffer())).height).toBe(64);
    }
    const history = await json(await fetch(`${base}/api/runs/history`));
    expect(history.jobs.map((j: { id: string }) => j.id).sort()).toEqual([...ids].sort());
    // The new server stored the images in its output folder as they were announced.
    const outputs = await json(await fetch(`${base}/api/outputs`));
    expect(outputs.files.map((f: { filename: string }) => f.filename).sort()).toEqual(['restart0_00001_.png', 'restart1_00001_.png']);
    socket.close();
    comfy.close();
  }, 240_000);
});
