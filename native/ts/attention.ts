/**
 * The attention family of the native engine (see native/src/binding/binding_attention.cc and
 * native/src/ops/attention.h): scaled dot-product attention `softmax(q k^T * scale) v` in three modes
 * that compute the same numbers (within 1e-5 relative) with different working memory:
 *
 * - `naive`: every [Tq, Tk] score matrix at once (B*H*Tq*Tk*4 bytes; the reference),
 * - `sliced`: a slice of heads (then of query rows) at a time, like diffusers' attention slicing,
 * - `flash`: K/V streamed in tiles with an online softmax, never an N x M matrix (O(tile) per thread).
 */
import { addon } from './core.ts';

export type AttentionMode = 'naive' | 'sliced' | 'flash';
export const attentionModes: readonly AttentionMode[] = ['naive', 'sliced', 'flash'];

/** Batch, heads, query tokens, key/value tokens, head size. */
export interface AttentionShape {
  B: number;
  H: number;
  Tq: number;
  Tk: number;
  D: number;
}

/**
 * Memory layout of q, k, v and out: `bhtd` is [B, H, T, D] (the fixtures); `bthd` is [B, T, H, D],
 * i.e. the projections' natural [B, T, H*D], used in place.
 */
export type AttentionLayout = 'bhtd' | 'bthd';

export interface AttentionOptions {
  /** Defaults to 1 / sqrt(D). */
  scale?: number;
  /** sliced: heads per slice; 0 or absent = diffusers' "auto" (H / 2). */
  sliceHeads?: number;
  /** sliced: most bytes one slice's scores may take (heads, then query rows, are cut to fit); default 64 MiB. */
  sliceBytes?: number;
  /** Refuse with SDN_STATUS_OUT_OF_MEMORY (naming the estimate) when the mode would need more working memory. */
  memoryLimitBytes?: number;
}

export interface AttentionResult {
  /** Same layout and length as q. */
  out: Float32Array;
  /** How far the engine's activation peak rose during the call: the mode's extra working memory. */
  peakBytes: number;
}

/** Raw addon functions of this family. */
export interface AttentionAddon {
  attention(
    mode: AttentionMode,
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    shape: AttentionShape,
    layout: AttentionLayout,
    options?: AttentionOptions,
  ): Promise<AttentionResult>;
  attentionExtraBytes(mode: AttentionMode, shape: AttentionShape, options?: AttentionOptions): number;
  attentionExp(x: Float32Array): Float32Array;
}

export const attentionAddon = addon as unknown as AttentionAddon;

/**
 * Runs attention off the JS thread. q: B*H*Tq*D floats, k and v: B*H*Tk*D floats, in `layout`.
 * Bad arguments reject (NativeError, code SDN_STATUS_BAD_SHAPE / BAD_ARGUMENT / OUT_OF_MEMORY).
 *
 * @example
 *   const shape = { B: 2, H: 8, Tq: 4096, Tk: 77, D: 40 };
 *   const { out, peakBytes } = await attention('flash', q, k, v, shape, 'bthd');
 */
export async function attention(
  mode: AttentionMode,
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  shape: AttentionShape,
  layout: AttentionLayout = 'bhtd',
  options: AttentionOptions = {},
): Promise<AttentionResult> {
  return attentionAddon.attention(mode, q, k, v, shape, layout, options);
}

/**
 * The extra working memory `mode` will take for `shape` with the current thread count, in bytes
 * (exactly what `peakBytes` reports). Lets a caller pick a mode, or refuse a run, before it starts.
 *
 * @example
 *   attentionExtraBytes('naive', { B: 2, H: 8, Tq: 16384, Tk: 16384, D: 40 }); // ~17 GiB
 */
export function attentionExtraBytes(mode: AttentionMode, shape: AttentionShape, options: AttentionOptions = {}): number {
  return attentionAddon.attentionExtraBytes(mode, shape, options);
}

/** The flash kernel's exp (AVX2 polynomial where available), exposed for its accuracy test. */
export function attentionExp(x: Float32Array): Float32Array {
  return attentionAddon.attentionExp(x);
}
