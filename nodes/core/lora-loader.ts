import { defineNode, float, requirePaths, socket, choice } from '../schema.ts';
import { addLora, loraFile, warnUnmatched } from '../models/apply-lora.ts';
import { loraFiles } from '../models/model-files.ts';
import type { ClipValue, ModelValue } from '../socket-values.ts';

/** ComfyUI's strength range. */
export const strengthInput = (description: string) => float({ default: 1, min: -100, max: 100, step: 0.01, description });

export const loraNameInput = () =>
  choice((env) => loraFiles(env), {
    description: 'A LoRA .safetensors under <models>/loras (SD 1.x or SDXL): kohya / A1111, PEFT or diffusers names, LoCon included (other LyCORIS kinds are refused).',
  });

export default defineNode({
  type: 'LoraLoader',
  version: 1,
  category: 'loaders',
  displayName: 'Load LoRA',
  description:
    'Adds a LoRA to a model and its text encoder (they stack when chained). The checkpoint is shared, not copied: the LoRA\'s low-rank terms are added while the networks run. Keys that match no layer are reported in the log.',
  inputs: {
    model: socket('MODEL'),
    clip: socket('CLIP'),
    lora_name: loraNameInput(),
    strength_model: strengthInput('How strongly the LoRA changes the UNet (0: not at all; negative values invert it).'),
    strength_clip: strengthInput('How strongly the LoRA changes the text encoder (both of SDXL\'s).'),
  },
  outputs: { MODEL: socket('MODEL'), CLIP: socket('CLIP') },
  cache: {
    // A CLIPTextEncode downstream does not rerun when only strength_model changes (nor a sampler for strength_clip alone: its conditioning is unchanged).
    outputWidgets: { MODEL: ['lora_name', 'strength_model'], CLIP: ['lora_name', 'strength_clip'] },
    sizeBytes: (outputs) => outputs.MODEL.loras?.applied.at(-1)?.lora.info.bytes ?? 0,
    dispose(outputs) {
      outputs.MODEL.model.dispose();
      outputs.CLIP.model.dispose();
    },
  },
  async run(input, ctx) {
    const lora = await loraFile(requirePaths(ctx).models, input.lora_name);
    const unet = await addLora(input.model, { name: input.lora_name, lora, strength: input.strength_model }, 'unet');
    const clip = await addLora(input.clip, { name: input.lora_name, lora, strength: input.strength_clip }, 'text_encoder');
    warnUnmatched(unet.report, input.lora_name, ctx.log);
    const MODEL: ModelValue = { ...input.model, model: unet.model, loras: unet.loras };
    const CLIP: ClipValue = { ...input.clip, model: clip.model, loras: clip.loras };
    return { MODEL, CLIP };
  },
});
