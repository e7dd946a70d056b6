// SDXL T2I-Adapters (ComfyUI's Adapter(xl=True), diffusers' full_adapter_xl) through the ControlNet API, against the
// PyTorch reference of scripts/reference/make_t2i_adapter_sdxl.py (test/fixtures/t2i-adapter-sdxl: random weights for
// the tiny SDXL UNet, f16 in the files): recognised as SDXL's from conv_in's 768 input channels in both layouts; the
// tiny SDXL UNet with the features x 0.8 placed as ComfyUI places them (feature 0 after level 0's down-sampler,
// 1 and 2 after levels 1 and 2, 3 on the mid block's output) against eps_xl; strength 0 exactly the plain call; the
// memory estimate against the arena's measured peak; a picture whose sides are not multiples of 16, and an SD 1.x
// adapter mixed in, refused with messages that say what to do.
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type ControlNetHandle, estimateUnetMemory, loadControlNet, loadModel, type ModelHandle, native, type Shape4, unetForward } from '../../../native/index.ts';
import { maxAbs, maxAbsDiff, relativeMaxError } from '../../helpers/compare.ts';
import { sdxlControlInputs } from '../../helpers/controlnet-sdxl.ts';
import { f32, readSafetensors } from '../../helpers/safetensors.ts';

const dir = 'test/fixtures/t2i-adapter-sdxl';
const ref = readSafetensors(path.join(dir, 'reference.safetensors'));
const { x, t, context, hint, added, shape } = sdxlControlInputs();
const BOUND = 1e-4; // the fixtures' model tolerance, relative to max|ref|

let model: ModelHandle;
const adapters: Record<string, ControlNetHandle> = {};
beforeAll(async () => {
  model = await loadModel(path.resolve('test/fixtures/sdxl/tiny-sdxl'), { weights: 'f32' });
  for (const layout of ['full', 'diffusers']) adapters[layout] = await loadControlNet(path.join(dir, `t2i_xl_${layout}.safetensors`));
});
afterAll(() => {
  for (const a of Object.values(adapters)) a.dispose();
  model.dispose();
});

const controls = (a: ControlNetHandle, strength: number, h = hint, hintShape: Shape4 = [2, 3, 128, 128]) => [{ controlnet: a, hint: h, hintShape, strength }];

describe('SDXL T2I-Adapter', () => {
  it.each(['full', 'diffusers'])('the %s layout loads as SDXL\'s adapter (PixelUnshuffle 16, 4 features, hint factor 8)', (layout) => {
    const a = adapters[layout];
    expect(a.info).toMatchObject({ kind: 't2i_adapter', layout, hintFactor: 8, residuals: 4 });
    expect(a.info.config).toMatchObject({ xl: true, light: false, hint_channels: 3, channels: [32, 64, 96, 96], blocks_per_level: 2, ksize: 1 });
  });

  it.each(['full', 'diffusers'])(`the tiny SDXL UNet with the %s adapter (strength 0.8) matches PyTorch's eps_xl within ${BOUND} x max|ref|`, async (layout) => {
    const plain = await unetForward(model, x, shape, t, context, { added });
    expect(relativeMaxError(plain, f32(ref, 'eps_plain'))).toBeLessThanOrEqual(BOUND);
    for (const attention of ['naive', 'flash'] as const) {
      const out = await unetForward(model, x, shape, t, context, { added, controls: controls(adapters[layout], 0.8), attention });
      const err = relativeMaxError(out, f32(ref, 'eps_xl'));
      console.log(`tiny SDXL + SDXL T2I-Adapter (${layout}, ${attention}): max abs error = ${err.toExponential(2)} x max|ref|`);
      expect(err).toBeLessThanOrEqual(BOUND);
      expect(maxAbsDiff(out, plain)).toBeGreaterThan(100 * BOUND * maxAbs(plain)); // the adapter changed the prediction
    }
    expect(await unetForward(model, x, shape, t, context, { added, controls: controls(adapters[layout], 0) })).toEqual(plain);
  });

  // The features are consumed on the down path (the last at the mid block), so on this tiny UNet the up path's peak
  // can stay the call's peak: the estimate is at least the plain one and exactly what the arena measures.
  it('the memory estimate with the adapter equals the measured peak, byte for byte', async () => {
    const query = { batch: 2, latentHeight: 16, latentWidth: 16, attention: 'naive' as const };
    const alone = estimateUnetMemory(model, query).peakBytes;
    const withAdapter = estimateUnetMemory(model, { ...query, controls: [{ controlnet: adapters.full, hintBatch: 2 }] }).peakBytes;
    expect(withAdapter).toBeGreaterThanOrEqual(alone);
    native.memoryPeakReset();
    const base = native.memoryStats().activationsCurrent;
    await unetForward(model, x, shape, t, context, { added, controls: controls(adapters.full, 1), attention: 'naive' });
    expect(native.memoryStats().activationsPeak - base).toBe(withAdapter);
  });

  it('refuses a picture whose sides are not multiples of 16, naming the fix', async () => {
    const odd: Shape4 = [1, 4, 5, 7];
    const latent = new Float32Array(4 * 5 * 7);
    const h = new Float32Array(3 * 40 * 56).fill(0.5);
    await expect(unetForward(model, latent, odd, t.subarray(0, 1), context.subarray(0, 77 * 80), {
      added: { textEmbeds: added.textEmbeds.subarray(0, 40), timeIds: added.timeIds.subarray(0, 6) },
      controls: controls(adapters.full, 1, h, [1, 3, 40, 56]),
    })).rejects.toThrow(/SDXL T2I-Adapter: the picture is 56x40: its PixelUnshuffle\(16\) needs sides that are multiples of 16/);
  });

  it('refuses an SD 1.x adapter beside an SDXL one, and an SD 1.x adapter on the SDXL UNet', async () => {
    const sd = await loadControlNet('test/fixtures/t2i-adapter/t2i_full.safetensors');
    try {
      await expect(unetForward(model, x, shape, t, context, { added, controls: [...controls(adapters.full, 1), ...controls(sd, 1)] }))
        .rejects.toThrow(/is an SD 1.x adapter, an earlier one an SDXL adapter/);
      await expect(unetForward(model, x, shape, t, context, { added, controls: controls(sd, 1) })).rejects.toThrow(/T2I-Adapter made for this UNet/);
    } finally {
      sd.dispose();
    }
  });
});
