// The prompts the ComfyUI client tests queue: ComfyUI's default API-format graph as its clients' READMEs
// write it (no latentflow inputs: attention, weight_dtype and precision stay at their defaults), on the
// tiny fixture checkpoint at 64x64.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { encodePng } from '../../nodes/image/png.ts';
import { makeModelsDir } from '../helpers/server.ts';
import { spawnServe } from '../helpers/serve-process.ts';

export const CHECKPOINT = 'tiny-sd.safetensors';

export function txt2imgPrompt({ seed = 8566257, steps = 2, prefix = 'ComfyUI', text = 'masterpiece best quality man' } = {}) {
  return {
    '3': { class_type: 'KSampler', inputs: { cfg: 8, denoise: 1, latent_image: ['5', 0], model: ['4', 0], negative: ['7', 0], positive: ['6', 0], sampler_name: 'euler', scheduler: 'normal', seed, steps } },
    '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: CHECKPOINT } },
    '5': { class_type: 'EmptyLatentImage', inputs: { batch_size: 1, height: 64, width: 64 } },
    '6': { class_type: 'CLIPTextEncode', inputs: { clip: ['4', 1], text } },
    '7': { class_type: 'CLIPTextEncode', inputs: { clip: ['4', 1], text: 'bad hands' } },
    '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
    '9': { class_type: 'SaveImage', inputs: { filename_prefix: prefix, images: ['8', 0] } },
  };
}

/** ComfyUI's img2img: LoadImage (with its `upload` value, as ComfyUI exports it) -> VAEEncode -> KSampler at denoise 0.6. */
export function img2imgPrompt(image: string, { seed = 3, steps = 2, prefix = 'img2img' } = {}) {
  const prompt: Record<string, { class_type: string; inputs: Record<string, unknown> }> = txt2imgPrompt({ seed, steps, prefix });
  prompt['10'] = { class_type: 'LoadImage', inputs: { image, upload: 'image' } };
  prompt['11'] = { class_type: 'VAEEncode', inputs: { pixels: ['10', 0], vae: ['4', 2] } };
  prompt['3'].inputs.latent_image = ['11', 0];
  prompt['3'].inputs.denoise = 0.6;
  delete prompt['5'];
  return prompt;
}

/** A 64x64 RGB test picture (a gradient) as PNG bytes. */
export function testPicture(): Buffer {
  const data = new Uint8Array(64 * 64 * 3);
  for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) data.set([x * 4, y * 4, 128], (y * 64 + x) * 3);
  return Buffer.from(encodePng({ width: 64, height: 64, channels: 3, data }));
}

/**
 * `latentflow serve` in a process of its own, as the clients meet it (and as ComfyUI runs apart from its
 * clients): a client in the test's process and the server in the same event loop would see each other's
 * messages in an order no network gives.
 */
export async function startServeProcess(args: string[] = []): Promise<{ base: string; address: string; dataDir: string; close(): Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-clients-'));
  const modelsDir = makeModelsDir();
  const serve = await spawnServe({ dataDir, modelsDir, args });
  return {
    base: serve.base,
    address: `127.0.0.1:${serve.port}`,
    dataDir,
    async close() {
      await serve.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(modelsDir, { recursive: true, force: true });
    },
  };
}
