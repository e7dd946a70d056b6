// Kill -9 of the embedded server with jobs queued: after a restart every job runs, none twice in history.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { json, makeModelsDir, tinyTxt2img } from '../helpers/server.ts';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-restart-'));
const modelsDir = makeModelsDir();
let child: ChildProcess | null = null;

afterAll(() => {
  child?.kill('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(modelsDir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function start(port: number): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', '--port', String(port), '--data-dir', dataDir, '--models-dir', modelsDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LATENTFLOW_THREADS: '1' },
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('latentflow is serving')) resolve();
    });
    proc.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
  return proc;
}

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
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));

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
    const history = await json(await fetch(`${base}/api/history?limit=50`));
    const seen = history.jobs.map((j: { id: string }) => j.id).filter((id: string) => ids.includes(id));
    expect(seen.sort()).toEqual([...ids].sort());
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
    child = null;
  });
});
