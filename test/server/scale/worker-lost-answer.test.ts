// A worker's "job completed" that Redis executed but whose answer was lost (Redis went away right
// after, as in a restart): ioredis sends the command again, the repeat finds the job no longer active,
// and BullMQ reports an error instead of 'completed'. A proxy in front of redis-server loses that answer
// on purpose (reply-cutting-proxy.ts), so this happens every time. The worker's locks and stalled checks
// are slow here, so its BullMQ connection has nothing else waiting for an answer when the job ends.
// Proves: the run's end still reaches the client (the worker asks Redis how the job ended), once, and
// the job is recorded once, successful, in one attempt.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startRedis, type TestRedis } from '../../helpers/redis.ts';
import { type ReplyCuttingProxy, startReplyCuttingProxy } from '../../helpers/reply-cutting-proxy.ts';
import { connectRunEventClient, post, startRedisTestServer, startWorker, type TestWorker, until } from '../../helpers/scale.ts';
import { json, type TestServer, tinyTxt2img, waitForRun } from '../../helpers/server.ts';

let redis: TestRedis;
let proxy: ReplyCuttingProxy;
let server: TestServer;
let worker: TestWorker;

beforeAll(async () => {
  redis = await startRedis();
  proxy = await startReplyCuttingProxy(redis.port);
  [server, worker] = await Promise.all([
    startRedisTestServer(redis.url),
    startWorker(proxy.url, 'wl', { extraArgs: ['--lock-ms', '30000', '--stalled-interval-ms', '30000'] }),
  ]);
});

afterAll(async () => {
  await worker?.stop();
  await server?.close();
  await proxy?.close();
  await redis?.stop();
});

describe('a worker whose "job completed" answer is lost', () => {
  it("still publishes the run's end, once", async () => {
    const { socket, events } = await connectRunEventClient(server.base, 'lost');

    // The job's outcome travels only in BullMQ's "move to completed": its marker is a field of it.
    const marker = '"status":"success"';
    const cut = proxy.cutAfter(marker);
    const response = await post(server.base, '/api/runs', { workflow: tinyTxt2img({ steps: 1, prefix: 'lost' }), clientId: 'lost' });
    expect(response.status).toBe(202);
    const { id } = await json(response);
    await cut;
    await until('the end on the socket', async () => events.some((e) => e.runId === id && e.type === 'execution_success'), 20_000, 20);

    // Redis executed the completion twice; BullMQ took the second for a failure (its error, logged).
    expect(proxy.sent(marker)).toBe(2);
    await until('BullMQ to report the repeat', async () => /Missing lock|not in the active state/.test(worker.log()), 5000, 20);
    const job = await waitForRun(server.base, id, 10_000);
    expect(job).toMatchObject({ status: 'success', attempts: 1 });
    expect(events.filter((e) => e.runId === id).map((e) => e.type)).toEqual(expect.arrayContaining(['queued', 'execution_start', 'executed', 'execution_success']));
    expect(events.filter((e) => e.runId === id && e.type === 'execution_success')).toHaveLength(1);
    socket.close();
  });
});
