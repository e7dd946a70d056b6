// LoraLoader and LoraLoaderModelOnly through the runner on the tiny fixture model: kohya and PEFT layouts of
// the same LoRA (test/fixtures/lora) give the same picture, strength 0 gives the base picture, chains stack,
// unmatched keys are logged, and a strength change reruns only what depends on it (the cache keys); SDXL LoRAs too.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { decodePng } from '../../../nodes/image/png.ts';
import type { ExecutionGraph } from '../../../protocol/index.ts';
import { createHost } from '../../../server/host.ts';
import { executeGraph } from '../../../server/runner/execute.ts';
import { writeSafetensors } from '../../helpers/safetensors.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-lora-node-'));
const models = path.join(root, 'models');
fs.mkdirSync(path.join(models, 'diffusers'), { recursive: true });
fs.mkdirSync(path.join(models, 'loras'), { recursive: true });
fs.symlinkSync(path.resolve('test/fixtures/tiny-sd'), path.join(models, 'diffusers', 'tiny-sd'));
fs.symlinkSync(path.resolve('test/fixtures/sdxl/tiny-sdxl'), path.join(models, 'diffusers', 'tiny-sdxl'));
for (const layout of ['kohya', 'peft']) {
  fs.copyFileSync(`test/fixtures/lora/tiny-lora.${layout}.safetensors`, path.join(models, 'loras', `tiny-${layout}.safetensors`));
  fs.copyFileSync(`test/fixtures/sdxl-lora/tiny-sdxl-lora.${layout}.safetensors`, path.join(models, 'loras', `tiny-sdxl-${layout}.safetensors`));
}
const host = createHost({ dataDir: path.join(root, 'data'), modelsDir: models });
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** DiffusersLoader -> [LoRA nodes] -> prompts -> KSampler (3 steps) -> VAEDecode -> PreviewImage. */
function graph(loras: Array<{ type: 'LoraLoader' | 'LoraLoaderModelOnly'; name: string; model: number; clip?: number }>, checkpoint = 'tiny-sd'): ExecutionGraph {
  const g: Record<string, { class_type: string; inputs: Record<string, unknown> }> = {
    '1': { class_type: 'DiffusersLoader', inputs: { model_path: checkpoint } },
  };
  let model: [string, number] = ['1', 0];
  let clip: [string, number] = ['1', 1];
  loras.forEach((l, i) => {
    const id = String(20 + i);
    if (l.type === 'LoraLoader') {
      g[id] = { class_type: 'LoraLoader', inputs: { model, clip, lora_name: l.name, strength_model: l.model, strength_clip: l.clip ?? 1 } };
      [model, clip] = [[id, 0], [id, 1]];
    } else {
      g[id] = { class_type: 'LoraLoaderModelOnly', inputs: { model, lora_name: l.name, strength_model: l.model } };
      model = [id, 0];
    }
  });
  g['3'] = { class_type: 'CLIPTextEncode', inputs: { clip, text: 'a red circle' } };
  g['4'] = { class_type: 'CLIPTextEncode', inputs: { clip, text: '' } };
  g['5'] = { class_type: 'EmptyLatentImage', inputs: { width: 64, height: 64, batch_size: 1 } };
  g['6'] = {
    class_type: 'KSampler',
    inputs: { model, positive: ['3', 0], negative: ['4', 0], latent_image: ['5', 0], seed: 7, steps: 3, cfg: 5, sampler_name: 'euler', scheduler: 'normal', denoise: 1 },
  };
  g['7'] = { class_type: 'VAEDecode', inputs: { samples: ['6', 0], vae: ['1', 2] } };
  g['8'] = { class_type: 'PreviewImage', inputs: { images: ['7', 0] } };
  return g as ExecutionGraph;
}

async function run(g: ExecutionGraph) {
  const warnings: string[] = [];
  const result = await executeGraph(g, host.registry, {
    cache: host.cache,
    services: { paths: host.paths },
    logger: { debug() {}, info() {}, warn: (m: string) => void warnings.push(m), error() {} },
  });
  expect(result.issues).toEqual([]);
  const image = (result.outputs['8'].images as { filename: string; subfolder: string }[])[0];
  const png = decodePng(fs.readFileSync(path.join(host.paths.temp, image.subfolder, image.filename)));
  return { pixels: png.data, executed: result.executed, warnings };
}

