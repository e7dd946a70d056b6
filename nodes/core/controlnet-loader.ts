import { requirePaths, defineNode, socket } from '../schema.ts';
import { weightDtypeInput } from '../models/load-checkpoint.ts';
import { controlnetCachePolicy, controlnetNameInput, loadControlNetByName } from '../models/load-controlnet.ts';

/** ComfyUI's ControlNetLoader (SD 1.x / 2.x / SDXL ControlNets and SD 1.x / SDXL T2I-Adapters; Control-LoRAs are refused with a message). */
export default defineNode({
  type: 'ControlNetLoader',
  version: 1,
  category: 'loaders',
  displayName: 'Load ControlNet Model',
  description:
    'Loads an SD 1.x, 2.x or SDXL ControlNet from <models>/controlnet: lllyasviel\'s releases (control_v11p_sd15_canny, ...; the LDM layout, with or without "control_model.") ' +
    'or a diffusers ControlNetModel .safetensors (controlnet-canny-sdxl-1.0, ...), and T2I-Adapters (TencentARC\'s t2iadapter_*_sd14v1 full and light files, diffusers\' T2IAdapter; SDXL\'s t2i-adapter-*-sdxl-1.0). ' +
    'Apply it with ControlNetApplyAdvanced.',
  inputs: {
    control_net_name: controlnetNameInput(),
    weight_dtype: weightDtypeInput(),
  },
  outputs: { CONTROL_NET: socket('CONTROL_NET') },
  cache: controlnetCachePolicy,
  async run(input, ctx) {
    return { CONTROL_NET: await loadControlNetByName(requirePaths(ctx).models, input.control_net_name, input.weight_dtype) };
  },
});
