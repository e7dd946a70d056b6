/**
 * Pictures like the demo model's training data (one coloured shape on a coloured background, 64x64, drawn
 * 4x larger and box-filtered, as models/diffusers/shapes-sd/README.md describes), in the styles the
 * shipped LoRA and embedding were trained on:
 *   plain    the demo model's own data;
 *   stripes  the background in horizontal bands 8 pixels high (one latent row each), alternating the
 *            background colour and a contrasting shade of it (models/loras/README.md);
 *   columns  the same bands, vertical (8 pixels wide);
 *   moon     a large white disc on a black background (models/embeddings/README.md).
 * Also the measure the tests and the READMEs use for stripes (stripeAmplitude).
 */

/** The demo model's eight colours (red, green, blue, yellow, purple, orange, white, black), 0..255. */
export const COLOURS: readonly (readonly [number, number, number])[] = [
  [220, 30, 30], [40, 180, 60], [40, 70, 220], [240, 220, 40], [140, 50, 180], [250, 140, 20], [245, 245, 245], [15, 15, 15],
];
export const COLOUR_NAMES = ['red', 'green', 'blue', 'yellow', 'purple', 'orange', 'white', 'black'] as const;
export const SHAPE_NAMES = ['circle', 'square', 'triangle'] as const;

export const SIZE = 64;
/** Stripe height in pixels: one 8x8 latent cell, so the demo VAE (trained on flat colours) keeps them. */
export const STRIPE = 8;
const SS = 4;

export type Style = 'plain' | 'stripes' | 'columns' | 'moon';

/** What a picture shows: indices into COLOURS and SHAPE_NAMES. */
export interface Label {
  background: number;
  colour: number;
  shape: number;
  large: boolean;
}

/** A contrasting shade of `c`: darker for light colours, lighter for dark ones (luminance 128 the pivot). */
export function stripeColour(c: readonly [number, number, number]): [number, number, number] {
  const luminance = 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
  return c.map((v) => (luminance > 128 ? 0.35 * v : 0.35 * v + 0.65 * 255)) as [number, number, number];
}

/** A seeded generator of [0, 1) (an LCG: the pictures are data, not cryptography). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff) / 0x80000000);
}

/** One picture, [3, 64, 64] in [-1, 1] (the VAE's range), and what it shows. */
export function picture(style: Style, random: () => number): { pixels: Float32Array; label: Label } {
  const pick = (n: number, not = -1) => {
    for (;;) {
      const i = Math.floor(random() * n);
      if (i !== not) return i;
    }
  };
  const moon = style === 'moon';
  const background = moon ? 7 : pick(COLOURS.length);
  const colour = moon ? 6 : pick(COLOURS.length, background);
  const shape = moon ? 0 : pick(SHAPE_NAMES.length);
  const large = moon || random() < 0.5;
  const r = (large ? 17 + random() * 4 : 8 + random() * 3) * SS;
  const jitter = large ? 6 : 10;
  const cx = (32 + (random() * 2 - 1) * jitter) * SS, cy = (32 + (random() * 2 - 1) * jitter) * SS;
  const inside = shapeTest(shape, cx, cy, r);
  const fg = COLOURS[colour], bg = COLOURS[background], band = stripeColour(bg);
  const pixels = new Float32Array(3 * SIZE * SIZE);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const across = style === 'stripes' ? y : style === 'columns' ? x : -1;
      const back = across >= 0 && Math.floor(across / STRIPE) % 2 === 1 ? band : bg;
      let hit = 0;
      for (let sy = 0; sy < SS; sy++) for (let sx = 0; sx < SS; sx++) hit += inside(x * SS + sx + 0.5, y * SS + sy + 0.5) ? 1 : 0;
      const a = hit / (SS * SS);
      for (let c = 0; c < 3; c++) pixels[c * SIZE * SIZE + y * SIZE + x] = ((fg[c] * a + back[c] * (1 - a)) / 255) * 2 - 1;
    }
  }
  return { pixels, label: { background, colour, shape, large } };
}

/**
 * How striped a picture is: the amplitude (0..255) of the luminance's 16-pixel period across the stripes,
 * at the picture's edge, where the demo's shapes hardly ever reach. `rows` (horizontal stripes): down the
 * 4 leftmost and 4 rightmost columns; `columns` (vertical stripes): along the 4 top and 4 bottom rows.
 * |sum_i L(i) exp(-2 pi i i / 16)| / n, L(i) the mean luminance of those pixels in row (column) i. A flat
 * background gives ~0; bands of contrast D give about D / pi (a square wave's fundamental).
 * `rgb`: interleaved 8-bit RGB(A) rows (`channels` per pixel), as decodePng gives.
 */
export function stripeAmplitude(rgb: ArrayLike<number>, width: number, height: number, channels: number, direction: 'rows' | 'columns' = 'rows'): number {
  const along = direction === 'rows' ? height : width, across = direction === 'rows' ? width : height;
  let re = 0, im = 0;
  for (let i = 0; i < along; i++) {
    let sum = 0, n = 0;
    for (let j = 0; j < across; j++) {
      if (j >= 4 && j < across - 4) continue;
      const [x, y] = direction === 'rows' ? [j, i] : [i, j];
      const o = (y * width + x) * channels;
      sum += 0.299 * rgb[o] + 0.587 * rgb[o + 1] + 0.114 * rgb[o + 2];
      n++;
    }
    const angle = (2 * Math.PI * i) / (2 * STRIPE);
    re += (sum / n) * Math.cos(angle);
    im -= (sum / n) * Math.sin(angle);
  }
  return Math.hypot(re, im) / along;
}

/** Whether (x, y) lies inside shape 0 (circle), 1 (square) or 2 (triangle pointing up) of radius r at (cx, cy). */
export function shapeTest(shape: number, cx: number, cy: number, r: number): (x: number, y: number) => boolean {
  return (x, y) => {
    if (shape === 0) return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
    if (shape === 1) return Math.abs(x - cx) <= r && Math.abs(y - cy) <= r;
    const top = cy - r, bottom = cy + r; // triangle pointing up
    if (y < top || y > bottom) return false;
    return Math.abs(x - cx) <= ((y - top) / (2 * r)) * r;
  };
}
