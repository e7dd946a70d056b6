import { exponentialSigmas } from '../sampling/comfy/schedulers.ts';
import { defineNode, float, int, socket } from '../schema.ts';

/** ComfyUI's ExponentialScheduler: sigmas evenly spaced in log between sigma_max and sigma_min. */
export default defineNode({
  type: 'ExponentialScheduler',
  version: 1,
  category: 'sampling/custom_sampling/schedulers',
  description: 'Noise levels evenly spaced in log sigma from sigma_max to sigma_min, then 0.',
  inputs: {
    steps: int({ default: 20, min: 1, max: 10000, description: 'Steps (steps + 1 sigmas).' }),
    sigma_max: float({ default: 14.614642, min: 0, max: 5000, step: 0.01, description: 'Highest noise level (SD 1.x: 14.614642).' }),
    sigma_min: float({ default: 0.0291675, min: 0, max: 5000, step: 0.01, description: 'Lowest noise level before 0 (SD 1.x: 0.0291675).' }),
  },
  outputs: { SIGMAS: socket('SIGMAS') },
  checkWidgets: (w) => (w.sigma_min > 0 && w.sigma_max > 0 ? [] : [{ input: w.sigma_min > 0 ? 'sigma_max' : 'sigma_min', message: 'must be above 0 (the spacing is in log sigma).' }]),
  run(input) {
    return { SIGMAS: { sigmas: Float32Array.from(exponentialSigmas(input.steps, input.sigma_min, input.sigma_max)) } };
  },
});
