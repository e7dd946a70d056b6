/**
 * Upscale models in the native engine (include/sdn.h's upscale-model section): ESRGAN / Real-ESRGAN /
 * BSRGAN's RRDBNet from a .safetensors file in either key layout, scale and size read from the weights.
 * Pictures go in tiles with a margin as wide as the network's receptive field, so a tiled result equals
 * the one-piece result up to float rounding; the working memory of any tile size is known up front.
 *
 * @example
 *   const up = await loadUpscaler('models/upscale_models/shapes-esrgan-x2.safetensors');
 *   const out = await upscalerRun(up, image, [1, 3, 64, 64], { tile: 0 }); // [1, 3, 128, 128], about [0, 1]
 *   up.dispose();
 */
import { addon } from './core.ts';
import { type CancelToken, type MemoryEstimate, type NativeHandle, type Precision, type Shape4 } from './models.ts';

interface UpscalerOptions {
  cancel?: NativeHandle | null;
  memoryLimitBytes?: number;
  precision?: Precision;
  onProgress?: (done: number, total: number) => void;
}

interface UpscalerAddon {
  upscalerLoad(configJson: string): Promise<NativeHandle>;
  upscalerDispose(upscaler: NativeHandle): void;
  upscalerInfo(upscaler: NativeHandle): string;
  upscalerRun(upscaler: NativeHandle, image: Float32Array, shape: Shape4, tile: number, margin: number, options: UpscalerOptions): Promise<Float32Array>;
  upscalerMemoryEstimate(upscaler: NativeHandle, shape: UpscalerCallShape, precision?: Precision): MemoryEstimate;
}

const upscalerAddon = addon as unknown as UpscalerAddon;

/** The sizes of an upscalerRun, for its memory estimate. */
export interface UpscalerCallShape {
  batch: number;
  height: number;
  width: number;
  /** As UpscalerRunOptions.tile. */
  tile: number;
  /** As UpscalerRunOptions.margin (absent or 0: the exact margin). */
  margin?: number;
}

/** What the weights say about an upscale model. */
export interface UpscalerInfo {
  path: string;
  architecture: 'RRDBNet';
  /** "new": conv_first, body.N.rdbK.convJ (Real-ESRGAN); "old": model.0, model.1.sub.N.RDBK.convJ.0 (ESRGAN); "bsrgan": RRDB_trunk. */
  layout: 'new' | 'old' | 'bsrgan';
  /** Output size / input size. */
  scale: number;
  numBlocks: number;
  numFeat: number;
  numGrow: number;
  /** Real-ESRGAN's pixel-unshuffle factor (2 for its x2 models), else 1. */
  shuffle: number;
  /** Margin each tile is run with, in input pixels (the receptive field's radius). */
  halo: number;
  /** Tiles are multiples of this many pixels. */
  tileMultiple: number;
  weights: 'f32' | 'f16';
  weightBytes: number;
}

/** A loaded upscale model; freed when collected or, sooner, by dispose(). */
export class UpscalerHandle {
  readonly info: UpscalerInfo;
  #handle: NativeHandle | null;

  /** @internal use loadUpscaler */
  constructor(handle: NativeHandle) {
    this.#handle = handle;
    const e = JSON.parse(upscalerAddon.upscalerInfo(handle)) as Record<string, number | string>;
    this.info = {
      path: e.path as string,
      architecture: 'RRDBNet',
      layout: e.layout as UpscalerInfo['layout'],
      scale: e.scale as number,
      numBlocks: e.num_blocks as number,
      numFeat: e.num_feat as number,
      numGrow: e.num_grow as number,
      shuffle: e.shuffle as number,
      halo: e.halo as number,
      tileMultiple: e.tile_multiple as number,
      weights: e.weight_dtype as 'f32' | 'f16',
      weightBytes: e.weight_bytes as number,
    };
  }

  /** @internal */
  get handle(): NativeHandle {
    if (!this.#handle) throw Object.assign(new Error('the upscale model was disposed; load it again'), { code: 'SDN_STATUS_BAD_ARGUMENT' });
    return this.#handle;
  }

  get disposed(): boolean {
    return this.#handle === null;
  }

  dispose(): void {
    if (this.#handle) upscalerAddon.upscalerDispose(this.#handle);
    this.#handle = null;
  }
}

/**
 * Loads an RRDBNet upscale model (.safetensors); every weight's shape is checked now. Another
 * architecture is refused ("SDN_STATUS_BAD_FORMAT") with what its keys look like (SwinIR, HAT, SPAN, ...).
 */
export async function loadUpscaler(file: string, options: { weights?: 'f32' | 'f16' } = {}): Promise<UpscalerHandle> {
  return new UpscalerHandle(await upscalerAddon.upscalerLoad(JSON.stringify({ path: file, weight_dtype: options.weights ?? 'f32' })));
}

export interface UpscalerRunOptions {
  /** Tile side in input pixels (a multiple of info.tileMultiple); 0 or absent: each picture in one piece. */
  tile?: number;
  /**
   * Pixels of its neighbours each tile is run with; 0 or absent: info.halo, the receptive field (tiles then
   * equal one piece up to float rounding). Less saves memory and time on deep models; pixels near tile borders
   * then differ slightly from one piece (ComfyUI's tiles overlap by 32).
   */
  margin?: number;
  cancel?: CancelToken;
  /** Refuse the run up front ("SDN_STATUS_OUT_OF_MEMORY", with the estimate) when it needs more. */
  memoryLimitBytes?: number;
  precision?: Precision;
  /** After every tile: (tiles done, tiles in all pictures). */
  onProgress?: (done: number, total: number) => void;
}

/** Image [B, 3, H, W] in [0, 1] -> [B, 3, sH, sW] (unclamped), s = info.scale. */
export function upscalerRun(upscaler: UpscalerHandle, image: Float32Array, shape: Shape4, options: UpscalerRunOptions = {}): Promise<Float32Array> {
  return upscalerAddon.upscalerRun(upscaler.handle, image, shape, options.tile ?? 0, options.margin ?? 0, {
    cancel: options.cancel?.handle ?? null,
    memoryLimitBytes: options.memoryLimitBytes ?? 0,
    ...(options.precision ? { precision: options.precision } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
}

/** The working memory of one upscalerRun (a measure pass of its own code, all tiles included). */
export function estimateUpscalerMemory(upscaler: UpscalerHandle, shape: UpscalerCallShape, precision?: Precision): MemoryEstimate {
  return upscalerAddon.upscalerMemoryEstimate(upscaler.handle, { ...shape, margin: shape.margin ?? 0 }, precision);
}
