/**
 * The Redis mode under test: latentflow servers with the queue in a test's own redis-server, and
 * `latentflow worker` processes as real child processes (`node --import tsx bin/latentflow.ts worker`),
 * with short lock/stalled/heartbeat periods so a killed worker's job is re-run within seconds.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { io as connect, type Socket, type SocketOptions, type ManagerOptions } from 'socket.io-client';

import type { RunEvent } from '../../protocol/index.ts';
import { DEFAULT_REDIS_OPTIONS, type RedisQueueOptions } from '../../server/jobs/redis/options.ts';
import { startTestServer, type TestServer } from './server.ts';

const fixtures = path.resolve('test/fixtures/tiny-sd');

/** Periods short enough for tests: a dead worker's job runs again after about 3 + 1.5 s. */
export const TEST_TIMINGS = { lockMs: 3000, stalledIntervalMs: 1500, heartbeatMs: 500, backoffMs: 1000, attempts: 3 } as const;

export function testRedisOptions(url: string, overrides: Partial<RedisQueueOptions> = {}): RedisQueueOptions {
  return { ...DEFAULT_REDIS_OPTIONS, ...TEST_TIMINGS, url, ...overrides };
}

/** A socket.io client of a server, connected as `clientId`, and every run event it gets (in order, and by run). */
export interface RunEventClient {
  socket: Socket;
  events: RunEvent[];
  byRun: Map<string, RunEvent[]>;
}

export async function connectRunEventClient(base: string, clientId: string, options: Partial<ManagerOptions & SocketOptions> = {}): Promise<RunEventClient> {
  const socket = connect(base, { transports: ['websocket'], query: { clientId }, ...options });
  const client: RunEventClient = { socket, events: [], byRun: new Map() };
  socket.on('run:event', (e: RunEvent) => {
    client.events.push(e);
    client.byRun.set(e.runId, [...(client.byRun.get(e.runId) ?? []), e]);
  });
  await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
  return client;
}

/** A server in this process with its queue in Redis. */
export function startRedisTestServer(url: string, overrides: Partial<RedisQueueOptions> = {}): Promise<TestServer> {
  return startTestServer({ redis: testRedisOptions(url, overrides) });
}

/** A worker's own models folder: only the diffusers layout of the tiny model (no single-file checkpoint). */
export function makeWorkerModelsDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-worker-models-'));
  fs.mkdirSync(path.join(dir, 'diffusers'));
  fs.symlinkSync(fixtures, path.join(dir, 'diffusers', 'tiny-sd'));
  return dir;
}

export interface TestWorker {
  id: string;
  proc: ChildProcess;
  pid: number;
  dataDir: string;
  modelsDir: string;
  /** stdout and stderr so far. */
  log(): string;
  /** SIGTERM (graceful: the running job finishes) and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<void>;
}

/** Starts `latentflow worker` and resolves once it takes jobs. */
export async function startWorker(redisUrl: string, id: string, { concurrency = 1, extraArgs = [] as string[] } = {}): Promise<TestWorker> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `lf-worker-${id}-`));
  const modelsDir = makeWorkerModelsDir();
  const t = TEST_TIMINGS;
  const args = [
    '--import', 'tsx', 'bin/latentflow.ts', 'worker', '--redis', redisUrl, '--id', id, '--concurrency', String(concurrency),
    '--models-dir', modelsDir, '--data-dir', dataDir,
    '--lock-ms', String(t.lockMs), '--stalled-interval-ms', String(t.stalledIntervalMs), '--heartbeat-ms', String(t.heartbeatMs),
    ...extraArgs,
  ];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LATENTFLOW_THREADS: '1' } });
  let log = '';
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker ${id} did not start in 60 s: ${log}`)), 60_000);
    proc.stdout!.on('data', (d) => {
      log += d;
      if (log.includes('is taking jobs')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.stderr!.on('data', (d) => (log += d));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker ${id} exited with ${code}: ${log}`));
    });
  });
  const cleanup = () => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(modelsDir, { recursive: true, force: true });
  };
  return {
    id,
    proc,
    pid: proc.pid!,
    dataDir,
    modelsDir,
    log: () => log,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000); // a running job finishes first
        await exited;
        clearTimeout(timer);
      }
      cleanup();
    },
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await exited;
      }
      cleanup();
    },
  };
}

export function post(base: string, route: string, body: unknown): Promise<Response> {
  return fetch(`${base}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** Polls until `check` returns a value (not undefined/false) or the time is up. */
export async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface ServerProcess {
  proc: ChildProcess;
  base: string;
  /** stdout and stderr so far. */
  log(): string;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<void>;
}

/**
 * `latentflow serve --redis URL` as a child process (a crash, an unhandled rejection included, ends
 * it, which a test can see), on `port`, with the given folders; resolves once it serves.
 */
export async function startServerProcess({ port, redisUrl, dataDir, modelsDir }: { port: number; redisUrl: string; dataDir: string; modelsDir: string }): Promise<ServerProcess> {
  const args = ['--import', 'tsx', 'bin/latentflow.ts', 'serve', '--port', String(port), '--data-dir', dataDir, '--models-dir', modelsDir,
    '--redis', redisUrl, '--heartbeat-ms', String(TEST_TIMINGS.heartbeatMs)];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LATENTFLOW_THREADS: '1' } });
  let out = '';
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('latentflow is serving')) resolve();
    });
    proc.stderr!.on('data', (d) => (out += d));
    proc.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
  return {
    proc,
    base: `http://127.0.0.1:${port}`,
    log: () => out,
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await exited;
      }
    },
  };
}
