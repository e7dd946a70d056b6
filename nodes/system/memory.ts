/**
 * Memory: what this machine can give a run now (the one place that probes the machine; server/host.ts
 * uses it for its memory-pressure check), the budget a run's activations may use (the host's, or what
 * is available), and the error of work refused up front because it needs more.
 *
 * @example
 *   const budget = memoryBudget(ctx.services);   // LATENTFLOW_MEMORY_BUDGET_GB, else available now
 *   if (estimate > budget) throw new MemoryBudgetError(`needs ~${formatBytes(estimate)}`, { estimate, budget });
 */
import fs from 'node:fs';
import os from 'node:os';

import { native } from '../../native/index.ts';
import type { HostServices } from '../schema.ts';

declare module '../schema.ts' {
  interface HostServices {
    /**
     * Bytes of activation memory a run may use (the CLI and server set it from
     * LATENTFLOW_MEMORY_BUDGET_GB); absent: what the machine has available (defaultMemoryBudget).
     */
    memoryBudgetBytes?: number;
  }
}

/** Memory the OS can give now: MemAvailable from /proc/meminfo (Linux), else os.freemem(). */
export function availableMemoryBytes(): number {
  try {
    const match = /^MemAvailable:\s+(\d+)\s+kB/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
    if (match) return Number(match[1]) * 1024;
  } catch {
    // not Linux: fall through
  }
  return os.freemem();
}

/** Memory pressure: less than 1 GiB or 10% of the machine's memory available (MemAvailable: page cache counts as free). */
export function lowFreeMemory(): boolean {
  return availableMemoryBytes() < Math.max(2 ** 30, os.totalmem() * 0.1);
}

/**
 * The default budget for a run's activations: memory available now, plus the arena's cached free
 * blocks (resident, but the run reuses them), minus the mmap'd weights (the OS counts their page
 * cache as available, yet the run needs them resident; owned weights are already excluded).
 */
export function defaultMemoryBudget(): number {
  const stats = native.memoryStats();
  return Math.max(0, availableMemoryBytes() + stats.activationsCached - stats.mappedCurrent);
}

/** The host's budget when it set one, else defaultMemoryBudget(). */
export function memoryBudget(services: HostServices = {}): number {
  return services.memoryBudgetBytes ?? defaultMemoryBudget();
}

/** LATENTFLOW_MEMORY_BUDGET_GB (GiB, may be fractional) as bytes; undefined when unset; throws when not a positive number. */
export function memoryBudgetFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = env.LATENTFLOW_MEMORY_BUDGET_GB;
  if (text === undefined || text === '') return undefined;
  const gb = Number(text);
  if (!Number.isFinite(gb) || gb <= 0) throw new Error(`LATENTFLOW_MEMORY_BUDGET_GB must be a positive number of GiB, got "${text}"`);
  return Math.round(gb * 2 ** 30);
}

export function formatBytes(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/**
 * Work refused before it allocates because it needs more than the memory budget; the runner reports it
 * like the engine's own SDN_STATUS_OUT_OF_MEMORY (native_failed, with `details`).
 */
export class MemoryBudgetError<D extends object = Record<string, unknown>> extends Error {
  override name = 'MemoryBudgetError';
  readonly code = 'SDN_STATUS_OUT_OF_MEMORY';
  constructor(
    message: string,
    readonly details: D,
  ) {
    super(message);
  }
}
