import { encodeSdxlPrompt } from '../text/encode-sdxl.ts';
import { defineNode, int, socket, text } from '../schema.ts';
import { embeddingStamps, MAX_PROMPT_CHARACTERS } from './clip-text-encode.ts';

/** ComfyUI's MAX_RESOLUTION. */
const MAX_RESOLUTION = 16384;

const size = (fallback: number, description: string) => int({ default: fallback, min: 0, max: MAX_RESOLUTION, description });

/**
 * ComfyUI's CLIPTextEncodeSDXL: text_g through the OpenCLIP encoder, text_l through CLIP-L, and SDXL's
 * size conditioning (the time ids: original size, crop, target size) on the conditioning.
 */
export default defineNode({
  type: 'CLIPTextEncodeSDXL',
  version: 1,
  category: 'advanced/conditioning',
  description:
    "Encodes SDXL's two prompts (text_g: OpenCLIP bigG, text_l: CLIP-L) with the size conditioning SDXL was trained on: " +
    'the original image size, the crop offset and the target size in pixels. embedding:name inserts an SDXL textual-inversion embedding (clip_l vectors in text_l, clip_g in text_g).',
  inputs: {
    clip: socket('CLIP'),
    width: size(1024, 'Original image width the picture should look like it was cropped from (pixels).'),
    height: size(1024, 'Original image height (pixels).'),
    crop_w: size(0, 'Crop offset from the left (pixels); 0 centres nothing away.'),
    crop_h: size(0, 'Crop offset from the top (pixels).'),
    target_width: size(1024, 'Target width (pixels).'),
    target_height: size(1024, 'Target height (pixels).'),
    text_g: text({ multiline: true, default: '', description: 'The prompt for the OpenCLIP bigG encoder (the main one).' }),
    text_l: text({ multiline: true, default: '', description: 'The prompt for the CLIP-L encoder.' }),
  },
  outputs: { CONDITIONING: socket('CONDITIONING') },
  // A changed embedding file reruns the prompts that use it.
  cache: { fingerprint: (widgets, services) => `${embeddingStamps(widgets.text_g, services)}/${embeddingStamps(widgets.text_l, services)}` },
  async run(input, ctx) {
    for (const key of ['text_g', 'text_l'] as const) {
      if (input[key].length > MAX_PROMPT_CHARACTERS)
        throw new Error(`input "${key}" is ${input[key].length} characters long; the limit is ${MAX_PROMPT_CHARACTERS}. Shorten it.`);
    }
    if (!input.clip.model.info.clip2) throw new Error('input "clip" is an SD 1.x text encoder; CLIPTextEncodeSDXL needs an SDXL checkpoint (use CLIPTextEncode)');
    if (!input.clip.model.info.clip)
      throw new Error('input "clip" is an SDXL refiner\'s text encoder (OpenCLIP bigG alone); CLIPTextEncodeSDXL needs an SDXL base checkpoint: use CLIPTextEncodeSDXLRefiner (or CLIPTextEncode) with the refiner');
    const e = await encodeSdxlPrompt(input.clip, input.text_l, input.text_g, { signal: ctx.signal, modelsDir: ctx.services.paths?.models, warn: (m) => ctx.log.warn(m) });
    const sizes = {
      width: input.width,
      height: input.height,
      cropW: input.crop_w,
      cropH: input.crop_h,
      targetWidth: input.target_width,
      targetHeight: input.target_height,
    };
    return { CONDITIONING: [{ embeddings: e.embeddings, shape: [1, e.tokens, e.dim] as const, pooled: e.pooled, sizes }] };
  },
});
