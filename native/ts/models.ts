/**
 * The models family of the native engine (native/src/binding/binding.cc over include/sdn.h): load an SD 1.x
 * checkpoint (diffusers folder or single file) and run its text encoder, UNet and VAE. Every heavy
 * call runs on a worker thread and returns a Promise; a CancelToken stops a run between blocks (the
 * Promise then rejects with code "SDN_STATUS_CANCELLED").
 *
 * @example
 *   const model = await loadModel('models/diffusers/shapes-sd', { weights: 'f32' });
 *   // (configs cross to the engine once, as JSON with config.json keys: model.info.unet.block_out_channels)
 *   const context = await encodeText(model, ids);                        // [B, 77, hidden]
 *   const eps = await unetForward(model, latent, [2, 4, 8, 8], new Float32Array([999, 999]), context);
 *   const image = await vaeDecode(model, latentOverScaling, [1, 4, 8, 8]); // [1, 3, 64, 64]
 *   model.dispose();
 */
import { resolveCheckpoint, type CLIPConfig, type UNetConfig, type VAEConfig } from './checkpoint-files.ts';
import { addon, nativeError } from './core.ts';

export { vaeScaleFactor, type CLIPConfig, type ModelConfigs, type UNetConfig, type VAEConfig } from './checkpoint-files.ts';

/** An opaque engine handle (a type-tagged N-API external). */
export type NativeHandle = { readonly __nativeHandle: unique symbol };

export type WeightsDType = 'f32' | 'f16';
/**
 * How a model's weights are kept (loadModel): 'f32' or 'f16' for every network, or 'q8_0': the UNet's
 * matrices and kernels quantized at load to 8-bit blocks (32 values and an f16 scale, GGML's Q8_0: about
 * half of f16's memory), the text encoders and the VAE in f16. Products run in the call's precision on the
 * widened values, so q8_0 saves memory, not time.
 */
export type ModelWeightsDType = WeightsDType | 'q8_0';
/**
 * The precision of the networks' products (linears, convolutions): 'fp32', or 'bf16' (inputs rounded
 * to bfloat16 where the GEMMs pack them, f32 sums; about twice as fast where the CPU has AVX512_BF16,
 * `native.cpuFeatures().bf16`, and refused elsewhere). Weights stay as stored either way.
 */
export type Precision = 'fp32' | 'bf16';
export type AttentionModeName = 'naive' | 'sliced' | 'flash';
/** [batch, channels, height, width] */
export type Shape4 = readonly [number, number, number, number];

export interface ModelInfo {
  /** The folder or file loaded. */
  source: string;
  /** 'vae': a standalone VAE file (loadVae): only the VAE calls answer; clip and unet are defaults. */
  layout: 'diffusers' | 'single-file' | 'vae';
  weights: ModelWeightsDType;
  /** The precision of every call (unetForward may name its own). */
  precision: Precision;
  /** The CLIP text encoder (SD 1.x; CLIP-L of SDXL base); absent for an SDXL refiner, whose one encoder is clip2. */
  clip?: CLIPConfig;
  unet: UNetConfig;
  vae: VAEConfig;
  /** SDXL's OpenCLIP bigG text encoder (CLIPTextModelWithProjection; the refiner's only one); absent for SD 1.x. */
  clip2?: CLIPConfig;
  /** The diffusers folder's tokenizer/ ("" for single files: use the default CLIP tokenizer). */
  tokenizerDir: string;
  /** SDXL: the diffusers folder's tokenizer_2/ ("" otherwise: the default CLIP tokenizer padding with "!"). */
  tokenizer2Dir: string;
  /** scheduler/scheduler_config.json, or the one a sidecar describes (null when absent). */
  schedulerConfig: Record<string, unknown> | null;
  /** Bytes of each network's weights (owned or mmap'd). */
  weightBytes: { clip: number; unet: number; vae: number; clip2?: number };
}

