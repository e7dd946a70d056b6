// bf16 precision (loadModel({ precision: 'bf16' }), unetForward's precision option): the networks'
// products on bfloat16 inputs with f32 sums (native/src/ops/gemm.h), checked against the fixtures with
// bounds of their own (f32's are 1e-4 x max|ref|): every network within 3e-2 x max|ref|. Where the CPU
// (or LATENTFLOW_ISA) has no AVX512_BF16, asking for it is refused with SDN_STATUS_BAD_ARGUMENT; that is
// checked on every machine through a child process capped at the avx2 path.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodeText, loadModel, native, unetForward, vaeDecode, type ModelHandle } from '../../../native/index.ts';
import { relativeMaxError } from '../../helpers/compare.ts';
import { f32, i64, readSafetensors } from '../../helpers/safetensors.ts';

const fixture = 'test/fixtures/tiny-sd';
const BOUND = 3e-2;

describe.runIf(native.cpuFeatures().bf16)('bf16 precision on this CPU (AVX512_BF16)', () => {
  let model: ModelHandle;
  beforeAll(async () => {
    model = await loadModel(fixture, { weights: 'f16', precision: 'bf16' });
  });
  afterAll(() => model.dispose());

  it('reports its precision', () => {
    expect(model.info.precision).toBe('bf16');
  });

  it(`text encoder, UNet (8x8, 16x12) and VAE decode within ${BOUND} x max|ref| of the fixtures`, async () => {
    const unet = readSafetensors('test/fixtures/expected/unet.safetensors');
    const vae = readSafetensors('test/fixtures/expected/vae.safetensors');
    const clip = readSafetensors('test/fixtures/expected/text_encoder.safetensors');
    const timesteps = Float32Array.from(i64(unet, 'timesteps'), (v) => Number(v));
    const errors: Record<string, number> = {};
    errors['text encoder'] = relativeMaxError(await encodeText(model, Int32Array.from(i64(clip, 'input_ids'), Number)), f32(clip, 'last_hidden_state'));
    for (const [tag, shape] of [['8x8', [2, 4, 8, 8]], ['16x12', [2, 4, 16, 12]]] as const)
      errors[`UNet ${tag}`] = relativeMaxError(await unetForward(model, f32(unet, `sample_${tag}`), shape, timesteps, f32(unet, 'encoder_hidden_states')), f32(unet, `noise_pred_${tag}`));
    errors['VAE decode'] = relativeMaxError(await vaeDecode(model, f32(vae, 'latent'), [1, 4, 8, 8]), f32(vae, 'decoded'));
    console.log(`bf16 precision, f16 weights: ${Object.entries(errors).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')} x max|ref|`);
    for (const [name, err] of Object.entries(errors)) expect(err, name).toBeLessThanOrEqual(BOUND);
  });

  it("a call's own precision: an fp32 model's UNet in bf16 gives the bf16 model's bits, and the other way round", async () => {
    const unet = readSafetensors('test/fixtures/expected/unet.safetensors');
    const args = [f32(unet, 'sample_8x8'), [2, 4, 8, 8] as const, Float32Array.from(i64(unet, 'timesteps'), Number), f32(unet, 'encoder_hidden_states')] as const;
    const fp32Model = await loadModel(fixture, { weights: 'f16' });
    try {
      const bf16 = await unetForward(model, ...args);
      expect(Array.from(await unetForward(fp32Model, ...args, { precision: 'bf16' }))).toEqual(Array.from(bf16));
      const fp32 = await unetForward(fp32Model, ...args);
      expect(Array.from(await unetForward(model, ...args, { precision: 'fp32' }))).toEqual(Array.from(fp32));
      expect(relativeMaxError(bf16, fp32)).toBeGreaterThan(1e-4); // really computed in bf16
    } finally {
      fp32Model.dispose();
    }
  });
});

describe('bf16 precision where the path has no AVX512_BF16', () => {
  it('is refused by loadModel with SDN_STATUS_BAD_ARGUMENT naming the fix (LATENTFLOW_ISA=avx2, in a child process)', async () => {
    const script = `
      import { loadModel } from './native/index.ts';
      try { await loadModel('${fixture}', { precision: 'bf16' }); console.log(JSON.stringify({ loaded: true })); }
      catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, LATENTFLOW_ISA: 'avx2' },
    });
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as { code?: string; message?: string };
    expect(result.code).toBe('SDN_STATUS_BAD_ARGUMENT');
    expect(result.message).toMatch(/bf16 precision needs a CPU with AVX512_BF16.*use fp32/);
  });
});
