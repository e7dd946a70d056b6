// ComfyUI's CONDITIONING: a list of entries, each a prompt's cross-attention embeddings plus options that say
// where (area), how strongly and when (a fraction of the schedule) it applies. The Conditioning* nodes build
// these; guidance.ts turns them into one x0 prediction per list.

import type { ControlNetHandle } from '../../../native/index.ts';

/**
 * ControlNetApply / ControlNetApplyAdvanced: a ControlNet with its hint picture, strength and timestep range,
 * chained to the ControlNet applied before it (ComfyUI's previous_controlnet): at a step, every link of the
 * chain within its range adds its residuals. Entries that share a chain (the same object) run in one UNet
 * batch, as ComfyUI batches conditions that share a control.
 */
export interface ControlChain {
  controlnet: ControlNetHandle;
  /** ComfyUI's global_average_pooling (ControlNetValue). */
  globalAveragePooling: boolean;
  /** The hint as ComfyUI's image.movedim(-1, 1): planes [B, 3, H, W] in [0, 1]. */
  hint: Float32Array;
  hintShape: readonly [number, number, number, number];
  strength: number;
  /** Active from this fraction of the schedule to endPercent (ComfyUI's timestep_percent_range). */
  startPercent: number;
  endPercent: number;
  previous?: ControlChain;
}

/** Where an entry applies: latent cells (ConditioningSetArea: pixels / 8) or fractions (...Percentage). */
export type ConditioningArea =
  | { unit: 'latent'; height: number; width: number; y: number; x: number }
  | { unit: 'percentage'; height: number; width: number; y: number; x: number };

export interface ConditioningEntry {
  /** Text embeddings [1, tokens, dim] (tokens a multiple of 77 for long prompts). */
  embeddings: Float32Array;
  shape: readonly [1, number, number];
  area?: ConditioningArea;
  /** Weight of this entry where it applies (default 1). */
  strength?: number;
  /** Active from this fraction of the schedule (0 = the start) ... */
  startPercent?: number;
  /** ... to this one (1 = the end). */
  endPercent?: number;
  /**
   * InpaintModelConditioning: the masked picture's latent [B, C, H, W] and the mask [B, 1, h, w] an inpainting
   * UNet (9 input channels) takes beside the noisy latent (ComfyUI's concat_latent_image / concat_mask); models
   * with 4 input channels ignore them, as ComfyUI's do.
   */
  concat?: { latent: Float32Array; latentShape: readonly [number, number, number, number]; mask: Float32Array; maskShape: readonly [number, number, number] };
  /** SDXL: the pooled, projected output of the second text encoder [P] (ComfyUI's pooled_output). */
  pooled?: Float32Array;
  /** SDXL's size conditioning (CLIPTextEncodeSDXL); absent: the latent's size in pixels, no crop, as ComfyUI does. */
  sizes?: SdxlSizes;
  /**
   * Set by an SDXL refiner's text encoding: its UNet takes 5 time ids, the aesthetic score in place of the target
   * size (ComfyUI's SDXLRefiner.encode_adm). The score from CLIPTextEncodeSDXLRefiner; absent (plain CLIPTextEncode):
   * 6 in the positive list, 2.5 in the negative one, as ComfyUI does.
   */
  refiner?: { aestheticScore?: number };
  /** The ControlNets applied to this entry (ControlNetApply, ControlNetApplyAdvanced), the last applied first. */
  control?: ControlChain;
}

/** ComfyUI's width, height, crop_w, crop_h, target_width, target_height (pixels). */
export interface SdxlSizes {
  width: number;
  height: number;
  cropW: number;
  cropH: number;
  targetWidth: number;
  targetHeight: number;
}

/**
 * SDXL's added conditioning of one entry for a latent of latentHeight x latentWidth cells, as ComfyUI's
 * SDXL.encode_adm: the pooled output and the time ids [height, width, crop_h, crop_w, target_height,
 * target_width] (the UNet embeds each with Fourier features, addition_time_embed_dim wide; diffusers' add_time_ids order).
 * A refiner's entry (SDXLRefiner.encode_adm): [height, width, crop_h, crop_w, aesthetic score], the score 6 by
 * default, 2.5 for an entry of the `negative` list. Undefined for an entry without pooled output (SD 1.x).
 */
export function sdxlAdded(entry: ConditioningEntry, latentHeight: number, latentWidth: number, negative = false): { textEmbeds: Float32Array; timeIds: Float32Array } | undefined {
  if (!entry.pooled) return undefined;
  const s = entry.sizes ?? { width: latentWidth * 8, height: latentHeight * 8, cropW: 0, cropH: 0, targetWidth: latentWidth * 8, targetHeight: latentHeight * 8 };
  if (entry.refiner) {
    const score = entry.refiner.aestheticScore ?? (negative ? REFINER_NEGATIVE_ASCORE : REFINER_POSITIVE_ASCORE);
    return { textEmbeds: entry.pooled, timeIds: Float32Array.of(s.height, s.width, s.cropH, s.cropW, score) };
  }
  return { textEmbeds: entry.pooled, timeIds: Float32Array.of(s.height, s.width, s.cropH, s.cropW, s.targetHeight, s.targetWidth) };
}

/** ComfyUI's SDXLRefiner.encode_adm defaults when the conditioning gives no aesthetic score. */
export const REFINER_POSITIVE_ASCORE = 6;
export const REFINER_NEGATIVE_ASCORE = 2.5;

export type Conditioning = readonly ConditioningEntry[];

/** ComfyUI's conditioning_set_values: every entry with these options set. */
export function withValues(conditioning: Conditioning, values: Partial<Omit<ConditioningEntry, 'embeddings' | 'shape'>>): ConditioningEntry[] {
  return conditioning.map((entry) => ({ ...entry, ...values }));
}
