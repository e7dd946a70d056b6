import { calculateSigmas, COMFY_SCHEDULER_NAMES } from '../sampling/comfy/schedulers.ts';
import { modelSamplingOf } from '../sampling/run-comfy.ts';
import { choice, defineNode, float, int, socket } from '../schema.ts';

/** ComfyUI's BasicScheduler: the sigmas of a scheduler on the model's noise schedule, the last `steps` of them for denoise < 1. */
export default defineNode({
  type: 'BasicScheduler',
  version: 1,
  category: 'sampling/custom_sampling/schedulers',
  description: "The noise levels (SIGMAS) of one of ComfyUI's schedulers for the model; denoise < 1 keeps the low end of a longer schedule.",
  inputs: {
    model: socket('MODEL'),
    scheduler: choice(COMFY_SCHEDULER_NAMES, { default: 'normal', description: "The scheduler, with ComfyUI's meaning." }),
    steps: int({ default: 20, min: 1, max: 10000, description: 'Steps (the sigmas are steps + 1, ending in 0).' }),
    denoise: float({ default: 1, min: 0, max: 1, step: 0.01, description: 'Fraction of the schedule: int(steps / denoise) steps are computed and the last steps + 1 sigmas kept.' }),
  },
  outputs: { SIGMAS: socket('SIGMAS') },
  checkWidgets: (w) => (w.scheduler === 'kl_optimal' && w.steps < 2 && w.denoise >= 1 ? [{ input: 'steps', message: 'scheduler "kl_optimal" needs at least 2 steps.' }] : []),
  run(input) {
    if (input.denoise <= 0) return { SIGMAS: { sigmas: new Float32Array(0) } };
    const total = input.denoise < 1 ? Math.trunc(input.steps / input.denoise) : input.steps;
    const sigmas = calculateSigmas(modelSamplingOf(input.model), input.scheduler, total);
    return { SIGMAS: { sigmas: Float32Array.from(sigmas.slice(Math.max(sigmas.length - (input.steps + 1), 0))) } };
  },
});
