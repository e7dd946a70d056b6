import path from 'node:path';

import { choice, defineNode, requirePaths, socket } from '../schema.ts';
import { checkpointWeightDtypeInput, loadCheckpoint, loaderCachePolicy, precisionInput } from '../models/load-checkpoint.ts';
import { diffusersFolders } from '../models/model-files.ts';

export default defineNode({
  type: 'DiffusersLoader',
  version: 1,
  category: 'loaders',
  displayName: 'Load Diffusers Model',
  description: 'Loads a diffusers-format folder from <models>/diffusers: SD 1.x (model_index.json, unet/, vae/, text_encoder/, tokenizer/), SDXL base (also text_encoder_2/, tokenizer_2/) or an SDXL refiner (text_encoder_2/ and tokenizer_2/ alone).',
  inputs: {
    model_path: choice((env) => diffusersFolders(env), { description: 'A folder under <models>/diffusers.' }),
    weight_dtype: checkpointWeightDtypeInput(),
    precision: precisionInput(),
  },
  outputs: { MODEL: socket('MODEL'), CLIP: socket('CLIP'), VAE: socket('VAE') },
  cache: loaderCachePolicy,
  async run(input, ctx) {
    const folder = path.join(requirePaths(ctx).models, 'diffusers', input.model_path);
    return loadCheckpoint(folder, input.weight_dtype, input.precision);
  },
});
