/**
 * ControlNet files: `<models>/controlnet/**.safetensors` (ComfyUI's "controlnet" folder), loaded for
 * ControlNetLoader and DiffControlNetLoader. As ComfyUI, a file named *_shuffle (or *_shuffle_fp16) gets
 * global average pooling (its residuals are averaged over the picture). A T2I-Adapter file in the same folder
 * loads through the same call (recognised by its tensor names; ComfyUI's load_t2i_adapter), and so does a Control-LoRA
 * (a "lora_controlnet" tensor; ComfyUI's ControlLora), which the sampler resolves against its model.
 *
 * What the weights cannot show (the heads; an SDXL ControlNet's addition_time_embed_dim when its added
 * conditioning is not SDXL's width) comes, when present, from a sidecar `<name>.json` beside the file (or a
 * diffusers folder's config.json beside its diffusion_pytorch_model.safetensors): the ControlNet's diffusers
 * config.json (a ControlNetModel configuration), used instead of inferring it.
 */
import fs from 'node:fs';
import path from 'node:path';

import { type ControlNetConfig, loadControlNet, type ModelHandle, type WeightsDType } from '../../native/index.ts';
import { choice, type HostServices } from '../schema.ts';
import type { ControlNetValue } from '../socket-values.ts';
import { safetensorsFiles } from './model-files.ts';

/** ControlNet files: `<models>/controlnet/**.safetensors`, relative to it with '/'. */
export function controlnetFiles(env: HostServices): string[] {
  return safetensorsFiles(env, 'controlnet');
}

/** The loaders' control_net_name input. */
export function controlnetNameInput() {
  return choice((env) => controlnetFiles(env), {
    description: 'A .safetensors ControlNet under <models>/controlnet for SD 1.x, 2.x or SDXL (lllyasviel\'s LDM layout or diffusers\' ControlNetModel; a <name>.json beside it gives its config.json) or an SD 1.x or SDXL T2I-Adapter.',
  });
}

/** ComfyUI's rule: global average pooling for files whose name (without extension) ends in _shuffle or _shuffle_fp16. */
export function usesGlobalAveragePooling(name: string): boolean {
  const base = name.replace(/\.[^./]*$/, '');
  return base.endsWith('_shuffle') || base.endsWith('_shuffle_fp16');
}

/**
 * The configuration beside a ControlNet file, or undefined when there is none: `<name>.json`, or for a diffusers
 * folder's `diffusion_pytorch_model[.fp16].safetensors` the folder's `config.json` (a ControlNetModel config.json:
 * `_class_name` "ControlNetModel", or no `_class_name` and `block_out_channels`; other JSON there is ignored).
 */
export function controlnetSidecar(file: string): Partial<ControlNetConfig> | undefined {
  let sidecar = file.replace(/\.safetensors$/i, '') + '.json';
  if (!fs.existsSync(sidecar) && /^diffusion_pytorch_model(\.fp16)?\.safetensors$/i.test(path.basename(file))) sidecar = path.join(path.dirname(file), 'config.json');
  if (!fs.existsSync(sidecar)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(sidecar, 'utf8'));
  } catch (e) {
    throw new Error(`the ControlNet's sidecar "${sidecar}" is not valid JSON (${(e as Error).message}); fix it or remove it to infer the configuration from the weights`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`the ControlNet's sidecar "${sidecar}" must be a JSON object (a ControlNetModel config.json); fix it or remove it`);
  // Other tools' notes under the same name (e.g. a UI's model metadata) are not a configuration: ignored.
  const config = value as Record<string, unknown>;
  const isConfig = config._class_name === 'ControlNetModel' || (config._class_name === undefined && Array.isArray(config.block_out_channels));
  return isConfig ? (config as Partial<ControlNetConfig>) : undefined;
}

export async function loadControlNetByName(modelsDir: string, name: string, weights: WeightsDType, diffBase?: ModelHandle): Promise<ControlNetValue> {
  const file = path.join(modelsDir, 'controlnet', name);
  const config = controlnetSidecar(file);
  const controlnet = await loadControlNet(file, { weights, diffBase, ...(config ? { config } : {}) });
  // ComfyUI's _shuffle rule sets a ControlNet's global_average_pooling; a T2I-Adapter has none.
  return { controlnet, source: file, globalAveragePooling: controlnet.info.kind === 'controlnet' && usesGlobalAveragePooling(name) };
}

/** Cache policy of the ControlNet loaders: the weights count against the cache; eviction frees them. */
export const controlnetCachePolicy = {
  sizeBytes(outputs: { CONTROL_NET: ControlNetValue }): number {
    return outputs.CONTROL_NET.controlnet.info.weightBytes;
  },
  dispose(outputs: { CONTROL_NET: ControlNetValue }): void {
    outputs.CONTROL_NET.controlnet.dispose();
  },
};
