// Commands Redis executes twice, as after a restart: ioredis sends again every command whose answer
// it did not get, and one Redis executed just before it went away runs a second time. A proxy in front
// of a real redis-server loses that answer on purpose (reply-cutting-proxy.ts), so the duplicate
// happens every time. Proves: a run's end published twice reaches each socket.io and ComfyUI /ws client
// of a server once, and nothing of the run follows its end until it is queued again; an enqueue sent
// twice queues one job.
import type { Redis } from 'ioredis';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

import type { RunEvent } from '../../../../protocol/index.ts';
import { openRedis, redisKeys } from '../../../../server/jobs/redis/options.ts';
import { decodeMessage, encodeMessage, RedisEventBus } from '../../../../server/jobs/redis/redis-bus.ts';
import { startRedis, type TestRedis } from '../../../helpers/redis.ts';
import { type ReplyCuttingProxy, startReplyCuttingProxy } from '../../../helpers/reply-cutting-proxy.ts';
import { post, startRedisTestServer, testRedisOptions, until } from '../../../helpers/scale.ts';
import { json, type TestServer, tinyTxt2img } from '../../../helpers/server.ts';

let redis: TestRedis;
let proxy: ReplyCuttingProxy;
let server: TestServer;
/** Publishes as a worker does, through the proxy. */
let workerBus: RedisEventBus;
/** Hears the channel straight from Redis: what Redis delivered, duplicates included. */
let raw: Redis;
/** Publishes and reads straight on Redis. */
let direct: Redis;
const heard: RunEvent[] = [];
const keys = redisKeys(testRedisOptions('').prefix);

beforeAll(async () => {
  redis = await startRedis();
  proxy = await startReplyCuttingProxy(redis.port);
  server = await startRedisTestServer(proxy.url);
  workerBus = new RedisEventBus(testRedisOptions(proxy.url), 'test-worker');
  raw = openRedis(redis.url, { name: 'test-raw', blocking: true });
  direct = openRedis(redis.url, { name: 'test-direct' });
  raw.on('message', (_channel: string, text: string) => {
    const { run } = decodeMessage(text);
    if (run) heard.push(run.event);
  });
  await Promise.all([workerBus.ready(), raw.subscribe(keys.events)]);
});

afterAll(async () => {
  await raw?.quit();
  await direct?.quit();
  await workerBus?.close();
  await server?.close();
  await proxy?.close();
  await redis?.stop();
});

/** Publishes a run event straight on Redis, as any publisher does. */
function publish(event: RunEvent, clientId: string): void {
  void direct.publish(keys.events, encodeMessage({ run: { event, clientId } }));
}

/** A socket.io client and a ComfyUI /ws client of the server, both for `clientId`, recording what they get. */
async function clients(clientId: string) {
  const socket: Socket = connect(server.base, { transports: ['websocket'], query: { clientId } });
  const socketEvents: RunEvent[] = [];
  socket.on('run:event', (e: RunEvent) => socketEvents.push(e));
  const comfy = new WebSocket(`ws://${server.address}/ws?clientId=${clientId}`);
  const comfyMessages: { type: string; data: { prompt_id?: string; node?: string | null } }[] = [];
  comfy.on('message', (data, isBinary) => {
    if (!isBinary) comfyMessages.push(JSON.parse(String(data)));
  });
  await Promise.all([new Promise((resolve) => socket.on('connect', () => resolve(null))), new Promise((resolve) => comfy.once('open', resolve))]);
  return {
    socketTypes: (runId: string) => socketEvents.filter((e) => e.runId === runId).map((e) => e.type),
    comfyTypes: (runId: string) => comfyMessages.filter((m) => m.data.prompt_id === runId).map((m) => (m.type === 'executing' && m.data.node === null ? 'executing:null' : m.type)),
    /**
     * Everything published before now has reached both clients: a last event goes through the same
     * channel, and Redis, socket.io and ws each keep the order.
     */
    async settle(marker: string) {
      publish({ type: 'execution_start', runId: marker, timestamp: Date.now() }, clientId);
      await until('the marker on both clients', async () => socketEvents.some((e) => e.runId === marker) && comfyMessages.some((m) => m.data.prompt_id === marker), 5000, 10);
    },
    close() {
      socket.close();
      comfy.close();
    },
  };
}

