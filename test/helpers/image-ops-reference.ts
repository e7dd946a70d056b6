// The reference of ComfyUI's image, mask and latent operations (test/fixtures/image-ops, written by
// scripts/reference/make_image_ops.py): tensors by name with their shapes.
import path from 'node:path';

import { f32, readSafetensors } from './safetensors.ts';

const reference = readSafetensors(path.resolve('test/fixtures/image-ops/reference.safetensors'));

export function ref(name: string): Float32Array {
  return f32(reference, name);
}

export function refShape(name: string): number[] {
  const entry = reference.get(name);
  if (!entry) throw new Error(`no tensor "${name}" in the image-ops reference`);
  return entry.shape;
}

export function refImage(name: string) {
  const [b, h, w] = refShape(name);
  return { data: ref(name), shape: [b, h, w, 3] as const };
}

export function refMask(name: string) {
  const shape = refShape(name);
  const [h, w] = shape.slice(-2);
  return { data: ref(name), shape: [ref(name).length / (h * w), h, w] as const };
}

export function refLatent(name: string) {
  const [b, c, h, w] = refShape(name);
  return { samples: ref(name), shape: [b, c, h, w] as const };
}
