/**
 * LatentScale: resizes a latent by a factor (ComfyUI's LatentUpscaleBy), e.g. 1.5 before a second
 * sampling pass ("hires fix"). New size: round(H * scale_by) x round(W * scale_by), as ComfyUI.
 * Sampling positions follow PyTorch's F.interpolate with an explicit output size:
 *   nearest-exact: src = min(floor((dst + 0.5) * in / out), in - 1)
 *   bilinear (align_corners=False): src = max((dst + 0.5) * in / out - 0.5, 0), weights from the fraction
 */
import { choice, defineNode, float, socket } from '../../../nodes/schema.ts';
import { asLatent, type Latent } from './values.ts';

export const SCALE_METHODS = ['nearest-exact', 'bilinear'] as const;
export type ScaleMethod = (typeof SCALE_METHODS)[number];

export default defineNode({
  type: 'LatentScale',
  version: 1,
  category: 'latent',
  description: 'Resizes a latent by a factor (for a second, higher-resolution sampling pass).',
  inputs: {
    samples: socket('LATENT'),
    upscale_method: choice(SCALE_METHODS, { default: 'nearest-exact' }),
    scale_by: float({ default: 1.5, min: 0.01, max: 8, step: 0.01 }),
  },
  outputs: { LATENT: socket('LATENT') },
  run(input) {
    return { LATENT: scaleLatent(asLatent(input.samples, 'samples'), input.scale_by, input.upscale_method) };
  },
});

export function scaleLatent(latent: Latent, scale: number, method: ScaleMethod): Latent {
  const [batch, channels, inH, inW] = latent.shape;
  const outH = Math.max(1, Math.round(inH * scale));
  const outW = Math.max(1, Math.round(inW * scale));
  const samples = new Float32Array(batch * channels * outH * outW);
  const rows = method === 'bilinear' ? bilinearTaps(inH, outH) : nearestTaps(inH, outH);
  const cols = method === 'bilinear' ? bilinearTaps(inW, outW) : nearestTaps(inW, outW);
  for (let plane = 0; plane < batch * channels; plane++) {
    const src = plane * inH * inW;
    const dst = plane * outH * outW;
    for (let y = 0; y < outH; y++) {
      const r = rows[y];
      for (let x = 0; x < outW; x++) {
        const c = cols[x];
        const top = latent.samples[src + r.i0 * inW + c.i0] * (1 - c.t) + latent.samples[src + r.i0 * inW + c.i1] * c.t;
        const bottom = latent.samples[src + r.i1 * inW + c.i0] * (1 - c.t) + latent.samples[src + r.i1 * inW + c.i1] * c.t;
        samples[dst + y * outW + x] = top * (1 - r.t) + bottom * r.t;
      }
    }
  }
  return { ...latent, samples, shape: [batch, channels, outH, outW] };
}

/** For each output index: the two source indices and the weight of the second. */
interface Tap {
  i0: number;
  i1: number;
  t: number;
}

function nearestTaps(size: number, out: number): Tap[] {
  return Array.from({ length: out }, (_, d) => {
    const i = Math.min(Math.floor(((d + 0.5) * size) / out), size - 1);
    return { i0: i, i1: i, t: 0 };
  });
}

function bilinearTaps(size: number, out: number): Tap[] {
  return Array.from({ length: out }, (_, d) => {
    const s = Math.max(((d + 0.5) * size) / out - 0.5, 0);
    const i0 = Math.min(Math.floor(s), size - 1);
    const i1 = Math.min(i0 + 1, size - 1);
    return { i0, i1, t: s - i0 };
  });
}
