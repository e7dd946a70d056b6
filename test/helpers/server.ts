/**
 * A real latentflow server on a free loopback port, with a models folder holding the tiny fixture
 * model (test/fixtures/tiny-sd) in both layouts, and a data folder of its own.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startServer, type RunningServer } from '../../server/app.ts';
import { DEFAULT_OPTIONS, type ServerOptions } from '../../server/config.ts';

const fixtures = path.resolve('test/fixtures/tiny-sd');

/** A temporary models folder: checkpoints/tiny-sd.safetensors (+ .yaml) and diffusers/tiny-sd. */
export function makeModelsDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-models-'));
  fs.mkdirSync(path.join(dir, 'checkpoints'));
  fs.mkdirSync(path.join(dir, 'diffusers'));
  fs.symlinkSync(path.join(fixtures, 'tiny-sd.safetensors'), path.join(dir, 'checkpoints', 'tiny-sd.safetensors'));
  fs.symlinkSync(path.join(fixtures, 'tiny-sd.yaml'), path.join(dir, 'checkpoints', 'tiny-sd.yaml'));
  fs.symlinkSync(fixtures, path.join(dir, 'diffusers', 'tiny-sd'));
  return dir;
}

export interface TestServer {
  server: RunningServer;
  /** e.g. http://127.0.0.1:40123 (no trailing slash) */
  base: string;
  /** e.g. 127.0.0.1:40123 */
  address: string;
  dataDir: string;
  modelsDir: string;
  close(): Promise<void>;
}

export async function startTestServer(options: Partial<ServerOptions> = {}): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-data-'));
  const modelsDir = makeModelsDir();
  const server = await startServer({ ...DEFAULT_OPTIONS, allowedOrigins: [], port: 0, dataDir, modelsDir, ...options });
  const address = `127.0.0.1:${server.port}`;
  return {
    server,
    base: `http://${address}`,
    address,
    dataDir,
    modelsDir,
    async close() {
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(modelsDir, { recursive: true, force: true });
    },
  };
}

/** The fixture's txt2img as a ComfyUI API-format workflow on the tiny model (64x64). */
/** scheduler: ComfyUI's names, or 'diffusers' for diffusers' own scheduler class (what the fixtures were made with). */
export function tinyTxt2img({ seed = 42, steps = 2, sampler = 'ddim', scheduler = 'normal', loader = 'diffusers', prompt = 'a small cat', prefix = 'test' } = {}) {
  const load =
    loader === 'diffusers'
      ? { class_type: 'DiffusersLoader', inputs: { model_path: 'tiny-sd', weight_dtype: 'f32' } }
      : { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'tiny-sd.safetensors', weight_dtype: 'f16' } };
  return {
    '4': load,
    '6': { class_type: 'CLIPTextEncode', inputs: { text: prompt, clip: ['4', 1] } },
    '7': { class_type: 'CLIPTextEncode', inputs: { text: '', clip: ['4', 1] } },
    '5': { class_type: 'EmptyLatentImage', inputs: { width: 64, height: 64, batch_size: 1 } },
    '3': {
      class_type: 'KSampler',
      inputs: { seed, steps, cfg: 7.5, sampler_name: sampler, scheduler, denoise: 1, model: ['4', 0], positive: ['6', 0], negative: ['7', 0], latent_image: ['5', 0] },
    },
    '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
    '9': { class_type: 'SaveImage', inputs: { filename_prefix: prefix, images: ['8', 0] } },
  };
}

export async function json(response: Response): Promise<any> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`expected JSON, got ${response.status}: ${text.slice(0, 200)}`);
  }
}

/** Polls GET /api/runs/:id until the run has finished. */
export async function waitForRun(base: string, id: string, timeoutMs = 120_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await json(await fetch(`${base}/api/runs/${id}`));
    if (job.finishedAt !== null) return job;
    if (Date.now() > deadline) throw new Error(`run ${id} did not finish in ${timeoutMs} ms (status ${job.status})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
