/**
 * TAESD in the native engine (include/sdn.h's TAESD section): madebyollin's tiny autoencoder, a VAE
 * approximation that decodes a picture in a fraction of the full VAE's time and memory (fast
 * pictures, step previews). It works on model-space latents (what the sampler produces: the VAE's
 * latents times its scaling factor) and images in [0, 1].
 *
 * @example
 *   const taesd = await loadTaesd({ decoder: 'models/vae_approx/taesd_decoder.safetensors' });
 *   const image = await taesdDecode(taesd, latent, [1, 4, 64, 64]); // [1, 3, 512, 512], about [0, 1]
 *   taesd.dispose();
 */
import { addon } from './core.ts';
import { type CancelToken, type MemoryEstimate, type NativeHandle, type Precision, type Shape4 } from './models.ts';

/** diffusers' AutoencoderTiny config.json keys (SD 1.x's TAESD when absent). */
export interface TAESDConfig {
  in_channels: number;
  out_channels: number;
  latent_channels: number;
  encoder_block_out_channels: number[];
  decoder_block_out_channels: number[];
  num_encoder_blocks: number[];
  num_decoder_blocks: number[];
  upsampling_scaling_factor: number;
}

interface TaesdOptions {
  cancel?: NativeHandle | null;
  memoryLimitBytes?: number;
  precision?: Precision;
}

interface TaesdAddon {
  taesdLoad(configJson: string): Promise<NativeHandle>;
  taesdDispose(taesd: NativeHandle): void;
  taesdInfo(taesd: NativeHandle): string;
  taesdDecode(taesd: NativeHandle, latent: Float32Array, shape: Shape4, options: TaesdOptions): Promise<Float32Array>;
  taesdEncode(taesd: NativeHandle, image: Float32Array, shape: Shape4, options: TaesdOptions): Promise<Float32Array>;
  taesdMemoryEstimate(taesd: NativeHandle | null, configJson: string | null, call: 'decode' | 'encode', shape: { batch: number; height: number; width: number },
    precision?: Precision): MemoryEstimate;
}

const taesdAddon = addon as unknown as TaesdAddon;

export interface TaesdInfo {
  /** The files loaded (null: that half is absent). */
  encoder: string | null;
  decoder: string | null;
  weights: 'f32' | 'f16';
  config: TAESDConfig;
  weightBytes: number;
}

/** A loaded TAESD (encoder, decoder or both); freed when collected or, sooner, by dispose(). */
export class TaesdHandle {
  readonly info: TaesdInfo;
  #handle: NativeHandle | null;

  /** @internal use loadTaesd */
  constructor(handle: NativeHandle) {
    this.#handle = handle;
    const e = JSON.parse(taesdAddon.taesdInfo(handle)) as { encoder: string | null; decoder: string | null; weight_dtype: 'f32' | 'f16'; config: TAESDConfig; weight_bytes: number };
    this.info = { encoder: e.encoder, decoder: e.decoder, weights: e.weight_dtype, config: e.config, weightBytes: e.weight_bytes };
  }

  /** @internal */
  get handle(): NativeHandle {
    if (!this.#handle) throw Object.assign(new Error('the TAESD was disposed; load it again'), { code: 'SDN_STATUS_BAD_ARGUMENT' });
    return this.#handle;
  }

  /** The factor between latent and image size (8 for SD 1.x). */
  get scaleFactor(): number {
    return this.info.config.upsampling_scaling_factor ** (this.info.config.decoder_block_out_channels.length - 1);
  }

  dispose(): void {
    if (this.#handle) taesdAddon.taesdDispose(this.#handle);
    this.#handle = null;
  }
}

export interface LoadTaesdOptions {
  /** taesd_encoder .safetensors (madebyollin's names, or under ComfyUI's "taesd_encoder." prefix). */
  encoder?: string | null;
  /** taesd_decoder .safetensors. */
  decoder?: string | null;
  weights?: 'f32' | 'f16';
  /** Another TAESD's shape (AutoencoderTiny's config.json); SD 1.x's by default. */
  config?: Partial<TAESDConfig>;
}

/** Loads a TAESD's encoder and/or decoder; every weight's shape is checked now (errors name the tensor). */
export async function loadTaesd(options: LoadTaesdOptions): Promise<TaesdHandle> {
  const config = { encoder: options.encoder ?? null, decoder: options.decoder ?? null, weight_dtype: options.weights ?? 'f32', config: options.config ?? null };
  return new TaesdHandle(await taesdAddon.taesdLoad(JSON.stringify(config)));
}

export interface TaesdRunOptions {
  cancel?: CancelToken;
  /** Refuse the run up front ("SDN_STATUS_OUT_OF_MEMORY", with the estimate) when it needs more. */
  memoryLimitBytes?: number;
  precision?: Precision;
}

const taesdOptions = (o: TaesdRunOptions): TaesdOptions => ({
  cancel: o.cancel?.handle ?? null,
  memoryLimitBytes: o.memoryLimitBytes ?? 0,
  ...(o.precision ? { precision: o.precision } : {}),
});

/** Model-space latents [B, 4, h, w] -> image [B, 3, 8h, 8w], about [0, 1] (unclamped). */
export function taesdDecode(taesd: TaesdHandle, latent: Float32Array, shape: Shape4, options: TaesdRunOptions = {}): Promise<Float32Array> {
  return taesdAddon.taesdDecode(taesd.handle, latent, shape, taesdOptions(options));
}

/** Image [B, 3, H, W] in [0, 1] -> model-space latents [B, 4, H/8, W/8]. */
export function taesdEncode(taesd: TaesdHandle, image: Float32Array, shape: Shape4, options: TaesdRunOptions = {}): Promise<Float32Array> {
  return taesdAddon.taesdEncode(taesd.handle, image, shape, taesdOptions(options));
}

/**
 * The working memory of one taesdDecode ('decode': height/width of the latent) or taesdEncode
 * ('encode': of the image), for a loaded TAESD or a configuration: a measure pass of the call's own code.
 */
export function estimateTaesdMemory(taesd: TaesdHandle | Partial<TAESDConfig>, call: 'decode' | 'encode', shape: { batch: number; height: number; width: number },
  precision?: Precision): MemoryEstimate {
  return taesd instanceof TaesdHandle
    ? taesdAddon.taesdMemoryEstimate(taesd.handle, null, call, shape, precision)
    : taesdAddon.taesdMemoryEstimate(null, JSON.stringify(taesd), call, shape, precision);
}
