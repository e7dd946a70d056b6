import { roundHalfEven } from '../image/resize.ts';
import { choice, defineNode, int, socket } from '../schema.ts';

const OPERATIONS = ['multiply', 'add', 'subtract', 'and', 'or', 'xor'] as const;

/**
 * ComfyUI's MaskComposite: combines source into destination at (x, y) (clipped at the destination's edges),
 * clamped to [0, 1]; and/or/xor work on the values rounded to 0 or 1. Batches broadcast (one of them 1, or equal).
 */
export default defineNode({
  type: 'MaskComposite',
  version: 1,
  category: 'mask',
  description: 'Combines two masks (multiply, add, subtract, and, or, xor) with the source placed at (x, y).',
  inputs: {
    destination: socket('MASK'),
    source: socket('MASK'),
    x: int({ default: 0, min: 0, max: 16384, step: 1 }),
    y: int({ default: 0, min: 0, max: 16384, step: 1 }),
    operation: choice(OPERATIONS, { default: 'multiply' }),
  },
  outputs: { MASK: socket('MASK') },
  run(input) {
    const [bd, H, W] = input.destination.shape;
    const [bs, h, w] = input.source.shape;
    if (bd !== bs && bd !== 1 && bs !== 1) throw new Error(`destination has ${bd} masks and source ${bs}; give one of them a single mask or both the same number.`);
    const batch = Math.max(bd, bs);
    const out = new Float32Array(batch * H * W);
    for (let n = 0; n < batch; n++) out.set(input.destination.data.subarray((n % bd) * H * W, (n % bd + 1) * H * W), n * H * W);
    const right = Math.min(input.x + w, W);
    const bottom = Math.min(input.y + h, H);
    const op = input.operation;
    for (let n = 0; n < batch; n++)
      for (let y = input.y; y < bottom; y++)
        for (let x = input.x; x < right; x++) {
          const d = n * H * W + y * W + x;
          const a = out[d];
          const s = input.source.data[(n % bs) * h * w + (y - input.y) * w + (x - input.x)];
          const ab = roundHalfEven(a) !== 0;
          const sb = roundHalfEven(s) !== 0;
          out[d] = op === 'multiply' ? a * s : op === 'add' ? a + s : op === 'subtract' ? a - s : op === 'and' ? +(ab && sb) : op === 'or' ? +(ab || sb) : +(ab !== sb);
        }
    for (let i = 0; i < out.length; i++) out[i] = Math.min(Math.max(out[i], 0), 1);
    return { MASK: { data: out, shape: [batch, H, W] as const } };
  },
});
