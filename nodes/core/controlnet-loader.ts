import { requirePaths, defineNode, socket } from '../schema.ts';
import { weightDtypeInput } from '../models/load-checkpoint.ts';
import { controlnetCachePolicy, controlnetNameInput, loadControlNetByName } from '../models/load-controlnet.ts';

/**
 * ComfyUI's ControlNetLoader: SD 1.x / 2.x / SDXL ControlNets (zero-depth SDXL ones, diffusers' -mid / -small, included),
 * SD 1.x / SDXL T2I-Adapters, and Control-LoRAs (kind 'control_lora': resolved against the model when sampling starts,
 * nodes/sampling/unet-session.ts). SD3/Flux ControlNets are refused with a message.
 */
export default defineNode({
  type: 'ControlNetLoader',
  version: 1,
  category: 'loaders',
  displayName: 'Load ControlNet Model',
  description:
    'Loads an SD 1.x, 2.x or SDXL ControlNet from <models>/controlnet: lllyasviel\'s releases (control_v11p_sd15_canny, ...; the LDM layout, with or without "control_model.") ' +
    'or a diffusers ControlNetModel .safetensors (controlnet-canny-sdxl-1.0, the zero-depth -mid / -small, ...), T2I-Adapters (TencentARC\'s t2iadapter_*_sd14v1 full and light files, diffusers\' T2IAdapter; SDXL\'s t2i-adapter-*-sdxl-1.0), ' +
    'and Control-LoRAs (control-lora-canny-rank128, ...: completed from the sampled model\'s own weights when sampling starts). ' +
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
