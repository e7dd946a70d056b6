import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type ModelHandle } from '../../../native/index.ts';
import vaeDecodeNode from '../../../nodes/core/vae-decode.ts';
import vaeDecodeTiledNode from '../../../nodes/core/vae-decode-tiled.ts';
import { decodeTiled, tileStarts } from '../../../nodes/vae/tiles.ts';
import { relativeMaxError } from '../../helpers/compare.ts';
import { demoLatent, demoLatentShape, nodeContext, tiledVsPlain } from './vae-tiles-seams.ts';

const ctx = nodeContext;

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
    const shape = demoLatentShape;
    beforeAll(async () => {
      ({ model, samples } = await demoLatent());
    });
    afterAll(() => model.dispose());

    const vae = () => ({ model, source: 'shapes-sd' });
    const latent = () => ({ samples, shape });

    // The tiled decode is algebraically the plain decode. With direct convolutions the two agree to float
    // rounding; with Winograd (auto: the engine's default) each 3x3 convolution's rounding depends on where
    // its 4x4 output tiles fall, which differs between a tile and the whole picture, so the two agree to
    // Winograd's precision (~1e-5 per layer, see BENCHMARKS.md "Winograd"), within the fixtures' 1e-4.
    // Direct convolutions everywhere need LATENTFLOW_CONV=direct, read once per process: a child process.
    it.each([
      { algo: 'direct', tileSizes: [64, 128, 192, 320], bound: 1e-5 },
      { algo: 'auto', tileSizes: [64, 128], bound: 1e-4 },
    ])("normalization 'image', tile_size $tileSizes, $algo convolutions: the picture equals VAEDecode's (no seams anywhere)", async ({ algo, tileSizes, bound }) => {
      let results: Awaited<ReturnType<typeof tiledVsPlain>>;
      if (algo === 'auto') {
        results = await tiledVsPlain(model, samples, tileSizes);
      } else {
        const script = fileURLToPath(new URL('./vae-tiles-seams.ts', import.meta.url));
        const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, ...tileSizes.map(String)], {
          env: { ...process.env, LATENTFLOW_CONV: algo },
        });
        results = JSON.parse(stdout.trim().split('\n').pop()!);
      }
      expect(results.map((r) => r.tileSize)).toEqual(tileSizes);
      for (const { tileSize, error, lastProgress } of results) {
        console.log(`VAEDecodeTiled 'image', tile_size ${tileSize}, ${algo} convolutions, 256x256: max |tiled - plain| = ${error.toExponential(2)} x max|plain|`);
        expect(error, `tile_size ${tileSize}`).toBeLessThanOrEqual(bound);
        expect(lastProgress).toBe(1);
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
