// ComfyUI's two-stage SDXL graph through the graph runner: the base model samples the first steps of the
// schedule and returns the latent with its leftover noise (KSamplerAdvanced, return_with_leftover_noise),
// the refiner samples the rest without adding noise (add_noise disable, start_at_step), conditioned by
// CLIPTextEncodeSDXLRefiner (positive) and plain CLIPTextEncode (negative: ComfyUI's 2.5 aesthetic score);
// the base VAE decodes. The refiner from its single file and from its diffusers folder gives the same
// picture, and the refiner's steps change the picture the base alone would make.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { decodePng } from '../../nodes/image/png.ts';
import type { ExecutionGraph } from '../../protocol/index.ts';
import { createHost, nativeMemoryProbe } from '../../server/host.ts';
import { executeGraph } from '../../server/runner/execute.ts';
import { makeSdxlModelsDir } from '../helpers/sdxl.ts';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-sdxl-refiner-'));
const modelsDir = makeSdxlModelsDir({ refiner: true });
const host = createHost({ dataDir, modelsDir });
afterAll(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(modelsDir, { recursive: true, force: true });
});

const PROMPT = 'a watercolor lighthouse on a cliff, stormy sea';
const STEPS = 6, SWITCH = 3;

/** The two-stage graph; `baseEnd` beyond STEPS: the base samples every step and its latent is decoded (the refiner's part is not run). */
function twoStage(refiner: 'single-file' | 'diffusers', prefix: string, baseEnd = SWITCH): ExecutionGraph {
  const sampler = (model: string, positive: string, negative: string, latent: [string, number], extra: Record<string, unknown>) => ({
    class_type: 'KSamplerAdvanced',
    inputs: { model: [model, 0], noise_seed: 3001, steps: STEPS, cfg: 5, sampler_name: 'euler', scheduler: 'normal',
      positive: [positive, 0], negative: [negative, 0], latent_image: latent, ...extra },
  });
  return {
    '1': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'tiny-sdxl.safetensors' } },
    '2': refiner === 'diffusers'
      ? { class_type: 'DiffusersLoader', inputs: { model_path: 'tiny-sdxl-refiner', weight_dtype: 'f32' } }
      : { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'tiny-sdxl-refiner.safetensors' } },
    '3': { class_type: 'CLIPTextEncode', inputs: { text: PROMPT, clip: ['1', 1] } },
    '4': { class_type: 'CLIPTextEncode', inputs: { text: 'low quality', clip: ['1', 1] } },
    '5': { class_type: 'CLIPTextEncodeSDXLRefiner', inputs: { ascore: 6, width: 128, height: 128, text: PROMPT, clip: ['2', 1] } },
    '6': { class_type: 'CLIPTextEncode', inputs: { text: 'low quality', clip: ['2', 1] } },
    '7': { class_type: 'EmptyLatentImage', inputs: { width: 128, height: 128, batch_size: 1 } },
    '8': sampler('1', '3', '4', ['7', 0], { add_noise: 'enable', start_at_step: 0, end_at_step: baseEnd, return_with_leftover_noise: baseEnd < STEPS ? 'enable' : 'disable' }),
    '9': sampler('2', '5', '6', ['8', 0], { add_noise: 'disable', start_at_step: SWITCH, end_at_step: 10000, return_with_leftover_noise: 'disable' }),
    '10': { class_type: 'VAEDecode', inputs: { samples: [baseEnd < STEPS ? '9' : '8', 0], vae: ['1', 2] } },
    '11': { class_type: 'SaveImage', inputs: { images: ['10', 0], filename_prefix: prefix } },
  } as unknown as ExecutionGraph;
}

async function run(graph: ExecutionGraph): Promise<ReturnType<typeof decodePng>> {
  const result = await executeGraph(graph, host.registry, { cache: host.cache, memoryProbe: nativeMemoryProbe, services: { paths: host.paths } });
  expect(result.issues).toEqual([]);
  expect(result.status).toBe('success');
  const image = (result.outputs['11'].images as { filename: string; subfolder: string }[])[0];
  return decodePng(fs.readFileSync(path.join(host.paths.output, image.subfolder, image.filename)));
}

function maxDifference(a: ReturnType<typeof decodePng>, b: ReturnType<typeof decodePng>): number {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  let max = 0;
  for (let i = 0; i < a.data.length; i++) max = Math.max(max, Math.abs(a.data[i] - b.data[i]));
  return max;
}

describe('SDXL base then refiner (KSamplerAdvanced, start / end steps) through the graph runner', () => {
  it('the refiner from its single file and from its diffusers folder make the same picture, unlike the base alone', async () => {
    const single = await run(twoStage('single-file', 'refiner-single'));
    const folder = await run(twoStage('diffusers', 'refiner-folder'));
    expect([single.width, single.height]).toEqual([128, 128]);
    expect(maxDifference(single, folder)).toBeLessThanOrEqual(1);
    // The base sampling all the steps itself: the refiner's last steps are not the base's.
    const baseOnly = await run(twoStage('single-file', 'base-only', 10000));
    const changed = maxDifference(single, baseOnly);
    console.log(`SDXL base + refiner: the refiner's ${STEPS - SWITCH} steps change channels by up to ${changed}/255 from the base's own`);
    expect(changed).toBeGreaterThan(2); // more than the 2/255 two runs of one pipeline may differ by
  });
});
