// LoRA at run time (native/ts/lora.ts over sdn_model_with_loras): a LoRA applied while the networks run
// equals the same model whose weights were merged offline by an independent script
// (scripts/reference/make_lora_reference.py, PyTorch, float64 merge), in kohya and PEFT layouts alike;
// merge mode equals runtime mode; unmatched keys are reported; other LyCORIS kinds are refused by name.
// The same for SDXL (both text encoders, kohya's SGM names and PEFT's), and an LCM-LoRA's keys on SD 1.5's layout.
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodeText, encodeTextPooled, estimateUnetMemory, loadCheckpointInfo, loadLora, loadModel, modelWithLoras, unetForward, type ModelHandle } from '../../../native/index.ts';
import { maxAbs, maxAbsDiff, relativeMaxError } from '../../helpers/compare.ts';
import { readSafetensors, writeSafetensors } from '../../helpers/safetensors.ts';
import { SD15, writeRandomCheckpoint } from '../../../scripts/make-sd15-random.ts';

const base = 'test/fixtures/tiny-sd';
const fixtures = 'test/fixtures/lora';
const reference = JSON.parse(readFileSync(path.join(fixtures, 'reference.json'), 'utf8')) as {
  strength_unet: number;
  strength_text_encoder: number;
  unet_modules: string[];
  text_encoder_modules: string[];
};

// Fixture tolerance of the UNet and text encoder (test/fixtures/README.md): ~1e-4 absolute on O(1) outputs.
const TOLERANCE = 1e-4;

function randn(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
  return out;
}

/** tiny-sd with the offline-merged weights in place of the patched ones (a diffusers folder in `dir`). */
function mergedModelFolder(dir: string): string {
  const folder = path.join(dir, 'merged-tiny-sd');
  cpSync(base, folder, { recursive: true, filter: (src) => !src.endsWith('.safetensors') || src.includes(`${path.sep}vae${path.sep}`) });
  for (const [network, file] of [['unet', 'diffusion_pytorch_model.safetensors'], ['text_encoder', 'model.safetensors']] as const) {
    const tensors = readSafetensors(path.join(base, network, file));
    const merged = readSafetensors(path.join(fixtures, `merged.${network}.safetensors`));
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, t] of tensors) {
      const m = merged.get(name) ?? t;
      out.set(name, { shape: m.shape, data: m.data as Float32Array });
    }
    writeSafetensors(path.join(folder, network, file), out);
  }
  return folder;
}

