/**
 * ControlNets in the native engine (include/sdn.h's ControlNet section): SD 1.x ControlNet files in
 * lllyasviel's LDM layout (optionally under "control_model.") or diffusers' ControlNetModel layout. A
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
import { type CancelToken, type ControlNetRef, ModelHandle, type NativeHandle, type Precision, type RunOptions, type Shape4, type UNetConfig, type WeightsDType } from './models.ts';

/** A ControlNetModel config.json (the UNet encoder's keys plus the hint encoder's). */
export interface ControlNetConfig extends Omit<UNetConfig, 'up_block_types' | 'out_channels'> {
  conditioning_channels: number;
  conditioning_embedding_out_channels: number[];
  global_pool_conditions: boolean;
}

export interface ControlNetInfo {
  source: string;
  layout: 'ldm' | 'diffusers';
  /** A diff ControlNet (stored as the difference from its UNet; loaded with diffBase). */
  difference: boolean;
  weights: WeightsDType;
  config: ControlNetConfig;
  /** The hint's size over the latent's (8). */
  hintFactor: number;
  /** Residuals per call: one per UNet skip connection plus the mid block's (13 for SD 1.5). */
  residuals: number;
  weightBytes: number;
}

interface ControlNetAddon {
  controlNetLoad(configJson: string, diffBase: NativeHandle | null): Promise<NativeHandle>;
  controlNetDispose(controlnet: NativeHandle): void;
  controlNetInfo(controlnet: NativeHandle): string;
  controlNetForward(controlnet: NativeHandle, latent: Float32Array, shape: Shape4, timesteps: Float32Array, context: Float32Array, contextTokens: number,
    hint: Float32Array, hintShape: Shape4, residuals: number,
    options: { attention: string; cancel: NativeHandle | null; memoryLimitBytes: number; precision?: Precision }): Promise<Float32Array[]>;
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
      source: string; layout: 'ldm' | 'diffusers'; difference: boolean; weight_dtype: WeightsDType; config: ControlNetConfig;
      hint_factor: number; residuals: number; weight_bytes: number;
    };
    this.info = {
      source: e.source, layout: e.layout, difference: e.difference, weights: e.weight_dtype, config: e.config,
      hintFactor: e.hint_factor, residuals: e.residuals, weightBytes: e.weight_bytes,
    };
  }

  /** @internal */
  get handle(): NativeHandle {
    if (!this.#handle) throw Object.assign(new Error('the ControlNet was disposed; load it again'), { code: 'SDN_STATUS_BAD_ARGUMENT' });
    return this.#handle;
  }

  get contextWidth(): number {
    return this.info.config.cross_attention_dim;
  }

  get hintChannels(): number {
    return this.info.config.conditioning_channels;
  }

  get hintFactor(): number {
    return this.info.hintFactor;
  }

  dispose(): void {
    if (this.#handle) controlNetAddon.controlNetDispose(this.#handle);
    this.#handle = null;
  }
}

export interface LoadControlNetOptions {
  weights?: WeightsDType;
  /** A ControlNetModel config.json; inferred from the tensor shapes when absent (SD 1.x's 8 heads). */
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
 * per latent, context [B, tokens, ctx], hint [1 or B, 3, 8H, 8W] -> its residuals: `down` (one per UNet skip
 * connection, in the down path's order) and `mid`.
 */
export async function controlNetForward(
  controlnet: ControlNetHandle,
  latent: Float32Array,
  shape: Shape4,
  timesteps: Float32Array,
  context: Float32Array,
  hint: Float32Array,
  hintShape: Shape4,
  options: Pick<RunOptions, 'attention' | 'memoryLimitBytes' | 'precision'> & { cancel?: CancelToken } = {},
): Promise<{ down: Float32Array[]; mid: Float32Array }> {
  const dim = controlnet.info.config.cross_attention_dim;
  const tokens = context.length / (shape[0] * dim);
  const out = await controlNetAddon.controlNetForward(controlnet.handle, latent, shape, timesteps, context, tokens, hint, hintShape, controlnet.info.residuals, {
    attention: options.attention ?? 'naive',
    cancel: options.cancel?.handle ?? null,
    memoryLimitBytes: options.memoryLimitBytes ?? 0,
    ...(options.precision ? { precision: options.precision } : {}),
  });
  return { down: out.slice(0, -1), mid: out[out.length - 1] };
}
