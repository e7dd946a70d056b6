/**
 * LoraLoader's work: a MODEL or CLIP with one more LoRA. The loaded checkpoint is shared, never copied:
 * the engine makes a model that runs its networks with every LoRA of the stack added (native/ts/lora.ts).
 * How the terms are applied (runtime low-rank terms or merged weight copies) is chosen by `loraMode`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { loadLora, modelWithLoras, type LoraHandle, type LoraMode, type LoraReport, type ModelHandle } from '../../native/index.ts';
import type { Logger } from '../schema.ts';
import type { AppliedLora, LoraStack } from '../socket-values.ts';

/** How many unmatched key names a warning lists. */
const LIST_KEYS = 5;

/** A LoRA file under <models>/loras, read once per change of the file (keyed by path, size and mtime). */
const loaded = new Map<string, { stamp: string; lora: Promise<LoraHandle> }>();
export async function loraFile(modelsDir: string, name: string): Promise<LoraHandle> {
  const file = path.join(modelsDir, 'loras', name);
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat) throw new Error(`input "lora_name": ${name} is not in ${path.join(modelsDir, 'loras')}; put the .safetensors file there or pick another`);
  const stamp = `${stat.size}:${stat.mtimeMs}`;
  const hit = loaded.get(file);
  if (hit?.stamp === stamp) return hit.lora;
  const lora = loadLora(file);
  loaded.set(file, { stamp, lora });
  lora.catch(() => loaded.delete(file));
  return lora;
}

/**
 * How a stack is applied. bench:lora (docs/BENCHMARKS.md "LoRA") measured, SD 1.5 with f16 weights and
 * 192 modules of rank 32: merged copies make a UNet step ~30% faster than runtime terms but hold
 * ~1.1 GiB more (f32 copies of the patched weights), runtime terms cost only the LoRA's own size. So:
 * merge when the machine has room for f32 copies of the whole UNet (their upper bound) twice over,
 * runtime terms otherwise. LATENTFLOW_LORA_MODE=runtime|merge overrides the choice.
 */
export function loraMode(base: ModelHandle): LoraMode {
  const forced = process.env.LATENTFLOW_LORA_MODE;
  if (forced === 'runtime' || forced === 'merge') return forced;
  const widening = base.info.weights === 'f16' ? 2 : base.info.weights === 'q8_0' ? (32 * 4) / 34 : 1; // f32 bytes per stored byte
  const unetF32Bytes = widening * base.info.weightBytes.unet;
  return os.freemem() > 2 * unetF32Bytes ? 'merge' : 'runtime';
}

/** `current` (a MODEL's or CLIP's model and stack) with `lora` at `strength` on `network` added. */
export async function addLora(
  current: { model: ModelHandle; loras?: LoraStack },
  entry: AppliedLora,
  network: 'unet' | 'text_encoder',
): Promise<{ model: ModelHandle; loras: LoraStack; report: LoraReport }> {
  const base = current.loras?.base ?? current.model;
  const applied = [...(current.loras?.applied ?? []), entry];
  const list = applied.map((a) => ({ lora: a.lora, strengthUnet: network === 'unet' ? a.strength : 0, strengthTextEncoder: network === 'unet' ? 0 : a.strength }));
  const { model, report } = await modelWithLoras(base, list, loraMode(base));
  return { model, loras: { base, applied }, report };
}

/** Logs the keys of the stack's last LoRA that matched no layer (count and the first names); silent when all matched. */
export function warnUnmatched(report: LoraReport, name: string, log: Logger): void {
  const keys = report.unmatched.at(-1) ?? [];
  if (keys.length === 0) return;
  const first = keys.slice(0, LIST_KEYS).join(', ');
  log.warn(`LoRA ${name}: ${keys.length} key(s) match no layer of this model and were not applied (${first}${keys.length > LIST_KEYS ? ', ...' : ''}); is it for another model?`, {
    lora: name,
    unmatched: keys.length,
  });
}
