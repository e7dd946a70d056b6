// The inputs the SDXL control references were made from (test/fixtures/controlnet-sdxl/reference.safetensors, the
// tiny SDXL UNet's call: latent, timesteps, text, pooled text and sizes, hint), and the check of a ControlNet's
// residuals against a reference, shared by the SDXL ControlNet, Control-LoRA and T2I-Adapter tests.
import path from 'node:path';

import { expect } from 'vitest';

import type { AddedConditioning, Shape4 } from '../../native/index.ts';
import { relativeMaxError } from './compare.ts';
import { f32, readSafetensors } from './safetensors.ts';

export const CONTROLNET_SDXL_FIXTURES = 'test/fixtures/controlnet-sdxl';

/** The UNet call's inputs from a reference file of the set (every file of it holds the same ones). */
export function sdxlControlInputs(ref = readSafetensors(path.join(CONTROLNET_SDXL_FIXTURES, 'reference.safetensors'))) {
  const added: AddedConditioning = { textEmbeds: f32(ref, 'text_embeds'), timeIds: f32(ref, 'time_ids') };
  const shape: Shape4 = [2, 4, 16, 16], hintShape: Shape4 = [2, 3, 128, 128];
  return { x: f32(ref, 'x'), t: f32(ref, 't'), context: f32(ref, 'context'), hint: f32(ref, 'hint'), added, shape, hintShape };
}

/** An SDXL ControlNet's down residuals on the tiny SDXL UNet: 1 + 3 levels x 2 layers + 2 down-samplers. */
export const SDXL_CONTROL_RESIDUALS = 9;

/** Every residual (`down(k)`, `mid`) within `bound` x max|ref|; logs the worst error under `label`. */
export function expectResiduals(out: { down: Float32Array[]; mid: Float32Array }, down: (k: number) => Float32Array, mid: Float32Array, label: string, bound: number) {
  expect(out.down.length).toBe(SDXL_CONTROL_RESIDUALS);
  let worst = 0;
  out.down.forEach((r, k) => (worst = Math.max(worst, relativeMaxError(r, down(k)))));
  worst = Math.max(worst, relativeMaxError(out.mid, mid));
  console.log(`${label}: worst residual max abs error = ${worst.toExponential(2)} x max|ref|`);
  expect(worst).toBeLessThanOrEqual(bound);
}
