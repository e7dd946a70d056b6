/**
 * The models family of the native engine (see native/src/binding/binding_models.cc): load an SD 1.x
 * checkpoint (diffusers folder or single file) and run its text encoder, UNet and VAE. Every heavy
 * call runs on a worker thread and returns a Promise; a CancelToken stops a run between blocks (the
 * Promise then rejects with code "SDN_STATUS_CANCELLED").
 *
 * @example
 *   const model = await loadModel('models/diffusers/shapes-sd', { weights: 'f32' });
 *   const context = await encodeText(model, ids);                        // [B, 77, hidden]
 *   const eps = await unetForward(model, latent, [2, 4, 8, 8], new Float32Array([999, 999]), context);
 *   const image = await vaeDecode(model, latentOverScaling, [1, 4, 8, 8]); // [1, 3, 64, 64]
 *   model.dispose();
 */
import { addon } from './core.ts';

/** An opaque engine handle (a type-tagged N-API external). */
type NativeHandle = { readonly __nativeHandle: unique symbol };

export type WeightsDType = 'f32' | 'f16';
/**
 * The precision of the networks' products (linears, convolutions): 'fp32', or 'bf16' (inputs rounded
 * to bfloat16 where the GEMMs pack them, f32 sums; about twice as fast where the CPU has AVX512_BF16,
 * `native.cpuFeatures().bf16`, and refused elsewhere). Weights stay as stored either way.
 */
export type Precision = 'fp32' | 'bf16';
export type AttentionModeName = 'naive' | 'sliced' | 'flash';
/** [batch, channels, height, width] */
export type Shape4 = readonly [number, number, number, number];

export interface CLIPConfig {
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  maxPositionEmbeddings: number;
  layerNormEps: number;
  hiddenAct: 'quick_gelu' | 'gelu';
}

export interface UNetConfig {
  inChannels: number;
  outChannels: number;
  blockOutChannels: number[];
  downBlockTypes: string[];
  upBlockTypes: string[];
  layersPerBlock: number;
  /** Heads per block (SD 1.x: 8 everywhere). */
  numAttentionHeads: number[];
  crossAttentionDim: number;
  normNumGroups: number;
  normEps: number;
  useLinearProjection: boolean;
  transformerLayersPerBlock: number;
  flipSinToCos: boolean;
  freqShift: number;
  sampleSize: number;
}

export interface VAEConfig {
  inChannels: number;
  outChannels: number;
  latentChannels: number;
  blockOutChannels: number[];
  layersPerBlock: number;
  normNumGroups: number;
  /** Latents are divided by this before vaeDecode (and multiplied after vaeEncode). */
  scalingFactor: number;
  sampleSize: number;
  /** Image size / latent size (8 for SD 1.x). */
  downscaleFactor: number;
  /** Whether the encoder's and decoder's mid blocks have their attention (SD 1.x: true). */
  midBlockAddAttention?: boolean;
  /** Whether latents go through post_quant_conv before the decoder (SD 1.x: true). */
  usePostQuantConv?: boolean;
}

export interface ModelInfo {
  /** The folder or file loaded. */
  source: string;
  layout: 'diffusers' | 'single-file';
  weights: WeightsDType;
  /** The precision of every call (unetForward may name its own). */
  precision: Precision;
  clip: CLIPConfig;
  unet: UNetConfig;
  vae: VAEConfig;
  /** The diffusers folder's tokenizer/ ("" for single files: use the default CLIP tokenizer). */
  tokenizerDir: string;
  /** scheduler/scheduler_config.json, parsed (null when absent). */
  schedulerConfig: Record<string, unknown> | null;
  /** Bytes of each network's weights (owned or mmap'd). */
  weightBytes: { clip: number; unet: number; vae: number };
}

