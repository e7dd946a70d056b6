// EmptyLatentImage refuses a latent the memory budget cannot hold: at validation (before any node runs,
// reported on the node and input) and again when it runs (the budget may have shrunk meanwhile).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import emptyLatentImage, { LatentMemoryError, latentBytes } from '../../../nodes/core/empty-latent-image.ts';
import type { NodeContext } from '../../../nodes/schema.ts';
import { createHost } from '../../../server/host.ts';
import { validateGraph } from '../../../server/runner/validate.ts';
import { makeModelsDir, tinyTxt2img } from '../../helpers/server.ts';

const MiB = 2 ** 20;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-empty-latent-'));
const modelsDir = makeModelsDir();
const host = createHost({ dataDir, modelsDir });
afterAll(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(modelsDir, { recursive: true, force: true });
});

function withLatent(width: number, height: number, batch: number) {
  return { ...tinyTxt2img(), '5': { class_type: 'EmptyLatentImage', inputs: { width, height, batch_size: batch } } };
}

function context(memoryBudgetBytes: number): NodeContext {
  return { nodeId: '5', nodeType: 'EmptyLatentImage', services: { memoryBudgetBytes } } as unknown as NodeContext;
}

describe('EmptyLatentImage and the memory budget', () => {
  it('counts its latent as batch x 4 x H/8 x W/8 float32', () => {
    expect(latentBytes(512, 512, 1)).toBe(4 * 64 * 64 * 4);
    expect(latentBytes(8192, 8192, 64)).toBe(2 ** 30); // the schema's largest: 1 GiB
    expect(latentBytes(64, 72, 3)).toBe(3 * 4 * 9 * 8 * 4);
  });

  it('validation refuses a latent over the budget on the node and the input to lower, before anything runs', () => {
    const issues = validateGraph(withLatent(8192, 8192, 64), host.registry, { paths: host.paths, memoryBudgetBytes: 256 * MiB });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      code: 'value_out_of_range',
      nodeId: '5',
      nodeType: 'EmptyLatentImage',
      input: 'batch_size',
      details: { reason: 'over_memory_budget', bytes: 2 ** 30, budgetBytes: 256 * MiB, received: 64 },
    });
    expect(issues[0].message).toMatch(/^EmptyLatentImage #5: a 8192x8192 latent of batch 64 needs 1\.0 GiB, more than the memory budget of 256\.0 MiB; lower batch_size/);
    // Batch 1: the size is what to lower.
    const single = validateGraph(withLatent(8192, 4096, 1), host.registry, { paths: host.paths, memoryBudgetBytes: 4 * MiB });
    expect(single[0]).toMatchObject({ code: 'value_out_of_range', nodeId: '5', input: 'width' });
  });

  it('accepts a latent exactly at the budget, and any latent under an unset budget on this machine', () => {
    expect(validateGraph(withLatent(512, 512, 2), host.registry, { paths: host.paths, memoryBudgetBytes: latentBytes(512, 512, 2) })).toEqual([]);
    expect(validateGraph(withLatent(512, 512, 2), host.registry, { paths: host.paths, memoryBudgetBytes: latentBytes(512, 512, 2) - 1 })).toHaveLength(1);
    expect(validateGraph(withLatent(512, 512, 1), host.registry, { paths: host.paths })).toEqual([]);
  });

  it('run() refuses too (the budget can shrink after validation) without allocating, as an out-of-memory refusal', async () => {
    let error: unknown;
    try {
      emptyLatentImage.run({ width: 2048, height: 2048, batch_size: 4 }, context(1 * MiB)); // 4 MiB latent
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LatentMemoryError);
    expect(error).toMatchObject({ code: 'SDN_STATUS_OUT_OF_MEMORY', details: { input: 'batch_size', bytes: 4 * MiB, budgetBytes: MiB } });
    const made = await emptyLatentImage.run({ width: 2048, height: 2048, batch_size: 4 }, context(4 * MiB));
    expect(made.LATENT.shape).toEqual([4, 4, 256, 256]);
    expect(made.LATENT.samples.length).toBe(MiB);
  });
});
