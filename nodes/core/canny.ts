import { canny } from '../image/canny.ts';
import { defineNode, float, socket } from '../schema.ts';

const thresholdMessage = 'low_threshold must not be above high_threshold (kornia\'s canny, which ComfyUI runs, refuses it too); lower it or raise high_threshold.';

/** ComfyUI's Canny (comfy_extras/nodes_canny.py: kornia.filters.canny), the usual ControlNet hint. */
export default defineNode({
  type: 'Canny',
  version: 1,
  category: 'image/preprocessors',
  description:
    'Edge map of a picture (white edges on black, the hint canny ControlNets read): Gaussian blur, Sobel gradients, thin edges, ' +
    'then edges above high_threshold plus those connected to them above low_threshold. The thresholds are on the gradient of the ' +
    '0..1 picture (about 0..4), as ComfyUI\'s (kornia); lower values find more edges.',
  inputs: {
    image: socket('IMAGE'),
    low_threshold: float({ default: 0.4, min: 0.01, max: 0.99, step: 0.01, description: 'Weak edges: kept where connected to a strong one.' }),
    high_threshold: float({ default: 0.8, min: 0.01, max: 0.99, step: 0.01, description: 'Strong edges: always kept.' }),
  },
  outputs: { IMAGE: socket('IMAGE') },
  checkWidgets: (w) => (w.low_threshold > w.high_threshold ? [{ input: 'low_threshold', message: thresholdMessage }] : []),
  run(input) {
    if (input.low_threshold > input.high_threshold) throw new Error(`input "low_threshold": ${thresholdMessage}`);
    return { IMAGE: canny(input.image, input.low_threshold, input.high_threshold) };
  },
});
