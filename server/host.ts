/**
 * What every process that runs workflows shares (server, CLI, worker): the node registry (core nodes
 * and node packs), the directories nodes resolve names in, the result cache and the memory probe that
 * reads the native engine's high-water mark.
 */
import fs from 'node:fs';
import path from 'node:path';

import { native } from '../native/index.ts';
import { lowFreeMemory, memoryBudgetFromEnv } from '../nodes/system/memory.ts';
import { coreNodes } from '../nodes/core/index.ts';
import { loadPacks, type PackLoadReport } from '../nodes/packs/index.ts';
import { NodeRegistry } from '../nodes/registry.ts';
import type { PreviewMethod } from '../nodes/sampling/step-preview.ts';
import type { Issue } from '../protocol/index.ts';
import type { HostPaths } from '../nodes/schema.ts';
import { NodeCache } from './runner/cache.ts';
import type { MemoryProbe } from './runner/execute.ts';

export interface Host {
  registry: NodeRegistry;
  paths: HostPaths;
  cache: NodeCache;
  memoryProbe: MemoryProbe;
  /** Problems found while registering node types (shown at startup and in /api/packs). */
  registryIssues: Issue[];
  /** Node packs loaded (see loadHostPacks). */
  packs: PackLoadReport;
  /**
   * Activation memory a run may use, given to nodes as services.memoryBudgetBytes (KSampler and
   * VAEDecode plan and refuse by it); undefined: what the machine has available at each run.
   */
  memoryBudgetBytes?: number;
  /** The preview method of runs whose extra_data chooses none (server/jobs/preview-method.ts); undefined: 'none'. */
  previewMethod?: PreviewMethod;
  /** The largest picture nodes read (LoadImage), pixels: services.maxImagePixels; the server sets --max-image-pixels. */
  maxImagePixels?: number;
  /** True when the machine is short of memory: cached results (loaded models first of all) are dropped before the next run. */
  underMemoryPressure: () => boolean;
}

/** Before a run: under memory pressure, frees every cached result no run is using (models are unloaded). */
export function relieveMemoryPressure(host: Host): boolean {
  if (!host.underMemoryPressure()) return false;
  host.cache.trim(0);
  native.memoryTrim();
  return true;
}

export interface HostOptions {
  dataDir: string;
  modelsDir: string;
  /** Largest estimated size of cached results (models, latents, images), bytes. */
  cacheBytes?: number;
  /** See Host.memoryBudgetBytes; default: LATENTFLOW_MEMORY_BUDGET_GB, else none. */
  memoryBudgetBytes?: number;
  /** See Host.previewMethod. */
  previewMethod?: PreviewMethod;
  /** See Host.maxImagePixels. */
  maxImagePixels?: number;
}

/** Peak native activation bytes while a node runs (the engine's arena high-water mark). */
export const nativeMemoryProbe: MemoryProbe = {
  begin() {
    native.memoryPeakReset();
  },
  peakBytes() {
    return native.memoryStats().activationsPeak;
  },
};

export function hostPaths(dataDir: string, modelsDir: string): HostPaths {
  const paths: HostPaths = {
    models: modelsDir,
    input: path.join(dataDir, 'input'),
    output: path.join(dataDir, 'output'),
    temp: path.join(dataDir, 'temp'),
  };
  for (const dir of [paths.input, paths.output, paths.temp]) fs.mkdirSync(dir, { recursive: true });
  return paths;
}

export function createHost(options: HostOptions): Host {
  const registry = new NodeRegistry();
  registry.registerAll(coreNodes);
  return {
    registry,
    paths: hostPaths(options.dataDir, options.modelsDir),
    cache: new NodeCache({ maxEntries: 128, maxBytes: options.cacheBytes ?? 8 * 2 ** 30 }),
    memoryProbe: nativeMemoryProbe,
    registryIssues: [...registry.issues],
    packs: { packs: [], issues: [] },
    underMemoryPressure: lowFreeMemory,
    memoryBudgetBytes: options.memoryBudgetBytes ?? memoryBudgetFromEnv(),
    previewMethod: options.previewMethod,
    maxImagePixels: options.maxImagePixels,
  };
}

/** Copies the example inputs shipped in workflows/input (used by workflows/img2img.json) into an empty input folder. */
export function seedExampleInputs(inputDir: string, repoRoot: string): void {
  const shipped = path.join(repoRoot, 'workflows', 'input');
  if (!fs.existsSync(shipped)) return;
  for (const file of fs.readdirSync(shipped)) {
    const target = path.join(inputDir, file);
    if (!fs.existsSync(target)) fs.copyFileSync(path.join(shipped, file), target);
  }
}

/** Loads the node packs found in `dirs` (only there) into the host's registry. */
export async function loadHostPacks(host: Host, dirs: readonly string[]): Promise<PackLoadReport> {
  for (const dir of dirs) fs.mkdirSync(dir, { recursive: true });
  host.packs = await loadPacks(dirs, host.registry);
  return host.packs;
}

/**
 * Models the host's cache holds, by file name relative to the models directory (e.g.
 * "diffusers/tiny-sd"): the loaders' cached outputs carry the file they came from as `source`.
 */
export function loadedModels(host: Host): string[] {
  const names = new Set<string>();
  for (const entry of host.cache.entries()) {
    for (const value of Object.values(entry.outputs)) {
      const source = (value as { source?: unknown; model?: unknown } | null)?.source;
      if (typeof source !== 'string' || !(value as { model?: unknown }).model) continue;
      const relative = path.relative(host.paths.models, source);
      names.add(relative.startsWith('..') || path.isAbsolute(relative) ? source : relative.split(path.sep).join('/'));
    }
  }
  return [...names].sort();
}
