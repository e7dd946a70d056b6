/**
 * Issue 15 cases 5 and 11: the data folder itself. Each server here is `latentflow serve` as a child
 * process on a real data folder.
 *
 * 5. Two servers on one data folder: once, the second one's recovery took the first one's running job
 *    for abandoned and ran it again. Now the second refuses to start, naming the first one's pid, and
 *    the lock goes with the process however it ends (a kill -9 leaves no stale lock).
 * 11. A damaged job database: once, a damaged inner page let the server start and answer 500
 *    SQLITE_CORRUPT on /api/history, and a damaged header ended the start with a raw stack trace. Now
 *    the start stops with a message naming the file and the way out, and the file is left as it was.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { serveRefusal, type ServeProcess, spawnServe } from '../helpers/serve-process.ts';
import { json, makeModelsDir, tinyTxt2img, waitForRun } from '../helpers/server.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-datafolder-'));
const modelsDir = makeModelsDir();
const servers: ServeProcess[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(modelsDir, { recursive: true, force: true });
});

async function serve(dataDir: string): Promise<ServeProcess> {
  const server = await spawnServe({ dataDir, modelsDir });
  servers.push(server);
  return server;
}

const post = (base: string, route: string, body: unknown) => fetch(`${base}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('5. two servers on one data folder', () => {
  const dataDir = path.join(root, 'shared');

  it('the second refuses to start, naming the first one\'s pid; the first one\'s running job runs once', async () => {
    const first = await serve(dataDir);
    const queued = await post(first.base, '/api/runs', { workflow: tinyTxt2img({ steps: 40, prefix: 'once' }) });
    expect(queued.status).toBe(202);
    const { id } = await json(queued);
    for (;;) {
      if ((await json(await fetch(`${first.base}/api/runs/${id}`))).status === 'running') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const second = await serveRefusal({ dataDir, modelsDir });
    expect(second.code).toBe(1);
    expect(second.output).toContain(`the data folder ${dataDir} is in use by another latentflow server (process ${first.proc.pid})`);
    expect(second.output).toMatch(/another --data-dir/);
    expect(second.output).not.toMatch(/^\s+at /m); // a message, not a stack trace

    const job = await waitForRun(first.base, id, 240_000);
    expect(job.status).toBe('success');
    expect(job.attempts).toBe(1);
    expect(job.outputs['9'].images).toHaveLength(1);
  });

  it('after the first is killed with SIGKILL, the lock is gone with it: a new server starts on the folder', async () => {
    const first = servers[0];
    first.proc.kill('SIGKILL');
    await first.exited;
    const next = await serve(dataDir);
    const history = await json(await fetch(`${next.base}/api/runs/history`));
    expect(history.jobs.map((j: { status: string; attempts: number }) => [j.status, j.attempts])).toEqual([['success', 1]]);
    await next.stop();
  });
});

describe('11. a damaged job database', () => {
  /** A data folder whose database holds 12 queued jobs of ~3 KB each (several pages), closed cleanly. */
  async function folderWithHistory(name: string): Promise<string> {
    const dataDir = path.join(root, name);
    const server = await serve(dataDir);
    for (let i = 0; i < 12; i++) {
      const wf = tinyTxt2img({ steps: 150, prompt: `job ${i} ${'a painted landscape '.repeat(150)}`.slice(0, 3000) });
      expect((await post(server.base, '/api/runs', { workflow: wf })).status).toBe(202);
    }
    await server.stop(); // SIGTERM: the job that started is interrupted; the store is closed and checkpointed
    expect(fs.existsSync(path.join(dataDir, 'latentflow.db-wal'))).toBe(false);
    return dataDir;
  }

  function damage(file: string, offset: number, length: number): Buffer {
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(length, 0xa5), 0, length, offset);
    fs.closeSync(fd);
    return fs.readFileSync(file);
  }

  it.each([
    ['a damaged inner page', 'inner', (size: number) => [Math.floor(size / 4096 / 2) * 4096, 4096]],
    ['a damaged header', 'header', () => [0, 100]],
  ] as const)('%s: the start stops with a message naming the file and the way out, and leaves the file as it was', async (_name, folder, where) => {
    const dataDir = await folderWithHistory(folder);
    const db = path.join(dataDir, 'latentflow.db');
    const [offset, length] = where(fs.statSync(db).size);
    const damaged = damage(db, offset, length);

    const refusal = await serveRefusal({ dataDir, modelsDir });
    console.log(`${_name}: ${refusal.output.trim()}`);
    expect(refusal.code).toBe(1);
    expect(refusal.output).toContain(`the job database ${db} is damaged`);
    expect(refusal.output).toContain(`mv ${db} ${db}.damaged`);
    expect(refusal.output).toMatch(/Restore the file from a backup/);
    expect(refusal.output).not.toMatch(/^\s+at /m);
    expect(fs.readFileSync(db).equals(damaged)).toBe(true); // nothing silently lost or rewritten

    // Doing what the message says: the server starts with an empty queue and history.
    fs.renameSync(db, `${db}.damaged`);
    const fresh = await serve(dataDir);
    expect((await json(await fetch(`${fresh.base}/api/runs/history`))).total).toBe(0);
    await fresh.stop();
  });
});
