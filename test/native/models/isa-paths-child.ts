/**
 * Run by isa-paths.test.ts in a child process whose environment picks the kernels' path
 * (LATENTFLOW_ISA) and the convolution algorithm (LATENTFLOW_CONV), both read once per process: the
 * tiny-sd fixtures through every network (text encoder, UNet at 8x8 and 16x12, VAE decode and encode),
 * f32 and f16 weights, and the UNet with q8_0 weights. Prints one JSON line: { isa, errors: { "<network> <weights>": relative error } }
 * (with --path-only: the path alone, no networks).
 */
import { encodeText, loadModel, native, unetForward, vaeDecode, vaeEncode } from '../../../native/index.ts';
import { relativeMaxError } from '../../helpers/compare.ts';
import { f32, i64, readSafetensors } from '../../helpers/safetensors.ts';

const unet = readSafetensors('test/fixtures/expected/unet.safetensors');
const vae = readSafetensors('test/fixtures/expected/vae.safetensors');
const clip = readSafetensors('test/fixtures/expected/text_encoder.safetensors');
const timesteps = Float32Array.from(i64(unet, 'timesteps'), (v) => Number(v));

const errors: Record<string, number> = {};
for (const weights of process.argv.includes('--path-only') ? [] : (['f32', 'f16', 'q8_0'] as const)) {
  const model = await loadModel('test/fixtures/tiny-sd', { weights });
  const unetOnly = weights === 'q8_0'; // q8_0 is the UNet's alone: its text encoder and VAE are f16's
  try {
    const ids = Int32Array.from(i64(clip, 'input_ids'), (v) => Number(v));
    if (!unetOnly) errors[`text encoder ${weights}`] = relativeMaxError(await encodeText(model, ids), f32(clip, 'last_hidden_state'));
    for (const [tag, shape] of [['8x8', [2, 4, 8, 8]], ['16x12', [2, 4, 16, 12]]] as const) {
      const out = await unetForward(model, f32(unet, `sample_${tag}`), shape, timesteps, f32(unet, 'encoder_hidden_states'));
      errors[`UNet ${tag} ${weights}`] = relativeMaxError(out, f32(unet, `noise_pred_${tag}`));
    }
    if (unetOnly) continue;
    errors[`VAE decode ${weights}`] = relativeMaxError(await vaeDecode(model, f32(vae, 'latent'), [1, 4, 8, 8]), f32(vae, 'decoded'));
    const { mean } = await vaeEncode(model, f32(vae, 'image'), [1, 3, 64, 64]);
    errors[`VAE encode ${weights}`] = relativeMaxError(mean, f32(vae, 'posterior_mean'));
  } finally {
    model.dispose();
  }
}
console.log(JSON.stringify({ isa: native.cpuFeatures().isa, errors }));
