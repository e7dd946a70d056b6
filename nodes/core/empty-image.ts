import { requireFloatBudget } from '../image/budget.ts';
import { defineNode, int, socket } from '../schema.ts';

/** ComfyUI's EmptyImage: a batch of pictures of one colour (0xRRGGBB). */
export default defineNode({
  type: 'EmptyImage',
  version: 1,
  category: 'image',
  description: 'Pictures filled with one colour, given as an integer 0xRRGGBB.',
  inputs: {
    width: int({ default: 512, min: 1, max: 16384, step: 1 }),
    height: int({ default: 512, min: 1, max: 16384, step: 1 }),
    batch_size: int({ default: 1, min: 1, max: 4096 }),
    color: int({ default: 0, min: 0, max: 0xffffff, step: 1, description: 'The colour as 0xRRGGBB (e.g. 16711680 for red).' }),
  },
  outputs: { IMAGE: socket('IMAGE') },
  run(input, ctx) {
    const { width, height, batch_size: batch, color } = input;
    requireFloatBudget(batch * width * height * 3, `${batch} pictures of ${width}x${height}`, 'lower width, height or batch_size', ctx.services);
    const rgb = [((color >> 16) & 0xff) / 255, ((color >> 8) & 0xff) / 255, (color & 0xff) / 255];
    const data = new Float32Array(batch * width * height * 3);
    for (let i = 0; i < data.length; i++) data[i] = rgb[i % 3];
    return { IMAGE: { data, shape: [batch, height, width, 3] as const } };
  },
});
