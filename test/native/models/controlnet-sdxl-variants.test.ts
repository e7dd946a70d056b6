// A Control-LoRA resolved against the tiny SDXL model, and zero-depth SDXL ControlNets (diffusers' -mid / -small shapes)
// in both layouts, against the PyTorch reference of scripts/reference/make_controlnet_sdxl_variants.py
// (test/fixtures/controlnet-sdxl/reference_variants.safetensors): residuals, the UNet with the Control-LoRA's residuals,
// the resolution cached per model and refused for a model it does not fit, the zero-depth configuration inferred.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  controlNetForward,
  type ControlNetConfig,
  type ControlNetHandle,
  loadControlNet,
  loadLora,
  loadModel,
  modelWithLoras,
  type ModelHandle,
  native,
  unetForward,
} from '../../../native/index.ts';
import { maxAbs, maxAbsDiff, relativeMaxError } from '../../helpers/compare.ts';
import { CONTROLNET_SDXL_FIXTURES, expectResiduals, SDXL_CONTROL_RESIDUALS, sdxlControlInputs } from '../../helpers/controlnet-sdxl.ts';
import { f32, readSafetensors, writeSafetensors } from '../../helpers/safetensors.ts';

const dir = CONTROLNET_SDXL_FIXTURES;
const ref = readSafetensors(path.join(dir, 'reference_variants.safetensors'));
const { x, t, context, hint, added, shape, hintShape } = sdxlControlInputs(ref);
const RESIDUALS = SDXL_CONTROL_RESIDUALS;
const BOUND = 1e-4; // the fixtures' fp32 model tolerance, relative to max|ref| (as controlnet-sdxl.test.ts)

