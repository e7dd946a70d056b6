import { defineNode, socket } from '../schema.ts';

/** ComfyUI's MaskToImage: the mask as a grey picture (the value in all three channels). */
export default defineNode({
  type: 'MaskToImage',
  version: 1,
  category: 'mask',
  displayName: 'Convert Mask to Image',
  description: 'Shows a mask as a grey picture.',
  inputs: { mask: socket('MASK') },
  outputs: { IMAGE: socket('IMAGE') },
  run(input) {
    const [b, h, w] = input.mask.shape;
    const out = new Float32Array(b * h * w * 3);
    for (let i = 0; i < b * h * w; i++) out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = input.mask.data[i];
    return { IMAGE: { data: out, shape: [b, h, w, 3] as const } };
  },
});
