import path from 'node:path';

import { loadVae } from '../../native/index.ts';
import { vaeFiles } from '../models/model-files.ts';
import { choice, defineNode, requirePaths, socket } from '../schema.ts';
import type { VaeValue } from '../socket-values.ts';
import { loadTaesdByName, taesdChoices } from '../vae/taesd.ts';

export default defineNode({
  type: 'VAELoader',
  version: 1,
  category: 'loaders',
  displayName: 'Load VAE',
  description:
    'Loads a standalone VAE from <models>/vae (.safetensors with LDM names, as vae-ft-mse-840000, or diffusers AutoencoderKL names), ' +
    "or a TAESD from <models>/vae_approx (`taesd`: taesd_encoder and taesd_decoder .safetensors, madebyollin's tiny autoencoder: " +
    'pictures in a fraction of the time and memory, a little softer). VAEDecode, VAEDecodeTiled and VAEEncode take either.',
  inputs: {
    vae_name: choice((env) => [...vaeFiles(env), ...taesdChoices(env.paths?.models)], {
      description: 'A .safetensors under <models>/vae, or a TAESD name (both halves in <models>/vae_approx).',
    }),
  },
  outputs: { VAE: socket('VAE') },
  cache: {
    sizeBytes(outputs: { VAE: VaeValue }): number {
      const v = outputs.VAE;
      if (v.taesd) return v.taesd.info.weightBytes;
      return v.model.disposed ? 0 : v.model.info.weightBytes.vae;
    },
    dispose(outputs: { VAE: VaeValue }): void {
      (outputs.VAE.taesd ?? outputs.VAE.model).dispose();
    },
  },
  async run(input, ctx) {
    const models = requirePaths(ctx).models;
    if (!input.vae_name.endsWith('.safetensors')) {
      const taesd = await loadTaesdByName(models, input.vae_name);
      return { VAE: { taesd, source: path.join(models, 'vae_approx', input.vae_name) } };
    }
    const file = path.join(models, 'vae', input.vae_name);
    return { VAE: { model: await loadVae(file), source: file } };
  },
});
