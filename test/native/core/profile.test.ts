// The op-level profile (native/src/core/profile.h): collected per network call, FLOPs counted as
// bench/baseline/torch_sd15.py counts them, nothing recorded when off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodeText, loadModel, native, unetForward, vaeDecode, type ModelHandle } from '../../../native/index.ts';

describe('op profile', () => {
  let model: ModelHandle;
  beforeAll(async () => {
    model = await loadModel('test/fixtures/tiny-sd', { weights: 'f32' });
  });
  afterAll(() => {
    native.profileCollect(false);
    model.dispose();
  });

  const ids = (T: number) => {
    const a = new Int32Array(2 * T).fill(49407);
    a[0] = a[T] = 49406;
    return a;
  };

  it('CLIP: linear and attention FLOPs are those of the shapes (2 x multiply-adds)', async () => {
    const c = model.info.clip!;
    const T = c.max_position_embeddings, B = 2, D = c.hidden_size, I = c.intermediate_size, L = c.num_hidden_layers;
    native.profileCollect(true);
    await encodeText(model, ids(T));
    native.profileCollect(false);
    const report = native.profileLast();
    expect(report.name).toBe('CLIP text encoder');
    const op = (name: string) => report.ops.find((o) => o.op === name);
    // Per layer: q, k, v, out (D x D each) and fc1, fc2 (D x I each) over B*T tokens.
    expect(op('linear')?.flops).toBe(L * 2 * B * T * (4 * D * D + 2 * D * I));
    expect(op('linear')?.calls).toBe(L * 6);
    // Q K^T and P V: 2 * 2 * B * heads * T * T * (D / heads) per layer.
    expect(op('attention')?.flops).toBe(L * 4 * B * T * T * D);
    expect(op('layer norm')?.calls).toBe(2 * L + 1);
    const timed = report.ops.reduce((s, o) => s + o.seconds, 0);
    expect(timed).toBeGreaterThan(0);
    expect(timed).toBeLessThanOrEqual(report.totalSeconds + 1e-9);
  });

  it('UNet and VAE: one report per call with the op families that ran', async () => {
    native.profileCollect(true);
    const u = model.info.unet;
    const ctx = await encodeText(model, ids(model.info.clip!.max_position_embeddings));
    await unetForward(model, new Float32Array(2 * u.in_channels * 8 * 8), [2, u.in_channels, 8, 8], new Float32Array([10, 10]), ctx, { attention: 'flash' });
    const unet = native.profileLast();
    await vaeDecode(model, new Float32Array(4 * 4 * 4), [1, 4, 4, 4]);
    const vae = native.profileLast();
    native.profileCollect(false);
    expect(unet.name).toBe('UNet forward');
    expect(unet.ops.map((o) => o.op)).toEqual(expect.arrayContaining(['conv3x3', 'linear', 'attention', 'group norm', 'layer norm', 'transpose']));
    expect(unet.ops.find((o) => o.op === 'conv3x3')?.flops).toBeGreaterThan(0);
    expect(vae.name).toBe('VAE decode');
    expect(vae.ops.find((o) => o.op === 'conv3x3')?.flops).toBeGreaterThan(0);
  });

  it('records nothing while off', async () => {
    native.profileCollect(true);
    await vaeDecode(model, new Float32Array(4 * 4 * 4), [1, 4, 4, 4]);
    native.profileCollect(false);
    const before = native.profileLast();
    await encodeText(model, ids(model.info.clip!.max_position_embeddings));
    expect(native.profileLast()).toEqual(before);
  });
});