describe('LoRA at run time vs merged offline (tiny-sd)', () => {
  let dir: string;
  let model: ModelHandle;
  let merged: ModelHandle;
  const latentShape = [1, 4, 16, 16] as const;
  const latent = randn(4 * 16 * 16, 1);
  const context = randn(77 * 32, 2);
  const ids = Int32Array.from({ length: 77 }, (_, i) => (i === 0 ? 49406 : i < 6 ? 320 + i * 7 : 49407));
  const unet = (m: ModelHandle) => unetForward(m, latent, latentShape, new Float32Array([500]), context, { attention: 'naive' });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'lf-lora-'));
    model = await loadModel(base, { weights: 'f32' });
    merged = await loadModel(mergedModelFolder(dir), { weights: 'f32' });
  });
  afterAll(() => {
    model?.dispose();
    merged?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const strengths = () => ({ strengthUnet: reference.strength_unet, strengthTextEncoder: reference.strength_text_encoder });

  it('reads both layouts and matches every module to a layer', async () => {
    for (const layout of ['kohya', 'peft'] as const) {
      const lora = await loadLora(path.join(fixtures, `tiny-lora.${layout}.safetensors`));
      expect(lora.info).toMatchObject({ format: layout, rank: 4, modules: reference.unet_modules.length + reference.text_encoder_modules.length });
      const { report } = await modelWithLoras(model, [{ lora, ...strengths() }]);
      expect(report.matched).toEqual({ unet: reference.unet_modules.length, textEncoder: reference.text_encoder_modules.length, textEncoder2: 0 });
      expect(report.unmatched).toEqual([[]]);
      expect(report.extraBytes).toBe(lora.info.bytes);
    }
  });

  for (const layout of ['kohya', 'peft'] as const) {
    for (const mode of ['runtime', 'merge'] as const) {
      it(`${layout} layout, ${mode} mode: UNet and text encoder equal the offline merge`, async () => {
        const lora = await loadLora(path.join(fixtures, `tiny-lora.${layout}.safetensors`));
        const { model: withLora } = await modelWithLoras(model, [{ lora, ...strengths() }], mode);
        const [got, want, plain] = [await unet(withLora), await unet(merged), await unet(model)];
        expect(maxAbsDiff(got, want)).toBeLessThan(TOLERANCE);
        expect(maxAbsDiff(plain, want)).toBeGreaterThan(100 * TOLERANCE); // the LoRA changes the output
        const [text, textWant, textPlain] = [await encodeText(withLora, ids), await encodeText(merged, ids), await encodeText(model, ids)];
        expect(maxAbsDiff(text, textWant)).toBeLessThan(TOLERANCE * Math.max(1, maxAbs(textWant)));
        expect(maxAbsDiff(textPlain, textWant)).toBeGreaterThan(100 * TOLERANCE);
      });
    }
  }

  it('kohya and PEFT layouts give the same output; strength 0 gives the base model exactly; LoRAs stack', async () => {
    const kohya = await loadLora(path.join(fixtures, 'tiny-lora.kohya.safetensors'));
    const peft = await loadLora(path.join(fixtures, 'tiny-lora.peft.safetensors'));
    const a = await unet((await modelWithLoras(model, [{ lora: kohya, ...strengths() }])).model);
    const b = await unet((await modelWithLoras(model, [{ lora: peft, ...strengths() }])).model);
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-5);
    const zero = await unet((await modelWithLoras(model, [{ lora: kohya, strengthUnet: 0, strengthTextEncoder: 0 }])).model);
    expect(Array.from(zero)).toEqual(Array.from(await unet(model)));
    // Two halves stack to the whole: 0.4 + 0.4 of the same LoRA = 0.8.
    const half = { strengthUnet: reference.strength_unet / 2, strengthTextEncoder: reference.strength_text_encoder / 2 };
    const stacked = await unet((await modelWithLoras(model, [{ lora: kohya, ...half }, { lora: peft, ...half }])).model);
    expect(maxAbsDiff(stacked, await unet(merged))).toBeLessThan(TOLERANCE);
  });

  it('memory estimates include the runtime terms; merge mode reports its copies', async () => {
    const lora = await loadLora(path.join(fixtures, 'tiny-lora.kohya.safetensors'));
    const { model: runtime } = await modelWithLoras(model, [{ lora, ...strengths() }], 'runtime');
    const { report } = await modelWithLoras(model, [{ lora, ...strengths() }], 'merge');
    const query = { batch: 1, latentHeight: 16, latentWidth: 16, attention: 'naive' as const };
    expect(estimateUnetMemory(runtime, query).peakBytes).toBeGreaterThanOrEqual(estimateUnetMemory(model, query).peakBytes);
    expect(report.extraBytes).toBeGreaterThan(lora.info.bytes); // + the merged f32 copies
  });

  it('reports keys that match no layer, and refuses LyCORIS kinds, shape mismatches and non-LoRA files', async () => {
    const t = (shape: number[]) => ({ shape, data: randn(shape.reduce((a, b) => a * b, 1), 3) });
    const odd = path.join(dir, 'odd.safetensors');
    writeSafetensors(odd, new Map([
      ['lora_unet_down_blocks_0_attentions_0_proj_out.lora_down.weight', t([2, 32])],
      ['lora_unet_down_blocks_0_attentions_0_proj_out.lora_up.weight', t([32, 2])],
      ['lora_unet_no_such_block_to_q.lora_down.weight', t([2, 32])],
      ['lora_unet_no_such_block_to_q.lora_up.weight', t([32, 2])],
      ['lora_te_text_model_final_layer_norm_scale.weight', t([32])],
    ]));
    const { report } = await modelWithLoras(model, [{ lora: await loadLora(odd), strengthUnet: 1, strengthTextEncoder: 1 }]);
    expect(report.matched).toEqual({ unet: 1, textEncoder: 0, textEncoder2: 0 });
    expect(report.unmatched).toEqual([['lora_unet_no_such_block_to_q', 'lora_te_text_model_final_layer_norm_scale.weight']]);

    const loha = path.join(dir, 'loha.safetensors');
    writeSafetensors(loha, new Map([['lora_unet_mid_block_attentions_0_proj_in.hada_w1_a', t([32, 2])]]));
    await expect(loadLora(loha)).rejects.toThrow(/LoHa.*hada_w1_a/);
    const lokr = path.join(dir, 'lokr.safetensors');
    writeSafetensors(lokr, new Map([['lora_unet_mid_block_attentions_0_proj_in.lokr_w1', t([4, 4])]]));
    await expect(loadLora(lokr)).rejects.toThrow(/LoKr/);

    const wrong = path.join(dir, 'wrong.safetensors');
    writeSafetensors(wrong, new Map([
      ['lora_unet_mid_block_attentions_0_proj_in.lora_down.weight', t([2, 320])],
      ['lora_unet_mid_block_attentions_0_proj_in.lora_up.weight', t([320, 2])],
    ]));
    await expect(modelWithLoras(model, [{ lora: await loadLora(wrong), strengthUnet: 1, strengthTextEncoder: 1 }])).rejects.toThrow(
      /does not fit layer "mid_block\.attentions\.0\.proj_in".*another model/,
    );
    await expect(loadLora(path.join(base, 'vae/diffusion_pytorch_model.safetensors'))).rejects.toThrow(/no LoRA pairs.*Is it a LoRA/);
  });
});