const config = (file: string) => JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Partial<ControlNetConfig>;
const tmp = mkdtempSync(path.join(tmpdir(), 'lf-controlnet-variants-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const checkResiduals = (out: { down: Float32Array[]; mid: Float32Array }, prefix: string, label: string) =>
  expectResiduals(out, (k) => f32(ref, `${prefix}.down.${k}`), f32(ref, `${prefix}.mid`), label, BOUND);


describe('Control-LoRA on the tiny SDXL model', () => {
  let model: ModelHandle;
  let lora: ControlNetHandle;
  let cn: ControlNetHandle;
  beforeAll(async () => {
    model = await loadModel(path.resolve('test/fixtures/sdxl/tiny-sdxl'), { weights: 'f32' });
    lora = await loadControlNet(path.join(dir, 'control_lora_sdxl.safetensors'));
    cn = await lora.resolveFor(model);
  });
  afterAll(() => {
    lora.dispose();
    model.dispose();
  });

  it('loads as a Control-LoRA (its hint encoder and rank-4 pairs) and refuses to run before it is resolved', async () => {
    const { info } = lora;
    if (info.kind !== 'control_lora') throw new Error(`expected a Control-LoRA, got ${info.kind}`);
    expect(info.config).toEqual({ conditioning_channels: 3, conditioning_embedding_out_channels: [8, 16, 16, 32], rank: 4, lora_pairs: 165 });
    expect([lora.hintChannels, lora.hintFactor, lora.contextWidth, lora.addedWidth]).toEqual([3, 8, undefined, undefined]);
    await expect(controlNetForward(lora, x, shape, t, context, hint, hintShape, { added })).rejects.toThrow(/Control-LoRA: run the ControlNet of controlnet.resolveFor/);
    await expect(unetForward(model, x, shape, t, context, { added, controls: [{ controlnet: lora, hint, hintShape, strength: 1 }] }))
      .rejects.toThrow(/Control-LoRA that was not resolved against the model/);
  });

  it('resolves to a ControlNet of the model\'s configuration, once per model, sharing the model\'s untouched weights', async () => {
    const { info } = cn;
    if (info.kind !== 'controlnet') throw new Error(`expected a ControlNet, got ${info.kind}`);
    expect(info.layout).toBe('control_lora');
    expect(info.config.transformer_layers_per_block).toEqual(model.info.unet.transformer_layers_per_block);
    expect(info.config.num_attention_heads).toEqual(model.info.unet.num_attention_heads);
    expect([cn.contextWidth, cn.addedWidth, info.residuals]).toEqual([80, 88, RESIDUALS + 1]);
    expect(await lora.resolveFor(model)).toBe(cn);
    // Owned: the merged layers (f32) and the file's tensors; level 0 and conv_in stay the model's.
    expect(info.weightBytes).toBeGreaterThan(lora.info.weightBytes);
    const full = await loadControlNet(path.join(dir, 'controlnet_sdxl_ldm.safetensors'), { config: config('controlnet_sdxl_ldm.json'), weights: 'f32' });
    try {
      expect(info.weightBytes).toBeLessThan(full.info.weightBytes);
    } finally {
      full.dispose();
    }
  });

  it(`residuals within ${BOUND} x max|ref|, and the UNet with them (strength 0.8)`, async () => {
    checkResiduals(await controlNetForward(cn, x, shape, t, context, hint, hintShape, { added }), 'lora', 'Control-LoRA');
    const plain = await unetForward(model, x, shape, t, context, { added });
    for (const attention of ['naive', 'flash'] as const) {
      const out = await unetForward(model, x, shape, t, context, { added, attention, controls: [{ controlnet: cn, hint, hintShape, strength: 0.8 }] });
      const err = relativeMaxError(out, f32(ref, 'lora.eps'));
      console.log(`tiny SDXL + Control-LoRA (${attention}): max abs error = ${err.toExponential(2)} x max|ref|`);
      expect(err).toBeLessThanOrEqual(BOUND);
      expect(maxAbsDiff(out, plain)).toBeGreaterThan(100 * BOUND * maxAbs(plain));
    }
  });

  it('on a model with f16 weights, stores what it merges as the model does (f16), within f16 tolerance (2e-2, as sdxl.test.ts)', async () => {
    const f16 = await loadModel(path.resolve('test/fixtures/sdxl/tiny-sdxl'), { weights: 'f16' });
    try {
      const half = await lora.resolveFor(f16);
      expect(half).not.toBe(cn); // one per model
      expect(half.info.weights).toBe('f16');
      expect(half.info.weightBytes).toBeLessThan(cn.info.weightBytes);
      const out = await controlNetForward(half, x, shape, t, context, hint, hintShape, { added });
      let worst = relativeMaxError(out.mid, f32(ref, 'lora.mid'));
      out.down.forEach((r, k) => (worst = Math.max(worst, relativeMaxError(r, f32(ref, `lora.down.${k}`)))));
      console.log(`Control-LoRA on f16 weights: worst residual max abs error = ${worst.toExponential(2)} x max|ref|`);
      expect(worst).toBeLessThanOrEqual(2e-2);
    } finally {
      f16.dispose();
    }
  });

  it('is refused for a model it does not fit (SD 1.x), naming the tensor', async () => {
    const sd = await loadModel(path.resolve('test/fixtures/tiny-sd'), { weights: 'f32' });
    try {
      await expect(lora.resolveFor(sd)).rejects.toThrow(/control_lora_sdxl\.safetensors".*Control-LoRA.*"(label_emb|input_blocks|middle_block|time_embed)[^"]*".*made for another model/);
      await expect(lora.resolveFor(sd)).rejects.toMatchObject({ code: expect.stringMatching(/^SDN_STATUS_(BAD_SHAPE|MISSING_TENSOR|BAD_FORMAT)$/) });
    } finally {
      sd.dispose();
    }
  });
});

describe('Control-LoRA on a model with a LoRA', () => {
  // ComfyUI's pre_run reads the model's patched weights: the Control-LoRA resolved on tiny SDXL + the sdxl-lora fixture's
  // LoRA (strength 0.7) equals it resolved on a copy of tiny SDXL whose UNet holds PyTorch's merged weights
  // (test/fixtures/sdxl-lora/merged.unet.safetensors), in both LoRA modes.
  let base: ModelHandle;
  let merged: ModelHandle;
  let lora: ControlNetHandle;
  let expected: { down: Float32Array[]; mid: Float32Array };
  beforeAll(async () => {
    const src = path.resolve('test/fixtures/sdxl/tiny-sdxl');
    const folder = path.join(tmp, 'tiny-sdxl-merged');
    mkdirSync(path.join(folder, 'unet'), { recursive: true });
    for (const entry of readdirSync(src)) if (entry !== 'unet') symlinkSync(path.join(src, entry), path.join(folder, entry));
    symlinkSync(path.join(src, 'unet', 'config.json'), path.join(folder, 'unet', 'config.json'));
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [key, tensor] of readSafetensors(path.join(src, 'unet', 'diffusion_pytorch_model.safetensors'))) tensors.set(key, { shape: tensor.shape, data: tensor.data as Float32Array });
    const patched = readSafetensors('test/fixtures/sdxl-lora/merged.unet.safetensors');
    for (const [key, tensor] of patched) tensors.set(key, { shape: tensor.shape, data: tensor.data as Float32Array });
    expect(patched.size).toBeGreaterThan(0);
    writeSafetensors(path.join(folder, 'unet', 'diffusion_pytorch_model.safetensors'), tensors);
    base = await loadModel(src, { weights: 'f32' });
    merged = await loadModel(folder, { weights: 'f32' });
    lora = await loadControlNet(path.join(dir, 'control_lora_sdxl.safetensors'));
    expected = await controlNetForward(await lora.resolveFor(merged), x, shape, t, context, hint, hintShape, { added });
  });
  afterAll(() => {
    lora.dispose();
    merged.dispose();
    base.dispose();
  });

  it.each(['runtime', 'merge'] as const)(`%s LoRA: the patched weights reach the Control-LoRA, within ${BOUND} x max|ref|`, async (mode) => {
    const sdxlLora = await loadLora('test/fixtures/sdxl-lora/tiny-sdxl-lora.kohya.safetensors');
    const { model } = await modelWithLoras(base, [{ lora: sdxlLora, strengthUnet: 0.7, strengthTextEncoder: 0.9 }], mode);
    try {
      const out = await controlNetForward(await lora.resolveFor(model), x, shape, t, context, hint, hintShape, { added });
      let worst = relativeMaxError(out.mid, expected.mid);
      out.down.forEach((r, k) => (worst = Math.max(worst, relativeMaxError(r, expected.down[k]))));
      console.log(`Control-LoRA on a ${mode} LoRA model vs merged weights: worst ${worst.toExponential(2)} x max|ref|`);
      expect(worst).toBeLessThanOrEqual(BOUND);
      const plain = await controlNetForward(await lora.resolveFor(base), x, shape, t, context, hint, hintShape, { added });
      expect(maxAbsDiff(out.mid, plain.mid)).toBeGreaterThan(100 * BOUND * maxAbs(plain.mid)); // the LoRA changed the ControlNet
    } finally {
      model.dispose();
    }
  });
});

describe.each([
  { name: 'mid', depths: [0, 0, 1], readsContext: true },
  { name: 'small', depths: [0, 0, 0], readsContext: false },
])('zero-depth SDXL ControlNet ($name: $depths)', ({ name, depths, readsContext }) => {
  it.each(['diffusers', 'ldm'] as const)(`%s layout: residuals within ${BOUND} x max|ref| (depth-0 levels without attention, as ComfyUI)`, async (layout) => {
    const cn = await loadControlNet(path.join(dir, `controlnet_sdxl_${name}_${layout}.safetensors`), { config: config(`controlnet_sdxl_${name}_${layout}.json`) });
    try {
      if (cn.info.kind !== 'controlnet') throw new Error('expected a ControlNet');
      expect(cn.info.config.transformer_layers_per_block).toEqual(depths);
      expect(cn.info.readsContext).toBe(readsContext);
      expect(cn.contextWidth).toBe(readsContext ? 80 : undefined);
      checkResiduals(await controlNetForward(cn, x, shape, t, context, hint, hintShape, { added }), name, `zero-depth ${name}, ${layout}`);
      if (!readsContext) {
        // No transformer block reads the context: any width gives the same residuals.
        const other = await controlNetForward(cn, x, shape, t, new Float32Array(2 * 7 * 16).fill(3), hint, hintShape, { added, contextTokens: 7 });
        checkResiduals(other, name, `zero-depth ${name}, ${layout}, another context`);
      }
    } finally {
      cn.dispose();
    }
  });

  it('its configuration is inferred from SDXL-wide shapes in both layouts', async () => {
    for (const layout of ['diffusers', 'ldm'] as const) {
      const src = readSafetensors(path.join(dir, `controlnet_sdxl_${name}_${layout}.safetensors`));
      const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
      for (const [key, tensor] of src) tensors.set(key, { shape: tensor.shape, data: native.halfToF32(tensor.data as Uint16Array, 'f16') });
      tensors.set(layout === 'diffusers' ? 'add_embedding.linear_1.weight' : 'label_emb.0.0.weight', { shape: [128, 2816], data: new Float32Array(128 * 2816) });
      const file = path.join(tmp, `${name}-${layout}-wide.safetensors`);
      writeSafetensors(file, tensors);
      const cn = await loadControlNet(file);
      try {
        if (cn.info.kind !== 'controlnet') throw new Error('expected a ControlNet');
        const c = cn.info.config;
        // diffusers keeps a CrossAttnDownBlock2D of depth 0 (its norm and projections, not read); the LDM layout has none there.
        const levels = layout === 'diffusers' ? ['DownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D'] : ['DownBlock2D', 'DownBlock2D', depths[2] ? 'CrossAttnDownBlock2D' : 'DownBlock2D'];
        expect(c.down_block_types).toEqual(levels);
        expect(c.transformer_layers_per_block.slice(1)).toEqual(layout === 'diffusers' ? depths.slice(1) : [1, depths[2]]);
        expect(c.cross_attention_dim).toBe(readsContext ? 80 : 0);
        expect(cn.info.readsContext).toBe(readsContext);
      } finally {
        cn.dispose();
      }
    }
  });
});
