/**
 * VAEDecodeTiled ('image' normalization) against VAEDecode on the demo model: a real picture's latent
 * (the shipped example scaled 4x to 256x256, encoded), decoded plainly and in tiles of each given size.
 * Used by vae-tiles.test.ts in its own process and, with LATENTFLOW_CONV=direct (read once per
 * process), in a child: `node --import tsx test/nodes/vae/vae-tiles-seams.ts 64 128` prints one JSON
 * line [{ tileSize, error, lastProgress }].
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { loadModel, type ModelHandle, vaeEncode } from '../../../native/index.ts';
import vaeDecodeNode from '../../../nodes/core/vae-decode.ts';
import vaeDecodeTiledNode from '../../../nodes/core/vae-decode-tiled.ts';
import { decodePng } from '../../../nodes/image/png.ts';
import type { NodeContext } from '../../../nodes/schema.ts';
import { relativeMaxError } from '../../helpers/compare.ts';

export function nodeContext(nodeType: string, progress: (done: number, total: number) => void = () => {}): NodeContext {
  const log = { debug() {}, info() {}, warn() {}, error() {} };
  return { nodeId: '8', nodeType, signal: new AbortController().signal, progress, preview() {}, stats() {}, log, services: {} };
}

export const demoLatentShape = [1, 4, 32, 32] as const;

/** The demo model and a realistic model-space latent (times the scaling factor, as KSampler outputs it). */
export async function demoLatent(): Promise<{ model: ModelHandle; samples: Float32Array }> {
  const model = await loadModel(path.resolve('models/diffusers/shapes-sd'));
  const png = decodePng(fs.readFileSync(path.resolve('workflows/input/shapes-example.png')));
  const S = 256;
  const image = new Float32Array(3 * S * S);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) image[(c * S + y) * S + x] = png.data[((y >> 2) * 64 + (x >> 2)) * 3 + c] / 127.5 - 1;
  const mean = (await vaeEncode(model, image, [1, 3, S, S])).mean;
  return { model, samples: mean.map((v) => v * model.info.vae.scaling_factor) };
}

/** max |tiled - plain| / max |plain| per tile size, and the last progress fraction each tiled run reported. */
export async function tiledVsPlain(model: ModelHandle, samples: Float32Array, tileSizes: number[]) {
  const vae = { model, source: 'shapes-sd' };
  const latent = { samples, shape: demoLatentShape };
  const plain = (await vaeDecodeNode.run({ samples: latent, vae }, nodeContext('VAEDecode'))).IMAGE.data;
  const results: { tileSize: number; error: number; lastProgress: number | undefined }[] = [];
  for (const tileSize of tileSizes) {
    const progress: number[] = [];
    const tiled = (
      await vaeDecodeTiledNode.run(
        { samples: latent, vae, tile_size: tileSize, overlap: 64, normalization: 'image' },
        nodeContext('VAEDecodeTiled', (done, total) => progress.push(done / total)),
      )
    ).IMAGE.data;
    results.push({ tileSize, error: relativeMaxError(tiled, plain), lastProgress: progress.at(-1) });
  }
  return results;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { model, samples } = await demoLatent();
  try {
    console.log(JSON.stringify(await tiledVsPlain(model, samples, process.argv.slice(2).map(Number))));
  } finally {
    model.dispose();
  }
}