describe('Redis executes a command twice', () => {
  it("a run's end published twice reaches each socket.io and /ws client once", async () => {
    const c = await clients('twice');
    const runId = 'ends-twice';
    publish({ type: 'execution_start', runId, timestamp: 1 }, 'twice');
    await until('the start heard', async () => heard.some((e) => e.runId === runId), 5000, 10);
    // The end is the one command waiting for an answer on the worker bus' connection.
    const cut = proxy.cutAfter('"execution_success"');
    workerBus.publishRun({ event: { type: 'execution_success', runId, timestamp: 2 }, clientId: 'twice' });
    await cut;
    // Redis delivered the end, its answer was lost, ioredis published it again: two ends on the channel.
    await until('the end re-sent', async () => heard.filter((e) => e.runId === runId && e.type === 'execution_success').length === 2, 5000, 10);
    expect(proxy.sent('"execution_success"')).toBe(2);

    await c.settle('twice-marker');
    expect(c.socketTypes(runId)).toEqual(['execution_start', 'execution_success']);
    // ComfyUI's /ws: the end, then executing(node: null), once.
    expect(c.comfyTypes(runId)).toEqual(['execution_start', 'execution_success', 'executing:null']);
    c.close();
  });

  it('lets nothing of a run through after its end until the run is queued again', async () => {
    const c = await clients('late');
    const runId = 'ends-then-reused';
    publish({ type: 'execution_start', runId, timestamp: 1 }, 'late');
    publish({ type: 'execution_error', runId, node: '3', nodeType: 'KSampler', message: 'boom', issues: [] }, 'late');
    // A stopped run's last step (a worker that lost its lock), and the end again.
    publish({ type: 'progress', runId, node: '3', value: 2, max: 2 }, 'late');
    publish({ type: 'execution_error', runId, node: '3', nodeType: 'KSampler', message: 'boom', issues: [] }, 'late');
    // The id queued anew (its history deleted, the prompt_id sent again): a new run, which may end.
    publish({ type: 'queued', runId, position: 0 }, 'late');
    publish({ type: 'execution_start', runId, timestamp: 2 }, 'late');
    publish({ type: 'execution_success', runId, timestamp: 3 }, 'late');
    await c.settle('late-marker');
    expect(c.socketTypes(runId)).toEqual(['execution_start', 'execution_error', 'queued', 'execution_start', 'execution_success']);
    expect(c.comfyTypes(runId)).toEqual(['execution_start', 'execution_error', 'executing:null', 'execution_start', 'execution_success', 'executing:null']);
    c.close();
  });

  it('an enqueue sent twice (its answer lost) queues one job', async () => {
    // The job's data travels only in BullMQ's add script: its marker is a field of our job data.
    const cut = proxy.cutAfter('"outputNodeIds"');
    const [response] = await Promise.all([post(server.base, '/api/runs', { workflow: tinyTxt2img({ steps: 1 }) }), cut]);
    expect(proxy.sent('"outputNodeIds"')).toBe(2);
    expect(response.status).toBe(202);
    const { id } = await json(response);
    // BullMQ's add finds the job by its id (the run id, always given) and pushes nothing the second time.
    const waiting = await direct.lrange(`${testRedisOptions('').prefix}:${keys.queueName}:wait`, 0, -1);
    expect(waiting).toEqual([id]);
    const pending = await json(await fetch(`${server.base}/api/runs`));
    expect(pending.queued.map((j: { id: string }) => j.id)).toEqual([id]);
  });
});
