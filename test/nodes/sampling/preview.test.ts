import { describe, expect, it } from 'vitest';

import { latentToRgbPreview, SD15_LATENT_RGB } from '../../../nodes/sampling/preview.ts';

describe('preview: ComfyUI Latent2RGB for SD 1.x', () => {
  it('maps each pixel\'s 4 channels through the fixed 4x3 matrix, then (v + 1) / 2 * 255 truncated', () => {
    const height = 2;
    const width = 3;
    const plane = height * width;
    const latent = new Float32Array(4 * plane);
    // pixel 1: channel 0 = 1  -> R = 0.3512 -> trunc(1.3512 / 2 * 255) = 172, G = 0.2297 -> 156, B = 0.3227 -> 168
    latent[0 * plane + 1] = 1;
    // pixel 2: channel 3 = 2  -> B = -1.4354 -> clamped to 0; R = -0.424 -> 73
    latent[3 * plane + 2] = 2;
    // pixel 5: large positive everywhere -> clamped to 255
    for (let c = 0; c < 3; c++) latent[c * plane + 5] = 10;
    const { rgb } = latentToRgbPreview(latent, height, width);
    expect(rgb.length).toBe(plane * 3);
    expect(Array.from(rgb.subarray(0, 3))).toEqual([127, 127, 127]); // zero latent -> mid grey
    expect(Array.from(rgb.subarray(3, 6))).toEqual([172, 156, 168]);
    expect(Array.from(rgb.subarray(6, 9))).toEqual([73, 60, 0]);
    expect(Array.from(rgb.subarray(15, 18))).toEqual([255, 255, 255]);
    expect(SD15_LATENT_RGB.length).toBe(4);
  });

  it('reads only the first latent of a batch and checks the size', () => {
    const single = new Float32Array(4 * 4).fill(0.5);
    const batch = new Float32Array(2 * 4 * 4);
    batch.set(single);
    batch.fill(-3, 16);
    expect(latentToRgbPreview(batch, 2, 2).rgb).toEqual(latentToRgbPreview(single, 2, 2).rgb);
    expect(() => latentToRgbPreview(new Float32Array(15), 2, 2)).toThrow(/cannot hold 4 channels of 2x2/);
  });
});