/** Raw addon functions of this family. */
export interface ModelsAddon {
  modelLoad(path: string, weights: WeightsDType, precision?: Precision): Promise<NativeHandle>;
  modelDispose(model: NativeHandle): void;
  modelInfo(model: NativeHandle): Omit<ModelInfo, 'schedulerConfig'> & { schedulerConfigJson: string };
  modelEncodeText(
    model: NativeHandle,
    ids: Int32Array,
    tokensPerPrompt: number,
    clipSkip: number,
    finalLayerNorm: boolean,
    cancel: NativeHandle | null,
  ): Promise<Float32Array>;
  modelUnetForward(
    model: NativeHandle,
    latent: Float32Array,
    shape: Shape4,
    timesteps: Float32Array,
    context: Float32Array,
    attention: AttentionModeName,
    cancel: NativeHandle | null,
    memoryLimitBytes?: number,
    precision?: Precision,
  ): Promise<Float32Array>;
  modelVaeDecode(
    model: NativeHandle,
    latent: Float32Array,
    shape: Shape4,
    attention: AttentionModeName,
    cancel: NativeHandle | null,
    memoryLimitBytes?: number,
  ): Promise<Float32Array>;
  modelVaeDecodeTiled(
    model: NativeHandle,
    latent: Float32Array,
    shape: Shape4,
    tile: number,
    attention: AttentionModeName,
    cancel: NativeHandle | null,
    memoryLimitBytes: number,
    onProgress: ((done: number, total: number) => void) | null,
  ): Promise<Float32Array>;
  modelVaeEncode(
    model: NativeHandle,
    image: Float32Array,
    shape: Shape4,
    attention: AttentionModeName,
    cancel: NativeHandle | null,
  ): Promise<{ mean: Float32Array; logvar: Float32Array }>;
  unetMemoryEstimate(config: UNetConfig, query: UnetMemoryQuery): MemoryEstimate;
  vaeDecodeMemoryEstimate(config: VAEConfig, query: VaeDecodeMemoryQuery): MemoryEstimate;
  vaeDecodeTiledMemoryEstimate(config: VAEConfig, query: VaeDecodeTiledMemoryQuery): MemoryEstimate;
  cancelTokenCreate(): NativeHandle;
  cancelTokenCancel(token: NativeHandle): void;
  cancelTokenIsCancelled(token: NativeHandle): boolean;
}

export const modelsAddon = addon as unknown as ModelsAddon;

/**
 * Stops a running native call between blocks. One token may be passed to several calls; once
 * cancelled it stays cancelled (make a new one for the next run).
 *
 * @example
 *   const token = new CancelToken();
 *   const run = unetForward(model, latent, shape, t, context, { cancel: token });
 *   token.cancel(); // run rejects with code "SDN_STATUS_CANCELLED"
 */
export class CancelToken {
  /** @internal */ readonly handle: NativeHandle = modelsAddon.cancelTokenCreate();

  cancel(): void {
    modelsAddon.cancelTokenCancel(this.handle);
  }

  get cancelled(): boolean {
    return modelsAddon.cancelTokenIsCancelled(this.handle);
  }
}

/**
 * A loaded SD 1.x model (text encoder, UNet, VAE). Its weights are freed when it is garbage
 * collected or, sooner, by dispose() (a run in progress keeps them until it finishes).
 */
export class ModelHandle {
  readonly info: ModelInfo;
  #handle: NativeHandle | null;

  /** @internal use loadModel */
  constructor(handle: NativeHandle) {
    this.#handle = handle;
    const { schedulerConfigJson, ...rest } = modelsAddon.modelInfo(handle);
    this.info = { ...rest, schedulerConfig: schedulerConfigJson ? (JSON.parse(schedulerConfigJson) as Record<string, unknown>) : null };
  }

