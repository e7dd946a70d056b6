// The SDXL fixtures (test/fixtures/sdxl) as the integration tests use them: a models folder holding the
// single file and the diffusers folder, the fixture's txt2img as a ComfyUI API workflow, and the
// comparison of a picture with the reference PNG.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, expect } from 'vitest';

import { decodePng } from '../../nodes/image/png.ts';
import type { ExecutionGraph } from '../../protocol/index.ts';
import { createHost, nativeMemoryProbe } from '../../server/host.ts';
import { executeGraph } from '../../server/runner/execute.ts';

export const SDXL_FIXTURES = path.resolve('test/fixtures/sdxl');

export const SDXL_REFINER_FIXTURES = path.resolve('test/fixtures/sdxl-refiner');

/**
 * A models folder: checkpoints/tiny-sdxl.safetensors (+ its .json sidecar) and diffusers/tiny-sdxl (links);
 * with `refiner`, also checkpoints/tiny-sdxl-refiner.safetensors (+ .json) and diffusers/tiny-sdxl-refiner.
 */
export function makeSdxlModelsDir(options: { refiner?: boolean } = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-sdxl-models-'));
  const model = path.join(SDXL_FIXTURES, 'tiny-sdxl');
  fs.mkdirSync(path.join(dir, 'checkpoints'));
  fs.mkdirSync(path.join(dir, 'diffusers'));
  for (const f of ['tiny-sdxl.safetensors', 'tiny-sdxl.json']) fs.symlinkSync(path.join(model, f), path.join(dir, 'checkpoints', f));
  fs.symlinkSync(model, path.join(dir, 'diffusers', 'tiny-sdxl'));
  if (options.refiner) {
    for (const f of ['tiny-sdxl-refiner.safetensors', 'tiny-sdxl-refiner.json']) fs.symlinkSync(path.join(SDXL_REFINER_FIXTURES, f), path.join(dir, 'checkpoints', f));
    fs.symlinkSync(path.join(SDXL_REFINER_FIXTURES, 'tiny-sdxl-refiner'), path.join(dir, 'diffusers', 'tiny-sdxl-refiner'));
  }
  return dir;
}

/**
 * A host on a new data folder (named after `prefix`) and `modelsDir`, both removed after the file's tests; `run`
 * executes a graph on it, `picture` reads the first image a SaveImage node of a result wrote.
 */
export function sdxlPipelineHost(modelsDir: string, prefix: string) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const host = createHost({ dataDir, modelsDir });
  afterAll(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(modelsDir, { recursive: true, force: true });
  });
  const run = (graph: ExecutionGraph) => executeGraph(graph, host.registry, { cache: host.cache, memoryProbe: nativeMemoryProbe, services: { paths: host.paths } });
  const picture = (result: Awaited<ReturnType<typeof run>>, node: string): Buffer => {
    const image = (result.outputs[node].images as { filename: string; subfolder: string }[])[0];
    return fs.readFileSync(path.join(host.paths.output, image.subfolder, image.filename));
  };
  return { dataDir, host, run, picture };
}

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

