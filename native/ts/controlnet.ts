/**
 * ControlNets in the native engine (include/sdn.h's ControlNet section): SD 1.x, 2.x and SDXL ControlNet files in
 * lllyasviel's LDM layout (optionally under "control_model."; SDXL's with label_emb.*) or diffusers' ControlNetModel
 * layout (SDXL's with add_embedding.*; inside a UNet call an SDXL ControlNet reads the UNet's added conditioning), and
 * T2I-Adapters (SD 1.x: TencentARC's full / light files, diffusers' T2IAdapter; SDXL: full_adapter_xl, config.xl;
 * info.kind 't2i_adapter'), which add their features to the UNet's encoder (ComfyUI's control "input"; an SDXL
 * adapter's last feature to the mid block's output) and never see the latent; zero-depth SDXL ControlNets (diffusers'
 * -mid / -small); Control-LoRAs (info.kind 'control_lora'), which run as the ControlNet resolveFor(model) builds from
 * the model's weights (the sampling nodes do it when sampling starts). A
 * loaded ControlNet runs inside a UNet call (unetForward's `controls`), so attention mode, precision, the
 * memory estimate (estimateUnetMemory's `controls`) and the memoryLimitBytes refusal cover it too.
 *
 * @example
 *   const cn = await loadControlNet('models/controlnet/control_v11p_sd15_canny.safetensors', { weights: 'f16' });
 *   const eps = await unetForward(model, latent, [2, 4, 64, 64], t, context,
 *     { controls: [{ controlnet: cn, hint, hintShape: [1, 3, 512, 512], strength: 1 }] });
 *   cn.dispose();
 */
import { addon } from './core.ts';
import { type AddedConditioning, type CancelToken, type ControlNetRef, ModelHandle, type NativeHandle, type Precision, type RunOptions, type Shape4, type UNetConfig, type WeightsDType } from './models.ts';

/** A ControlNetModel config.json (the UNet encoder's keys plus the hint encoder's). */
export interface ControlNetConfig extends Omit<UNetConfig, 'up_block_types' | 'out_channels'> {
  conditioning_channels: number;
  conditioning_embedding_out_channels: number[];
  global_pool_conditions: boolean;
}

/** A T2I-Adapter's shape, read from its tensors. */
export interface T2IAdapterConfig {
  light: boolean;
  /** The hint channels the adapter reads (1: the hint's channel mean, as ComfyUI). */
  hint_channels: number;
  /** Feature channels per UNet level (320, 640, 1280, 1280 for SD 1.x). */
  channels: number[];
  blocks_per_level: number;
  ksize: number;
  /** SDXL's adapter (PixelUnshuffle 16: picture sides must be multiples of 16), as ComfyUI's load_t2i_adapter decides from conv_in. */
  xl: boolean;
}

interface ControlNetInfoBase {
  source: string;
  weights: WeightsDType;
  /** The hint's size over the latent's (8). */
  hintFactor: number;
  /** The channels the engine reads from the hint (a 1-channel adapter takes the mean of a 3-channel hint). */
  hintChannels: number;
  weightBytes: number;
}

export type ControlNetInfo = ControlNetModelInfo | T2IAdapterInfo | ControlLoraInfo;

/** A Control-LoRA's own part (ComfyUI's ControlLora): the rest of its ControlNet is the model's (resolveFor). */
export interface ControlLoraConfig {
  conditioning_channels: number;
  conditioning_embedding_out_channels: number[];
  /** The largest rank of its up/down pairs. */
  rank: number;
  /** How many layers get W + up @ down. */
  lora_pairs: number;
}

export interface ControlLoraInfo extends ControlNetInfoBase {
  kind: 'control_lora';
  layout: 'ldm';
  difference: false;
  config: ControlLoraConfig;
  /** 0: the residuals are the model's (the resolved ControlNet's info has them). */
  residuals: number;
}

export interface T2IAdapterInfo extends ControlNetInfoBase {
  kind: 't2i_adapter';
  layout: 'full' | 'light' | 'diffusers';
  difference: false;
  config: T2IAdapterConfig;
  /** Features per call: one per UNet level. */
  residuals: number;
}

export interface ControlNetModelInfo extends ControlNetInfoBase {
  kind: 'controlnet';
  /** 'control_lora': a Control-LoRA resolved against a model (its weightBytes: what it holds beyond the model's weights). */
  layout: 'ldm' | 'diffusers' | 'control_lora';
  /** Whether a transformer block reads the context (false for a ControlNet of transformer depth 0 everywhere). */
  readsContext: boolean;
  /** A diff ControlNet (stored as the difference from its UNet; loaded with diffBase). */
  difference: boolean;
  config: ControlNetConfig;
  /** Residuals per call: one per UNet skip connection plus the mid block's (13 for SD 1.5). */
  residuals: number;
}