/**
 * A ControlNet applied to one UNet call (native/ts/controlnet.ts loads them): its residuals times
 * `strength` (each map's per-channel mean first with globalAveragePooling) are added to the UNet's skip
 * connections and mid block, summed over the list in order.
 */
export interface UnetControl {
  controlnet: ControlNetRef;
  /** The hint picture [1 or B, channels, hintFactor x H, hintFactor x W] in [0, 1] (RGB planes). */
  hint: Float32Array;
  hintShape: Shape4;
  strength: number;
  globalAveragePooling?: boolean;
}

/** What the UNet calls need of a loaded ControlNet (ControlNetHandle). */
export interface ControlNetRef {
  /** @internal */ readonly handle: NativeHandle;
  readonly hintChannels: number;
  readonly hintFactor: number;
  /** The text conditioning's width it reads (768 SD 1.x, 2048 SDXL); absent for controls without text attention. */
  readonly contextWidth?: number;
  /** An SDXL ControlNet's added conditioning width (projection_class_embeddings_input_dim: 2816 for SDXL); absent otherwise. */
  readonly addedWidth?: number;
  /** A T2I-Adapter's family: true for SDXL's (full_adapter_xl), false for SD 1.x's; absent for a ControlNet. */
  readonly adapterXl?: boolean;
}

/** The addon's form of a control (hint null in memory estimates). */
interface EngineControl {
  controlnet: NativeHandle;
  hint: Float32Array | null;
  hintShape: Shape4;
  strength: number;
  globalAveragePooling: boolean;
}

const engineControl = (c: UnetControl): EngineControl => ({
  controlnet: c.controlnet.handle, hint: c.hint, hintShape: c.hintShape, strength: c.strength, globalAveragePooling: c.globalAveragePooling ?? false,
});

/** The options of one call, as the engine takes them (sdn_run_options). */
interface CallOptions {
  controls?: EngineControl[];
  attention?: AttentionModeName;
  cancel?: NativeHandle | null;
  memoryLimitBytes?: number;
  precision?: Precision;
  onProgress?: ((done: number, total: number) => void) | null;
}

type CallName = 'textEncode' | 'unet' | 'vaeDecode' | 'vaeEncode';

/** Raw addon functions of this family (native/src/binding/binding.cc over include/sdn.h). */
export interface ModelsAddon {
  modelLoad(configJson: string): Promise<NativeHandle>;
  modelDispose(model: NativeHandle): void;
  modelInfo(model: NativeHandle): string;
  modelWeights(model: NativeHandle): string;
  modelWeight(model: NativeHandle, network: 'text_encoder' | 'text_encoder_2' | 'unet' | 'vae', name: string): Float32Array | Uint16Array;
  modelEncodeText(model: NativeHandle, ids: Int32Array, tokensPerPrompt: number, clipSkip: number, finalLayerNorm: boolean, options: CallOptions,
    vectors?: Float32Array, hiddenSize?: number): Promise<Float32Array>;
  modelEncodeTextPooled(model: NativeHandle, encoder: 0 | 1, ids: Int32Array, tokensPerPrompt: number, clipSkip: number, finalLayerNorm: boolean,
    options: CallOptions, vectors?: Float32Array, hiddenSize?: number): Promise<{ hidden: Float32Array; pooled: Float32Array }>;
  modelUnetForward(model: NativeHandle, latent: Float32Array, shape: Shape4, timesteps: Float32Array, context: Float32Array, contextTokens: number,
    options: CallOptions, added: AddedConditioning | null): Promise<Float32Array>;
  modelVaeDecode(model: NativeHandle, latent: Float32Array, shape: Shape4, tile: number, options: CallOptions): Promise<Float32Array>;
  modelVaeEncode(model: NativeHandle, image: Float32Array, shape: Shape4, options: CallOptions): Promise<{ mean: Float32Array; logvar: Float32Array }>;
  memoryEstimate(model: NativeHandle | null, configJson: string | null, call: CallName,
    shape: { batch: number; height?: number; width?: number; tokens?: number; tile?: number }, attention: AttentionModeName, precision?: Precision,
    controls?: EngineControl[]): MemoryEstimate;
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

/** What the engine's sdn_model_info says (JSON). */
interface EngineModelInfo {
  source: string;
  layout: 'diffusers' | 'single-file' | 'vae';
  weight_dtype: ModelWeightsDType;
  compute_dtype: 'f32' | 'bf16';
  text_encoder?: CLIPConfig;
  text_encoder_2?: CLIPConfig;
  unet: UNetConfig;
  vae: VAEConfig;
  weight_bytes: { text_encoder: number; unet: number; vae: number; text_encoder_2?: number };
}

/**
 * A loaded SD 1.x model (text encoder, UNet, VAE). Its weights are freed when it is garbage
 * collected or, sooner, by dispose() (a run in progress keeps them until it finishes).
 */
export class ModelHandle {
  readonly info: ModelInfo;
  #handle: NativeHandle | null;

