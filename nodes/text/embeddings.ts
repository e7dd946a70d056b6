/**
 * Textual-inversion embeddings: `embedding:name` in a prompt stands for the vectors of
 * <models>/embeddings/name.safetensors (ComfyUI's syntax; `(embedding:name:1.2)` weighs them like any
 * token). Read layouts, by tensor name: `clip_l` / `clip_g` (ComfyUI's keys: an SDXL embedding carries
 * both, one per text encoder; see encode-sdxl.ts), `emb_params`
 * (A1111's safetensors), `string_to_param.*` (the original SD 1.x textual-inversion layout), or a file's
 * only tensor (diffusers' learned_embeds, keyed by the token); shape [D] or [n, D] (n vectors, each one
 * token). Pickle files (.pt, .bin, .ckpt) can run code when unpickled: they are refused, never read.
 */
import fs from 'node:fs';
import path from 'node:path';

import { inspectSafetensors, readSafetensorsTensor } from '../../native/index.ts';
import { safetensorsFiles } from '../models/model-files.ts';
import type { HostServices } from '../schema.ts';

const PICKLE_EXTENSIONS = ['.pt', '.bin', '.ckpt', '.pth'];
/** Preferred tensor names, in order. */
const KEYS = ['clip_l', 'emb_params'];

/** Names `embedding:` accepts (files under <models>/embeddings without .safetensors, '/' between folders): the /embeddings route lists them. */
export function embeddingNames(env: HostServices): string[] {
  return safetensorsFiles(env, 'embeddings').map((file) => file.slice(0, -'.safetensors'.length));
}

/** An embedding's vectors: `count` rows of `hidden` floats. */
export interface Embedding {
  name: string;
  vectors: Float32Array;
  count: number;
}

/** An embedding file's tensor as read, before its width is checked against a text encoder. */
export interface EmbeddingTensor {
  file: string;
  /** The tensor's name in the file. */
  key: string;
  shape: number[];
  /** The tensor's values, row-major: shape.at(-1) floats a row. */
  vectors: Float32Array;
}

/**
 * Reads embedding `name`'s tensor for the text encoder whose ComfyUI key is `encoderKey` (`clip_l`: CLIP-L
 * of SD 1.x and SDXL, `clip_g`: SDXL's OpenCLIP bigG), or null when there is no such file. The tensor is,
 * as ComfyUI's load_embed picks it: `encoderKey`, else a known single-encoder key (`clip_l`, `emb_params`),
 * else `string_to_param.*`, else the file's only tensor. Throws for a pickle file, a name leading outside
 * the folder or a file without such a tensor. The width is not checked here.
 */
export async function readEmbeddingTensor(modelsDir: string, name: string, encoderKey: 'clip_l' | 'clip_g' = 'clip_l'): Promise<EmbeddingTensor | null> {
  const root = path.resolve(modelsDir, 'embeddings');
  const base = path.resolve(root, name);
  if (base !== root && !base.startsWith(root + path.sep)) throw new Error(`embedding:${name} points outside ${root}; name a file inside it`);
  const file = [base, `${base}.safetensors`].find((f) => f.endsWith('.safetensors') && fs.statSync(f, { throwIfNoEntry: false })?.isFile());
  if (!file) {
    const pickle = [base, ...PICKLE_EXTENSIONS.map((e) => base + e)].find((f) => PICKLE_EXTENSIONS.includes(path.extname(f)) && fs.existsSync(f));
    if (pickle) {
      throw new Error(`embedding:${name} is a pickle file (${path.basename(pickle)}), which can run code when loaded, so latentflow does not read it; convert it to .safetensors (e.g. with the safetensors package) and put that in ${root}`);
    }
    return null;
  }
  const info = await inspectSafetensors(file);
  const names = info.tensors.map((t) => t.name);
  const key =
    [encoderKey, ...KEYS].find((k) => names.includes(k)) ??
    names.find((n) => n.startsWith('string_to_param')) ??
    (names.length === 1 ? names[0] : undefined);
  if (!key) throw new Error(`embedding:${name} (${file}) has no embedding tensor (clip_l, clip_g, emb_params, string_to_param.*, or a single tensor); it has ${names.slice(0, 5).join(', ')}`);
  const shape = info.tensors.find((t) => t.name === key)!.shape;
  return { file, key, shape, vectors: await readSafetensorsTensor(file, key) };
}

/**
 * Reads embedding `name` for a single text encoder (SD 1.x) of width `hidden`, or null when there is no
 * such file (ComfyUI then ignores the word with a warning). Throws for a pickle file, a name leading
 * outside the folder, a file without a usable tensor or of another width.
 */
export async function loadEmbedding(modelsDir: string, name: string, hidden: number): Promise<Embedding | null> {
  const tensor = await readEmbeddingTensor(modelsDir, name, 'clip_l');
  if (!tensor) return null;
  const { key, shape, vectors } = tensor;
  if (shape.at(-1) !== hidden) {
    throw new Error(`embedding:${name} has vectors of width ${shape.at(-1)} (tensor "${key}", shape [${shape.join(', ')}]); this text encoder's width is ${hidden}: the embedding is for another model (SD 2.x, SDXL?)`);
  }
  return { name, vectors, count: vectors.length / hidden };
}
