/**
 * `latentflow worker --redis URL [--concurrency 1] [--models-dir M] [--data-dir D] [--packs-dir P] [--id NAME]`:
 * runs jobs from the Redis queue that `latentflow serve --redis URL` fills. Start as many as wanted,
 * on any machine that reaches Redis; each needs its own models directory (no shared filesystem).
 * SIGTERM/SIGINT: stop taking jobs and finish the running ones; a second signal leaves them to be
 * re-run by another worker.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { REPO_ROOT } from '../config.ts';
import { createHost, loadHostPacks } from '../host.ts';
import { forEachFlag } from './flags.ts';
import { applyRedisFlag, REDIS_FLAGS, redisOptionsFromEnv, type RedisQueueOptions } from '../jobs/redis/options.ts';
import { redactUrl } from '../jobs/redis/redis-queue.ts';
import { RemoteWorker } from '../jobs/redis/worker.ts';

export interface WorkerArgs {
  redis: RedisQueueOptions;
  concurrency: number;
  modelsDir: string;
  /** null: a temporary folder, removed on exit. */
  dataDir: string | null;
  packDirs: string[];
  id: string | undefined;
}

export function parseWorkerArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): WorkerArgs {
  const args: WorkerArgs = {
    redis: redisOptionsFromEnv(env),
    concurrency: 1,
    modelsDir: env.LATENTFLOW_MODELS_DIR ? path.resolve(env.LATENTFLOW_MODELS_DIR) : path.join(REPO_ROOT, 'models'),
    dataDir: null,
    packDirs: [],
    id: undefined,
  };
  forEachFlag(argv, (flag, value) => {
    switch (flag) {
      case '--concurrency': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error('--concurrency must be an integer 1..64');
        args.concurrency = n;
        break;
      }
      case '--models-dir': args.modelsDir = path.resolve(value()); break;
      case '--data-dir': args.dataDir = path.resolve(value()); break;
      case '--packs-dir': args.packDirs.push(path.resolve(value())); break;
      case '--id': {
        const id = value();
        if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id)) throw new Error('--id may hold only letters, digits, "_", "." and "-" (at most 64)');
        args.id = id;
        break;
      }
      default:
        if (!(REDIS_FLAGS as readonly string[]).includes(flag)) throw new Error(`unknown option ${flag} (see "latentflow help")`);
        applyRedisFlag(args.redis, flag as (typeof REDIS_FLAGS)[number], value());
    }
  }, (message) => new Error(message));
  if (!args.redis.url) throw new Error('name the queue: --redis redis://HOST:6379 (or set LATENTFLOW_REDIS_URL)');
  return args;
}

export async function workerCommand(argv: string[]): Promise<number> {
  let args: WorkerArgs;
  try {
    args = parseWorkerArgs(argv);
  } catch (error) {
    process.stderr.write(`latentflow worker: ${(error as Error).message}\n`);
    return 2;
  }
  const temporary = args.dataDir === null;
  const workDir = args.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'latentflow-worker-'));
  const host = createHost({ dataDir: workDir, modelsDir: args.modelsDir });
  const packs = await loadHostPacks(host, args.packDirs);
  for (const issue of packs.issues) console.warn(`latentflow worker: ${issue.message}`);
  const worker = new RemoteWorker({ redis: args.redis, host, workDir, concurrency: args.concurrency, id: args.id });
  try {
    await worker.start();
  } catch (error) {
    process.stderr.write(`latentflow worker: cannot start on ${redactUrl(args.redis.url)}: ${(error as Error).message}\n`);
    await worker.close({ force: true }).catch(() => {});
    if (temporary) fs.rmSync(workDir, { recursive: true, force: true });
    return 1;
  }
  // Handlers first, then the ready line: a supervisor may signal as soon as it reads it.
  let signals = 0;
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      signals++;
      if (signals === 1) {
        console.log('latentflow worker: finishing the running jobs (signal again to leave them to other workers)');
        worker.close().then(resolve, resolve);
      } else {
        worker.close({ force: true }).then(resolve, resolve);
      }
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  console.log(`latentflow worker ${worker.id} is taking jobs from ${redactUrl(args.redis.url)} (concurrency ${args.concurrency})`);
  console.log(`  models: ${args.modelsDir}   work: ${workDir}`);
  await stopped;
  if (temporary) fs.rmSync(workDir, { recursive: true, force: true });
  return 0;
}
