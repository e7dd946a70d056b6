/**
 * ImageBlend: mixes two images of the same size (ComfyUI's ImageBlend): with a = image1, b = image2,
 * f = blend_factor, out = clamp(a * (1 - f) + mode(a, b) * f, 0, 1), where mode is
 *   normal: b   multiply: a b   screen: 1 - (1 - a)(1 - b)   difference: a - b
 *   overlay: a <= 0.5 ? 2 a b : 1 - 2 (1 - a)(1 - b)
 *   soft_light: b <= 0.5 ? a - (1 - 2b) a (1 - a) : a + (2b - 1)(g(a) - a),
 *               g(a) = a <= 0.25 ? ((16a - 12) a + 4) a : sqrt(a)
 * image2 may have batch 1 (used for every image of image1).
 */
import { choice, defineNode, float, socket } from '../../../nodes/schema.ts';
import { asImage, type Image } from './values.ts';

export const BLEND_MODES = ['normal', 'multiply', 'screen', 'overlay', 'soft_light', 'difference'] as const;
export type BlendMode = (typeof BLEND_MODES)[number];

export default defineNode({
  type: 'ImageBlend',
  version: 1,
  category: 'image/postprocessing',
  description: 'Mixes image2 into image1 by blend_factor, with a Photoshop-style blend mode.',
  inputs: {
    image1: socket('IMAGE'),
    image2: socket('IMAGE'),
    blend_factor: float({ default: 0.5, min: 0, max: 1, step: 0.01, description: '0 keeps image1, 1 gives the blend mode result.' }),
    blend_mode: choice(BLEND_MODES, { default: 'normal' }),
  },
  outputs: { IMAGE: socket('IMAGE') },
  run(input) {
    return { IMAGE: blend(asImage(input.image1, 'image1'), asImage(input.image2, 'image2'), input.blend_factor, input.blend_mode) };
  },
});

function mode(name: BlendMode, a: number, b: number): number {
  switch (name) {
    case 'normal':
      return b;
    case 'multiply':
      return a * b;
    case 'screen':
      return 1 - (1 - a) * (1 - b);
    case 'overlay':
      return a <= 0.5 ? 2 * a * b : 1 - 2 * (1 - a) * (1 - b);
    case 'soft_light': {
      if (b <= 0.5) return a - (1 - 2 * b) * a * (1 - a);
      const g = a <= 0.25 ? ((16 * a - 12) * a + 4) * a : Math.sqrt(a);
      return a + (2 * b - 1) * (g - a);
    }
    case 'difference':
      return a - b;
  }
}

export function blend(image1: Image, image2: Image, factor: number, name: BlendMode): Image {
  const [b1, h, w] = image1.shape;
  const [b2, h2, w2] = image2.shape;
  if (h2 !== h || w2 !== w) throw new Error(`image2 is ${w2}x${h2} but image1 is ${w}x${h}; scale one of them to the other's size first`);
  if (b2 !== b1 && b2 !== 1) throw new Error(`image2 has a batch of ${b2}, image1 of ${b1}; use equal batches or one image2`);
  const perImage = h * w * 3;
  const data = new Float32Array(image1.data.length);
  for (let i = 0; i < data.length; i++) {
    const a = image1.data[i];
    const b = image2.data[b2 === 1 ? i % perImage : i];
    const mixed = a * (1 - factor) + mode(name, a, b) * factor;
    data[i] = Math.min(1, Math.max(0, mixed));
  }
  return { data, shape: [...image1.shape] };
}
