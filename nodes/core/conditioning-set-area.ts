import { withValues } from '../sampling/comfy/conditioning.ts';
import { defineNode, float, int, socket } from '../schema.ts';

const MAX_RESOLUTION = 16384;

/** ComfyUI's ConditioningSetArea: the conditioning applies to a rectangle in pixels (rounded down to latent cells). */
export default defineNode({
  type: 'ConditioningSetArea',
  version: 1,
  category: 'conditioning',
  description: 'Limits the conditioning to a rectangle (pixels, in steps of 8), blended with the rest by strength with feathered edges.',
  inputs: {
    conditioning: socket('CONDITIONING'),
    width: int({ default: 64, min: 64, max: MAX_RESOLUTION, step: 8, description: 'Width in pixels.' }),
    height: int({ default: 64, min: 64, max: MAX_RESOLUTION, step: 8, description: 'Height in pixels.' }),
    x: int({ default: 0, min: 0, max: MAX_RESOLUTION, step: 8, description: 'Left edge in pixels.' }),
    y: int({ default: 0, min: 0, max: MAX_RESOLUTION, step: 8, description: 'Top edge in pixels.' }),
    strength: float({ default: 1, min: 0, max: 10, step: 0.01, description: 'Weight of this conditioning inside the area.' }),
  },
  outputs: { CONDITIONING: socket('CONDITIONING') },
  run(input) {
    const area = { unit: 'latent' as const, height: Math.floor(input.height / 8), width: Math.floor(input.width / 8), y: Math.floor(input.y / 8), x: Math.floor(input.x / 8) };
    return { CONDITIONING: withValues(input.conditioning, { area, strength: input.strength }) };
  },
});