// SDXL (scripts/reference/make_sdxl_lora_reference.py on the tiny SDXL of test/fixtures/sdxl): kohya's SDXL
// naming (SGM UNet modules, lora_te1_ / lora_te2_) and PEFT's (unet., text_encoder., text_encoder_2.) both
// reach the UNet and both text encoders, and equal the offline merge within the fixture tolerance.
describe('SDXL LoRA at run time vs merged offline (tiny SDXL)', () => {
  const sdxl = 'test/fixtures/sdxl/tiny-sdxl';
  const sdxlFixtures = 'test/fixtures/sdxl-lora';
  const sdxlReference = JSON.parse(readFileSync(path.join(sdxlFixtures, 'reference.json'), 'utf8')) as {
    strength_unet: number;
    strength_text_encoder: number;
    unet_modules: Record<string, string>;
    text_encoder_modules: string[];
    text_encoder_2_modules: string[];
  };
  const expected = readSafetensors('test/fixtures/sdxl/expected/sdxl.safetensors');
  const ref = (name: string) => expected.get(name)!.data as Float32Array;
  const prompt = (name: string) => Int32Array.from(ref(name), (v) => Math.round(v));
  let dir: string;
  let model: ModelHandle;
  let merged: ModelHandle;
  const strengths = () => ({ strengthUnet: sdxlReference.strength_unet, strengthTextEncoder: sdxlReference.strength_text_encoder });
  const unet = (m: ModelHandle) =>
    unetForward(m, ref('unet.sample'), [2, 4, 16, 16], ref('unet.timesteps'), ref('unet.encoder_hidden_states'), {
      added: { textEmbeds: ref('unet.text_embeds'), timeIds: ref('unet.time_ids') },
    });
  /** Both encoders' penultimate hidden states (what SDXL conditions on) and the second one's pooled projection. */
  const text = async (m: ModelHandle) => {
    const te1 = await encodeTextPooled(m, 0, prompt('te1.input_ids'), { clipSkip: 2, finalLayerNorm: false });
    const te2 = await encodeTextPooled(m, 1, prompt('te2.input_ids'), { clipSkip: 2, finalLayerNorm: false });
    return { te1: te1.hidden, te2: te2.hidden, pooled: te2.pooled };
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'lf-lora-sdxl-'));
    const folder = path.join(dir, 'merged-tiny-sdxl');
    cpSync(sdxl, folder, { recursive: true, filter: (src) => !src.endsWith('.safetensors') || src.includes(`${path.sep}vae${path.sep}`) });
    for (const [network, file] of [['unet', 'diffusion_pytorch_model.safetensors'], ['text_encoder', 'model.safetensors'], ['text_encoder_2', 'model.safetensors']] as const) {
      const tensors = readSafetensors(path.join(sdxl, network, file));
      const patched = readSafetensors(path.join(sdxlFixtures, `merged.${network}.safetensors`));
      const out = new Map<string, { shape: number[]; data: Float32Array }>();
      for (const [name, t] of tensors) out.set(name, { shape: (patched.get(name) ?? t).shape, data: (patched.get(name) ?? t).data as Float32Array });
      writeSafetensors(path.join(folder, network, file), out);
    }
    model = await loadModel(sdxl, { weights: 'f32' });
    merged = await loadModel(folder, { weights: 'f32' });
  });
  afterAll(() => {
    model?.dispose();
    merged?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads both layouts and matches every module to a layer of the UNet or either text encoder', async () => {
    const counts = {
      unet: Object.keys(sdxlReference.unet_modules).length,
      textEncoder: sdxlReference.text_encoder_modules.length,
      textEncoder2: sdxlReference.text_encoder_2_modules.length,
    };
    for (const layout of ['kohya', 'peft'] as const) {
      const lora = await loadLora(path.join(sdxlFixtures, `tiny-sdxl-lora.${layout}.safetensors`));
      expect(lora.info).toMatchObject({ format: layout, rank: 4, modules: counts.unet + counts.textEncoder + counts.textEncoder2 });
      const { report } = await modelWithLoras(model, [{ lora, ...strengths() }]);
      expect(report.matched).toEqual(counts);
      expect(report.unmatched).toEqual([[]]);
    }
  });

  for (const layout of ['kohya', 'peft'] as const) {
    for (const mode of ['runtime', 'merge'] as const) {
      it(`${layout} layout, ${mode} mode: UNet and both text encoders equal the offline merge`, async () => {
        const lora = await loadLora(path.join(sdxlFixtures, `tiny-sdxl-lora.${layout}.safetensors`));
        const { model: withLora } = await modelWithLoras(model, [{ lora, ...strengths() }], mode);
        const [got, want, plain] = [await unet(withLora), await unet(merged), await unet(model)];
        expect(maxAbsDiff(got, want)).toBeLessThan(TOLERANCE * Math.max(1, maxAbs(want)));
        expect(maxAbsDiff(plain, want)).toBeGreaterThan(100 * TOLERANCE); // the LoRA changes the output
        const [t, tWant, tPlain] = [await text(withLora), await text(merged), await text(model)];
        for (const part of ['te1', 'te2', 'pooled'] as const) {
          expect(maxAbsDiff(t[part], tWant[part])).toBeLessThan(TOLERANCE * Math.max(1, maxAbs(tWant[part])));
          expect(maxAbsDiff(tPlain[part], tWant[part])).toBeGreaterThan(100 * TOLERANCE);
        }
      });
    }
  }

  it('kohya and PEFT layouts give the same output; strength 0 gives the base model exactly', async () => {
    const kohya = await loadLora(path.join(sdxlFixtures, 'tiny-sdxl-lora.kohya.safetensors'));
    const peft = await loadLora(path.join(sdxlFixtures, 'tiny-sdxl-lora.peft.safetensors'));
    const [a, b] = [(await modelWithLoras(model, [{ lora: kohya, ...strengths() }])).model, (await modelWithLoras(model, [{ lora: peft, ...strengths() }])).model];
    expect(maxAbsDiff(await unet(a), await unet(b))).toBeLessThan(1e-5);
    const [ta, tb] = [await text(a), await text(b)];
    for (const part of ['te1', 'te2', 'pooled'] as const) expect(maxAbsDiff(ta[part], tb[part])).toBeLessThan(1e-5);
    const zero = (await modelWithLoras(model, [{ lora: kohya, strengthUnet: 0, strengthTextEncoder: 0 }])).model;
    expect(Array.from(await unet(zero))).toEqual(Array.from(await unet(model)));
    const [tz, t0] = [await text(zero), await text(model)];
    for (const part of ['te1', 'te2', 'pooled'] as const) expect(Array.from(tz[part])).toEqual(Array.from(t0[part]));
  });

  it('the single SGM file (fused OpenCLIP q/k/v) takes the kohya LoRA too, like the folder within f16 tolerance', async () => {
    const single = await loadModel(path.join(sdxl, 'tiny-sdxl.safetensors'), { weights: 'f32' });
    try {
      const lora = await loadLora(path.join(sdxlFixtures, 'tiny-sdxl-lora.kohya.safetensors'));
      const { model: withLora, report } = await modelWithLoras(single, [{ lora, ...strengths() }]);
      expect(report.unmatched).toEqual([[]]);
      // The file holds the folder's weights rounded to f16: 2e-2 of the largest value, as test/native/models/sdxl.test.ts states.
      expect(relativeMaxError(await unet(withLora), await unet(merged))).toBeLessThanOrEqual(2e-2);
      const [t, tWant] = [await text(withLora), await text(merged)];
      for (const part of ['te1', 'te2', 'pooled'] as const) expect(relativeMaxError(t[part], tWant[part])).toBeLessThanOrEqual(2e-2);
    } finally {
      single.dispose();
    }
  });
});

