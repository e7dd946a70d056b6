import { requirePaths, defineNode, socket } from '../schema.ts';
import { weightDtypeInput } from '../models/load-checkpoint.ts';
import { controlnetCachePolicy, controlnetNameInput, loadControlNetByName } from '../models/load-controlnet.ts';

/** ComfyUI's DiffControlNetLoader: a ControlNet stored as the difference from its model's UNet. */
export default defineNode({
  type: 'DiffControlNetLoader',
  version: 1,
  category: 'loaders',
  displayName: 'Load ControlNet Model (diff)',
  description:
    'Loads a ControlNet from <models>/controlnet that may be a "diff" ControlNet (it stores the difference from the UNet it was trained on: ' +
    'the model\'s UNet weights are added to its encoder copy). A full ControlNet loads as with ControlNetLoader; the model is then unused.',
  inputs: {
    model: socket('MODEL'),
    control_net_name: controlnetNameInput(),
    weight_dtype: weightDtypeInput(),
  },
  outputs: { CONTROL_NET: socket('CONTROL_NET') },
  cache: controlnetCachePolicy,
  async run(input, ctx) {
    const base = input.model.loras?.base ?? input.model.model;
    return { CONTROL_NET: await loadControlNetByName(requirePaths(ctx).models, input.control_net_name, input.weight_dtype, base) };
  },
});
