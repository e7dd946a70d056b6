// Choosing the attention mode by the engine's memory estimate, and refusing up front: on SD 1.5's
// configuration (estimates only, nothing runs) and, through the runner, on the demo model.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { estimateUnetMemory } from '../../../native/index.ts';
import {
  AttentionMemoryError,
  NAIVE_FAST_ATTENTION_BYTES,
  planUnetAttention,
  planVaeDecodeAttention,
  planVaeDecodeTiledAttention,
} from '../../../nodes/models/attention-plan.ts';
import { parseWorkflow, type RunEvent } from '../../../protocol/index.ts';
import { REPO_ROOT } from '../../../server/config.ts';
import { createHost, nativeMemoryProbe } from '../../../server/host.ts';
import { executeGraph } from '../../../server/runner/execute.ts';
import { applyOverrides } from '../../../server/runner/overrides.ts';
import { SD15_UNET, SD15_VAE } from '../../helpers/sd15-configs.ts';

const GiB = 2 ** 30;
const at = (size: number) => ({ batch: 2, latentHeight: size, latentWidth: size });

function refusal(run: () => unknown): AttentionMemoryError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AttentionMemoryError);
    return error as AttentionMemoryError;
  }
  throw new Error('expected the plan to be refused');
}

describe('planUnetAttention (SD 1.5)', () => {
  it('auto picks naive while its score matrices are small (the fastest there), flash above', () => {
    expect(planUnetAttention('auto', SD15_UNET, at(32), 20 * GiB).mode).toBe('naive'); // 1024 tokens: 64 MiB of scores
    expect(planUnetAttention('auto', SD15_UNET, at(48), 20 * GiB).mode).toBe('flash'); // 2304 tokens
    expect(planUnetAttention('auto', SD15_UNET, at(64), 20 * GiB).mode).toBe('flash');
    expect(planUnetAttention('auto', SD15_UNET, at(128), 24 * GiB).mode).toBe('flash');
    expect(estimateUnetMemory(SD15_UNET, { ...at(32), attention: 'naive' }).attentionBytes).toBeLessThanOrEqual(NAIVE_FAST_ATTENTION_BYTES);
  });

  it('auto falls back to flash when naive would be fast but does not fit the budget', () => {
    const naive = estimateUnetMemory(SD15_UNET, { ...at(32), attention: 'naive' }).peakBytes;
    const flash = estimateUnetMemory(SD15_UNET, { ...at(32), attention: 'flash' }).peakBytes;
    expect(flash).toBeLessThan(naive);
    expect(planUnetAttention('auto', SD15_UNET, at(32), naive).mode).toBe('naive');
    expect(planUnetAttention('auto', SD15_UNET, at(32), naive - 1).mode).toBe('flash');
  });

  it('an explicit mode that fits is used as given, with its estimate', () => {
    const plan = planUnetAttention('sliced', SD15_UNET, at(64), 8 * GiB);
    expect(plan.mode).toBe('sliced');
    expect(plan.estimate.peakBytes).toBe(estimateUnetMemory(SD15_UNET, { ...at(64), attention: 'sliced' }).peakBytes);
    expect(plan.budgetBytes).toBe(8 * GiB);
  });

  it('naive at 1024x1024 over a 16 GiB budget is refused with the estimate and advice', () => {
    const error = refusal(() => planUnetAttention('naive', SD15_UNET, at(128), 16 * GiB));
    expect(error.code).toBe('SDN_STATUS_OUT_OF_MEMORY');
    expect(error.message).toMatch(
      /^naive attention at 1024x1024 \(batch 2\) needs ~16\.\d GiB of working memory \(16\.0 GiB for one attention's score matrices alone, at down_blocks\.0\.attentions\.0\.transformer_blocks\.0\.attn1\), more than the budget of 16\.0 GiB; use flash \(needs ~\d+\.\d MiB\)$/,
    );
    expect(error.details).toMatchObject({ mode: 'naive', budgetBytes: 16 * GiB, fits: 'flash' });
    expect(error.details.estimateBytes).toBeGreaterThan(16 * GiB);
  });

  it('a run that does not fit even with flash is refused, advising a smaller image', () => {
    const error = refusal(() => planUnetAttention('auto', SD15_UNET, at(128), 256 * 2 ** 20));
    expect(error.message).toMatch(/^flash attention at 1024x1024 \(batch 2\) needs ~3\d\d\.\d MiB .*more than the budget of 256\.0 MiB; use a smaller image or batch/);
    expect(error.details.fits).toBeUndefined();
    const explicit = refusal(() => planUnetAttention('sliced', SD15_UNET, at(128), 256 * 2 ** 20));
    expect(explicit.message).toMatch(/^sliced attention .* use a smaller image or batch/);
  });
});

describe('planVaeDecodeAttention (SD 1.5 VAE)', () => {
  it('naive for a 256x256 decode, flash from 512x512, refusal with tiled advice when nothing fits', () => {
    // 1024 tokens: naive 24-36 ms vs flash 42 ms; 4096 tokens (512x512): both ~950 ms, naive holding 72 MiB more.
    expect(planVaeDecodeAttention(SD15_VAE, { batch: 1, latentHeight: 32, latentWidth: 32 }, 20 * GiB).mode).toBe('naive');
    expect(planVaeDecodeAttention(SD15_VAE, { batch: 1, latentHeight: 64, latentWidth: 64 }, 20 * GiB).mode).toBe('flash');
    expect(planVaeDecodeAttention(SD15_VAE, { batch: 1, latentHeight: 128, latentWidth: 128 }, 20 * GiB).mode).toBe('flash');
    const error = refusal(() => planVaeDecodeAttention(SD15_VAE, { batch: 1, latentHeight: 128, latentWidth: 128 }, GiB));
    expect(error.message).toMatch(/^decoding 1024x1024 \(batch 1\) needs ~2\.5 GiB of working memory with flash attention, more than the budget of 1\.0 GiB; use VAEDecodeTiled/);
    const tiled = refusal(() => planVaeDecodeAttention(SD15_VAE, { batch: 1, latentHeight: 64, latentWidth: 64 }, 2 ** 20, 'use a smaller tile_size'));
    expect(tiled.message).toMatch(/; use a smaller tile_size$/);
  });
});

describe('planVaeDecodeTiledAttention (SD 1.5 VAE, image-wide normalisation)', () => {
  it('fits 1024x1024 in 256-pixel tiles where the plain decode does not, and refuses with the advice when nothing fits', () => {
    const shape = { batch: 1, latentHeight: 128, latentWidth: 128 };
    const budget = 2 * GiB; // plain flash needs ~2.5 GiB (above)
    refusal(() => planVaeDecodeAttention(SD15_VAE, shape, budget));
    const plan = planVaeDecodeTiledAttention(SD15_VAE, { ...shape, tile: 32 }, budget, "use normalization 'tile'");
    expect(plan.mode).toBe('flash');
    expect(plan.estimate.peakBytes).toBeLessThan(budget);
    const error = refusal(() => planVaeDecodeTiledAttention(SD15_VAE, { ...shape, tile: 32 }, GiB, "use normalization 'tile'"));
    expect(error.message).toMatch(/^decoding 1024x1024 \(batch 1\) in tiles of 256 pixels with image-wide normalisation needs ~1\.\d GiB .*; use normalization 'tile'$/);
  });
});

describe('KSampler and VAEDecode on the demo model, through the runner', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-attention-plan-'));
  const host = createHost({ dataDir, modelsDir: path.join(REPO_ROOT, 'models') });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const json = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'workflows', 'txt2img.json'), 'utf8'));
  const graph = parseWorkflow(json, host.registry).graph!;

  async function run(overrides: Record<string, unknown>, memoryBudgetBytes: number) {
    const events: RunEvent[] = [];
    const prepared = applyOverrides(graph, overrides);
    const result = await executeGraph(prepared.graph, host.registry, {
      cache: host.cache,
      memoryProbe: nativeMemoryProbe,
      services: { paths: host.paths, run: { prompt: prepared.graph }, memoryBudgetBytes },
      onEvent: (e) => events.push(e),
    });
    return { result, events };
  }

  it('KSampler refuses naive over the budget before its first step, naming the node, the estimate and flash', async () => {
    // 512x512 on the demo model: naive holds 2 x 8 x 4096^2 floats of scores (1 GiB); flash fits in 64 MiB.
    const { result, events } = await run({ '3.steps': 2, '3.attention': 'naive', '5.width': 512, '5.height': 512 }, 64 * 2 ** 20);
    expect(result.status).toBe('error');
    const issue = result.issues[0];
    expect(issue).toMatchObject({ code: 'native_failed', nodeId: '3', nodeType: 'KSampler', details: { status: 'SDN_STATUS_OUT_OF_MEMORY' } });
    expect(issue.message).toMatch(/^KSampler #3: naive attention at 512x512 \(batch 2\) needs ~1\.\d GiB .*more than the budget of 64\.0 MiB; use flash \(needs ~\d+\.\d MiB\)$/);
    expect(events.some((e) => e.type === 'progress' && e.node === '3')).toBe(false);
  });

  it('with auto under the same kind of budget the run completes with flash, and VAEDecode decodes', async () => {
    const { result, events } = await run({ '3.steps': 1, '3.attention': 'auto', '5.width': 512, '5.height': 512 }, 128 * 2 ** 20);
    expect(result.issues).toEqual([]);
    expect(result.status).toBe('success');
    const stats = events.find((e) => e.type === 'stats' && e.node === '3') as Extract<RunEvent, { type: 'stats' }>;
    expect(stats.extra.estimatedPeakBytes).toBeLessThanOrEqual(64 * 2 ** 20); // flash: the naive run above needed ~1 GiB
    expect(stats.peakBytes!).toBeLessThanOrEqual(stats.extra.estimatedPeakBytes); // the node's peak is the UNet's, as estimated
  });

  it('VAEDecode falls back to the tiled decode with image-wide normalisation (the same picture) when the plain decode does not fit', async () => {
    // Demo model at 512x512 (2 threads): plain decode ~104 MiB; in 256-pixel tiles ~103, 128-pixel ~76, 64-pixel ~68.
    const { result, events } = await run({ '3.steps': 1, '3.seed': 8, '5.width': 512, '5.height': 512 }, 90 * 2 ** 20);
    expect(result.issues).toEqual([]);
    expect(result.status).toBe('success');
    const stats = events.find((e) => e.type === 'stats' && e.node === '8') as Extract<RunEvent, { type: 'stats' }>;
    expect(stats.extra.estimatedPeakBytes).toBeLessThanOrEqual(90 * 2 ** 20);
    expect(stats.peakBytes!).toBeLessThanOrEqual(stats.extra.estimatedPeakBytes);
    expect(events.filter((e) => e.type === 'progress' && e.node === '8').length).toBeGreaterThan(1); // tile by tile
  });

  it('VAEDecode refuses a decode that cannot fit even in tiles, advising tile normalisation', async () => {
    const { result } = await run({ '3.steps': 1, '3.seed': 7, '5.width': 512, '5.height': 512 }, 40 * 2 ** 20); // a new seed: not cached
    expect(result.status).toBe('error');
    expect(result.issues[0]).toMatchObject({ nodeId: '8', nodeType: 'VAEDecode', details: { status: 'SDN_STATUS_OUT_OF_MEMORY' } });
    expect(result.issues[0].message).toMatch(
      /^VAEDecode #8: decoding 512x512 \(batch 1\) in tiles of 64 pixels with image-wide normalisation needs ~\d+\.\d MiB .*; use VAEDecodeTiled with normalization 'tile'/,
    );
  });
});
