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

import { createHost, nativeMemoryProbe } from '../../server/host.ts';
import { executeGraph } from '../../server/runner/execute.ts';
import { compareToReference, makeSdxlModelsDir, SDXL_FIXTURES as fixtures, sdxlGraph } from '../helpers/sdxl.ts';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-sdxl-'));
const modelsDir = makeSdxlModelsDir();
const host = createHost({ dataDir, modelsDir });
afterAll(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(modelsDir, { recursive: true, force: true });
});

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
