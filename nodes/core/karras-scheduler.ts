import { karrasSigmas } from '../sampling/comfy/schedulers.ts';
import { defineNode, float, int, socket } from '../schema.ts';

/** ComfyUI's KarrasScheduler: Karras et al. (2022) sigmas between sigma_max and sigma_min (SD 1.x's by default). */
export default defineNode({
  type: 'KarrasScheduler',
  version: 1,
  category: 'sampling/custom_sampling/schedulers',
  description: 'Karras et al. (2022) noise levels: (max^(1/rho) + t (min^(1/rho) - max^(1/rho)))^rho over steps points, then 0.',
  inputs: {
    steps: int({ default: 20, min: 1, max: 10000, description: 'Steps (steps + 1 sigmas).' }),
    sigma_max: float({ default: 14.614642, min: 0, max: 5000, step: 0.01, description: 'Highest noise level (SD 1.x: 14.614642).' }),
    sigma_min: float({ default: 0.0291675, min: 0, max: 5000, step: 0.01, description: 'Lowest noise level before 0 (SD 1.x: 0.0291675).' }),
    rho: float({ default: 7, min: 0, max: 100, step: 0.01, description: 'Curvature: higher spends more steps at low noise.' }),
  },
  outputs: { SIGMAS: socket('SIGMAS') },
  run(input) {
    return { SIGMAS: { sigmas: Float32Array.from(karrasSigmas(input.steps, input.sigma_min, input.sigma_max, input.rho)) } };
  },
});