// An LCM-LoRA for SD 1.5 (latent-consistency/lcm-lora-sdv1-5: 278 kohya-named UNet modules, listed by
// scripts/reference/make_lcm_lora_keys.py) with random small values at SD 1.5's real shapes, on the SD
// 1.5-shaped layout of make:sd15-random (a sparse file: the shapes, no values): every key matches a layer.
describe('LCM-LoRA keys on an SD 1.5-shaped checkpoint', () => {
  it('matches all 278 modules, none unmatched', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lf-lcm-lora-'));
    try {
      const file = path.join(dir, 'sd15-sparse.safetensors');
      writeRandomCheckpoint(file, SD15, { fill: 'sparse' });
      const shapes = new Map((await loadCheckpointInfo(file, 'f16')).tensors.filter((t) => t.component === 'unet').map((t) => [t.name, t.shape]));
      const keys = JSON.parse(readFileSync('test/fixtures/lcm-lora/keys.json', 'utf8')) as { module: string; key: string }[];
      expect(keys.length).toBe(278);
      const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
      keys.forEach(({ module, key }, i) => {
        const w = shapes.get(`${module}.weight`);
        expect(w, module).toBeDefined();
        const down = [1, ...w!.slice(1)], up = w!.length === 4 ? [w![0], 1, 1, 1] : [w![0], 1];
        const small = (shape: number[], seed: number) => randn(shape.reduce((a, b) => a * b, 1), seed).map((v) => 1e-3 * v);
        tensors.set(`${key}.lora_down.weight`, { shape: down, data: small(down, 2 * i + 10) });
        tensors.set(`${key}.lora_up.weight`, { shape: up, data: small(up, 2 * i + 11) });
        tensors.set(`${key}.alpha`, { shape: [], data: Float32Array.of(1) });
      });
      const loraFile = path.join(dir, 'lcm-lora-sdv1-5-shaped.safetensors');
      writeSafetensors(loraFile, tensors);
      const model = await loadModel(file, { weights: 'f16' });
      try {
        const { report } = await modelWithLoras(model, [{ lora: await loadLora(loraFile), strengthUnet: 1, strengthTextEncoder: 1 }]);
        expect(report.matched).toEqual({ unet: 278, textEncoder: 0, textEncoder2: 0 });
        expect(report.unmatched).toEqual([[]]);
      } finally {
        model.dispose();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
