/**
 * How fast a server on the Redis queue answers while Redis is away: the time from POST /api/runs to its
 * 503 `queue_unavailable` right after redis-server is killed (SIGKILL, the server may not have noticed
 * yet: at most its 5 s wait) and once it has noticed (at once), and how long until enqueues are
 * accepted again after a restart. test/server/scale/redis-restart.test.ts checks what happens; this
 * measures how long it takes.
 *
 *   npm run bench:redis-outage
 *   npm run bench:redis-outage -- --rounds 5
 *
 * Starts its own redis-server (Debian's `redis-server`) on a free loopback port and a server in this
 * process (no worker: the queued jobs only wait).
 */
import os from 'node:os';

import { startRedis } from '../test/helpers/redis.ts';
import { post, startRedisTestServer, until } from '../test/helpers/scale.ts';
import { tinyTxt2img } from '../test/helpers/server.ts';
import { option } from './args.ts';
import { median } from './stats.ts';

const ROUNDS = Number(option('rounds', '3'));

const redis = await startRedis();
const server = await startRedisTestServer(redis.url);
let seed = 1;
const enqueue = async () => {
  const started = performance.now();
  const response = await post(server.base, '/api/runs', { workflow: tinyTxt2img({ seed: seed++, steps: 1, prefix: 'outage' }) });
  const ms = performance.now() - started;
  const code = response.status === 202 ? null : ((await response.json()) as { error: { code: string } }).error.code;
  return { status: response.status, code, ms };
};

const first: number[] = [];
const later: number[] = [];
const back: number[] = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    if ((await enqueue()).status !== 202) throw new Error('the server did not accept a job with Redis up');
    await redis.kill('SIGKILL');
    const a = await enqueue();
    const b = await enqueue();
    for (const r of [a, b]) if (r.status !== 503 || r.code !== 'queue_unavailable') throw new Error(`expected 503 queue_unavailable, got ${r.status} ${r.code}`);
    first.push(a.ms);
    later.push(b.ms);
    const restarted = performance.now();
    await redis.restart();
    await until('enqueues to be accepted again', async () => (await enqueue()).status === 202, 30_000, 50);
    back.push(performance.now() - restarted);
  }
} finally {
  await server.close();
  await redis.stop();
}

console.log(`\nRedis outage: ${ROUNDS} rounds (npm run bench:redis-outage -- --rounds ${ROUNDS}); machine: ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}`);
console.log('| what | median ms | max ms |');
console.log('|---|---:|---:|');
console.log(`| POST /api/runs -> 503, first request after SIGKILL | ${median(first).toFixed(0)} | ${Math.max(...first).toFixed(0)} |`);
console.log(`| POST /api/runs -> 503, the next one | ${median(later).toFixed(0)} | ${Math.max(...later).toFixed(0)} |`);
console.log(`| redis-server restarted -> enqueues accepted again | ${median(back).toFixed(0)} | ${Math.max(...back).toFixed(0)} |`);
process.exit(0);
