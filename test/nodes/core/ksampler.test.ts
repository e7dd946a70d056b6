// KSampler: ComfyUI's names mean ComfyUI's sampling (equal to the reference of scripts/reference/), the diffusers
// names keep the diffusers pipeline's picture, and saved version-1 workflows are migrated to keep theirs.
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadModel, type ModelHandle } from '../../../native/index.ts';
import { coreNodes } from '../../../nodes/core/index.ts';
import ksampler from '../../../nodes/core/ksampler.ts';
import type { ModelValue } from '../../../nodes/socket-values.ts';
import { NodeRegistry } from '../../../nodes/registry.ts';
import { parseWorkflow } from '../../../protocol/index.ts';
import { f32, readSafetensors } from '../../helpers/safetensors.ts';
import { testContext } from '../../helpers/node-context.ts';
import { plain, prompt, relativeError, tensor } from '../sampling/comfy/reference.ts';

let handle: ModelHandle;
let model: ModelValue;
beforeAll(async () => {
  handle = await loadModel(path.resolve('test/fixtures/tiny-sd'), { weights: 'f32' });
  model = { model: handle, source: 'tiny-sd' };
});
afterAll(() => handle.dispose());

const zeros = () => ({ samples: new Float32Array(256), shape: [1, 4, 8, 8] as const });
const base = { seed: 42, steps: 4, cfg: 7.5, denoise: 1, attention: 'auto' as const, precision: 'model' as const, positive: plain(prompt(4)), negative: plain(prompt(5)) };

describe('KSampler', () => {
  it.each([['euler', 'normal'], ['dpmpp_2m_sde', 'karras'], ['uni_pc', 'beta']] as const)(
    '%s / %s equals ComfyUI (the reference) within 1e-4, with progress and previews per step',
    async (sampler, scheduler) => {
      const ctx = testContext('KSampler');
      const out = await ksampler.run({ ...base, model, sampler_name: sampler, scheduler, latent_image: zeros() }, ctx);
      expect(relativeError(out.LATENT.samples, tensor(`ksampler.${sampler}.${scheduler}`))).toBeLessThanOrEqual(1e-4);
      expect(ctx.progressed.at(-1)).toEqual([4, 4]);
      expect(ctx.previews).toBe(4);
    },
  );

  it('scheduler "diffusers" gives the diffusers pipeline\'s latents (DDIM and Euler, 4 steps, seed 42)', async () => {
    for (const sampler of ['ddim', 'euler'] as const) {
      const expected = readSafetensors(path.resolve(`test/fixtures/expected/pipeline_${sampler}.safetensors`));
      const out = await ksampler.run({ ...base, model, sampler_name: sampler, scheduler: 'diffusers', latent_image: zeros() }, testContext('KSampler'));
      expect(relativeError(out.LATENT.samples, f32(expected, 'final_latents'))).toBeLessThanOrEqual(1e-3);
    }
  });

  it('a saved version-1 KSampler with normal / karras is read as diffusers / diffusers_karras; the current version is not changed', () => {
    const registry = new NodeRegistry();
    registry.registerAll(coreNodes);
    const saved = (version: number, scheduler: string) => ({
      version: 1,
      name: 'old',
      nodes: [{ id: '3', type: 'KSampler', version, position: { x: 0, y: 0 }, widgets: { seed: 1, steps: 4, cfg: 7, sampler_name: 'ddim', scheduler, denoise: 1 } }],
      edges: [],
    });
    expect(parseWorkflow(saved(1, 'normal'), registry).graph!['3'].inputs.scheduler).toBe('diffusers');
    expect(parseWorkflow(saved(1, 'karras'), registry).graph!['3'].inputs.scheduler).toBe('diffusers_karras');
    expect(parseWorkflow(saved(2, 'normal'), registry).graph!['3'].inputs.scheduler).toBe('normal');
  });

  it('refuses a pair that cannot run at validation (checkWidgets) and at run time, naming the fix', async () => {
    expect(ksampler.checkWidgets!({ seed: 0, steps: 20, cfg: 7, sampler_name: 'heun', scheduler: 'diffusers', denoise: 1, attention: 'auto', precision: 'model' }, {})).toMatchObject([{ input: 'sampler_name' }]);
    await expect(ksampler.run({ ...base, model, sampler_name: 'pndm', scheduler: 'normal', latent_image: zeros() }, testContext('KSampler', '7'))).rejects.toThrow(
      /sampler "pndm" is diffusers' PLMS/,
    );
  });

  it('the diffusers schedulers refuse combined or area conditioning with a clear message', async () => {
    const positive = [...plain(prompt(4)), ...plain(prompt(0))];
    await expect(ksampler.run({ ...base, positive, model, sampler_name: 'euler', scheduler: 'diffusers', latent_image: zeros() }, testContext('KSampler', '3'))).rejects.toThrow(
      /the diffusers schedulers take one plain prompt per side.*use a ComfyUI scheduler/,
    );
  });
});
