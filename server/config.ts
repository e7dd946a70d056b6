/**
 * Server options: command-line flags over environment variables over embedded defaults.
 * `latentflow serve [--port 8188] [--listen ADDR] [--data-dir D] [--models-dir M] [--token T] [--redis URL]`
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { forEachFlag } from './cli/flags.ts';
import { applyRedisFlag, REDIS_FLAGS, redisOptionsFromEnv, type RedisQueueOptions } from './jobs/redis/options.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface ServerOptions {
  port: number;
  listen: string;
  dataDir: string;
  modelsDir: string;
  /** Required when listening beyond loopback; checked on HTTP and websockets. */
  token: string | null;
  /** Maximum JSON body, bytes. */
  bodyLimitBytes: number;
  /** Maximum upload, bytes. */
  uploadLimitBytes: number;
  /** Extra origins allowed to make state-changing requests (besides the server's own). */
  allowedOrigins: string[];
  /** Folders node packs load from (and only from); default `<data>/packs`. */
  packDirs: string[] | null;
  /** The queue in Redis, run by `latentflow worker` processes (null: embedded, this process runs jobs). */
  redis: RedisQueueOptions | null;
}

export const DEFAULT_OPTIONS: ServerOptions = {
  port: 8188,
  listen: '127.0.0.1',
  dataDir: path.resolve('data'),
  modelsDir: path.join(REPO_ROOT, 'models'),
  token: null,
  bodyLimitBytes: 8 * 1024 * 1024,
  uploadLimitBytes: 32 * 1024 * 1024,
  allowedOrigins: [],
  packDirs: null,
  redis: null,
};

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Parses `--flag value` / `--flag=value` arguments; unknown flags are an error naming them. */
export function parseServeArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ServerOptions {
  const options: ServerOptions = {
    ...DEFAULT_OPTIONS,
    port: env.LATENTFLOW_PORT ? Number(env.LATENTFLOW_PORT) : DEFAULT_OPTIONS.port,
    listen: env.LATENTFLOW_LISTEN ?? DEFAULT_OPTIONS.listen,
    dataDir: env.LATENTFLOW_DATA_DIR ? path.resolve(env.LATENTFLOW_DATA_DIR) : DEFAULT_OPTIONS.dataDir,
    modelsDir: env.LATENTFLOW_MODELS_DIR ? path.resolve(env.LATENTFLOW_MODELS_DIR) : DEFAULT_OPTIONS.modelsDir,
    token: env.LATENTFLOW_TOKEN || null,
    allowedOrigins: [],
    packDirs: null,
    redis: null,
  };
  let redis: RedisQueueOptions;
  try {
    redis = redisOptionsFromEnv(env);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  forEachFlag(argv, (flag, value) => {
    switch (flag) {
      case '--port': {
        const port = Number(value());
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be an integer 0..65535');
        options.port = port;
        break;
      }
      case '--listen': options.listen = value(); break;
      case '--data-dir': options.dataDir = path.resolve(value()); break;
      case '--models-dir': options.modelsDir = path.resolve(value()); break;
      case '--token': options.token = value(); break;
      case '--allow-origin': options.allowedOrigins.push(value()); break;
      case '--packs-dir': options.packDirs = [...(options.packDirs ?? []), path.resolve(value())]; break;
      default: {
        if (!(REDIS_FLAGS as readonly string[]).includes(flag)) throw new UsageError(`unknown option ${flag} (see "latentflow serve --help")`);
        try {
          applyRedisFlag(redis, flag as (typeof REDIS_FLAGS)[number], value());
        } catch (error) {
          throw new UsageError((error as Error).message);
        }
      }
    }
  }, (message) => new UsageError(message));
  options.redis = redis.url ? redis : null;
  if (!isLoopback(options.listen) && !options.token) {
    throw new UsageError(
      `listening on ${options.listen} exposes the server beyond this machine: set a token with --token or LATENTFLOW_TOKEN`,
    );
  }
  return options;
}

export function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || address.startsWith('127.');
}
