import { defineNode, int, socket } from '../schema.ts';

/**
 * ComfyUI's LatentComposite: samples_from pasted into samples_to at (x / 8, y / 8), cut at samples_to's edges;
 * feather / 8 cells fade in linearly along each side that does not touch samples_to's border.
 */
export default defineNode({
  type: 'LatentComposite',
  version: 1,
  category: 'latent',
  description: 'Pastes one latent into another at (x, y) pixels, optionally feathered.',
  inputs: {
    samples_to: socket('LATENT'),
    samples_from: socket('LATENT'),
    x: int({ default: 0, min: 0, max: 16384, step: 8 }),
    y: int({ default: 0, min: 0, max: 16384, step: 8 }),
    feather: int({ default: 0, min: 0, max: 16384, step: 8 }),
  },
  outputs: { LATENT: socket('LATENT') },
  run(input) {
    const [B, C, H, W] = input.samples_to.shape;
    const [bf, cf, hf, wf] = input.samples_from.shape;
    if (cf !== C) throw new Error(`samples_from has ${cf} channels and samples_to ${C}; both must come from the same model's VAE.`);
    if (bf !== B && bf !== 1) throw new Error(`samples_from has a batch of ${bf}, samples_to ${B}; give samples_from 1 or ${B}.`);
    const x = Math.floor(input.x / 8);
    const y = Math.floor(input.y / 8);
    const feather = Math.floor(input.feather / 8);
    const h = Math.max(0, Math.min(hf, H - y));
    const w = Math.max(0, Math.min(wf, W - x));
    const mask = new Float32Array(h * w).fill(1);
    for (let t = 0; t < feather; t++) {
      const rate = (1 / feather) * (t + 1);
      for (let i = 0; i < w; i++) {
        if (y !== 0 && t < h) mask[t * w + i] *= rate;
        if (y + h < H && h - 1 - t >= 0) mask[(h - 1 - t) * w + i] *= rate;
      }
      for (let r = 0; r < h; r++) {
        if (x !== 0 && t < w) mask[r * w + t] *= rate;
        if (x + w < W && w - 1 - t >= 0) mask[r * w + w - 1 - t] *= rate;
      }
    }
    const out = input.samples_to.samples.slice();
    for (let b = 0; b < B; b++)
      for (let c = 0; c < C; c++)
        for (let r = 0; r < h; r++)
          for (let i = 0; i < w; i++) {
            const m = mask[r * w + i];
            const d = ((b * C + c) * H + y + r) * W + x + i;
            const s = input.samples_from.samples[(((b % bf) * C + c) * hf + r) * wf + i];
            out[d] = feather === 0 ? s : s * m + out[d] * (1 - m);
          }
    return { LATENT: { ...input.samples_to, samples: out } };
  },
});