interface ControlNetAddon {
  controlNetLoad(configJson: string, diffBase: NativeHandle | null): Promise<NativeHandle>;
  controlNetDispose(controlnet: NativeHandle): void;
  controlNetInfo(controlnet: NativeHandle): string;
  controlNetCacheHits(controlnet: NativeHandle): number;
  controlNetResolve(controlLora: NativeHandle, model: NativeHandle): Promise<NativeHandle>;
  controlNetForward(controlnet: NativeHandle, latent: Float32Array, shape: Shape4, timesteps: Float32Array, context: Float32Array, contextTokens: number,
    hint: Float32Array, hintShape: Shape4, residuals: number,
    options: { attention: string; cancel: NativeHandle | null; memoryLimitBytes: number; precision?: Precision }, added: AddedConditioning | null): Promise<Float32Array[]>;
}

const controlNetAddon = addon as unknown as ControlNetAddon;

/** A loaded ControlNet; freed when collected or, sooner, by dispose(). */
export class ControlNetHandle implements ControlNetRef {
  readonly info: ControlNetInfo;
  #handle: NativeHandle | null;

  /** @internal use loadControlNet */
  constructor(handle: NativeHandle) {
    this.#handle = handle;
    const e = JSON.parse(controlNetAddon.controlNetInfo(handle)) as {
      kind: ControlNetInfo['kind']; source: string; layout: string; difference: boolean; weight_dtype: WeightsDType;
      config: ControlNetConfig | T2IAdapterConfig | ControlLoraConfig; hint_factor: number; hint_channels: number; residuals: number; weight_bytes: number;
      reads_context?: boolean;
    };
    const base = { source: e.source, weights: e.weight_dtype, hintFactor: e.hint_factor, hintChannels: e.hint_channels, weightBytes: e.weight_bytes, residuals: e.residuals };
    this.info = e.kind === 't2i_adapter'
      ? { ...base, kind: 't2i_adapter', layout: e.layout as T2IAdapterInfo['layout'], difference: false, config: e.config as T2IAdapterConfig }
      : e.kind === 'control_lora'
        ? { ...base, kind: 'control_lora', layout: 'ldm', difference: false, config: e.config as ControlLoraConfig }
        : {
          ...base, kind: 'controlnet', layout: e.layout as ControlNetModelInfo['layout'], difference: e.difference, config: e.config as ControlNetConfig,
          readsContext: e.reads_context ?? true,
        };
  }

