/**
 * Settings of the Redis mode (`latentflow serve --redis URL`, `latentflow worker --redis URL`), the
 * names of everything latentflow keeps in Redis, and the one way to open a connection.
 */
import { Redis } from 'ioredis';

export interface RedisQueueOptions {
  /** e.g. redis://127.0.0.1:6379 (rediss:// for TLS; user and password in the URL). */
  url: string;
  /** Prefix of every key latentflow keeps in Redis, BullMQ's included (default "lf"). */
  prefix: string;
  /** Runs of a job whose worker failed for a reason of its own (not a node error), in all (default 3). */
  attempts: number;
  /** Delay before the first retry, doubled for each further one, ms (default 2000). */
  backoffMs: number;
  /**
   * A worker's lock on its job, renewed every half of it while the job runs, ms (default 30000). A
   * killed worker's job is re-run by another after about lockMs + stalledIntervalMs.
   */
  lockMs: number;
  /** How often workers look for jobs whose lock expired, ms (default 30000). */
  stalledIntervalMs: number;
  /** Times a job may be found stalled before it fails instead of re-running (default 2). */
  maxStalledCount: number;
  /** A worker's heartbeat period, ms; it is listed for 3 periods after its last one (default 5000). */
  heartbeatMs: number;
  /** How long files in transit (inputs for workers, outputs for servers) stay in Redis, s (default 86400). */
  fileTtlSeconds: number;
}

export const DEFAULT_REDIS_OPTIONS: Omit<RedisQueueOptions, 'url'> = {
  prefix: 'lf',
  attempts: 3,
  backoffMs: 2000,
  lockMs: 30_000,
  stalledIntervalMs: 30_000,
  maxStalledCount: 2,
  heartbeatMs: 5000,
  fileTtlSeconds: 86_400,
};

/** Environment variables over defaults; `url` from LATENTFLOW_REDIS_URL ("" when unset: embedded mode). */
export function redisOptionsFromEnv(env: NodeJS.ProcessEnv): RedisQueueOptions {
  const number = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, not "${raw}"`);
    return value;
  };
  return {
    url: env.LATENTFLOW_REDIS_URL || '',
    prefix: env.LATENTFLOW_REDIS_PREFIX || DEFAULT_REDIS_OPTIONS.prefix,
    attempts: number('LATENTFLOW_JOB_ATTEMPTS', DEFAULT_REDIS_OPTIONS.attempts),
    backoffMs: number('LATENTFLOW_RETRY_BACKOFF_MS', DEFAULT_REDIS_OPTIONS.backoffMs),
    lockMs: number('LATENTFLOW_LOCK_MS', DEFAULT_REDIS_OPTIONS.lockMs),
    stalledIntervalMs: number('LATENTFLOW_STALLED_INTERVAL_MS', DEFAULT_REDIS_OPTIONS.stalledIntervalMs),
    maxStalledCount: number('LATENTFLOW_MAX_STALLED', DEFAULT_REDIS_OPTIONS.maxStalledCount),
    heartbeatMs: number('LATENTFLOW_HEARTBEAT_MS', DEFAULT_REDIS_OPTIONS.heartbeatMs),
    fileTtlSeconds: number('LATENTFLOW_FILE_TTL_S', DEFAULT_REDIS_OPTIONS.fileTtlSeconds),
  };
}

/** The command-line flags of the Redis mode, shared by `serve` and `worker`. */
export const REDIS_FLAGS = ['--redis', '--redis-prefix', '--attempts', '--backoff-ms', '--lock-ms', '--stalled-interval-ms', '--heartbeat-ms'] as const;

/** Applies one of REDIS_FLAGS; throws a message naming the flag when the value is wrong. */
export function applyRedisFlag(options: RedisQueueOptions, flag: (typeof REDIS_FLAGS)[number], value: string): void {
  const count = (min: number) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer >= ${min}, not "${value}"`);
    return n;
  };
  switch (flag) {
    case '--redis':
      if (!/^rediss?:\/\//.test(value)) throw new Error(`--redis must be a redis:// or rediss:// URL, not "${value}"`);
      options.url = value;
      break;
    case '--redis-prefix':
      if (!/^[A-Za-z0-9_.-]{1,40}$/.test(value)) throw new Error('--redis-prefix may hold only letters, digits, "_", "." and "-" (at most 40)');
      options.prefix = value;
      break;
    case '--attempts': options.attempts = count(1); break;
    case '--backoff-ms': options.backoffMs = count(0); break;
    case '--lock-ms': options.lockMs = count(1000); break;
    case '--stalled-interval-ms': options.stalledIntervalMs = count(500); break;
    case '--heartbeat-ms': options.heartbeatMs = count(200); break;
  }
}

/** Names of latentflow's keys and channels under one prefix. */
export function redisKeys(prefix: string) {
  return {
    /** BullMQ's queue (its keys are `<prefix>:runs:*`). */
    queueName: 'runs',
    /** Pub/sub channel of run events (RunEventEnvelope JSON) and queue states. */
    events: `${prefix}:events`,
    /** Pub/sub channel of commands to workers (interrupt). */
    control: `${prefix}:control`,
    /** Sorted set: worker id -> last heartbeat (ms). */
    workers: `${prefix}:workers`,
    /** A worker's heartbeat (JSON WorkerInfo), expiring when it stops beating. */
    worker: (id: string) => `${prefix}:worker:${id}`,
    /** Counters behind the queue numbers (ComfyUI's "number"); front jobs count down from 0. */
    number: `${prefix}:number`,
    frontNumber: `${prefix}:number:front`,
    /** A file a worker wrote, waiting for the servers to store it. */
    file: (type: string, subfolder: string, filename: string) => `${prefix}:file:${type}:${subfolder}/${filename}`,
    /** The last counter used for "<name>_NNNNN_.png" in a folder, so files of all workers get distinct names. */
    fileCounter: (type: string, subfolder: string, name: string) => `${prefix}:filecounter:${type}:${subfolder}/${name}`,
    /** An input file (by sha256 of its bytes) a queued job reads. */
    blob: (sha256: string) => `${prefix}:blob:${sha256}`,
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;

/**
 * Opens a connection. `blocking` connections (BullMQ's workers, subscribers) retry commands without
 * limit; every connection logs its errors once per kind instead of crashing the process.
 */
export function openRedis(url: string, { name, blocking = false }: { name: string; blocking?: boolean }): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: blocking ? null : 20, connectionName: name, enableAutoPipelining: false });
  const seen = new Set<string>();
  redis.on('error', (error: Error & { code?: string }) => {
    const kind = error.code ?? error.message;
    if (seen.has(kind)) return;
    seen.add(kind);
    console.warn(`latentflow: Redis (${name}): ${error.message}`);
  });
  redis.on('ready', () => seen.clear());
  return redis;
}
