// Canny (nodes/image/canny.ts) against the torch version of kornia's canny (ComfyUI's Canny node) of
// scripts/reference/make_canny.py, on a synthetic shapes picture and the tiny model's 64x64 picture, at three
// threshold pairs. Edge maps are 0/1 decisions, so they are compared pixel for pixel.
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { canny } from '../../../nodes/image/canny.ts';
import { f32, readSafetensors } from '../../helpers/safetensors.ts';

const ref = readSafetensors('test/fixtures/canny/reference.safetensors');
const summary = JSON.parse(readFileSync('test/fixtures/canny/reference.json', 'utf8')) as { thresholds: [number, number][] };

describe.each(['shapes', 'ddim'])('Canny on the %s picture', (name) => {
  const entry = ref.get(`image.${name}`)!;
  const image = { data: f32(ref, `image.${name}`), shape: entry.shape as [number, number, number, 3] };
  it.each(summary.thresholds.map((t, k) => [t[0], t[1], k] as const))('thresholds (%f, %f) give kornia\'s edges at every pixel', (low, high, k) => {
    const out = canny(image, low, high);
    const expected = f32(ref, `edges.${name}.${k}`);
    let differing = 0, edges = 0;
    for (let i = 0; i < expected.length; i++) {
      edges += expected[i];
      for (let c = 0; c < 3; c++) if (out.data[i * 3 + c] !== expected[i]) differing++;
    }
    console.log(`Canny ${name} (${low}, ${high}): ${edges} edge pixels, ${differing} channel values differ`);
    expect(edges).toBeGreaterThan(100); // the case has edges to get right
    expect(differing).toBe(0);
  });
});
