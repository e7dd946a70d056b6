import fs from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadModel, type ModelHandle, ops, vaeEncode } from '../../../native/index.ts';
import vaeDecodeNode from '../../../nodes/core/vae-decode.ts';
import vaeDecodeTiledNode from '../../../nodes/core/vae-decode-tiled.ts';
import { decodeTiled, tileStarts } from '../../../nodes/vae/tiles.ts';
import { decodePng } from '../../../nodes/image/png.ts';
import type { NodeContext } from '../../../nodes/schema.ts';
import { relativeMaxError } from '../../helpers/compare.ts';

function ctx(nodeType: string, progress: (done: number, total: number) => void = () => {}): NodeContext {
  const log = { debug() {}, info() {}, warn() {}, error() {} };
  return { nodeId: '8', nodeType, signal: new AbortController().signal, progress, preview() {}, stats() {}, log, services: {} };
}

/** A stand-in "decoder" that is exactly local: each latent cell becomes an 8x8 block of 3 channels. */
async function blockDecode(latent: Float32Array, shape: readonly [number, number, number, number]) {
  const [B, C, h, w] = shape;
  const out = new Float32Array(B * 3 * h * 8 * w * 8);
  for (let b = 0; b < B; b++)
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < h * 8; y++)
        for (let x = 0; x < w * 8; x++) out[((b * 3 + c) * h * 8 + y) * w * 8 + x] = latent[((b * C + (c % C)) * h + (y >> 3)) * w + (x >> 3)] + c;
  return out;
}

function random(n: number, seed: number) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    a[i] = seed / 2 ** 32 - 0.5;
  }
  return a;
}

