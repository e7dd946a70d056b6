/**
 * LoRAs: files read by the engine (sdn_lora_load) and models that run a base model's networks with them
 * added (sdn_model_with_loras). The base model is shared, never modified or copied: the same loaded
 * checkpoint can run with and without LoRAs, or with other strengths, at the same time.
 *
 * @example
 *   const lora = await loadLora('models/loras/shapes-stripes.safetensors');
 *   const { model } = await modelWithLoras(base, [{ lora, strengthUnet: 1, strengthTextEncoder: 1 }]);
 *   await unetForward(model, latent, shape, t, context); // the LoRA's terms are added in every layer it names
 */
import { addon } from './core.ts';
import { ModelHandle } from './models.ts';

type NativeHandle = ModelHandle['handle'];
type LoraNativeHandle = { readonly __loraHandle: unique symbol };

/** How the LoRAs are applied: runtime terms y = Wx + s·up(down(x)) (no copy of W), or merged copies of the patched weights. */
export type LoraMode = 'runtime' | 'merge';

interface LoraAddon {
  loraLoad(path: string): Promise<LoraNativeHandle>;
  loraInfo(lora: LoraNativeHandle): string;
  modelWithLoras(model: NativeHandle, loras: Array<{ lora: LoraNativeHandle; strengthUnet: number; strengthTextEncoder: number }>, mode: LoraMode):
    Promise<{ model: NativeHandle; report: string }>;
}
const loraAddon = addon as unknown as LoraAddon;

export interface LoraInfo {
  path: string;
  /** The layout of its tensor names. */
  format: 'kohya' | 'peft' | 'diffusers';
  /** Low-rank pairs in the file. */
  modules: number;
  /** The largest rank. */
  rank: number;
  /** Bytes the engine holds for it (f32). */
  bytes: number;
}

/** A loaded LoRA file; its memory goes when it and every model made with it are garbage collected. */
export class LoraHandle {
  readonly info: LoraInfo;
  /** @internal */ readonly handle: LoraNativeHandle;

  /** @internal use loadLora */
  constructor(handle: LoraNativeHandle) {
    this.handle = handle;
    this.info = JSON.parse(loraAddon.loraInfo(handle)) as LoraInfo;
  }
}

/**
 * Reads a LoRA safetensors file (kohya / A1111, PEFT, diffusers, LoCon). Rejects with a NativeError
 * (code SDN_STATUS_BAD_FORMAT) for other LyCORIS kinds, naming the kind, and for files that are no LoRA.
 */
export async function loadLora(path: string): Promise<LoraHandle> {
  return new LoraHandle(await loraAddon.loraLoad(path));
}

export interface LoraApplication {
  lora: LoraHandle;
  /** ComfyUI's strength_model: scales the UNet's terms. */
  strengthUnet: number;
  /** ComfyUI's strength_clip: scales the text encoder's terms. */
  strengthTextEncoder: number;
}

export interface LoraReport {
  /** Modules matched to a layer, all LoRAs together (textEncoder2: SDXL's second text encoder; 0 for SD 1.x). */
  matched: { unet: number; textEncoder: number; textEncoder2: number };
  /** Per LoRA (in order): the module keys and stray tensors no layer took. */
  unmatched: string[][];
  /** Memory the LoRAs add: their tensors, plus the merged weight copies in merge mode. */
  extraBytes: number;
}

/**
 * A model that runs `base`'s networks with `loras` added in order (they stack). `base` must be a model
 * without LoRAs (pass every LoRA in one call). Memory estimates of the result include the LoRAs.
 */
export async function modelWithLoras(base: ModelHandle, loras: readonly LoraApplication[], mode: LoraMode = 'runtime'): Promise<{ model: ModelHandle; report: LoraReport }> {
  const list = loras.map((l) => ({ lora: l.lora.handle, strengthUnet: l.strengthUnet, strengthTextEncoder: l.strengthTextEncoder }));
  const r = await loraAddon.modelWithLoras(base.handle, list, mode);
  const raw = JSON.parse(r.report) as { matched: { unet: number; text_encoder: number; text_encoder_2: number }; unmatched: string[][]; extra_bytes: number };
  const model = new ModelHandle(r.model, { tokenizerDir: base.info.tokenizerDir, tokenizer2Dir: base.info.tokenizer2Dir, schedulerConfig: base.info.schedulerConfig });
  return { model, report: { matched: { unet: raw.matched.unet, textEncoder: raw.matched.text_encoder, textEncoder2: raw.matched.text_encoder_2 }, unmatched: raw.unmatched, extraBytes: raw.extra_bytes } };
}
