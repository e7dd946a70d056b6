/**
 * Server options: command-line flags over environment variables over embedded defaults.
 * `latentflow serve [--port 8188] [--listen ADDR] [--data-dir D] [--models-dir M] [--token T] [--redis URL]
 *   [--allowed-hosts NAME,...] [--max-image-pixels N] [--preview-method none|auto|latent2rgb|taesd]`
 */
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { PREVIEW_METHODS, type PreviewMethod } from '../nodes/sampling/step-preview.ts';
import { forEachFlag } from './cli/flags.ts';
import { applyRedisFlag, REDIS_FLAGS, redisOptionsFromEnv, type RedisQueueOptions } from './jobs/redis/options.ts';
import { DEFAULT_MAX_IMAGE_PIXELS } from '../nodes/image/decode.ts';

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
  /**
   * Host names (besides localhost, the loopback addresses and the --listen name) the Host header may
   * carry, on HTTP and both websockets: DNS-rebinding protection. `*` turns the check off.
   */
  allowedHosts: string[];
  /** Largest uploaded image (width x height, read from the PNG header before anything is decoded). */
  maxImagePixels: number;
  /** Folders node packs load from (and only from); default `<data>/packs`. */
  packDirs: string[] | null;
  /** The queue in Redis, run by `latentflow worker` processes (null: embedded, this process runs jobs). */
  redis: RedisQueueOptions | null;
  /** ComfyUI's --preview-method (LATENTFLOW_PREVIEW_METHOD): the default of runs that do not choose (extra_data.preview_method). 'none': /ws sends no binary previews (the editor's stream still shows latent2rgb ones); 'taesd' decodes them with <models>/vae_approx/taesd_decoder. */
  previewMethod: PreviewMethod;
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
  allowedHosts: [],
  maxImagePixels: DEFAULT_MAX_IMAGE_PIXELS,
  packDirs: null,
  redis: null,
  previewMethod: 'none',
};

/** A reason the server refuses to start (the data folder is in use, the database is damaged): printed as it is, without a stack. */
export class StartupError extends Error {
  override name = 'StartupError';
}

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
    allowedHosts: hostList(env.LATENTFLOW_ALLOWED_HOSTS ?? ''),
    maxImagePixels: env.LATENTFLOW_MAX_IMAGE_PIXELS ? pixelCount(env.LATENTFLOW_MAX_IMAGE_PIXELS, 'LATENTFLOW_MAX_IMAGE_PIXELS') : DEFAULT_OPTIONS.maxImagePixels,
    packDirs: null,
    redis: null,
    previewMethod: env.LATENTFLOW_PREVIEW_METHOD ? previewMethod(env.LATENTFLOW_PREVIEW_METHOD, 'LATENTFLOW_PREVIEW_METHOD') : DEFAULT_OPTIONS.previewMethod,
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
      case '--allowed-hosts': options.allowedHosts.push(...hostList(value())); break;
      case '--max-image-pixels': options.maxImagePixels = pixelCount(value(), '--max-image-pixels'); break;
      case '--preview-method': options.previewMethod = previewMethod(value(), '--preview-method'); break;
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

/** `localhost`, or exactly a loopback address (127.0.0.0/8 written as an IPv4 address, or ::1); `127.0.0.1.example` is not. */
export function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || (net.isIPv4(address) && address.startsWith('127.'));
}

/** "a.example, b.example" -> ["a.example", "b.example"] (lower case). */
function hostList(text: string): string[] {
  return text.split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '');
}

function pixelCount(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${what} must be a positive whole number of pixels (for example ${4096 * 4096} for 4096x4096)`);
  return n;
}

function previewMethod(text: string, what: string): PreviewMethod {
  if (!(PREVIEW_METHODS as readonly string[]).includes(text)) throw new UsageError(`${what} must be one of ${PREVIEW_METHODS.join(', ')}, got "${text}"`);
  return text as PreviewMethod;
}
