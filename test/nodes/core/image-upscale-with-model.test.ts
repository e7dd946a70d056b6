// ImageUpscaleWithModel: the engine's output, channels last and clamped to [0, 1] as ComfyUI; in tiles when the
// memory budget needs it (progress per tile), with the same picture.
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { estimateUpscalerMemory, loadUpscaler, upscalerRun, type UpscalerHandle } from '../../../native/index.ts';
import node from '../../../nodes/core/image-upscale-with-model.ts';
import type { NodeContext } from '../../../nodes/schema.ts';
import { maxAbsDiff } from '../../helpers/compare.ts';

let up: UpscalerHandle;
beforeAll(async () => {
  up = await loadUpscaler(path.resolve('test/fixtures/rrdbnet/old_x2.safetensors'));
});
afterAll(() => up.dispose());

function ctx(memoryBudgetBytes: number, progress: [number, number][] = [], stats: Record<string, number>[] = []): NodeContext {
  const log = { debug() {}, info() {}, warn() {}, error() {} };
  return {
    nodeId: '13',
    nodeType: 'ImageUpscaleWithModel',
    signal: new AbortController().signal,
    progress: (v, m) => progress.push([v, m]),
    preview() {},
    stats: (s) => stats.push(s),
    log,
    services: { memoryBudgetBytes },
  };
}

/** IMAGE [B, H, W, 3] in [0, 1]. */
function image(B: number, H: number, W: number) {
  return { data: new Float32Array(B * H * W * 3).map((_, i) => 0.5 + 0.5 * Math.sin(i * 0.13)), shape: [B, H, W, 3] as const };
}

describe('ImageUpscaleWithModel', () => {
  it("gives the model's picture, channels last, clamped to [0, 1]", async () => {
    const img = image(2, 11, 9);
    const out = await node.run({ upscale_model: { upscaler: up, source: 'old_x2' }, image: img }, ctx(2 ** 32));
    expect(out.IMAGE.shape).toEqual([2, 22, 18, 3]);
    // the engine's own output, channels first
    const planes = new Float32Array(img.data.length);
    for (let b = 0; b < 2; b++) for (let i = 0; i < 99; i++) for (let c = 0; c < 3; c++) planes[(b * 3 + c) * 99 + i] = img.data[(b * 99 + i) * 3 + c];
    const raw = await upscalerRun(up, planes, [2, 3, 11, 9]);
    const expected = new Float32Array(raw.length);
    for (let b = 0; b < 2; b++)
      for (let i = 0; i < 22 * 18; i++) for (let c = 0; c < 3; c++) expected[(b * 396 + i) * 3 + c] = Math.min(1, Math.max(0, raw[(b * 3 + c) * 396 + i]));
    expect(raw.some((v) => v < 0 || v > 1)).toBe(true); // random weights: the clamp matters
    expect(maxAbsDiff(out.IMAGE.data, expected)).toBe(0);
  });

  it('runs in tiles under a small memory budget (progress per tile), with the same picture', async () => {
    const img = image(1, 300, 260);
    const whole = await node.run({ upscale_model: { upscaler: up, source: 'old_x2' }, image: img }, ctx(2 ** 32));
    const budget = Math.floor(estimateUpscalerMemory(up, { batch: 1, height: 300, width: 260, tile: 0 }).peakBytes * 0.5);
    const progress: [number, number][] = [];
    const stats: Record<string, number>[] = [];
    const tiled = await node.run({ upscale_model: { upscaler: up, source: 'old_x2' }, image: img }, ctx(budget, progress, stats));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stats[0].tile).toBeGreaterThan(0);
    expect(stats[0].estimatedPeakBytes).toBeLessThanOrEqual(budget);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)![0]).toBe(progress.at(-1)![1]);
    expect(maxAbsDiff(tiled.IMAGE.data, whole.IMAGE.data)).toBeLessThanOrEqual(1e-5);
  });
});
