// SDXL's whole text-to-image path through the node graph, against diffusers' StableDiffusionXLPipeline
// (test/fixtures/sdxl: 128x128, seed 3001, guidance 5, 4 steps of Euler 'leading' and of DPM++ 2M Karras):
// loader -> CLIPTextEncode (both encoders, pooled output) -> EmptyLatentImage -> KSampler with the
// diffusers schedulers (size conditioning from the latent, as ComfyUI and diffusers do) -> VAEDecode
// (scaling 0.13025) -> SaveImage, from the diffusers folder (f32) and the single SGM file (fp16 weights
// rounded in the file). Pictures within 2/255 of the reference PNGs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { decodePng } from '../../nodes/image/png.ts';
import type { ExecutionGraph } from '../../protocol/index.ts';
import { createHost, nativeMemoryProbe } from '../../server/host.ts';
import { executeGraph } from '../../server/runner/execute.ts';

const fixtures = path.resolve('test/fixtures/sdxl');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-sdxl-'));
const modelsDir = path.join(dataDir, 'models');
fs.mkdirSync(path.join(modelsDir, 'checkpoints'), { recursive: true });
fs.mkdirSync(path.join(modelsDir, 'diffusers'), { recursive: true });
for (const f of ['tiny-sdxl.safetensors', 'tiny-sdxl.json']) fs.copyFileSync(path.join(fixtures, 'tiny-sdxl', f), path.join(modelsDir, 'checkpoints', f));
fs.cpSync(path.join(fixtures, 'tiny-sdxl'), path.join(modelsDir, 'diffusers', 'tiny-sdxl'), {
  recursive: true,
  filter: (src) => !src.endsWith('tiny-sdxl.safetensors') && !src.endsWith('tiny-sdxl.json'),
});
const host = createHost({ dataDir, modelsDir });
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

/** The fixture's run as ComfyUI's API format. */
export function sdxlGraph(loader: 'diffusers' | 'single-file', sampler: 'euler' | 'dpmpp_2m', prefix: string): ExecutionGraph {
  return {
    '1': loader === 'diffusers'
      ? { class_type: 'DiffusersLoader', inputs: { model_path: 'tiny-sdxl', weight_dtype: 'f32' } }
      : { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'tiny-sdxl.safetensors' } },
    '2': { class_type: 'CLIPTextEncode', inputs: { text: 'a watercolor lighthouse on a cliff, stormy sea', clip: ['1', 1] } },
    '3': { class_type: 'CLIPTextEncode', inputs: { text: 'low quality', clip: ['1', 1] } },
    '4': { class_type: 'EmptyLatentImage', inputs: { width: 128, height: 128, batch_size: 1 } },
    '5': {
      class_type: 'KSampler',
      inputs: {
        model: ['1', 0], seed: 3001, steps: 4, cfg: 5, sampler_name: sampler, scheduler: sampler === 'euler' ? 'diffusers' : 'diffusers_karras',
        positive: ['2', 0], negative: ['3', 0], latent_image: ['4', 0], denoise: 1,
      },
    },
    '6': { class_type: 'VAEDecode', inputs: { samples: ['5', 0], vae: ['1', 2] } },
    '7': { class_type: 'SaveImage', inputs: { images: ['6', 0], filename_prefix: prefix } },
  } as unknown as ExecutionGraph;
}

/** Fraction of 8-bit channel values within `tolerance` of the reference PNG, and the largest difference. */
export function compareToReference(png: Buffer, reference: string, tolerance = 2): { within: number; max: number } {
  const a = decodePng(png), b = decodePng(fs.readFileSync(reference));
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  let ok = 0, max = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i] - b.data[i]);
    max = Math.max(max, d);
    if (d <= tolerance) ok++;
  }
  return { within: ok / a.data.length, max };
}

describe.each([
  { loader: 'diffusers' as const },
  { loader: 'single-file' as const },
])('SDXL txt2img through the node graph: $loader', ({ loader }) => {
  it.each([
    { sampler: 'euler' as const, run: 'euler' },
    { sampler: 'dpmpp_2m' as const, run: 'dpmpp_2m_karras' },
  ])('$run makes the reference picture within 2/255', async ({ sampler, run }) => {
    const graph = sdxlGraph(loader, sampler, `sdxl-${loader}-${run}`);
    const result = await executeGraph(graph, host.registry, { cache: host.cache, memoryProbe: nativeMemoryProbe, services: { paths: host.paths } });
    expect(result.issues).toEqual([]);
    expect(result.status).toBe('success');
    const image = (result.outputs['7'].images as { filename: string; subfolder: string }[])[0];
    const png = fs.readFileSync(path.join(host.paths.output, image.subfolder, image.filename));
    const { within, max } = compareToReference(png, path.join(fixtures, 'expected', `pipeline_${run}.png`));
    console.log(`SDXL ${loader} ${run}: ${(within * 100).toFixed(2)}% of channels within 2/255, max difference ${max}`);
    expect(max).toBeLessThanOrEqual(2);
  });
});
