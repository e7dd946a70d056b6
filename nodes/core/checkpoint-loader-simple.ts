import path from 'node:path';

import { choice, defineNode, requirePaths, socket } from '../schema.ts';
import { checkpointWeightDtypeInput, loadCheckpoint, loaderCachePolicy, precisionInput } from '../models/load-checkpoint.ts';
import { checkpointFiles } from '../models/model-files.ts';

export default defineNode({
  type: 'CheckpointLoaderSimple',
  version: 1,
  category: 'loaders',
  displayName: 'Load Checkpoint',
  description:
    'Loads a single-file checkpoint (.safetensors, original layout: SD 1.x, SDXL base or SDXL refiner) from <models>/checkpoints. A .yaml or .json with the same name beside it gives what the weights cannot (head count, VAE scale).',
  inputs: {
    ckpt_name: choice((env) => checkpointFiles(env), { description: 'A .safetensors file under <models>/checkpoints.' }),
    weight_dtype: checkpointWeightDtypeInput(),
    precision: precisionInput(),
  },
  outputs: { MODEL: socket('MODEL'), CLIP: socket('CLIP'), VAE: socket('VAE') },
  cache: loaderCachePolicy,
  async run(input, ctx) {
    const file = path.join(requirePaths(ctx).models, 'checkpoints', input.ckpt_name);
    return loadCheckpoint(file, input.weight_dtype, input.precision);
  },
});