const maxDiff = (a: Uint8Array, b: Uint8Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('LoraLoader', () => {
  it('kohya and PEFT layouts of one LoRA give the same picture; it differs from the base; strength 0 is the base', async () => {
    const base = await run(graph([]));
    const kohya = await run(graph([{ type: 'LoraLoader', name: 'tiny-kohya.safetensors', model: 1 }]));
    const peft = await run(graph([{ type: 'LoraLoader', name: 'tiny-peft.safetensors', model: 1 }]));
    expect(maxDiff(kohya.pixels, peft.pixels)).toBeLessThanOrEqual(1);
    expect(maxDiff(kohya.pixels, base.pixels)).toBeGreaterThan(10);
    const zero = await run(graph([{ type: 'LoraLoader', name: 'tiny-kohya.safetensors', model: 0, clip: 0 }]));
    expect(maxDiff(zero.pixels, base.pixels)).toBe(0);
  });

  it('a strength change reruns only what depends on it', async () => {
    await run(graph([{ type: 'LoraLoader', name: 'tiny-kohya.safetensors', model: 0.5, clip: 0.5 }]));
    const model = await run(graph([{ type: 'LoraLoader', name: 'tiny-kohya.safetensors', model: 0.7, clip: 0.5 }]));
    expect(model.executed.sort()).toEqual(['20', '6', '7', '8'].sort()); // the prompts (3, 4) come from the cache
    const clip = await run(graph([{ type: 'LoraLoader', name: 'tiny-kohya.safetensors', model: 0.7, clip: 0.9 }]));
    expect(clip.executed.sort()).toEqual(['20', '3', '4', '6', '7', '8'].sort());
  });

  it('LoRAs stack: two model-only halves equal one LoRA at the whole strength', async () => {
    const whole = await run(graph([{ type: 'LoraLoaderModelOnly', name: 'tiny-kohya.safetensors', model: 0.8 }]));
    const halves = await run(graph([
      { type: 'LoraLoaderModelOnly', name: 'tiny-kohya.safetensors', model: 0.4 },
      { type: 'LoraLoaderModelOnly', name: 'tiny-peft.safetensors', model: 0.4 },
    ]));
    expect(maxDiff(whole.pixels, halves.pixels)).toBeLessThanOrEqual(1);
  });

  it('logs the keys that match no layer, with their count', async () => {
    const t = (shape: number[]) => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.01) });
    writeSafetensors(path.join(models, 'loras', 'partial.safetensors'), new Map([
      ['lora_unet_mid_block_attentions_0_proj_out.lora_down.weight', t([2, 64])],
      ['lora_unet_mid_block_attentions_0_proj_out.lora_up.weight', t([64, 2])],
      ['lora_unet_input_blocks_99_1_proj_in.lora_down.weight', t([2, 64])],
      ['lora_unet_input_blocks_99_1_proj_in.lora_up.weight', t([64, 2])],
    ]));
    const { warnings } = await run(graph([{ type: 'LoraLoader', name: 'partial.safetensors', model: 1 }]));
    expect(warnings.join('\n')).toMatch(/LoRA partial\.safetensors: 1 key\(s\) match no layer.*lora_unet_input_blocks_99_1_proj_in/);
  });
});

// SDXL (test/fixtures/sdxl-lora on the tiny SDXL): kohya's SDXL naming and PEFT's reach the UNet and both text
// encoders through the node, as test/native/ts/lora.test.ts proves against an offline merge.
describe('LoraLoader with SDXL', () => {
  it('kohya and PEFT SDXL LoRAs give the same picture, every key matched; strength_clip alone changes it (both encoders)', async () => {
    const base = await run(graph([], 'tiny-sdxl'));
    const kohya = await run(graph([{ type: 'LoraLoader', name: 'tiny-sdxl-kohya.safetensors', model: 1 }], 'tiny-sdxl'));
    const peft = await run(graph([{ type: 'LoraLoader', name: 'tiny-sdxl-peft.safetensors', model: 1 }], 'tiny-sdxl'));
    expect(kohya.warnings).toEqual([]);
    expect(maxDiff(kohya.pixels, peft.pixels)).toBeLessThanOrEqual(1);
    expect(maxDiff(kohya.pixels, base.pixels)).toBeGreaterThan(10);
    const clipOnly = await run(graph([{ type: 'LoraLoader', name: 'tiny-sdxl-kohya.safetensors', model: 0, clip: 1 }], 'tiny-sdxl'));
    expect(maxDiff(clipOnly.pixels, base.pixels)).toBeGreaterThan(0);
    const zero = await run(graph([{ type: 'LoraLoader', name: 'tiny-sdxl-kohya.safetensors', model: 0, clip: 0 }], 'tiny-sdxl'));
    expect(maxDiff(zero.pixels, base.pixels)).toBe(0);
  });
});
