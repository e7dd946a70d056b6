// T2I-Adapters through the ControlNet API (native/ts/controlnet.ts, sdn_controlnet_load): the file recognised by
// its tensor names in every layout of test/fixtures/t2i-adapter/, the UNet call with the adapter as a control
// against PyTorch's eps_full (features x 0.8 added as ComfyUI's control "input"), strength 0 exactly the plain
// call, the memory estimate against the arena's measured peak, controlNetForward refusing an adapter, and the
// features computed once per hint (the cache: identical outputs, recomputed for another hint or precision).
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { controlNetForward, type ControlNetHandle, estimateUnetMemory, loadControlNet, loadModel, type ModelHandle, native, type Shape4, unetForward } from '../../../native/index.ts';
import { relativeMaxError } from '../../helpers/compare.ts';
import { f32, readSafetensors } from '../../helpers/safetensors.ts';

const dir = 'test/fixtures/t2i-adapter';
const ref = readSafetensors(path.join(dir, 'reference.safetensors'));
const x16 = f32(ref, 'x16'); // [2, 4, 16, 16]
const t = f32(ref, 't');
const context = f32(ref, 'context');
const hint = f32(ref, 'hint'); // [2, 3, 128, 128]
const shape16: Shape4 = [2, 4, 16, 16];
const BOUND = 1e-4; // the fixtures' model tolerance, relative to max|ref|

let model: ModelHandle;
let full: ControlNetHandle;
beforeAll(async () => {
  model = await loadModel('test/fixtures/tiny-sd', { weights: 'f32' });
  full = await loadControlNet(path.join(dir, 't2i_full.safetensors'));
});
afterAll(() => {
  full.dispose();
  model.dispose();
});

describe('T2I-Adapter as a ControlNet handle', () => {
  it.each([
    ['t2i_full.safetensors', 'full', false, 2],
    ['t2i_diffusers.safetensors', 'diffusers', false, 2],
    ['t2i_light.safetensors', 'light', true, 4],
  ] as const)('%s loads as a T2I-Adapter (layout %s)', async (file, layout, light, blocks) => {
    const a = await loadControlNet(path.join(dir, file), { weights: 'f16' });
    try {
      expect(a.info).toMatchObject({ kind: 't2i_adapter', layout, difference: false, weights: 'f16', hintFactor: 8, residuals: 4 });
      expect(a.info.config).toMatchObject({ light, hint_channels: 3, channels: [32, 64, 64, 64], blocks_per_level: blocks });
      expect(a.hintChannels).toBe(3);
      expect(a.hintFactor).toBe(8);
      expect(a.info.weightBytes).toBeGreaterThan(0);
    } finally {
      a.dispose();
    }
  });

  it('a ControlNet file says kind "controlnet"', async () => {
    const cn = await loadControlNet('test/fixtures/controlnet/controlnet_ldm.safetensors');
    expect(cn.info).toMatchObject({ kind: 'controlnet', hintChannels: 3, hintFactor: 8 });
    cn.dispose();
  });

  it(`the UNet call with the adapter (strength 0.8) matches PyTorch's eps_full within ${BOUND} x max|ref|; strength 0 is the plain call exactly`, async () => {
    const controls = (strength: number) => [{ controlnet: full, hint, hintShape: [2, 3, 128, 128] as Shape4, strength }];
    const out = await unetForward(model, x16, shape16, t, context, { controls: controls(0.8) });
    const err = relativeMaxError(out, f32(ref, 'eps_full'));
    console.log(`UNet + T2I-Adapter: max abs error = ${err.toExponential(2)} x max|ref|`);
    expect(err).toBeLessThanOrEqual(BOUND);
    const plain = await unetForward(model, x16, shape16, t, context);
    expect(relativeMaxError(plain, f32(ref, 'eps_plain'))).toBeLessThanOrEqual(BOUND);
    expect(await unetForward(model, x16, shape16, t, context, { controls: controls(0) })).toEqual(plain);
  });

  it('the memory estimate counts the adapter, byte for byte with the measured peak', async () => {
    const query = { batch: 2, latentHeight: 16, latentWidth: 16, attention: 'naive' as const };
    const alone = estimateUnetMemory(model, query).peakBytes;
    const withAdapter = estimateUnetMemory(model, { ...query, controls: [{ controlnet: full, hintBatch: 2 }] }).peakBytes;
    expect(withAdapter).toBeGreaterThan(alone);
    native.memoryPeakReset();
    const base = native.memoryStats().activationsCurrent;
    await unetForward(model, x16, shape16, t, context, { controls: [{ controlnet: full, hint, hintShape: [2, 3, 128, 128], strength: 1 }], attention: 'naive' });
    expect(native.memoryStats().activationsPeak - base).toBe(withAdapter);
  });

  it('controlNetForward refuses an adapter (it runs only inside a UNet call)', async () => {
    await expect(controlNetForward(full, x16, shape16, t, context, hint, [2, 3, 128, 128])).rejects.toThrow(/T2I-Adapter, which runs only inside a UNet call/);
  });
});

describe('T2I-Adapter feature cache (features computed once per hint, as ComfyUI)', () => {
  const call = (adapter: ControlNetHandle, h: Float32Array, options: { precision?: 'bf16' } = {}) =>
    unetForward(model, x16, shape16, t, context, { controls: [{ controlnet: adapter, hint: h, hintShape: [2, 3, 128, 128], strength: 0.8 }], attention: 'naive', ...options });

  it('a repeated hint reuses the features: the same outputs as a fresh adapter, a changed hint (same array) or precision recomputes them', async () => {
    const cached = await loadControlNet(path.join(dir, 't2i_light.safetensors'));
    const fresh = () => loadControlNet(path.join(dir, 't2i_light.safetensors'));
    try {
      const h = Float32Array.from(hint);
      const first = await call(cached, h);
      expect(cached.cacheHits).toBe(0);
      const again = await call(cached, h);
      expect(cached.cacheHits).toBe(1);
      expect(again).toEqual(first); // identical, value for value
      const other = await fresh();
      expect(await call(other, h)).toEqual(first); // what an adapter without a cache computes
      other.dispose();

      h[5] += 0.25; // the same array, other content: recomputed
      const changed = await call(cached, h);
      expect(cached.cacheHits).toBe(1);
      expect(changed).not.toEqual(first);
      const other2 = await fresh();
      expect(await call(other2, h)).toEqual(changed);

      if (native.cpuFeatures().bf16) {
        const bf16 = await call(cached, h, { precision: 'bf16' }); // another precision: recomputed
        expect(cached.cacheHits).toBe(1);
        expect(await call(other2, h, { precision: 'bf16' })).toEqual(bf16);
      }
      other2.dispose();

      // a hit stays within the call's estimate (which counts the adapter's run)
      const estimate = estimateUnetMemory(model, { batch: 2, latentHeight: 16, latentWidth: 16, attention: 'naive', controls: [{ controlnet: cached, hintBatch: 2 }] }).peakBytes;
      native.memoryPeakReset();
      const base = native.memoryStats().activationsCurrent;
      expect(await call(cached, h)).toEqual(changed);
      expect(cached.cacheHits).toBe(2);
      expect(native.memoryStats().activationsPeak - base).toBeLessThanOrEqual(estimate);
    } finally {
      cached.dispose();
    }
  });
});