  /**
   * A Control-LoRA's ControlNet for `model` (ComfyUI's ControlLora.pre_run): the model's UNet configuration and
   * weights (with the model's LoRAs, as ComfyUI's patched weights) with the file's tensors set on them and its up/down pairs added. Built once per model (later calls
   * answer from a cache that holds the model weakly); disposed with this handle. Errors name the tensor when the
   * Control-LoRA does not fit the model. A plain ControlNet or T2I-Adapter resolves to itself.
   *
   * @example
   *   const cl = await loadControlNet('models/controlnet/control-lora-canny-rank128.safetensors');
   *   const cn = await cl.resolveFor(model); // cn.info.kind === 'controlnet', layout 'control_lora'
   */
  resolveFor(model: ModelHandle): Promise<ControlNetHandle> {
    if (this.info.kind !== 'control_lora') return Promise.resolve(this);
    let resolved = this.#resolved.get(model);
    if (!resolved) {
      resolved = controlNetAddon.controlNetResolve(this.handle, model.handle).then((h) => {
        const net = new ControlNetHandle(h);
        this.#owned.add(net);
        return net;
      });
      resolved.catch(() => this.#resolved.delete(model)); // a failure is not cached: the next call says it again
      this.#resolved.set(model, resolved);
    }
    return resolved;
  }

  #resolved = new WeakMap<ModelHandle, Promise<ControlNetHandle>>();
  #owned = new Set<ControlNetHandle>();

  /** @internal */
  get handle(): NativeHandle {
    if (!this.#handle) throw Object.assign(new Error('the ControlNet was disposed; load it again'), { code: 'SDN_STATUS_BAD_ARGUMENT' });
    return this.#handle;
  }

  /** The cross-attention width the ControlNet was made for; none for a T2I-Adapter (no text attention: its feature widths are checked by the UNet call). */
  get contextWidth(): number | undefined {
    return this.info.kind === 'controlnet' && this.info.readsContext ? this.info.config.cross_attention_dim : undefined;
  }

  /** An SDXL ControlNet's added conditioning width (text_time: pooled text + 6 size features); none otherwise (and for a Control-LoRA until resolved). */
  get addedWidth(): number | undefined {
    if (this.info.kind !== 'controlnet') return undefined;
    const c = this.info.config;
    return c.addition_embed_type === 'text_time' ? c.projection_class_embeddings_input_dim : undefined;
  }

  /** A T2I-Adapter's family (true: SDXL's); undefined for a ControlNet. */
  get adapterXl(): boolean | undefined {
    return this.info.kind === 't2i_adapter' ? this.info.config.xl : undefined;
  }

  /** The hint IMAGE's channels: 3 for every SD 1.x ControlNet and T2I-Adapter (a 1-channel adapter reads their mean, as ComfyUI). */
  get hintChannels(): number {
    return this.info.kind === 't2i_adapter' ? 3 : this.info.hintChannels;
  }

  get hintFactor(): number {
    return this.info.hintFactor;
  }

  /** A T2I-Adapter's features are computed once per hint and reused by later UNet calls (as ComfyUI): how many calls reused them (0 for a ControlNet). */
  get cacheHits(): number {
    return controlNetAddon.controlNetCacheHits(this.handle);
  }

  dispose(): void {
    for (const net of this.#owned) net.dispose();
    this.#owned.clear();
    this.#resolved = new WeakMap();
    if (this.#handle) controlNetAddon.controlNetDispose(this.#handle);
    this.#handle = null;
  }
}

export interface LoadControlNetOptions {
  weights?: WeightsDType;
  /** A ControlNetModel config.json; inferred from the tensor shapes when absent (8 heads for SD 1.x, width / 64 for SD 2.x and SDXL). */
  config?: Partial<ControlNetConfig>;
  /** The model a diff ControlNet is relative to (DiffControlNetLoader's model): its UNet's weights are added. */
  diffBase?: ModelHandle;
}

/** Loads a ControlNet .safetensors (either layout); every weight's shape is checked now (errors name the tensor). */
export async function loadControlNet(path: string, options: LoadControlNetOptions = {}): Promise<ControlNetHandle> {
  const config = { path, weight_dtype: options.weights ?? 'f32', config: options.config ?? null };
  const base = options.diffBase instanceof ModelHandle ? options.diffBase.handle : null;
  return new ControlNetHandle(await controlNetAddon.controlNetLoad(JSON.stringify(config), base));
}

/**
 * The ControlNet alone (tests and tools; sampling runs it inside unetForward): latent [B, C, H, W], one timestep
 * per latent, context [B, tokens, ctx], hint [1 or B, 3, 8H, 8W], and for an SDXL ControlNet `options.added` (the
 * pooled text embedding and size ids, as unetForward's; their features with the ControlNet's own
 * addition_time_embed_dim) -> its residuals: `down` (one per UNet skip connection, in the down path's order) and `mid`.
 */
export async function controlNetForward(
  controlnet: ControlNetHandle,
  latent: Float32Array,
  shape: Shape4,
  timesteps: Float32Array,
  context: Float32Array,
  hint: Float32Array,
  hintShape: Shape4,
  options: Pick<RunOptions, 'attention' | 'memoryLimitBytes' | 'precision'> & { cancel?: CancelToken; added?: AddedConditioning; contextTokens?: number } = {},
): Promise<{ down: Float32Array[]; mid: Float32Array }> {
  const { info } = controlnet;
  if (info.kind === 'control_lora') throw Object.assign(new Error('controlNetForward: this is a Control-LoRA: run the ControlNet of controlnet.resolveFor(model)'), { code: 'SDN_STATUS_BAD_ARGUMENT' });
  if (info.kind !== 'controlnet') throw Object.assign(new Error('controlNetForward: this is a T2I-Adapter, which runs only inside a UNet call (unetForward\'s controls)'), { code: 'SDN_STATUS_BAD_ARGUMENT' });
  // A ControlNet that reads no context (transformer depth 0 everywhere) takes any width: then the tokens are given.
  const dim = info.config.cross_attention_dim;
  const tokens = info.readsContext || options.contextTokens === undefined ? context.length / (shape[0] * dim) : options.contextTokens;
  const out = await controlNetAddon.controlNetForward(controlnet.handle, latent, shape, timesteps, context, tokens, hint, hintShape, info.residuals, {
    attention: options.attention ?? 'naive',
    cancel: options.cancel?.handle ?? null,
    memoryLimitBytes: options.memoryLimitBytes ?? 0,
    ...(options.precision ? { precision: options.precision } : {}),
  }, options.added ?? null);
  return { down: out.slice(0, -1), mid: out[out.length - 1] };
}
