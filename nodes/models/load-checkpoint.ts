/**
 * Shared by CheckpointLoaderSimple and DiffusersLoader: load a model through the native engine and
 * hand out its MODEL, CLIP and VAE, with the tokenizer that belongs to it.
 */
import { loadModel, native, type ModelWeightsDType, type Precision } from '../../native/index.ts';
import { choice } from '../schema.ts';
import { CLIPTokenizer, defaultClipTokenizer, defaultSdxlTokenizer2 } from '../text/clip-tokenizer.ts';
import type { ClipValue, ModelValue, VaeValue } from '../socket-values.ts';

export interface LoadedCheckpoint {
  MODEL: ModelValue;
  CLIP: ClipValue;
  VAE: VaeValue;
}

export async function loadCheckpoint(file: string, weights: ModelWeightsDType, precision: Precision = 'fp32'): Promise<LoadedCheckpoint> {
  requirePrecision(precision);
  const model = await loadModel(file, { weights, precision });
  const tokenizer = model.info.tokenizerDir ? await CLIPTokenizer.load(model.info.tokenizerDir) : defaultClipTokenizer();
  // SDXL: the second encoder's tokenizer (tokenizer_2/, or the default one padding with "!").
  const tokenizer2 = model.info.clip2 ? (model.info.tokenizer2Dir ? await CLIPTokenizer.load(model.info.tokenizer2Dir) : defaultSdxlTokenizer2()) : undefined;
  return {
    MODEL: { model, source: file },
    CLIP: { model, tokenizer, ...(tokenizer2 ? { tokenizer2 } : {}), source: file },
    VAE: { model, source: file },
  };
}

/** Cache policy of the loaders: the weights' size counts against the cache; eviction frees them. */
export const loaderCachePolicy = {
  sizeBytes(outputs: LoadedCheckpoint): number {
    const w = outputs.MODEL.model.disposed ? { clip: 0, unet: 0, vae: 0 } : outputs.MODEL.model.info.weightBytes;
    return w.clip + w.unet + w.vae + (w.clip2 ?? 0);
  },
  dispose(outputs: LoadedCheckpoint): void {
    outputs.MODEL.model.dispose();
  },
};

const WEIGHTS_F32_F16 =
  'How weights are kept in memory: f16 halves their memory (zero-copy views of an f16 file, paged in as each network runs); ' +
  'f32 widens them once at load';

/** The checkpoint loaders' weight_dtype input: the ControlNet loaders' choices and q8_0 (the UNet only). */
export function checkpointWeightDtypeInput() {
  return choice(['f32', 'f16', 'q8_0'] as const, {
    default: 'f32',
    description:
      `${WEIGHTS_F32_F16}; q8_0 quantizes the UNet at load into 8-bit blocks of 32 with an f16 scale each ` +
      '(GGML\'s Q8_0: about half of f16, pictures within a few levels of 255 of f16\'s), text encoder and VAE in f16. ' +
      'Compute follows precision either way.',
  });
}

/** The ControlNet loaders' weight_dtype input. */
export function weightDtypeInput() {
  return choice(['f32', 'f16'] as const, { default: 'f32', description: `${WEIGHTS_F32_F16}. Compute is f32 either way.` });
}

/** The loaders' precision input: what every network call of the model computes in. */
export function precisionInput() {
  return choice(['fp32', 'bf16'] as const, {
    default: 'fp32',
    description:
      'fp32: exact (the reference pictures). bf16: products on bfloat16 inputs with f32 sums, about twice as fast on CPUs with ' +
      'AVX512_BF16 (refused elsewhere); pictures differ from fp32 by a few levels of 255.',
  });
}

/** Throws, naming the input and the fix, when `precision` cannot run on this CPU. */
export function requirePrecision(precision: Precision | 'model'): void {
  const cpu = native.cpuFeatures();
  if (precision === 'bf16' && !cpu.bf16)
    throw new Error(`input "precision": bf16 needs a CPU with AVX512_BF16 (this one runs the ${cpu.isa} path${cpu.avx512Bf16 ? ', capped by LATENTFLOW_ISA' : ''}); use fp32`);
}
