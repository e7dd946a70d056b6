import { describe, expect, it } from 'vitest';

import { imageToRgb8, imageToVae, rgb8ToImage, vaeToImage } from '../../../nodes/image/convert.ts';

describe('image layout conversions', () => {
  it('VAE [B,3,H,W] in [-1,1] <-> IMAGE [B,H,W,3] in [0,1], clamping outside the range', () => {
    // B=1, H=1, W=2: channel planes R=[-1, 1], G=[0, 3], B=[0.5, -3]
    const vae = new Float32Array([-1, 1, 0, 3, 0.5, -3]);
    const image = vaeToImage(vae, 1, 1, 2);
    expect(Array.from(image)).toEqual([0, 0.5, 0.75, 1, 1, 0]);
    expect(Array.from(imageToVae(image, 1, 1, 2))).toEqual([-1, 1, 0, 1, 0.5, -1]);
  });

  it('rounds to 8 bits as diffusers does (round(v * 255)) and widens gray or RGBA inputs to RGB', () => {
    const image = new Float32Array([0, 0.5, 1, 0.2, 0.998, 0.001]);
    expect(Array.from(imageToRgb8(image, 0, 1, 2))).toEqual([0, 128, 255, 51, 254, 0]);
    expect(Array.from(rgb8ToImage(new Uint8Array([255, 0]), 1, 1, 2))).toEqual([1, 1, 1, 0, 0, 0]);
    expect(Array.from(rgb8ToImage(new Uint8Array([255, 0, 51, 7]), 4, 1, 1))).toEqual([1, 0, Math.fround(0.2)]);
  });
});
