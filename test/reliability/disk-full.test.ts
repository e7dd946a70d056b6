/**
 * Issue 15 case 4: the disk fills up while a job runs. The data folder is a real, tiny file system: a
 * 6 MiB tmpfs mounted in a mount namespace of the server's own (`unshare -m`, or `unshare -rm` where
 * the tests do not run as root), so SQLite meets a real ENOSPC and answers SQLITE_FULL ("database or
 * disk is full"), as on a full disk; the mount goes away with the process. The disk is filled through
 * the API (saved workflows), and freed through it (deleting one).
 *
 * Once, recording the interrupted job's outcome threw SQLITE_FULL out of the executor and killed the
 * server. Now: the process keeps serving, a queued run or an upload on the full disk is a clear 507, the
 * job shows as finished, its outcome is recorded as soon as there is space, and the next job runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodePng } from '../../nodes/image/png.ts';
import { type ServeProcess, spawnServe } from '../helpers/serve-process.ts';
import { json, makeModelsDir, tinyTxt2img, waitForRun } from '../helpers/server.ts';

const DISK = '6m';
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-diskfull-'));
const modelsDir = makeModelsDir();
let server: ServeProcess;

/** Runs the server with `dir` a fresh tmpfs of `size`, in a mount namespace of its own. */
function onTinyDisk(dir: string, size: string): string[] {
  const unshare = process.getuid?.() === 0 ? ['unshare', '-m'] : ['unshare', '-rm'];
  return [...unshare, 'sh', '-c', 'mount -t tmpfs -o "size=$1" tmpfs "$2" && shift 2 && exec "$@"', 'sh', size, dir];
}

beforeAll(async () => {
  server = await spawnServe({ dataDir, modelsDir, wrap: onTinyDisk(dataDir, DISK) });
});
afterAll(async () => {
  await server?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(modelsDir, { recursive: true, force: true });
});

const post = (route: string, body: unknown) => fetch(`${server.base}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const emptyWorkflow = (filler: string) => ({ version: 1, name: 'filler', nodes: [], edges: [], extra: { filler } });

describe('the disk fills up during a run', () => {
  let running: string;
  const saved: string[] = [];

  it('the data folder really is the tiny file system (the server writes there, not to the folder outside)', async () => {
    const created = await post('/api/workflows', { name: 'probe', workflow: emptyWorkflow('x') });
    expect(created.status).toBe(201);
    expect(fs.readdirSync(dataDir)).toEqual([]); // the mount is the server's own
  });

  it('a long job runs; the disk is filled through the API until a save answers 507 disk_full', async () => {
    const wf = tinyTxt2img({ steps: 150, prefix: 'full' }) as Record<string, { inputs: Record<string, unknown> }>;
    wf['5'].inputs.width = 128;
    wf['5'].inputs.height = 128;
    const queued = await post('/api/runs', { workflow: wf });
    expect(queued.status).toBe(202);
    running = (await json(queued)).id;
    for (;;) {
      const job = await json(await fetch(`${server.base}/api/runs/${running}`));
      if (job.status === 'running') break;
      expect(job.finishedAt).toBeNull();
      await new Promise((r) => setTimeout(r, 50));
    }
    // Saves of 1 MiB, then 64 KiB, 4 KiB and 64 bytes of filler, each size until the disk refuses it.
    let refusal: any;
    for (const size of [2 ** 20, 2 ** 16, 2 ** 12, 64]) {
      for (;;) {
        const name = `fill-${saved.length}`;
        const response = await post('/api/workflows', { name, workflow: emptyWorkflow('x'.repeat(size)) });
        if (response.status === 201) {
          saved.push(name);
          continue;
        }
        expect(response.status).toBe(507);
        refusal = await json(response);
        break;
      }
    }
    expect(refusal.error.code).toBe('disk_full');
    expect(refusal.error.message).toMatch(/disk .* is full: free some space/);
    expect(saved.length).toBeGreaterThan(3);
    expect((await json(await fetch(`${server.base}/api/runs/${running}`))).status).toBe('running');
  });

  it('on the full disk, queueing a run is 507 disk_full (nothing queued), and an upload is 507 leaving no half-written file', async () => {
    const queued = await post('/api/runs', { workflow: tinyTxt2img({ steps: 1 }) });
    expect(queued.status).toBe(507);
    expect((await json(queued)).error.code).toBe('disk_full');
    const queue = await json(await fetch(`${server.base}/api/runs`));
    expect(queue.queued).toEqual([]);

    const picture = encodePng({ width: 64, height: 64, channels: 3, data: new Uint8Array(64 * 64 * 3).map((_, i) => (i * 7919) % 251) });
    const form = new FormData();
    form.append('image', new Blob([picture]), 'on-full-disk.png');
    const uploaded = await fetch(`${server.base}/upload/image`, { method: 'POST', body: form });
    expect(uploaded.status).toBe(507);
    expect((await json(uploaded)).error.code).toBe('disk_full');
    const loadImage = await json(await fetch(`${server.base}/object_info/LoadImage`));
    expect(JSON.stringify(loadImage)).not.toContain('on-full-disk');
  });

  it('the run is interrupted and its outcome cannot be written: the server keeps serving and shows the run finished', async () => {
    expect((await post('/api/interrupt', { runId: running })).status).toBe(200);
    const job = await waitForRun(server.base, running, 120_000);
    expect(job.status).toBe('interrupted');
    expect((await fetch(`${server.base}/api/system`)).status).toBe(200);
    expect(server.alive()).toBe(true);
    // Not in the store yet: the history (read from it) does not list it.
    const history = await json(await fetch(`${server.base}/api/runs/history`));
    expect(history.jobs.map((j: { id: string }) => j.id)).not.toContain(running);
    expect(server.output()).toMatch(/the job store failed while recording the outcome of run .*the disk holding the data folder is full/);
  });

  it('once space is freed (a saved workflow deleted), the outcome is recorded and the next job runs and saves its image', async () => {
    for (const name of saved.slice(0, 2)) expect((await fetch(`${server.base}/api/workflows/${name}`, { method: 'DELETE' })).status).toBe(200);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const history = await json(await fetch(`${server.base}/api/runs/history`));
      const recorded = history.jobs.find((j: { id: string }) => j.id === running);
      if (recorded) {
        expect(recorded.status).toBe('interrupted');
        break;
      }
      if (Date.now() > deadline) throw new Error(`the held outcome was not recorded:\n${server.output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(server.output()).toMatch(/the job store works again/);
    const queued = await post('/api/runs', { workflow: tinyTxt2img({ steps: 1, prefix: 'after' }) });
    expect(queued.status).toBe(202);
    const job = await waitForRun(server.base, (await json(queued)).id);
    expect(job.status).toBe('success');
    const [image] = job.outputs['9'].images;
    expect((await fetch(`${server.base}/view?${new URLSearchParams({ filename: image.filename, type: 'output' })}`)).status).toBe(200);
    expect(server.alive()).toBe(true);
  });
});
