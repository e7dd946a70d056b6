/**
 * The size check of the image, mask and latent nodes: an output larger than the memory budget is refused
 * before it is allocated, saying what to lower (a 16384 x 16384 IMAGE is 3 GiB of float32).
 */
import type { HostServices } from '../schema.ts';
import { formatBytes, memoryBudget, MemoryBudgetError } from '../system/memory.ts';

/** Throws a MemoryBudgetError when `values` float32 values (what the node would make) exceed the budget. */
export function requireFloatBudget(values: number, what: string, fix: string, services: HostServices): void {
  const bytes = values * Float32Array.BYTES_PER_ELEMENT;
  const budgetBytes = memoryBudget(services);
  if (bytes > budgetBytes) {
    throw new MemoryBudgetError(`${what} needs ${formatBytes(bytes)}, more than the memory budget of ${formatBytes(budgetBytes)}; ${fix}.`, { bytes, budgetBytes });
  }
}
