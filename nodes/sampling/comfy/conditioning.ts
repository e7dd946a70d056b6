// ComfyUI's CONDITIONING: a list of entries, each a prompt's cross-attention embeddings plus options that say
// where (area), how strongly and when (a fraction of the schedule) it applies. The Conditioning* nodes build
// these; guidance.ts turns them into one x0 prediction per list.

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
}

export type Conditioning = readonly ConditioningEntry[];

/** ComfyUI's conditioning_set_values: every entry with these options set. */
export function withValues(conditioning: Conditioning, values: Partial<Omit<ConditioningEntry, 'embeddings' | 'shape'>>): ConditioningEntry[] {
  return conditioning.map((entry) => ({ ...entry, ...values }));
}
