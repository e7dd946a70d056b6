/**
 * Running TAESD (VAELoader's `taesd`) from the VAE nodes and the step previews: the files ComfyUI reads
 * from <models>/vae_approx (taesd_encoder.* and taesd_decoder.*), its memory checked against the budget
 * before it runs, and its pictures in the VAE's range so the nodes treat both VAEs alike.
 */
import fs from 'node:fs';
import path from 'node:path';

import { estimateTaesdMemory, loadTaesd, taesdDecode, taesdEncode, type TaesdHandle } from '../../native/index.ts';
import type { NodeContext } from '../schema.ts';
import type { LatentValue } from '../socket-values.ts';
import { formatBytes, memoryBudget } from '../system/memory.ts';
import { withCancel } from './decode.ts';

/** `<name>_encoder.*` and `<name>_decoder.*` .safetensors in <models>/vae_approx, by name. */
export function taesdFiles(modelsDir: string | undefined): Map<string, { encoder?: string; decoder?: string }> {
  const out = new Map<string, { encoder?: string; decoder?: string }>();
  if (!modelsDir) return out;
  const dir = path.join(modelsDir, 'vae_approx');
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return out;
  }
  for (const file of names.sort()) {
    const m = /^(.+)_(encoder|decoder)\.safetensors$/.exec(file);
    if (!m) continue;
    const entry = out.get(m[1]) ?? {};
    entry[m[2] as 'encoder' | 'decoder'] = path.join(dir, file);
    out.set(m[1], entry);
  }
  return out;
}

/** The TAESDs VAELoader offers: those with both halves, as ComfyUI lists `taesd` only when both files are there. */
export function taesdChoices(modelsDir: string | undefined): string[] {
  return [...taesdFiles(modelsDir)].filter(([, f]) => f.encoder && f.decoder).map(([name]) => name);
}

/** Loads `<models>/vae_approx/<name>_{encoder,decoder}.safetensors` (both, or what `halves` asks for). */
export async function loadTaesdByName(modelsDir: string, name: string, halves: 'both' | 'decoder' = 'both'): Promise<TaesdHandle> {
  const files = taesdFiles(modelsDir).get(name);
  if (!files?.decoder || (halves === 'both' && !files.encoder)) {
    throw new Error(`${name}: put ${name}_decoder.safetensors${halves === 'both' ? ` and ${name}_encoder.safetensors` : ''} in ${path.join(modelsDir, 'vae_approx')} (madebyollin's TAESD files)`);
  }
  return loadTaesd({ encoder: halves === 'both' ? files.encoder : null, decoder: files.decoder });
}

function checkBudget(what: string, peakBytes: number, ctx: NodeContext, advice: string): void {
  const budget = memoryBudget(ctx.services);
  ctx.stats({ estimatedPeakBytes: peakBytes, memoryBudgetBytes: budget });
  if (peakBytes > budget) throw new Error(`TAESD needs ~${formatBytes(peakBytes)} to ${what}, over the memory budget of ${formatBytes(budget)}: ${advice}`);
}

/** A LATENT's samples (model space, as TAESD takes them) -> pixels [B, 3, 8h, 8w] in the VAE's range [-1, 1] (ComfyUI's TAESD.decode). */
export async function taesdDecodePixels(taesd: TaesdHandle, latent: LatentValue, ctx: NodeContext): Promise<Float32Array> {
  const [B, , h, w] = latent.shape;
  const estimate = estimateTaesdMemory(taesd, 'decode', { batch: B, height: h, width: w });
  checkBudget(`decode a ${w}x${h} latent, batch ${B}`, estimate.peakBytes, ctx, 'decode a smaller batch');
  const unit = await withCancel(ctx.signal, (cancel) => taesdDecode(taesd, latent.samples, latent.shape, { cancel }));
  return unit.map((v) => v * 2 - 1);
}

/** Pixels [B, 3, H, W] in [-1, 1] -> a LATENT's samples (model space) [B, 4, H/8, W/8] (ComfyUI's TAESD.encode). */
export async function taesdEncodePixels(taesd: TaesdHandle, pixels: Float32Array, shape: readonly [number, number, number, number], ctx: NodeContext): Promise<Float32Array> {
  const [B, , H, W] = shape;
  const estimate = estimateTaesdMemory(taesd, 'encode', { batch: B, height: H, width: W });
  checkBudget(`encode a ${W}x${H} picture, batch ${B}`, estimate.peakBytes, ctx, 'encode a smaller picture or batch');
  return withCancel(ctx.signal, (cancel) => taesdEncode(taesd, pixels.map((v) => v * 0.5 + 0.5), shape, { cancel }));
}
