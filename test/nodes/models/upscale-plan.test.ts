// planUpscaleTile: the whole picture when it fits the budget, else the largest exact tile that does (by the
// engine's exact estimate), else the largest with ComfyUI's 32-pixel margin, else a refusal with the figures.
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { estimateUpscalerMemory, loadUpscaler, type UpscalerHandle } from '../../../native/index.ts';
import { planUpscaleTile } from '../../../nodes/models/upscale-plan.ts';

let up: UpscalerHandle;
beforeAll(async () => {
  up = await loadUpscaler(path.resolve('test/fixtures/rrdbnet/new_x2.safetensors')); // tiles are multiples of 2
});
afterAll(() => up.dispose());

const shape = { batch: 1, height: 300, width: 260 };

describe('planUpscaleTile', () => {
  it('runs the picture in one piece when it fits', () => {
    const whole = estimateUpscalerMemory(up, { ...shape, tile: 0 });
    const plan = planUpscaleTile(up, shape, whole.peakBytes);
    expect(plan).toMatchObject({ tile: 0, margin: 0, exact: true });
    expect(plan.estimate.peakBytes).toBe(whole.peakBytes);
  });

  it('otherwise picks the largest tile that fits: the next larger one does not', () => {
    const whole = estimateUpscalerMemory(up, { ...shape, tile: 0 });
    const budget = Math.floor(whole.peakBytes * 0.6);
    const plan = planUpscaleTile(up, shape, budget);
    expect(plan).toMatchObject({ margin: 0, exact: true });
    expect(plan.tile).toBeGreaterThan(0);
    expect(plan.tile % 2).toBe(0);
    expect(plan.estimate.peakBytes).toBeLessThanOrEqual(budget);
    expect(estimateUpscalerMemory(up, { ...shape, tile: plan.tile + 2 }).peakBytes).toBeGreaterThan(budget);
  });

  it("falls back to ComfyUI's 32-pixel margin when no exact tile fits (the model's is 38), saying so", () => {
    const budget = estimateUpscalerMemory(up, { ...shape, tile: 64, margin: 32 }).peakBytes;
    expect(estimateUpscalerMemory(up, { ...shape, tile: 64 }).peakBytes).toBeGreaterThan(budget); // the exact margin is wider
    const plan = planUpscaleTile(up, shape, budget);
    expect(plan).toMatchObject({ margin: 32, exact: false });
    expect(plan.tile).toBeGreaterThanOrEqual(64);
    expect(plan.estimate.peakBytes).toBeLessThanOrEqual(budget);
  });

  it('refuses when even the smallest tile does not fit, with the figures', () => {
    expect(() => planUpscaleTile(up, shape, 1024)).toThrow(/upscaling a 260x300 picture \(batch 1\) needs ~.* even in tiles of 64 pixels with a margin of 32, over the memory budget/);
  });
});
