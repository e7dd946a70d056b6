import { defineNode, requirePaths, socket } from '../schema.ts';
import { addLora, loraFile, warnUnmatched } from '../models/apply-lora.ts';
import type { ModelValue } from '../socket-values.ts';
import { loraNameInput, strengthInput } from './lora-loader.ts';

export default defineNode({
  type: 'LoraLoaderModelOnly',
  version: 1,
  category: 'loaders',
  displayName: 'Load LoRA (model only)',
  description: 'Adds a LoRA to the model (UNet) only; its text encoder keys, if any, are left unused. Chains stack.',
  inputs: {
    model: socket('MODEL'),
    lora_name: loraNameInput(),
    strength_model: strengthInput('How strongly the LoRA changes the UNet (0: not at all; negative values invert it).'),
  },
  outputs: { MODEL: socket('MODEL') },
  cache: {
    sizeBytes: (outputs) => outputs.MODEL.loras?.applied.at(-1)?.lora.info.bytes ?? 0,
    dispose: (outputs) => outputs.MODEL.model.dispose(),
  },
  async run(input, ctx) {
    const lora = await loraFile(requirePaths(ctx).models, input.lora_name);
    const unet = await addLora(input.model, { name: input.lora_name, lora, strength: input.strength_model }, 'unet');
    warnUnmatched(unet.report, input.lora_name, ctx.log);
    const MODEL: ModelValue = { ...input.model, model: unet.model, loras: unet.loras };
    return { MODEL };
  },
});
