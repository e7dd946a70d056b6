import { choice, defineNode, socket } from '../schema.ts';

/** ComfyUI's ImageToMask: one colour channel of an IMAGE as a MASK. */
export default defineNode({
  type: 'ImageToMask',
  version: 1,
  category: 'mask',
  displayName: 'Convert Image to Mask',
  description: 'One colour channel of a picture as a mask.',
  inputs: { image: socket('IMAGE'), channel: choice(['red', 'green', 'blue', 'alpha'] as const, { default: 'red' }) },
  outputs: { MASK: socket('MASK') },
  run(input) {
    if (input.channel === 'alpha') throw new Error('IMAGE values have no alpha channel (LoadImage gives it as its MASK output); pick red, green or blue, or use LoadImage\'s MASK.');
    const [b, h, w] = input.image.shape;
    const c = { red: 0, green: 1, blue: 2 }[input.channel];
    const out = new Float32Array(b * h * w);
    for (let i = 0; i < out.length; i++) out[i] = input.image.data[i * 3 + c];
    return { MASK: { data: out, shape: [b, h, w] as const } };
  },
});
