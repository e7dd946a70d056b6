// LoRA at run time (native/ts/lora.ts over sdn_model_with_loras): a LoRA applied while the networks run
// equals the same model whose weights were merged offline by an independent script
// (scripts/reference/make_lora_reference.py, PyTorch, float64 merge), in kohya and PEFT layouts alike;
// merge mode equals runtime mode; unmatched keys are reported; other LyCORIS kinds are refused by name.
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodeText, estimateUnetMemory, loadLora, loadModel, modelWithLoras, unetForward, type ModelHandle } from '../../../native/index.ts';
import { maxAbs, maxAbsDiff } from '../../helpers/compare.ts';
import { readSafetensors, writeSafetensors } from '../../helpers/safetensors.ts';

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
      expect(report.matched).toEqual({ unet: reference.unet_modules.length, textEncoder: reference.text_encoder_modules.length });
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
    expect(report.matched).toEqual({ unet: 1, textEncoder: 0 });
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
