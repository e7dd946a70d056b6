import { encodeRefinerPrompt } from '../text/encode-sdxl.ts';
import { defineNode, float, int, socket, text } from '../schema.ts';
import { embeddingStamps, MAX_PROMPT_CHARACTERS } from './clip-text-encode.ts';

/** ComfyUI's MAX_RESOLUTION. */
const MAX_RESOLUTION = 16384;

/**
 * ComfyUI's CLIPTextEncodeSDXLRefiner: the prompt through the SDXL refiner's one text encoder (OpenCLIP bigG:
 * penultimate hidden states and the pooled output) with the refiner's added conditioning: the original size
 * and the aesthetic score (ComfyUI's SDXLRefiner.encode_adm: height, width, crop 0, 0, ascore).
 */
export default defineNode({
  type: 'CLIPTextEncodeSDXLRefiner',
  version: 1,
  category: 'advanced/conditioning',
  description:
    "Encodes a prompt for an SDXL refiner checkpoint (its OpenCLIP bigG encoder) with the refiner's conditioning: the aesthetic score " +
    '(6 is what the refiner was trained to make good pictures with; about 2.5 for a negative prompt) and the original image size in pixels.',
  inputs: {
    ascore: float({ default: 6, min: 0, max: 1000, step: 0.01, description: 'Aesthetic score the picture should have (ComfyUI: 6 positive, 2.5 negative).' }),
    width: int({ default: 1024, min: 0, max: MAX_RESOLUTION, description: 'Original image width (pixels).' }),
    height: int({ default: 1024, min: 0, max: MAX_RESOLUTION, description: 'Original image height (pixels).' }),
    text: text({ multiline: true, default: '', description: 'The prompt. See docs/PROMPTS.md for the emphasis syntax.' }),
    clip: socket('CLIP'),
  },
  outputs: { CONDITIONING: socket('CONDITIONING') },
  // A changed embedding file reruns the prompts that use it.
  cache: { fingerprint: (widgets, services) => embeddingStamps(widgets.text, services) },
  async run(input, ctx) {
    if (input.text.length > MAX_PROMPT_CHARACTERS)
      throw new Error(`input "text" is ${input.text.length} characters long; the limit is ${MAX_PROMPT_CHARACTERS}. Shorten it.`);
    const { info } = input.clip.model;
    if (!info.clip2) throw new Error('input "clip" is an SD 1.x text encoder; CLIPTextEncodeSDXLRefiner needs an SDXL refiner checkpoint (use CLIPTextEncode)');
    if (info.clip)
      throw new Error('input "clip" is an SDXL base text encoder (CLIP-L and bigG); CLIPTextEncodeSDXLRefiner needs an SDXL refiner checkpoint: use CLIPTextEncodeSDXL (or CLIPTextEncode) with the base model');
    const e = await encodeRefinerPrompt(input.clip, input.text, { signal: ctx.signal, modelsDir: ctx.services.paths?.models, warn: (m) => ctx.log.warn(m) });
    const sizes = { width: input.width, height: input.height, cropW: 0, cropH: 0, targetWidth: input.width, targetHeight: input.height };
    return {
      CONDITIONING: [{ embeddings: e.embeddings, shape: [1, e.tokens, e.dim] as const, pooled: e.pooled, sizes, refiner: { aestheticScore: input.ascore } }],
    };
  },
});
