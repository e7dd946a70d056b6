// At least once: two workers, six queued jobs, one worker killed with SIGKILL while it samples. Its job
// stalls, the other worker runs it again, and all six finish, each exactly once in history, with their
// images downloadable from the server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { decodePng, readPngText } from '../../../nodes/image/png.ts';
import { type TestRedis, startRedis } from '../../helpers/redis.ts';
import { connectRunEventClient, post, startRedisTestServer, startWorker, type TestWorker, until } from '../../helpers/scale.ts';
import { json, type TestServer, tinyTxt2img } from '../../helpers/server.ts';

let redis: TestRedis;
let server: TestServer;
let workers: TestWorker[] = [];

beforeAll(async () => {
  redis = await startRedis();
  [server, ...workers] = await Promise.all([startRedisTestServer(redis.url), startWorker(redis.url, 'w1'), startWorker(redis.url, 'w2')]);
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await server?.close();
  await redis?.stop();
});

describe('a worker killed mid-job', () => {
  it('loses nothing: all six jobs finish once, the killed one re-run by the other worker', async () => {
    // Connected with a client id, the socket gets every event of the runs queued with it, from the first.
    const { socket, byRun: events } = await connectRunEventClient(server.base, 'kill-test');

    // The first job samples long enough to be caught at it; the others are short.
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await post(server.base, '/api/runs', { workflow: tinyTxt2img({ seed: 200 + i, steps: i === 0 ? 5 : 1, prefix: `kill${i}` }), clientId: 'kill-test' });
      expect(response.status).toBe(202);
      ids.push((await json(response)).id);
    }

    // Kill the worker of the first job while it samples, without warning.
    const victimRun = ids[0];
    await until('the first job to sample', async () => events.get(victimRun)?.some((e) => e.type === 'progress'), 90_000, 20);
    const running = await json(await fetch(`${server.base}/api/runs/${victimRun}`));
    expect(running.status).toBe('running');
    const victim = workers.find((w) => w.id === running.worker)!;
    const survivor = workers.find((w) => w !== victim)!;
    await victim.kill();

    const jobs = await until('every job to finish', async () => {
      const all = await Promise.all(ids.map(async (id) => json(await fetch(`${server.base}/api/runs/${id}`))));
      return all.every((j) => j.finishedAt !== null) && all;
    }, 240_000, 250);
    expect(jobs.map((j) => j.status)).toEqual(Array(6).fill('success'));
    const rerun = jobs.find((j) => j.id === victimRun)!;
    expect(rerun.attempts).toBe(2);
    expect(rerun.worker).toBe(survivor.id);

    // History: each job exactly once (ours and ComfyUI's).
    const history = await json(await fetch(`${server.base}/api/runs/history?limit=50`));
    expect(history.total).toBe(6);
    expect(history.jobs.map((j: { id: string }) => j.id).sort()).toEqual([...ids].sort());
    const comfyHistory = await json(await fetch(`${server.base}/history`));
    expect(Object.keys(comfyHistory).sort()).toEqual([...ids].sort());

    // Every image downloads from the server, under a name of its own, holding its own job's seed.
    const names = new Set<string>();
    for (const [i, job] of jobs.entries()) {
      const image = job.outputs['9'].images[0];
      names.add(image.filename);
      const res = await fetch(`${server.base}/view?${new URLSearchParams(image)}`);
      expect(res.status).toBe(200);
      const png = Buffer.from(await res.arrayBuffer());
      expect(decodePng(png).width).toBe(64);
      expect(JSON.parse(readPngText(png).prompt)['3'].inputs.seed).toBe(200 + i);
    }
    expect(names.size).toBe(6);

    // Each run ended once for the client; the killed one started twice.
    for (const id of ids) expect(events.get(id)!.filter((e) => e.type === 'execution_success')).toHaveLength(1);
    expect(events.get(victimRun)!.filter((e) => e.type === 'execution_start')).toHaveLength(2);

    // The killed worker's heartbeat expired; the survivor is listed and idle.
    const system = await until('the dead worker to drop off', async () => {
      const s = await json(await fetch(`${server.base}/api/system`));
      return s.workers.length === 1 && s;
    }, 10_000);
    expect(system.workers[0]).toMatchObject({ id: survivor.id, pid: survivor.pid, status: 'idle', loadedModels: ['diffusers/tiny-sd'] });
    socket.close();
  }, 300_000); // about a minute on this 2-core machine; longer when other processes hold the cores
});
