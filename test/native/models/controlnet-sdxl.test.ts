// SDXL ControlNets (native/src/models/controlnet with the UNet's text_time path) against the PyTorch reference of
// scripts/reference/make_controlnet_sdxl.py (test/fixtures/controlnet-sdxl: random weights for the tiny SDXL UNet,
// f16 in the files), in diffusers' layout and the LDM layout with plain keys (label_emb.*); the tiny SDXL UNet with
// the residuals added, its added conditioning reaching the ControlNet; the memory estimate of UNet + SDXL ControlNet
// against the arena's measured peak; the configuration inferred from SDXL-wide shapes; mismatches refused.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  controlNetForward,
  type ControlNetConfig,
  type ControlNetHandle,
  estimateUnetMemory,
  loadControlNet,
  loadModel,
  type ModelHandle,
  native,
  type Shape4,
  unetForward,
} from '../../../native/index.ts';
import { maxAbs, maxAbsDiff, relativeMaxError } from '../../helpers/compare.ts';
import { CONTROLNET_SDXL_FIXTURES, expectResiduals, SDXL_CONTROL_RESIDUALS, sdxlControlInputs } from '../../helpers/controlnet-sdxl.ts';
import { f32, readSafetensors, writeSafetensors } from '../../helpers/safetensors.ts';

const dir = CONTROLNET_SDXL_FIXTURES;
const ref = readSafetensors(path.join(dir, 'reference.safetensors'));
const { x, t, context, hint, added, shape } = sdxlControlInputs(ref);
const RESIDUALS = SDXL_CONTROL_RESIDUALS;
// The fixtures' model tolerance (test/fixtures/README: ~1e-4 for f32 re-implementations), relative to max|ref|, as
// the SD 1.x ControlNet's test.
const BOUND = 1e-4;

const config = (file: string) => JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Partial<ControlNetConfig>;