describe('tiled decoding', () => {
  it('places tiles to cover the latent with the given overlap', () => {
    expect(tileStarts(8, 16, 4)).toEqual([0]);
    expect(tileStarts(16, 8, 2)).toEqual([0, 6, 8]);
    expect(tileStarts(13, 8, 4)).toEqual([0, 4, 5]);
  });

  it('equals the plain decode exactly when the decoder is local (blending only averages equal values)', async () => {
    const shape = [2, 4, 13, 10] as const;
    const latent = random(2 * 4 * 13 * 10, 7);
    const plain = await blockDecode(latent, shape);
    const tiled = await decodeTiled(blockDecode, latent, shape, { tile: 6, overlap: 2, scale: 8 });
    let maxDiff = 0;
    for (let i = 0; i < plain.length; i++) maxDiff = Math.max(maxDiff, Math.abs(plain[i] - tiled[i]));
    expect(maxDiff).toBeLessThan(1e-6);
  });

  describe('VAEDecodeTiled with a real VAE (the demo model, a real picture\'s latent)', () => {
    let model: ModelHandle;
    let samples: Float32Array; // model-space latent (times the scaling factor), as KSampler outputs it
    const shape = [1, 4, 32, 32] as const;
    beforeAll(async () => {
      model = await loadModel(path.resolve('models/diffusers/shapes-sd'));
      // The shipped example picture, scaled 4x (nearest) to 256x256, encoded: a realistic latent.
      const png = decodePng(fs.readFileSync(path.resolve('workflows/input/shapes-example.png')));
      const S = 256;
      const image = new Float32Array(3 * S * S);
      for (let c = 0; c < 3; c++)
        for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) image[(c * S + y) * S + x] = png.data[((y >> 2) * 64 + (x >> 2)) * 3 + c] / 127.5 - 1;
      const mean = (await vaeEncode(model, image, [1, 3, S, S])).mean;
      samples = mean.map((v) => v * model.info.vae.scaling_factor);
    });
    afterAll(() => model.dispose());

    const vae = () => ({ model, source: 'shapes-sd' });
    const latent = () => ({ samples, shape });

    // The tiled decode is algebraically the plain decode. With direct convolutions the two agree to float
    // rounding; with Winograd (auto: the engine's default) each 3x3 convolution's rounding depends on where
    // its 4x4 output tiles fall, which differs between a tile and the whole picture, so the two agree to
    // Winograd's precision (~1e-5 per layer, see BENCHMARKS.md "Winograd"), within the fixtures' 1e-4.
    it.each([
      { algo: 'direct' as const, tileSize: 64, bound: 1e-5 },
      { algo: 'direct' as const, tileSize: 128, bound: 1e-5 },
      { algo: 'direct' as const, tileSize: 192, bound: 1e-5 },
      { algo: 'direct' as const, tileSize: 320, bound: 1e-5 },
      { algo: 'auto' as const, tileSize: 64, bound: 1e-4 },
      { algo: 'auto' as const, tileSize: 128, bound: 1e-4 },
    ])("normalization 'image', tile_size $tileSize, $algo convolutions: the picture equals VAEDecode's (no seams anywhere)", async ({ algo, tileSize, bound }) => {
      const previous = ops.convAlgoSet(algo);
      try {
        const plain = (await vaeDecodeNode.run({ samples: latent(), vae: vae() }, ctx('VAEDecode'))).IMAGE.data;
        const progress: number[] = [];
        const tiled = (
          await vaeDecodeTiledNode.run(
            { samples: latent(), vae: vae(), tile_size: tileSize, overlap: 64, normalization: 'image' },
            ctx('VAEDecodeTiled', (done, total) => progress.push(done / total)),
          )
        ).IMAGE.data;
        const err = relativeMaxError(tiled, plain);
        console.log(`VAEDecodeTiled 'image', tile_size ${tileSize}, ${algo} convolutions, 256x256: max |tiled - plain| = ${err.toExponential(2)} x max|plain|`);
        expect(err).toBeLessThanOrEqual(bound);
        expect(progress.at(-1)).toBe(1);
      } finally {
        ops.convAlgoSet(previous);
      }
    });

    it("normalization 'tile' (ComfyUI's): one tile covering everything is exactly the plain decode", async () => {
      const plain = (await vaeDecodeNode.run({ samples: latent(), vae: vae() }, ctx('VAEDecode'))).IMAGE.data;
      const tiled = (
        await vaeDecodeTiledNode.run({ samples: latent(), vae: vae(), tile_size: 256, overlap: 64, normalization: 'tile' }, ctx('VAEDecodeTiled'))
      ).IMAGE.data;
      expect(Array.from(tiled)).toEqual(Array.from(plain));
    });

    it("normalization 'tile' with several tiles: the plain picture's structure, not its values (each tile normalised on its own)", async () => {
      const plain = (await vaeDecodeNode.run({ samples: latent(), vae: vae() }, ctx('VAEDecode'))).IMAGE.data;
      const tiled = (
        await vaeDecodeTiledNode.run({ samples: latent(), vae: vae(), tile_size: 160, overlap: 64, normalization: 'tile' }, ctx('VAEDecodeTiled'))
      ).IMAGE.data;
      let ma = 0, mb = 0, sum = 0;
      for (let i = 0; i < plain.length; i++) {
        ma += plain[i];
        mb += tiled[i];
        sum += Math.abs(plain[i] - tiled[i]);
      }
      ma /= plain.length;
      mb /= plain.length;
      let sab = 0, saa = 0, sbb = 0;
      for (let i = 0; i < plain.length; i++) {
        sab += (plain[i] - ma) * (tiled[i] - mb);
        saa += (plain[i] - ma) ** 2;
        sbb += (tiled[i] - mb) ** 2;
      }
      const correlation = sab / Math.sqrt(saa * sbb);
      console.log(`VAEDecodeTiled 'tile' (160 px, overlap 64) vs VAEDecode at 256x256: correlation ${correlation.toFixed(4)}, mean |diff| ${((sum / plain.length) * 255).toFixed(1)}/255`);
      expect(correlation).toBeGreaterThan(0.9);
      expect(relativeMaxError(tiled, plain)).toBeGreaterThan(1e-2); // really different: why 'image' is the default
    });
  });
});
