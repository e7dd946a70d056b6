// Shared by the ComfyUI-sampling tests: the reference tensors (test/fixtures/comfy-sampling, made by
// scripts/reference/make_comfy_sampling.py), the tiny model's UNet through the native engine, and the prompts.
import path from 'node:path';
import { readFileSync } from 'node:fs';

import { expect } from 'vitest';

import { loadModel, type ModelHandle, unetForward } from '../../../../native/index.ts';
import type { Conditioning } from '../../../../nodes/sampling/comfy/conditioning.ts';
import type { UNetCall } from '../../../../nodes/sampling/comfy/guidance.ts';
import { ModelSampling } from '../../../../nodes/sampling/comfy/model-sampling.ts';
import { f32, readSafetensors } from '../../../helpers/safetensors.ts';

const fixtures = path.resolve('test/fixtures');
export const reference = readSafetensors(path.join(fixtures, 'comfy-sampling', 'reference.safetensors'));
export const referenceSummary = JSON.parse(readFileSync(path.join(fixtures, 'comfy-sampling', 'reference.json'), 'utf8')) as {
  cases: Array<Record<string, unknown> & { key: string; sampler: string; scheduler: string; steps: number; cfg: number; seed: number; shape: number[] }>;
  seed_sequences: Array<{ entropy: string; spawn_key: string[]; pool_size: number; words: number }>;
  percents: number[];
};
export const schedulerConfig = JSON.parse(readFileSync(path.join(fixtures, 'tiny-sd', 'scheduler', 'scheduler_config.json'), 'utf8'));
export const eps = ModelSampling.fromConfig(schedulerConfig);
export const lcm = ModelSampling.fromConfig(schedulerConfig, { kind: 'lcm' });

export function tensor(name: string): Float32Array {
  return f32(reference, name);
}

export function integers(name: string): number[] {
  const entry = reference.get(name);
  if (!entry) throw new Error(`reference has no tensor "${name}"`);
  return Array.from(entry.data as ArrayLike<number | bigint>, Number);
}

const text = readSafetensors(path.join(fixtures, 'expected', 'text_encoder.safetensors'));
const hidden = f32(text, 'last_hidden_state');
/** Row `i` of the fixture's text-encoder output ([6, 77, 32]: 0 astronaut, 1 punctuation, 2 accents, 4 "a small cat", 5 ""). */
export function prompt(row: number): Float32Array {
  return hidden.slice(row * 77 * 32, (row + 1) * 77 * 32);
}

export function plain(embeddings: Float32Array, tokens = 77): Conditioning {
  return [{ embeddings, shape: [1, tokens, 32] }];
}

export async function loadTinyUnet(): Promise<{ model: ModelHandle; unet: UNetCall; calls: { count: number } }> {
  const model = await loadModel(path.join(fixtures, 'tiny-sd'), { weights: 'f32' });
  const calls = { count: 0 };
  const unet: UNetCall = (x, shape, timestep, context) => {
    calls.count++;
    return unetForward(model, x, shape, new Float32Array(shape[0]).fill(timestep), context);
  };
  return { model, unet, calls };
}

/** max |a - b| / max |b|. */
export function relativeError(actual: ArrayLike<number>, wanted: ArrayLike<number>): number {
  expect(actual.length).toBe(wanted.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < wanted.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - wanted[i]));
    scale = Math.max(scale, Math.abs(wanted[i]));
  }
  return diff / scale;
}
