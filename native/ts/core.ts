/**
 * Loads the addon and types its engine-wide functions (CPU features, threads, memory, f16).
 * Imported through native/index.ts only.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const addonPath = process.env.LATENTFLOW_ADDON ?? path.join(here, '..', 'build', 'Release', 'latentflow.node');

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

/** An error of the engine's kind raised on this side (reading a checkpoint's config files). */
export function nativeError(code: NativeStatus, message: string): NativeError {
  return Object.assign(new Error(message), { code });
}

/** Byte counters of the engine (activation arena, owned weights, mmap'd files). */
export interface MemoryStats {
  activationsCurrent: number;
  activationsPeak: number;
  weightsCurrent: number;
  mappedCurrent: number;
  /** Freed activation blocks the arena keeps for reuse (resident, yet available to the next run; memoryTrim frees them). */
  activationsCached: number;
}

/** The CPU's features and the kernels' path (see native/src/core/cpu.h). */
export interface CpuFeatures {
  avx2Fma: boolean;
  f16c: boolean;
  avx512: boolean;
  avx512Bf16: boolean;
  avx512Vnni: boolean;
  isa: 'portable' | 'avx2' | 'avx512';
  bf16: boolean;
  /** AMX-TILE and AMX-BF16 with the tile state granted to the process. */
  amxBf16: boolean;
  /** bf16 products run on AMX tiles (bf16 and amxBf16, unless LATENTFLOW_AMX=0). */
  amx: boolean;
  /** fp32 products run on AMX tiles too, each f32 split exactly into bf16 pieces (amx, unless LATENTFLOW_AMX_FP32=0). */
  amxFp32: boolean;
}

/** The op-level profile of one network call (see native/src/core/profile.h). */
export interface ProfileReport {
  name: string; // "UNet forward", "CLIP text encoder", "VAE decode", "VAE encode"; "" before any
  totalSeconds: number;
  totalCpuSeconds: number; // CPU time of the process (all threads) over the call: / totalSeconds = cores busy
  ops: Array<{ op: string; calls: number; seconds: number; cpuSeconds: number; flops: number }>; // op families that ran
}

/** The engine-wide part of the raw addon (binding.cc over sdn.h); each family file (io.ts, models.ts, attention.ts) types its own. */
export interface CoreAddon {
  /**
   * What the CPU has, and `isa`: the instruction-set path the kernels take (the best the CPU has,
   * capped by LATENTFLOW_ISA=portable|avx2|avx512); `bf16`: whether bf16 compute can run on it.
   */
  cpuFeatures(): CpuFeatures;
  threadsGet(): number;
  threadsSet(n: number): number;
  memoryStats(): MemoryStats;
  memoryPeakReset(): void;
  memoryTrim(): void;
  halfToF32(src: Uint16Array, kind: 'f16' | 'bf16'): Float32Array;
  f32ToHalf(src: Float32Array, kind: 'f16' | 'bf16'): Uint16Array;
  /** Collects the op profile of every UNet/CLIP/VAE call (as LATENTFLOW_PROFILE=1, without printing). */
  profileCollect(on: boolean): void;
  /** The profile of the last network call, e.g. `native.profileLast().ops[0].seconds`. */
  profileLast(): ProfileReport;
}

function loadAddon(): Record<string, unknown> {
  const require = createRequire(import.meta.url);
  try {
    return require(addonPath) as Record<string, unknown>;
  } catch (error) {
    throw new Error(
      `latentflow: the native addon could not be loaded from ${addonPath} ` +
        `(${(error as Error).message}). Build it with "npm run build:native".`,
      { cause: error },
    );
  }
}

/** The loaded addon, untyped; family files cast it to their own interface. */
export const addon: Record<string, unknown> = loadAddon();

/** Engine-wide functions. */
export const native = addon as unknown as CoreAddon;
