/**
 * The TypeScript face of latentflow's native engine: the only module above native/ that touches the
 * addon. Heavy calls return Promises (they run on a libuv worker thread, so the event loop never
 * blocks); errors are `NativeError`s whose `code` is a status name such as "SDN_STATUS_BAD_FORMAT".
 *
 * @example
 *   import { native } from '../native/index.ts';
 *   native.threadsSet(2);
 *   console.log(native.memoryStats().activationsPeak);
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const addonPath = process.env.LATENTFLOW_ADDON ?? path.join(here, 'build', 'Release', 'latentflow.node');

/** Status names the engine reports in `error.code`. */
export type NativeStatus =
  | 'SDN_STATUS_IO_ERROR'
  | 'SDN_STATUS_BAD_FORMAT'
  | 'SDN_STATUS_BAD_SHAPE'
  | 'SDN_STATUS_BAD_ARGUMENT'
  | 'SDN_STATUS_MISSING_TENSOR'
  | 'SDN_STATUS_OUT_OF_MEMORY'
  | 'SDN_STATUS_CANCELLED'
  | 'SDN_STATUS_INTERNAL';

/** An error thrown by the engine. */
export interface NativeError extends Error {
  code: NativeStatus;
}

export function isNativeError(error: unknown): error is NativeError {
  const code = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('SDN_STATUS_');
}

/** Byte counters of the engine (activation arena, owned weights, mmap'd files). */
export interface MemoryStats {
  activationsCurrent: number;
  activationsPeak: number;
  weightsCurrent: number;
  mappedCurrent: number;
}

/** The raw addon surface; each family (io, ops, models) adds its functions. */
export interface Addon {
  cpuFeatures(): { avx2Fma: boolean; f16c: boolean };
  threadsGet(): number;
  threadsSet(n: number): number;
  memoryStats(): MemoryStats;
  memoryPeakReset(): void;
  memoryTrim(): void;
  halfToF32(src: Uint16Array, kind: 'f16' | 'bf16'): Float32Array;
  f32ToHalf(src: Float32Array, kind: 'f16' | 'bf16'): Uint16Array;
}

function loadAddon(): Addon {
  const require = createRequire(import.meta.url);
  try {
    return require(addonPath) as Addon;
  } catch (error) {
    throw new Error(
      `latentflow: the native addon could not be loaded from ${addonPath} ` +
        `(${(error as Error).message}). Build it with "npm run build:native".`,
      { cause: error },
    );
  }
}

/** The loaded addon. */
export const native: Addon = loadAddon();
