// Settings of the Redis mode: flags over environment over defaults, clear refusals; the serve parser
// switches to Redis only when a URL is given.
import { describe, expect, it } from 'vitest';

import { parseWorkerArgs } from '../../../../server/cli/worker.ts';
import { parseServeArgs, UsageError } from '../../../../server/config.ts';
import { decodeMessage, encodeMessage } from '../../../../server/jobs/redis/redis-bus.ts';
import { DEFAULT_REDIS_OPTIONS, redisOptionsFromEnv } from '../../../../server/jobs/redis/options.ts';

describe('redis options', () => {
  it('stays embedded without a URL, and takes flags over the environment', () => {
    expect(parseServeArgs([], {}).redis).toBeNull();
    const options = parseServeArgs(['--redis', 'redis://10.0.0.5:6380', '--lock-ms', '4000'], { LATENTFLOW_LOCK_MS: '9000', LATENTFLOW_HEARTBEAT_MS: '700' });
    expect(options.redis).toEqual({ ...DEFAULT_REDIS_OPTIONS, url: 'redis://10.0.0.5:6380', lockMs: 4000, heartbeatMs: 700 });
    expect(parseServeArgs([], { LATENTFLOW_REDIS_URL: 'redis://r:1' }).redis?.url).toBe('redis://r:1');
  });

  it('refuses wrong values naming the flag', () => {
    expect(() => parseServeArgs(['--redis', 'http://x'], {})).toThrow(UsageError);
    expect(() => parseServeArgs(['--redis', 'redis://x', '--lock-ms', '10'], {})).toThrow(/--lock-ms must be an integer >= 1000/);
    expect(() => parseServeArgs(['--attempts', '0'], {})).toThrow(/--attempts/);
    expect(() => redisOptionsFromEnv({ LATENTFLOW_LOCK_MS: 'soon' })).toThrow(/LATENTFLOW_LOCK_MS/);
  });

  it('parses the worker command and requires the queue URL', () => {
    const args = parseWorkerArgs(['--redis', 'redis://q:6379', '--concurrency', '2', '--models-dir', '/m', '--id', 'gpu-1', '--stalled-interval-ms', '2000'], {});
    expect(args).toMatchObject({ concurrency: 2, modelsDir: '/m', id: 'gpu-1', dataDir: null });
    expect(args.redis).toMatchObject({ url: 'redis://q:6379', stalledIntervalMs: 2000, lockMs: DEFAULT_REDIS_OPTIONS.lockMs });
    expect(() => parseWorkerArgs([], {})).toThrow(/--redis/);
    expect(() => parseWorkerArgs(['--redis', 'redis://q', '--concurrency', '0'], {})).toThrow(/--concurrency/);
    expect(() => parseWorkerArgs(['--redis', 'redis://q', '--id', '../x'], {})).toThrow(/--id/);
    expect(() => parseWorkerArgs(['--redis', 'redis://q', '--port', '1'], {})).toThrow(/unknown option --port/);
  });

  it('carries preview bytes through the event channel', () => {
    const data = new Uint8Array([0, 255, 7, 1]);
    const text = encodeMessage({ run: { event: { type: 'preview', runId: 'r', node: '3', image: { mime: 'image/png', width: 1, height: 1, data } }, clientId: null } });
    const back = decodeMessage(text).run!.event as { image: { data: Uint8Array } };
    expect(back.image.data).toBeInstanceOf(Uint8Array);
    expect([...back.image.data]).toEqual([0, 255, 7, 1]);
  });
});
