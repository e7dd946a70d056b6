// The training pictures and the stripe measure the shipped LoRAs' tests and READMEs use (scripts/train/pictures.ts).
import { describe, expect, it } from 'vitest';

import { COLOURS, lcg, picture, SIZE, STRIPE, stripeAmplitude, stripeColour } from '../../../scripts/train/pictures.ts';

/** [3, 64, 64] in [-1, 1] -> interleaved 8-bit RGB. */
function rgb(pixels: Float32Array): Uint8Array {
  const out = new Uint8Array(SIZE * SIZE * 3);
  for (let p = 0; p < SIZE * SIZE; p++) for (let c = 0; c < 3; c++) out[p * 3 + c] = Math.round((pixels[c * SIZE * SIZE + p] + 1) * 127.5);
  return out;
}

describe('training pictures', () => {
  it('are deterministic per seed and show what their label says (plain: a flat background)', () => {
    const a = picture('plain', lcg(5)), b = picture('plain', lcg(5));
    expect(Array.from(a.pixels)).toEqual(Array.from(b.pixels));
    expect(a.label.colour).not.toBe(a.label.background);
    const image = rgb(a.pixels);
    expect(Array.from(image.subarray(0, 3))).toEqual(COLOURS[a.label.background].map((v) => Math.round(v)));
    expect(stripeAmplitude(image, SIZE, SIZE, 3, 'rows')).toBeLessThan(1);
  });

  it('stripes: bands of the background and its contrasting shade, measured at about contrast / pi one way only', () => {
    for (let seed = 1; seed <= 4; seed++) {
      const { pixels, label } = picture('stripes', lcg(seed));
      const image = rgb(pixels);
      const bg = COLOURS[label.background], band = stripeColour(bg);
      expect(Array.from(image.subarray(0, 3))).toEqual(bg.map((v) => Math.round(v))); // row 0: background
      const o = STRIPE * SIZE * 3; // row 8, column 0: the band
      expect(Array.from(image.subarray(o, o + 3))).toEqual(band.map((v) => Math.round(v)));
      const lum = (c: readonly number[]) => 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
      const contrast = Math.abs(lum(bg) - lum(band));
      // 8 samples of D, 8 of 0, repeated: the DFT bin of period 16 is |sum_{k<8} e^{-2 pi i k / 16}| D / 16 = D / (16 sin(pi / 16)), ~D / pi.
      const expected = contrast / (16 * Math.sin(Math.PI / 16));
      expect(stripeAmplitude(image, SIZE, SIZE, 3, 'rows')).toBeCloseTo(expected, 0);
      expect(stripeAmplitude(image, SIZE, SIZE, 3, 'columns')).toBeLessThan(1);
      const columns = rgb(picture('columns', lcg(seed)).pixels);
      expect(stripeAmplitude(columns, SIZE, SIZE, 3, 'columns')).toBeCloseTo(expected, 0);
    }
  });

  it('moon: a white disc on black', () => {
    const { label } = picture('moon', lcg(3));
    expect(label).toEqual({ background: 7, colour: 6, shape: 0, large: true });
  });
});
