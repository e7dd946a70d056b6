// A worker that has never seen the server's packs runs a workflow that uses a subgraph node type saved
// on the server ("save as node": <data>/packs/user): the type travels with the job through Redis. And
// `latentflow worker --concurrency 2` runs two jobs at once, both to the end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { decodePng, readPngText } from '../../../nodes/image/png.ts';
import { type TestRedis, startRedis } from '../../helpers/redis.ts';
import { post, startRedisTestServer, startWorker, type TestWorker, until } from '../../helpers/scale.ts';
import { json, type TestServer, tinyTxt2img } from '../../helpers/server.ts';

let redis: TestRedis;
let server: TestServer;
let worker: TestWorker;

beforeAll(async () => {
  redis = await startRedis();
  [server, worker] = await Promise.all([startRedisTestServer(redis.url), startWorker(redis.url, 'wc', { concurrency: 2 })]);
});

afterAll(async () => {
  await worker?.stop();
  await server?.close();
  await redis?.stop();
});

/** A saved subgraph: the prompt encoder as one node (a STRING widget and a CLIP socket in, CONDITIONING out). */
const promptEncoder = {
  type: 'PromptEncode',
  description: 'Encodes a prompt.',
  inputs: [
    { name: 'clip', type: 'CLIP', targets: [{ node: '1', input: 'clip' }] },
    { name: 'prompt', type: 'STRING', default: 'a small cat', targets: [{ node: '1', input: 'text' }] },
  ],
  outputs: [{ name: 'CONDITIONING', type: 'CONDITIONING', from: { node: '1', output: 0 } }],
  workflow: { '1': { class_type: 'CLIPTextEncode', inputs: { text: 'x' } } },
};

async function finished(id: string) {
  return until(`run ${id} to finish`, async () => {
    const job = await json(await fetch(`${server.base}/api/runs/${id}`));
    return job.finishedAt !== null && job;
  }, 120_000, 100);
}

describe('a worker without the server\'s packs, running two jobs at once', () => {
  it('runs a workflow using a subgraph saved on the server (the type travels with the job)', async () => {
    const saved = await post(server.base, '/api/packs/subgraphs', promptEncoder);
    expect(saved.status).toBe(201);
    expect((await json(saved)).type).toBe('user/PromptEncode');

    const workflow = tinyTxt2img({ seed: 700, steps: 1, prefix: 'packed' }) as Record<string, unknown>;
    workflow['6'] = { class_type: 'user/PromptEncode', inputs: { clip: ['4', 1], prompt: 'a small dog' } };
    const queued = await post(server.base, '/api/runs', { workflow });
    expect(queued.status).toBe(202);
    const job = await finished((await json(queued)).id);
    expect(job).toMatchObject({ status: 'success', worker: 'wc', attempts: 1 });
    const res = await fetch(`${server.base}/view?${new URLSearchParams(job.outputs['9'].images[0])}`);
    expect(res.status).toBe(200);
    const png = Buffer.from(await res.arrayBuffer());
    expect(decodePng(png).width).toBe(64);
    expect(JSON.parse(readPngText(png).prompt)['6'].class_type).toBe('user/PromptEncode'); // the workflow as the user drew it

    // The same workflow with the plain CLIPTextEncode gives the same picture (the subgraph is just that node).
    const plain = tinyTxt2img({ seed: 700, steps: 1, prefix: 'plain', prompt: 'a small dog' });
    const plainJob = await finished((await json(await post(server.base, '/api/runs', { workflow: plain }))).id);
    const plainPng = Buffer.from(await (await fetch(`${server.base}/view?${new URLSearchParams(plainJob.outputs['9'].images[0])}`)).arrayBuffer());
    expect(Buffer.from(decodePng(plainPng).data).equals(Buffer.from(decodePng(png).data))).toBe(true);
  }, 120_000);

  it('--concurrency 2: two jobs run on one worker at the same time, and both finish', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const response = await post(server.base, '/api/runs', { workflow: tinyTxt2img({ seed: 710 + i, steps: 12, prefix: `both${i}` }) });
      expect(response.status).toBe(202);
      ids.push((await json(response)).id);
    }
    // Both are running at once, on the one worker, which lists both.
    const system = await until('both jobs to run at once', async () => {
      const s = await json(await fetch(`${server.base}/api/system`));
      return s.queue.runningIds.length === 2 && s;
    }, 60_000, 50);
    expect([...system.queue.runningIds].sort()).toEqual([...ids].sort());
    const jobs = await Promise.all(ids.map(finished));
    expect(jobs.map((j) => j.status)).toEqual(['success', 'success']);
    expect(jobs.map((j) => j.worker)).toEqual(['wc', 'wc']);
    // Their run times overlap: each started before the other finished.
    expect(jobs[0].startedAt).toBeLessThan(jobs[1].finishedAt);
    expect(jobs[1].startedAt).toBeLessThan(jobs[0].finishedAt);
    for (const [i, job] of jobs.entries()) {
      const png = Buffer.from(await (await fetch(`${server.base}/view?${new URLSearchParams(job.outputs['9'].images[0])}`)).arrayBuffer());
      expect(JSON.parse(readPngText(png).prompt)['3'].inputs.seed).toBe(710 + i);
    }
    console.log(`concurrency 2: job 1 ran ${jobs[0].startedAt - jobs[0].startedAt}..${jobs[0].finishedAt - jobs[0].startedAt} ms, job 2 ${jobs[1].startedAt - jobs[0].startedAt}..${jobs[1].finishedAt - jobs[0].startedAt} ms`);
  }, 120_000);
});
