/**
 * The plain values this pack's nodes exchange, checked at the door so a wrong value gets a clear error:
 *   IMAGE:  { data: Float32Array, shape: [B, H, W, 3] }   channels last, values in 0..1
 *   LATENT: { samples: Float32Array, shape: [B, 4, H, W] } channels first, H and W = image size / 8
 */

export interface Image {
  data: Float32Array;
  shape: [batch: number, height: number, width: number, channels: 3];
}

export interface Latent {
  samples: Float32Array;
  shape: [batch: number, channels: number, height: number, width: number];
  [key: string]: unknown;
}

function isDims(shape: unknown, rank: number): shape is number[] {
  return Array.isArray(shape) && shape.length === rank && shape.every((d) => Number.isInteger(d) && d > 0);
}

/** `value` as an IMAGE, or an error naming the input and what was wrong. */
export function asImage(value: unknown, input: string): Image {
  const v = value as Partial<Image> | null;
  if (!v || !(v.data instanceof Float32Array) || !isDims(v.shape, 4) || v.shape[3] !== 3) {
    throw new Error(`input "${input}" is not an IMAGE ({ data: Float32Array, shape: [B, H, W, 3] })`);
  }
  const [b, h, w] = v.shape;
  if (v.data.length !== b * h * w * 3) throw new Error(`input "${input}": data has ${v.data.length} values, shape [${v.shape.join(', ')}] needs ${b * h * w * 3}`);
  return v as Image;
}

/** `value` as a LATENT, or an error naming the input and what was wrong. */
export function asLatent(value: unknown, input: string): Latent {
  const v = value as Partial<Latent> | null;
  if (!v || !(v.samples instanceof Float32Array) || !isDims(v.shape, 4)) {
    throw new Error(`input "${input}" is not a LATENT ({ samples: Float32Array, shape: [B, C, H, W] })`);
  }
  const [b, c, h, w] = v.shape;
  if (v.samples.length !== b * c * h * w) throw new Error(`input "${input}": samples has ${v.samples.length} values, shape [${v.shape.join(', ')}] needs ${b * c * h * w}`);
  return v as Latent;
}
