import path from 'node:path';

import { loadUpscaler } from '../../native/index.ts';
import { isPickleName, upscaleModelFiles } from '../models/model-files.ts';
import { choice, defineNode, requirePaths, socket } from '../schema.ts';
import type { UpscaleModelValue } from '../socket-values.ts';

/** Why a pickle is refused, and how to convert it (one sentence for the validator and for run). */
function pickleMessage(name: string): string {
  return (
    `"${name}" is a PyTorch pickle, which latentflow does not load (unpickling can run code): convert it to .safetensors ` +
    `(python: sd = torch.load(path, map_location="cpu"); sd = sd.get("params_ema", sd); safetensors.torch.save_file(sd, "${name.replace(/\.[^.]+$/, '')}.safetensors")) ` +
    'and put it in <models>/upscale_models.'
  );
}

/** ComfyUI's UpscaleModelLoader, for RRDBNet (ESRGAN, Real-ESRGAN, BSRGAN) models in .safetensors. */
export default defineNode({
  type: 'UpscaleModelLoader',
  version: 1,
  category: 'loaders',
  displayName: 'Load Upscale Model',
  description:
    'Loads an ESRGAN / Real-ESRGAN upscale model (RRDBNet) from <models>/upscale_models (.safetensors; old and new key layouts, ' +
    'x2 and x4, scale and size read from the weights). Other architectures (SwinIR, HAT, SPAN, ...) are refused naming what they look like; ' +
    'pickles (.pth) are listed but refused with how to convert them.',
  inputs: {
    model_name: choice((env) => upscaleModelFiles(env), { description: 'A file under <models>/upscale_models.' }),
  },
  outputs: { UPSCALE_MODEL: socket('UPSCALE_MODEL') },
  checkWidgets: (w) => (isPickleName(w.model_name) ? [{ input: 'model_name', message: pickleMessage(w.model_name) }] : []),
  cache: {
    sizeBytes(outputs: { UPSCALE_MODEL: UpscaleModelValue }): number {
      return outputs.UPSCALE_MODEL.upscaler.disposed ? 0 : outputs.UPSCALE_MODEL.upscaler.info.weightBytes;
    },
    dispose(outputs: { UPSCALE_MODEL: UpscaleModelValue }): void {
      outputs.UPSCALE_MODEL.upscaler.dispose();
    },
  },
  async run(input, ctx) {
    if (isPickleName(input.model_name)) throw new Error(pickleMessage(input.model_name));
    const file = path.join(requirePaths(ctx).models, 'upscale_models', input.model_name);
    return { UPSCALE_MODEL: { upscaler: await loadUpscaler(file), source: file } };
  },
});