  /** @internal */
  get handle(): NativeHandle {
    if (!this.#handle) throw Object.assign(new Error('the model was disposed; load it again'), { code: 'SDN_STATUS_BAD_ARGUMENT' });
    return this.#handle;
  }

  get disposed(): boolean {
    return this.#handle === null;
  }

  dispose(): void {
    if (this.#handle) modelsAddon.modelDispose(this.#handle);
    this.#handle = null;
  }
}

export interface RunOptions {
  /** Attention kernel of every attention layer (default 'naive'). */
  attention?: AttentionModeName;
  cancel?: CancelToken;
  /**
   * unetForward and vaeDecode: refuse the run up front (a NativeError with code
   * "SDN_STATUS_OUT_OF_MEMORY" naming the estimate and what to use instead) when its estimated
   * working memory (estimateUnetMemory / estimateVaeDecodeMemory) is over this many bytes.
   */
  memoryLimitBytes?: number;
  /** unetForward: the products' precision of this call (default: the model's, see loadModel). */
  precision?: Precision;
}

/** The run a memory estimate is for. */
export interface UnetMemoryQuery {
  /** Latents per UNet call (2 x images with classifier-free guidance). */
  batch: number;
  latentHeight: number;
  latentWidth: number;
  /** Text tokens of the context (default 77). */
  contextTokens?: number;
  attention: AttentionModeName;
}

export interface VaeDecodeMemoryQuery {
  batch: number;
  latentHeight: number;
  latentWidth: number;
  attention: AttentionModeName;
}

export interface VaeDecodeTiledMemoryQuery extends VaeDecodeMemoryQuery {
  /** Tile side in latent cells (>= 1), as vaeDecodeTiled's `tile`. */
  tile: number;
}

/**
 * The activation memory one call needs: the engine's arena high-water mark above what was allocated
 * before it (what memoryStats().activationsPeak rises by), for the current thread count. Weights are
 * not included.
 */
export interface MemoryEstimate {
  peakBytes: number;
  /** The largest single attention call's own working memory (naive: its B x heads x T x T scores). */
  attentionBytes: number;
  breakdown: {
    /** The step at which the peak happens, e.g. "down block 0, transformer 0, self-attention". */
    at: string;
    /** UNet skip connections held for the up path at the peak. */
    skipBytes: number;
    /** The op's own buffer at the peak (attention scores/tiles, a GEMM or conv packing buffer), or 0. */
    transientBytes: number;
    /** Everything else alive at the peak (the time embedding, the block's activations). */
    activationBytes: number;
    /** The returned tensor. */
    outputBytes: number;
    /** Where attentionBytes happens. */
    attentionAt: string;
  };
}

/**
 * Predicts the working memory of one UNet forward from the model's configuration by replaying the
 * forward's allocations (native/src/models/unet/unet_memory.h): exact for the engine's current
 * thread count, no allocation made.
 *
 * @example
 *   const e = estimateUnetMemory(model, { batch: 2, latentHeight: 128, latentWidth: 128, attention: 'naive' });
 *   e.peakBytes;      // ~16.5 GiB for SD 1.5
 *   e.attentionBytes; // 16 GiB: the level-0 self-attention's 2 x 8 x 16384 x 16384 scores
 */
export function estimateUnetMemory(model: ModelHandle | UNetConfig, query: UnetMemoryQuery): MemoryEstimate {
  return modelsAddon.unetMemoryEstimate(model instanceof ModelHandle ? model.info.unet : model, query);
}

/** Predicts the working memory of one vaeDecode (see estimateUnetMemory). */
export function estimateVaeDecodeMemory(model: ModelHandle | VAEConfig, query: VaeDecodeMemoryQuery): MemoryEstimate {
  return modelsAddon.vaeDecodeMemoryEstimate(model instanceof ModelHandle ? model.info.vae : model, query);
}

/**
 * Predicts the working memory of one vaeDecodeTiled (see estimateUnetMemory): the image-wide maps the
 * tiles write (each held once) plus the largest tile's buffers.
 *
 * @example
 *   estimateVaeDecodeTiledMemory(model, { batch: 1, latentHeight: 128, latentWidth: 128, attention: 'flash', tile: 32 }).peakBytes;
 */
export function estimateVaeDecodeTiledMemory(model: ModelHandle | VAEConfig, query: VaeDecodeTiledMemoryQuery): MemoryEstimate {
  return modelsAddon.vaeDecodeTiledMemoryEstimate(model instanceof ModelHandle ? model.info.vae : model, query);
}

/**
 * Loads a diffusers folder (with model_index.json) or a single-file .safetensors checkpoint.
 * `precision` (default 'fp32') is what every call of the model computes in; 'bf16' is refused (a
 * NativeError, code "SDN_STATUS_BAD_ARGUMENT") where the CPU has no AVX512_BF16.
 *
 * @example
 *   const model = await loadModel('models/sd15.safetensors', { weights: 'f16', precision: 'bf16' });
 */
export async function loadModel(path: string, options: { weights?: WeightsDType; precision?: Precision } = {}): Promise<ModelHandle> {
  return new ModelHandle(await modelsAddon.modelLoad(path, options.weights ?? 'f32', options.precision ?? 'fp32'));
}

/**
 * Runs the text encoder on token ids (B prompts x 77 tokens, as the tokenizer pads them).
 * clipSkip 1 (default) is the last layer, 2 the penultimate ("clip skip 2"), ...; finalLayerNorm
 * (default true) applies the final layer norm to that layer's output, as diffusers, A1111 and
 * ComfyUI do. Returns [B, 77, hidden].
 */
export async function encodeText(
  model: ModelHandle,
  ids: Int32Array,
  options: { clipSkip?: number; finalLayerNorm?: boolean; cancel?: CancelToken } = {},
): Promise<Float32Array> {
  const tokens = model.info.clip.maxPositionEmbeddings;
  return modelsAddon.modelEncodeText(
    model.handle,
    ids,
    tokens,
    options.clipSkip ?? 1,
    options.finalLayerNorm ?? true,
    options.cancel?.handle ?? null,
  );
}

/**
 * One UNet evaluation: latent [B, 4, H, W], one timestep per batch element, context [B, 77, ctx]
 * (the text encoding of each latent's prompt). Returns the noise prediction [B, 4, H, W].
 */
export async function unetForward(
  model: ModelHandle,
  latent: Float32Array,
  shape: Shape4,
  timesteps: Float32Array,
  context: Float32Array,
  options: RunOptions = {},
): Promise<Float32Array> {
  return modelsAddon.modelUnetForward(
    model.handle,
    latent,
    shape,
    timesteps,
    context,
    options.attention ?? 'naive',
    options.cancel?.handle ?? null,
    options.memoryLimitBytes ?? 0,
    options.precision,
  );
}

/**
 * Decodes raw latents [B, 4, h, w] (divide sampled latents by info.vae.scalingFactor first) into an
 * image [B, 3, 8h, 8w], roughly in [-1, 1].
 */
export async function vaeDecode(model: ModelHandle, latent: Float32Array, shape: Shape4, options: RunOptions = {}): Promise<Float32Array> {
  return modelsAddon.modelVaeDecode(
    model.handle,
    latent,
    shape,
    options.attention ?? 'naive',
    options.cancel?.handle ?? null,
    options.memoryLimitBytes ?? 0,
  );
}

export interface VaeDecodeTiledOptions extends RunOptions {
  /**
   * Tile side in latent cells (>= 1): tile x tile latent cells, (8 tile)^2 pixels at the output. Only
   * memory and speed depend on it, never the result.
   */
  tile: number;
  /**
   * Called as tiles finish: done of total tile steps (every tile of every segment; a segment is one
   * convolution over the whole image), with `done` increasing. Never called after the Promise
   * settles; on success the last call is (total, total). An error it throws is ignored.
   */
  onProgress?: (done: number, total: number) => void;
}

/**
 * vaeDecode computed region by region, equal to it up to float rounding (no seams, no blending):
 * post_quant_conv, conv_in and the mid block (with its global attention) run once on the whole
 * latent; the up blocks and the output run tile by tile, every group norm using the statistics of the
 * WHOLE image at that layer (tiles advance together, one convolution at a time). Working memory:
 * the full-size maps between layers, each held once, plus one tile's buffers; less than vaeDecode
 * (estimateVaeDecodeTiledMemory), but growing with the image. With memoryLimitBytes it refuses up
 * front ("SDN_STATUS_OUT_OF_MEMORY"); cancel is checked before every tile.
 *
 * @example
 *   const image = await vaeDecodeTiled(model, latent, [1, 4, 128, 128], { tile: 32, attention: 'flash', onProgress: (d, t) => {} });
 */
export async function vaeDecodeTiled(
  model: ModelHandle,
  latent: Float32Array,
  shape: Shape4,
  options: VaeDecodeTiledOptions,
): Promise<Float32Array> {
  // The engine queues progress calls to this thread; the last ones can land after the Promise settles:
  // those are dropped, and the final (total, total) is reported here instead.
  const report = options.onProgress;
  let settled = false, last = 0, total = 0;
  const onProgress = report
    ? (done: number, all: number) => {
        if (settled) return;
        last = done;
        total = all;
        report(done, all);
      }
    : null;
  try {
    const image = await modelsAddon.modelVaeDecodeTiled(
      model.handle,
      latent,
      shape,
      options.tile,
      options.attention ?? 'naive',
      options.cancel?.handle ?? null,
      options.memoryLimitBytes ?? 0,
      onProgress,
    );
    settled = true;
    if (report && last < total) report(total, total);
    return image;
  } finally {
    settled = true;
  }
}

/**
 * Encodes an image [B, 3, H, W] in [-1, 1] into the latent distribution: mean and logvar (clamped to
 * [-30, 20]), each [B, 4, H/8, W/8]. Multiply a sample by info.vae.scalingFactor for the sampler.
 */
export async function vaeEncode(
  model: ModelHandle,
  image: Float32Array,
  shape: Shape4,
  options: RunOptions = {},
): Promise<{ mean: Float32Array; logvar: Float32Array }> {
  return modelsAddon.modelVaeEncode(model.handle, image, shape, options.attention ?? 'naive', options.cancel?.handle ?? null);
}
