// The whole text-to-image path against the reference pipeline (test/fixtures/expected/pipeline_*):
// tokenizer -> text encoder -> seeded noise -> scheduler loop with CFG -> VAE decode -> 8-bit picture,
// for DDIM and Euler, from the diffusers folder (f32) and the single-file checkpoint (f16).
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodeText, loadModel, type ModelHandle, native, type Precision, unetForward, vaeDecode } from '../../native/index.ts';
import { vaeToImage, imageToRgb8 } from '../../nodes/image/convert.ts';
import { decodePng } from '../../nodes/image/png.ts';
import { sample } from '../../nodes/sampling/sample.ts';
import type { SchedulerConfigFile } from '../../nodes/sampling/schedulers/index.ts';
import { CLIPTokenizer } from '../../nodes/text/clip-tokenizer.ts';
import { f32, readSafetensors } from '../helpers/safetensors.ts';
import fs from 'node:fs';

const fixtures = path.resolve('test/fixtures');
const folder = path.join(fixtures, 'tiny-sd');
const singleFile = path.join(fixtures, 'tiny-sd', 'tiny-sd.safetensors');

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function txt2img(model: ModelHandle, tokenizer: CLIPTokenizer, sampler: 'ddim' | 'euler', onLatents: (step: number, x: Float32Array) => void) {
  const encode = async (text: string) => {
    const ids = Int32Array.from(tokenizer.encode(text).inputIds);
    return { data: await encodeText(model, ids), shape: [1, 77, model.info.clip!.hidden_size] as const };
  };
  const positive = await encode('a small cat');
  const negative = await encode('');
  const latents = await sample({
    predictNoise: (x, shape, t, context) => unetForward(model, x, shape, new Float32Array(shape[0]).fill(t), context.data),
    sampler,
    schedule: 'normal',
    schedulerConfig: (model.info.schedulerConfig ?? JSON.parse(fs.readFileSync(path.join(folder, 'scheduler', 'scheduler_config.json'), 'utf8'))) as SchedulerConfigFile,
    steps: 4,
    cfg: 7.5,
    seed: 42,
    positive,
    negative,
    shape: [1, 4, 8, 8],
    onLatents: (step, x) => onLatents(step, x.slice()),
  });
  const factor = model.info.vae.scaling_factor;
  const decoded = await vaeDecode(model, latents.map((v) => v / factor), [1, 4, 8, 8]);
  return { latents, decoded, rgb: imageToRgb8(vaeToImage(decoded, 1, 64, 64), 0, 64, 64) };
}

/** Fraction of 8-bit channel values within `tolerance` of the reference PNG. */
function fractionWithin(rgb: Uint8Array, referencePng: string, tolerance: number): number {
  const reference = decodePng(fs.readFileSync(referencePng));
  expect(reference.width).toBe(64);
  let ok = 0;
  for (let i = 0; i < rgb.length; i++) if (Math.abs(rgb[i] - reference.data[i]) <= tolerance) ok++;
  return ok / rgb.length;
}

describe.each([
  { layout: 'diffusers folder, f32 weights', path: folder, weights: 'f32' as const, precision: 'fp32' as Precision, latentBound: 1e-3, pixelTolerance: 2, pixelFraction: 0.999 },
  // f16 weights change each network's output by ~1e-3 of its range (measured: latents within 1.5e-3).
  { layout: 'single file, f16 weights', path: singleFile, weights: 'f16' as const, precision: 'fp32' as Precision, latentBound: 5e-3, pixelTolerance: 2, pixelFraction: 0.999 },
  // bf16 precision (CPUs with AVX512_BF16; test/native/models/precision.test.ts checks the refusal
  // elsewhere), bounds of its own: bf16 keeps 8 significant bits, so each product is ~8x less exact than
  // with f16 weights; measured latents within 3.5e-2, pictures 99.8-99.9% of channels within 8/255
  // (92.8-94.9% within 4/255: cfg 7.5 multiplies the UNet's difference between its two halves).
  ...(native.cpuFeatures().bf16
    ? [{ layout: 'single file, f16 weights, bf16 precision', path: singleFile, weights: 'f16' as const, precision: 'bf16' as Precision, latentBound: 5e-2, pixelTolerance: 8, pixelFraction: 0.99 }]
    : []),
  // q8_0 UNet weights (8-bit blocks, core/q8_0.h), bounds of their own: each weight moves by up to half a step
  // of its block (max|w| / 254), about bf16's error on these random weights; measured latents within 3.0e-2,
  // pictures 98.5-99.4% of channels within 8/255. (On the trained demo model, 20 steps: 99.05% within 4/255.)
  { layout: 'single file, q8_0 UNet weights', path: singleFile, weights: 'q8_0' as const, precision: 'fp32' as Precision, latentBound: 5e-2, pixelTolerance: 8, pixelFraction: 0.98 },
])('txt2img equals the reference pipeline: $layout', ({ path: modelPath, weights, precision, latentBound, pixelTolerance, pixelFraction }) => {
  let model: ModelHandle;
  let tokenizer: CLIPTokenizer;
  beforeAll(async () => {
    model = await loadModel(modelPath, { weights, precision });
    tokenizer = await CLIPTokenizer.load(path.join(folder, 'tokenizer'));
  });
  afterAll(() => model.dispose());

  it.each(['ddim', 'euler'] as const)('%s, 4 steps, cfg 7.5, seed 42', async (sampler) => {
    const expected = readSafetensors(path.join(fixtures, 'expected', `pipeline_${sampler}.safetensors`));
    const steps: Float32Array[] = [];
    const { latents, rgb } = await txt2img(model, tokenizer, sampler, (_step, x) => steps.push(x));
    expect(steps).toHaveLength(4);
    const report: string[] = [];
    for (let i = 0; i < 4; i++) {
      const reference = f32(expected, `latents_after_step.${i}`);
      const relative = maxAbsDiff(steps[i], reference) / maxAbs(reference);
      report.push(`step ${i}: ${relative.toExponential(2)}`);
      expect(relative).toBeLessThanOrEqual(latentBound);
    }
    const finalRelative = maxAbsDiff(latents, f32(expected, 'final_latents')) / maxAbs(f32(expected, 'final_latents'));
    expect(finalRelative).toBeLessThanOrEqual(latentBound);
    const within = fractionWithin(rgb, path.join(fixtures, 'expected', `pipeline_${sampler}.png`), pixelTolerance);
    console.log(`${sampler} ${weights} ${precision}: latents max rel err ${report.join(', ')}; pixels within ${pixelTolerance}/255: ${(within * 100).toFixed(3)}%`);
    expect(within).toBeGreaterThanOrEqual(pixelFraction);
  });
});