  /** @internal use loadModel */
  constructor(handle: NativeHandle, extra: Pick<ModelInfo, 'tokenizerDir' | 'tokenizer2Dir' | 'schedulerConfig'>) {
    this.#handle = handle;
    const e = JSON.parse(modelsAddon.modelInfo(handle)) as EngineModelInfo;
    this.info = {
      source: e.source,
      layout: e.layout,
      weights: e.weight_dtype,
      precision: e.compute_dtype === 'bf16' ? 'bf16' : 'fp32',
      ...(e.text_encoder ? { clip: e.text_encoder } : {}),
      unet: e.unet,
      vae: e.vae,
      weightBytes: { clip: e.weight_bytes.text_encoder, unet: e.weight_bytes.unet, vae: e.weight_bytes.vae,
        ...(e.weight_bytes.text_encoder_2 !== undefined ? { clip2: e.weight_bytes.text_encoder_2 } : {}) },
      ...(e.text_encoder_2 ? { clip2: e.text_encoder_2 } : {}),
      ...extra,
    };
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
   * Refuse the run up front (a NativeError with code "SDN_STATUS_OUT_OF_MEMORY" naming the estimate
   * and what to use instead) when its working memory (the estimate* functions) is over this many bytes.
   */
  memoryLimitBytes?: number;
  /** The products' precision of this call (default: the model's, see loadModel). */
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
  /** The call's precision (default: the model's; 'fp32' for a configuration): bf16 GEMMs pack into other workspaces. */
  precision?: Precision;
  /** ControlNets the call runs (their working memory and residuals are part of the call's); hintBatch 1 (default) or the batch. */
  controls?: readonly { controlnet: ControlNetRef; hintBatch?: number }[];
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

export interface VaeEncodeMemoryQuery {
  batch: number;
  imageHeight: number;
  imageWidth: number;
  attention: AttentionModeName;
}

/**
 * The activation memory one call needs: the engine's arena high-water mark above what was allocated
 * before it (what memoryStats().activationsPeak rises by), for the current thread count. Weights are
 * not included. It comes from a measure pass of the call's own code (allocations, no arithmetic).
 */
export interface MemoryEstimate {
  peakBytes: number;
  /** The largest single attention call's own working memory (naive: its B x heads x T x T scores). */
  attentionBytes: number;
  breakdown: {
    /** The module running at the peak, by its checkpoint name, e.g. "down_blocks.0.attentions.0.transformer_blocks.0.attn1". */
    at: string;
    /** The running op's own buffers at the peak (attention scores/tiles, a GEMM or conv packing buffer), or 0. */
    workspaceBytes: number;
    /** The returned tensors. */
    outputBytes: number;
    /** Where attentionBytes happens. */
    attentionAt: string;
  };
}

function estimate(model: ModelHandle | object, call: CallName, shape: Parameters<ModelsAddon['memoryEstimate']>[3], attention: AttentionModeName, precision?: Precision,
  controls?: EngineControl[]) {
  return model instanceof ModelHandle
    ? modelsAddon.memoryEstimate(model.handle, null, call, shape, attention, precision, controls)
    : modelsAddon.memoryEstimate(null, JSON.stringify(model), call, shape, attention, precision, controls);
}

/**
 * The working memory of one UNet forward, for a loaded model or from its configuration alone: a
 * measure pass of the forward itself, exact for the engine's current thread count; nothing allocated.
 *
 * @example
 *   const e = estimateUnetMemory(model, { batch: 2, latentHeight: 128, latentWidth: 128, attention: 'naive' });
 *   e.peakBytes;      // ~16.5 GiB for SD 1.5
 *   e.attentionBytes; // 16 GiB: the level-0 self-attention's 2 x 8 x 16384 x 16384 scores
 */
export function estimateUnetMemory(model: ModelHandle | UNetConfig, query: UnetMemoryQuery): MemoryEstimate {
  const shape = { batch: query.batch, height: query.latentHeight, width: query.latentWidth, tokens: query.contextTokens ?? 77 };
  const controls = query.controls?.map(({ controlnet, hintBatch }): EngineControl => ({
    controlnet: controlnet.handle,
    hint: null,
    hintShape: [hintBatch ?? 1, controlnet.hintChannels, controlnet.hintFactor * query.latentHeight, controlnet.hintFactor * query.latentWidth],
    strength: 1,
    globalAveragePooling: false,
  }));
  return estimate(model, 'unet', shape, query.attention, query.precision, controls);
}

/** The working memory of one vaeDecode (see estimateUnetMemory). */
export function estimateVaeDecodeMemory(model: ModelHandle | VAEConfig, query: VaeDecodeMemoryQuery): MemoryEstimate {
  return estimate(model, 'vaeDecode', { batch: query.batch, height: query.latentHeight, width: query.latentWidth, tile: 0 }, query.attention);
}

/**
 * The working memory of one vaeDecodeTiled (see estimateUnetMemory): the image-wide maps the tiles
 * write (each held once) plus one tile's buffers.
 *
 * @example
 *   estimateVaeDecodeTiledMemory(model, { batch: 1, latentHeight: 128, latentWidth: 128, attention: 'flash', tile: 32 }).peakBytes;
 */
export function estimateVaeDecodeTiledMemory(model: ModelHandle | VAEConfig, query: VaeDecodeTiledMemoryQuery): MemoryEstimate {
  if (!(query.tile >= 1)) throw new RangeError(`tile must be >= 1 latent cell, got ${query.tile}`);
  const shape = { batch: query.batch, height: query.latentHeight, width: query.latentWidth, tile: query.tile };
  return estimate(model, 'vaeDecode', shape, query.attention);
}

/** The working memory of one vaeEncode (see estimateUnetMemory). */
export function estimateVaeEncodeMemory(model: ModelHandle | VAEConfig, query: VaeEncodeMemoryQuery): MemoryEstimate {
  return estimate(model, 'vaeEncode', { batch: query.batch, height: query.imageHeight, width: query.imageWidth }, query.attention);
}

/** The working memory of one encodeText of `batch` prompts of `tokens` tokens (see estimateUnetMemory). */
export function estimateTextEncodeMemory(model: ModelHandle | CLIPConfig, query: { batch: number; tokens: number }): MemoryEstimate {
  return estimate(model, 'textEncode', { batch: query.batch, tokens: query.tokens }, 'naive');
}

export interface LoadOptions {
  /**
   * How weights are kept in memory (default f32): f16 keeps an f16 file's matrices as zero-copy mmap'd views;
   * q8_0 quantizes the UNet's into 8-bit blocks (ModelWeightsDType).
   */
  weights?: ModelWeightsDType;
  /**
   * What every call of the model computes in (default 'fp32'); 'bf16' is refused (a NativeError, code
   * "SDN_STATUS_BAD_ARGUMENT") where the CPU has no AVX512_BF16.
   */
  precision?: Precision;
}

/**
 * Loads a diffusers folder (with model_index.json) or a single-file .safetensors checkpoint: its
 * config files and sidecars are read here (checkpoint-files.ts), the weights by the engine.
 *
 * @example
 *   const model = await loadModel('models/sd15.safetensors', { weights: 'f16', precision: 'bf16' });
 */
export async function loadModel(path: string, options: LoadOptions = {}): Promise<ModelHandle> {
  const r = await resolveCheckpoint(path);
  const config = { path: r.path, layout: r.layout, weight_dtype: options.weights ?? 'f32', compute_dtype: options.precision === 'bf16' ? 'bf16' : 'f32', ...r.configs, sources: r.sources };
  const handle = await modelsAddon.modelLoad(JSON.stringify(config));
  return new ModelHandle(handle, { tokenizerDir: r.tokenizerDir ?? '', tokenizer2Dir: r.tokenizer2Dir ?? '', schedulerConfig: r.schedulerConfig });
}

/**
 * Loads a standalone VAE .safetensors (vae-ft-mse-840000 and the like: LDM names, optionally under
 * first_stage_model., or diffusers' AutoencoderKL names), its configuration inferred from the shapes
 * (scaling factor 0.18215, SD 1.x's). The handle answers vaeDecode, vaeDecodeTiled, vaeEncode and the
 * VAE estimates; text encoder and UNet calls are refused naming the file.
 *
 * @example
 *   const vae = await loadVae('models/vae/vae-ft-mse-840000-ema-pruned.safetensors');
 */
export async function loadVae(file: string, options: { weights?: WeightsDType } = {}): Promise<ModelHandle> {
  const handle = await modelsAddon.modelLoad(JSON.stringify({ path: file, layout: 'vae', weight_dtype: options.weights ?? 'f32' }));
  return new ModelHandle(handle, { tokenizerDir: '', tokenizer2Dir: '', schedulerConfig: null });
}

const callOptions = (options: RunOptions): CallOptions => ({
  attention: options.attention ?? 'naive',
  cancel: options.cancel?.handle ?? null,
  memoryLimitBytes: options.memoryLimitBytes ?? 0,
  ...(options.precision ? { precision: options.precision } : {}),
});

/**
 * Runs the text encoder on token ids (B prompts x 77 tokens, as the tokenizer pads them).
 * clipSkip 1 (default) is the last layer, 2 the penultimate ("clip skip 2"), ...; finalLayerNorm
 * (default true) applies the final layer norm to that layer's output, as diffusers, A1111 and
 * ComfyUI do. Returns [B, 77, hidden].
 */
export async function encodeText(
  model: ModelHandle,
  ids: Int32Array,
  options: { clipSkip?: number; finalLayerNorm?: boolean; cancel?: CancelToken; memoryLimitBytes?: number; vectors?: Float32Array } = {},
): Promise<Float32Array> {
  const config = model.info.clip;
  if (!config) throw nativeError('SDN_STATUS_BAD_ARGUMENT', `encodeText: "${model.info.source}" is an SDXL refiner: its one text encoder is encoder 1 (encodeTextPooled)`);
  const tokens = config.max_position_embeddings;
  const hidden = config.hidden_size;
  return modelsAddon.modelEncodeText(model.handle, ids, tokens, options.clipSkip ?? 1, options.finalLayerNorm ?? true, callOptions(options), options.vectors, hidden);
}

/**
 * Runs text encoder `encoder` (0, or 1: SDXL's second) on token ids (B prompts x 77 tokens) and returns
 * the hidden states as encodeText does ([B, 77, hidden]) plus the pooled output: the last layer's state
 * at each prompt's end token after the final layer norm, through text_projection where the encoder has
 * one ([B, projection_dim], else [B, hidden]). SDXL conditions on both encoders' penultimate states
 * (clipSkip 2, finalLayerNorm false) and the second one's pooled output. `vectors`: injected token vectors
 * [count, hidden] of that encoder (textual-inversion embeddings), id vocab_size + i standing for row i.
 */
export async function encodeTextPooled(
  model: ModelHandle,
  encoder: 0 | 1,
  ids: Int32Array,
  options: { clipSkip?: number; finalLayerNorm?: boolean; cancel?: CancelToken; memoryLimitBytes?: number; vectors?: Float32Array } = {},
): Promise<{ hidden: Float32Array; pooled: Float32Array }> {
  const config = encoder === 1 ? model.info.clip2 : model.info.clip;
  if (!config)
    throw nativeError('SDN_STATUS_BAD_ARGUMENT', encoder === 1 ? 'encodeTextPooled: this model has one text encoder (0); encoder 1 is SDXL\'s second'
      : 'encodeTextPooled: this model is an SDXL refiner: its one text encoder is encoder 1 (OpenCLIP bigG)');
  return modelsAddon.modelEncodeTextPooled(model.handle, encoder, ids, config.max_position_embeddings, options.clipSkip ?? 1, options.finalLayerNorm ?? true,
    callOptions(options), options.vectors, config.hidden_size);
}

/** SDXL's added conditioning per latent (diffusers' added_cond_kwargs). */
export interface AddedConditioning {
  /** The pooled text embedding of each latent's prompt [B, P]. */
  textEmbeds: Float32Array;
  /** [B, 6]: original height, width, crop top, crop left, target height, width (pixels). */
  timeIds: Float32Array;
}

/**
 * One UNet evaluation: latent [B, 4, H, W], one timestep per batch element, context [B, 77, ctx]
 * (the text encoding of each latent's prompt), and for SDXL (info.unet.addition_embed_type
 * "text_time") the added conditioning; `controls`: ControlNets that run inside the same call (their
 * memory is part of its estimate and of the memoryLimitBytes check). Returns the noise prediction [B, 4, H, W].
 */
export async function unetForward(
  model: ModelHandle,
  latent: Float32Array,
  shape: Shape4,
  timesteps: Float32Array,
  context: Float32Array,
  options: RunOptions & { added?: AddedConditioning; controls?: readonly UnetControl[] } = {},
): Promise<Float32Array> {
  const dim = model.info.unet.cross_attention_dim, tokens = context.length / (shape[0] * dim);
  if (!(Number.isInteger(tokens) && tokens >= 1))
    throw nativeError('SDN_STATUS_BAD_SHAPE', `unetForward: context has ${context.length} values, expected [${shape[0]}, tokens, ${dim}] (one text encoding per latent)`);
  const call = options.controls?.length ? { ...callOptions(options), controls: options.controls.map(engineControl) } : callOptions(options);
  return modelsAddon.modelUnetForward(model.handle, latent, shape, timesteps, context, tokens, call, options.added ?? null);
}

/**
 * Decodes raw latents [B, 4, h, w] (divide sampled latents by info.vae.scaling_factor first) into an
 * image [B, 3, 8h, 8w], roughly in [-1, 1].
 */
export async function vaeDecode(model: ModelHandle, latent: Float32Array, shape: Shape4, options: RunOptions = {}): Promise<Float32Array> {
  return modelsAddon.modelVaeDecode(model.handle, latent, shape, 0, callOptions(options));
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
  if (!(options.tile >= 1)) throw new RangeError(`argument "tile" must be >= 1 (latent cells), got ${options.tile}`);
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
    const image = await modelsAddon.modelVaeDecode(model.handle, latent, shape, options.tile, { ...callOptions(options), onProgress });
    settled = true;
    if (report && last < total) report(total, total);
    return image;
  } finally {
    settled = true;
  }
}

/**
 * Encodes an image [B, 3, H, W] in [-1, 1] into the latent distribution: mean and logvar (clamped to
 * [-30, 20]), each [B, 4, H/8, W/8]. Multiply a sample by info.vae.scaling_factor for the sampler.
 */
export async function vaeEncode(
  model: ModelHandle,
  image: Float32Array,
  shape: Shape4,
  options: RunOptions = {},
): Promise<{ mean: Float32Array; logvar: Float32Array }> {
  return modelsAddon.modelVaeEncode(model.handle, image, shape, callOptions(options));
}
