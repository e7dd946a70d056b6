import { defineNode, int, socket } from '../schema.ts';
import type { ClipValue } from '../socket-values.ts';

export default defineNode({
  type: 'CLIPSetLastLayer',
  version: 1,
  category: 'conditioning',
  displayName: 'CLIP Set Last Layer',
  description:
    'Takes prompts from an earlier layer of the text encoder ("CLIP skip"): -1 is the last layer (the default), -2 the penultimate (what many SD 1.x fine-tunes expect), ... The final layer norm is applied to it, as ComfyUI and A1111 do.',
  inputs: {
    clip: socket('CLIP'),
    stop_at_clip_layer: int({ default: -1, min: -24, max: -1, step: 1, description: 'The layer to stop at, counted from the end: -1 the last, -2 the penultimate.' }),
  },
  outputs: { CLIP: socket('CLIP') },
  run(input, ctx) {
    const layers = (input.clip.model.info.clip ?? input.clip.model.info.clip2!).num_hidden_layers;
    let skip = -input.stop_at_clip_layer;
    if (skip > layers) {
      // ComfyUI's clip_layer: an index beyond the encoder's layers means the last layer.
      ctx.log.warn(`stop_at_clip_layer ${input.stop_at_clip_layer} is beyond this text encoder's ${layers} layers; the last layer is used, as ComfyUI does`);
      skip = 1;
    }
    const CLIP: ClipValue = { ...input.clip, clipSkip: skip };
    return { CLIP };
  },
});
