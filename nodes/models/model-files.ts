/**
 * Model files a host offers: `<models>/checkpoints/**.safetensors` (single-file checkpoints),
 * `<models>/diffusers/*` (folders with model_index.json) and `<models>/vae/**.safetensors` (standalone VAEs). Listed for the loaders' choice widgets, so a
 * missing file is a validation problem ("not one of the options") before anything runs.
 */
import fs from 'node:fs';
import path from 'node:path';

import type { HostServices } from '../schema.ts';

function walk(root: string, dir: string, out: string[], depth: number): void {
  if (depth > 4) return;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(root, full, out, depth + 1);
    else if (entry.name.endsWith('.safetensors') && (entry.isFile() || entry.isSymbolicLink())) out.push(path.relative(root, full).split(path.sep).join('/'));
  }
}

/** `.safetensors` files under <models>/<folder> (4 levels deep at most), as paths relative to it with '/', sorted. */
export function safetensorsFiles(env: HostServices, folder: string): string[] {
  const models = env.paths?.models;
  if (!models) return [];
  const root = path.join(models, folder);
  const out: string[] = [];
  walk(root, root, out, 0);
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
