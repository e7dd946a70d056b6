// The memory budget a run's activations may use: the host's, else what the machine has available.
import os from 'node:os';

import { describe, expect, it } from 'vitest';

import { native } from '../../../native/index.ts';
import { availableMemoryBytes, defaultMemoryBudget, formatBytes, memoryBudget, memoryBudgetFromEnv } from '../../../nodes/system/memory.ts';

const GiB = 2 ** 30;

describe('the budget', () => {
  it('is the host\'s when it gives one, else what the machine has available', () => {
    expect(memoryBudget({ memoryBudgetBytes: 3 * GiB })).toBe(3 * GiB);
    const free = defaultMemoryBudget();
    expect(free).toBeGreaterThan(0);
    expect(free).toBeLessThanOrEqual(os.totalmem() + native.memoryStats().activationsCached);
  });

  it('LATENTFLOW_MEMORY_BUDGET_GB is read in GiB; a bad value is an error naming it', () => {
    expect(memoryBudgetFromEnv({ LATENTFLOW_MEMORY_BUDGET_GB: '16' })).toBe(16 * GiB);
    expect(memoryBudgetFromEnv({ LATENTFLOW_MEMORY_BUDGET_GB: '0.5' })).toBe(GiB / 2);
    expect(memoryBudgetFromEnv({})).toBeUndefined();
    expect(() => memoryBudgetFromEnv({ LATENTFLOW_MEMORY_BUDGET_GB: 'lots' })).toThrow(/LATENTFLOW_MEMORY_BUDGET_GB must be a positive number/);
  });
});

describe('the machine', () => {
  it('reports the memory available now, no more than it has', () => {
    const available = availableMemoryBytes();
    expect(available).toBeGreaterThan(0);
    expect(available).toBeLessThanOrEqual(os.totalmem());
  });

  it('formats byte counts as MiB or GiB', () => {
    expect(formatBytes(64 * 2 ** 20)).toBe('64.0 MiB');
    expect(formatBytes(1.5 * GiB)).toBe('1.5 GiB');
  });
});
