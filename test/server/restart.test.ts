// Kill -9 of the embedded server with jobs queued: after a restart every job runs, none twice in history.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { freePort } from '../helpers/redis.ts';
import { type ServeProcess, spawnServe } from '../helpers/serve-process.ts';
import { json, makeModelsDir, tinyTxt2img } from '../helpers/server.ts';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-restart-'));
const modelsDir = makeModelsDir();
let child: ServeProcess | null = null;

afterAll(async () => {
  await child?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(modelsDir, { recursive: true, force: true });
});

const start = (port: number) => spawnServe({ dataDir, modelsDir, port });

describe('restart', () => {
  it('runs every queued job after a kill -9, the interrupted one again, each once in history', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    child = await start(port);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${base}/api/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ workflow: tinyTxt2img({ seed: 100 + i, steps: i === 0 ? 40 : 2, prefix: `restart${i}` }) }),
      });
      expect(response.status).toBe(202);
      ids.push((await json(response)).id);
    }
    // Wait for the first to be running, then kill the server without warning.
    for (;;) {
      const runs = await json(await fetch(`${base}/api/runs`));
      if (runs.running.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.proc.kill('SIGKILL');
    await child.exited;

    child = await start(port);
    const deadline = Date.now() + 240_000;
    for (;;) {
      const jobs: any[] = await Promise.all(ids.map(async (id) => json(await fetch(`${base}/api/runs/${id}`))));
      if (jobs.every((j) => j.finishedAt)) {
        expect(jobs.map((j) => j.status)).toEqual(['success', 'success', 'success']);
        expect(jobs[0].attempts).toBe(2);
        break;
      }
      if (Date.now() > deadline) throw new Error(`jobs did not finish: ${JSON.stringify(jobs.map((j) => j.status))}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const history = await json(await fetch(`${base}/api/runs/history?limit=50`));
    const seen = history.jobs.map((j: { id: string }) => j.id).filter((id: string) => ids.includes(id));
    expect(seen.sort()).toEqual([...ids].sort());
    await child.stop();
    child = null;
  });
});