const tmp = mkdtempSync(path.join(tmpdir(), 'lf-controlnet-sdxl-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));


const checkResiduals = (out: { down: Float32Array[]; mid: Float32Array }, prefix: string, label: string) =>
  expectResiduals(out, (k) => f32(ref, `${prefix}.${k}`), f32(ref, prefix.replace('down', 'mid')), `SDXL ControlNet ${label}`, BOUND);

describe.each([
  { layout: 'diffusers', file: 'controlnet_sdxl_diffusers.safetensors', sidecar: 'controlnet_sdxl_diffusers.json' },
  { layout: 'ldm', file: 'controlnet_sdxl_ldm.safetensors', sidecar: 'controlnet_sdxl_ldm.json' },
])('SDXL ControlNet, $layout layout', ({ layout, file, sidecar }) => {
  let cn: ControlNetHandle;
  beforeAll(async () => {
    cn = await loadControlNet(path.join(dir, file), { config: config(sidecar) });
  });
  afterAll(() => cn.dispose());

  it('loads with its config.json: SDXL-shaped (text_time, depth per level, linear projections)', () => {
    const { info } = cn;
    if (info.kind !== 'controlnet') throw new Error(`expected a ControlNet, got a ${info.kind}`);
    expect(info.layout).toBe(layout);
    expect(info.config.addition_embed_type).toBe('text_time');
    expect(info.config.projection_class_embeddings_input_dim).toBe(88);
    expect(info.config.transformer_layers_per_block).toEqual([1, 2, 3]);
    expect(info.config.use_linear_projection).toBe(true);
    expect(cn.addedWidth).toBe(88);
    expect(info.residuals).toBe(RESIDUALS + 1);
  });

  it(`residuals within ${BOUND} x max|ref| (a hint per latent; an odd size with one hint)`, async () => {
    checkResiduals(await controlNetForward(cn, x, shape, t, context, hint, [2, 3, 128, 128], { added }), 'down', `${layout}`);
    const odd = await controlNetForward(cn, f32(ref, 'x_odd'), [1, 4, 5, 7], f32(ref, 't_odd'), f32(ref, 'context_odd'), f32(ref, 'hint_odd'), [1, 3, 40, 56], {
      added: { textEmbeds: f32(ref, 'text_embeds_odd'), timeIds: f32(ref, 'time_ids_odd') },
    });
    checkResiduals(odd, 'down_odd', `${layout}, 5x7`);
  });

  it('refuses a run without the added conditioning, naming what it needs', async () => {
    await expect(controlNetForward(cn, x, shape, t, context, hint, [2, 3, 128, 128])).rejects.toThrow(/SDXL ControlNet: give the added conditioning/);
  });
});

describe('tiny SDXL UNet with an SDXL ControlNet', () => {
  let model: ModelHandle;
  let cn: ControlNetHandle;
  beforeAll(async () => {
    model = await loadModel(path.resolve('test/fixtures/sdxl/tiny-sdxl'), { weights: 'f32' });
    cn = await loadControlNet(path.join(dir, 'controlnet_sdxl_ldm.safetensors'), { config: config('controlnet_sdxl_ldm.json') });
  });
  afterAll(() => {
    cn.dispose();
    model.dispose();
  });

  const one = (strength = 0.8) => [{ controlnet: cn, hint, hintShape: [2, 3, 128, 128] as Shape4, strength }];

  it(`the UNet's added conditioning reaches the ControlNet: with one (strength 0.8) within ${BOUND} x max|ref|`, async () => {
    const plain = await unetForward(model, x, shape, t, context, { added });
    expect(relativeMaxError(plain, f32(ref, 'eps_plain'))).toBeLessThanOrEqual(BOUND);
    for (const attention of ['naive', 'flash'] as const) {
      const out = await unetForward(model, x, shape, t, context, { added, controls: one(), attention });
      const err = relativeMaxError(out, f32(ref, 'eps_one'));
      console.log(`tiny SDXL + SDXL ControlNet (${attention}): max abs error = ${err.toExponential(2)} x max|ref|`);
      expect(err).toBeLessThanOrEqual(BOUND);
      expect(maxAbsDiff(out, plain)).toBeGreaterThan(100 * BOUND * maxAbs(plain)); // the control changed the prediction
    }
  });

  async function peakOf(run: () => Promise<unknown>) {
    native.memoryPeakReset();
    const base = native.memoryStats().activationsCurrent;
    await run();
    return native.memoryStats().activationsPeak - base;
  }

  it.each(['naive', 'flash'] as const)('the %s estimate of UNet + SDXL ControlNet equals the measured arena peak, and covers the ControlNet', async (attention) => {
    const query = { batch: 2, latentHeight: 16, latentWidth: 16, attention };
    const alone = estimateUnetMemory(model, query).peakBytes;
    const withOne = estimateUnetMemory(model, { ...query, controls: [{ controlnet: cn, hintBatch: 2 }] }).peakBytes;
    expect(withOne).toBeGreaterThan(alone);
    expect(withOne).toBe(await peakOf(() => unetForward(model, x, shape, t, context, { added, controls: one(), attention })));
  });
});

describe('SDXL ControlNet configuration and mismatches', () => {
  it('infers an SDXL-wide ControlNet from its shapes: text_time with SDXL\'s 256-wide size features, 64-wide heads', async () => {
    // A ControlNet of SDXL's widths in the added conditioning (2816 = 1280 + 6 x 256) on a small encoder.
    const src = readSafetensors(path.join(dir, 'controlnet_sdxl_diffusers.safetensors'));
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, tensor] of src) tensors.set(name, { shape: tensor.shape, data: native.halfToF32(tensor.data as Uint16Array, 'f16') });
    tensors.set('add_embedding.linear_1.weight', { shape: [128, 2816], data: new Float32Array(128 * 2816) });
    const file = path.join(tmp, 'sdxl-wide.safetensors');
    writeSafetensors(file, tensors);
    const cn = await loadControlNet(file);
    try {
      if (cn.info.kind !== 'controlnet') throw new Error('expected a ControlNet');
      expect(cn.info.config.addition_embed_type).toBe('text_time');
      expect(cn.info.config.projection_class_embeddings_input_dim).toBe(2816);
      expect(cn.info.config.addition_time_embed_dim).toBe(256);
      expect(cn.info.config.num_attention_heads).toEqual([1, 1, 1]); // width / 64, at least 1
    } finally {
      cn.dispose();
    }
  });

  it('refuses to guess the size features of a ControlNet narrower than SDXL without its config.json', async () => {
    await expect(loadControlNet(path.join(dir, 'controlnet_sdxl_ldm.safetensors'))).rejects.toThrow(
      /added conditioning is 88 wide, too narrow for SDXL's .*give its ControlNetModel config\.json \(for ControlNetLoader, as a \.json file of the same name beside it\)/,
    );
  });

  it('an SD 1.x ControlNet in an SDXL UNet call and an SDXL ControlNet in an SD 1.x call are refused', async () => {
    const sdxl = await loadModel(path.resolve('test/fixtures/sdxl/tiny-sdxl'), { weights: 'f32' });
    const sd = await loadModel(path.resolve('test/fixtures/tiny-sd'), { weights: 'f32' });
    const sd1cn = await loadControlNet('test/fixtures/controlnet/controlnet_diffusers.safetensors');
    const xlcn = await loadControlNet(path.join(dir, 'controlnet_sdxl_diffusers.safetensors'), { config: config('controlnet_sdxl_diffusers.json') });
    try {
      await expect(unetForward(sdxl, x, shape, t, context, { added, controls: [{ controlnet: sd1cn, hint, hintShape: [2, 3, 128, 128], strength: 1 }] }))
        .rejects.toThrow(/ControlNet: context has shape/);
      const ctx32 = new Float32Array(2 * 77 * 32);
      await expect(unetForward(sd, x, shape, t, ctx32, { controls: [{ controlnet: xlcn, hint, hintShape: [2, 3, 128, 128], strength: 1 }] }))
        .rejects.toThrow(/ControlNet: context has shape/);
    } finally {
      for (const h of [sd1cn, xlcn, sd, sdxl]) h.dispose();
    }
  });
});
