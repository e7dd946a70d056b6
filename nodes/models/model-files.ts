/**
 * Model files a host offers: `<models>/checkpoints/**.safetensors` (single-file checkpoints),
 * `<models>/diffusers/*` (folders with model_index.json), `<models>/vae/**.safetensors` (standalone VAEs) and
 * `<models>/upscale_models/**` (upscale models; pickles listed too, to be refused with advice). Listed for the loaders' choice widgets, so a
 * missing file is a validation problem ("not one of the options") before anything runs.
 */
import fs from 'node:fs';
import path from 'node:path';

import type { HostServices } from '../schema.ts';

function walk(root: string, dir: string, out: string[], depth: number, extensions: readonly string[] = ['.safetensors']): void {
  if (depth > 4) return;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(root, full, out, depth + 1, extensions);
    else if (extensions.some((e) => entry.name.endsWith(e)) && (entry.isFile() || entry.isSymbolicLink())) out.push(path.relative(root, full).split(path.sep).join('/'));
  }
}

/** `.safetensors` files (or other `extensions`) under <models>/<folder> (4 levels deep at most), as paths relative to it with '/', sorted. */
export function safetensorsFiles(env: HostServices, folder: string, extensions: readonly string[] = ['.safetensors']): string[] {
  const models = env.paths?.models;
  if (!models) return [];
  const root = path.join(models, folder);
  const out: string[] = [];
  walk(root, root, out, 0, extensions);
  return out.sort();
}

export function checkpointFiles(env: HostServices): string[] {
  return safetensorsFiles(env, 'checkpoints');
}

/** LoRA files: `<models>/loras/**.safetensors`. */
export function loraFiles(env: HostServices): string[] {
  return safetensorsFiles(env, 'loras');
}

/** Standalone VAE files: `<models>/vae/**.safetensors`. */
export function vaeFiles(env: HostServices): string[] {
  return safetensorsFiles(env, 'vae');
}

/** PyTorch pickle extensions ComfyUI also loads; latentflow lists them only to refuse them with advice (unpickling can run code). */
export const PICKLE_EXTENSIONS = ['.pth', '.pt', '.ckpt', '.bin'] as const;

/** Upscale models: `<models>/upscale_models/**` .safetensors and pickles (the loader refuses pickles, saying how to convert them). */
export function upscaleModelFiles(env: HostServices): string[] {
  return safetensorsFiles(env, 'upscale_models', ['.safetensors', ...PICKLE_EXTENSIONS]);
}

/** Whether a model file name is a PyTorch pickle (.pth, .pt, .ckpt, .bin). */
export function isPickleName(name: string): boolean {
  return PICKLE_EXTENSIONS.some((e) => name.toLowerCase().endsWith(e));
}

export function diffusersFolders(env: HostServices): string[] {
  const models = env.paths?.models;
  if (!models) return [];
  const root = path.join(models, 'diffusers');
  try {
    return fs
      .readdirSync(root, { withFileTypes: true })
      .filter((e) => (e.isDirectory() || e.isSymbolicLink()) && fs.existsSync(path.join(root, e.name, 'model_index.json')))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}
