// The full SD 1.5 architecture, end to end at size: the random SD 1.5-shaped checkpoint written by
// `npm run make:sd15-random` loads like a real one (single file, f16 kept mmap'd) and runs a UNet step.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodeText, loadModel, type ModelHandle, native, unetForward } from '../../../native/index.ts';
import { SD15, writeRandomCheckpoint } from '../../../scripts/make-sd15-random.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-sd15-'));
const file = path.join(dir, 'sd15-random.safetensors');
let model: ModelHandle;

beforeAll(async () => {
  writeRandomCheckpoint(file, SD15, { seed: 1 }); // ~2.1 GB of f16, seeded
  model = await loadModel(file, { weights: 'f16' });
}, 300_000);

afterAll(() => {
  model?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('SD 1.5-shaped random checkpoint', () => {
  it('loads with SD 1.5\'s configuration, weights mmap\'d (f16)', () => {
    expect(model.info.layout).toBe('single-file');
    expect(model.info.unet.block_out_channels).toEqual([320, 640, 1280, 1280]);
    expect(model.info.unet.cross_attention_dim).toBe(768);
    expect(model.info.clip!.hidden_size).toBe(768);
    expect(model.info.vae.block_out_channels).toEqual([128, 256, 512, 512]);
    expect(native.memoryStats().mappedCurrent).toBeGreaterThan(2e9);
    expect(native.memoryStats().weightsCurrent).toBeLessThan(100e6); // vectors only: matrices stay in the file
  });

  it('runs the text encoder and one UNet step on a 32x32 latent (flash) with finite outputs of the right shape', async () => {
    const ids = new Int32Array(77).fill(49407);
    ids[0] = 49406;
    ids[1] = 320; // "a"
    const context = await encodeText(model, ids);
    expect(context.length).toBe(77 * 768);
    const latent = new Float32Array(4 * 32 * 32).map((_, i) => Math.sin(i * 0.37));
    const eps = await unetForward(model, latent, [1, 4, 32, 32], new Float32Array([999]), context, { attention: 'flash' });
    expect(eps.length).toBe(4 * 32 * 32);
    expect(eps.every(Number.isFinite)).toBe(true);
    let sq = 0;
    for (const v of eps) sq += v * v;
    expect(Math.sqrt(sq / eps.length)).toBeGreaterThan(1e-3); // not all zeros: the random weights did something
  });
});
