import { defineNode, int, socket } from '../schema.ts';

/** ComfyUI's SplitSigmas: sigmas[0 .. step] and sigmas[step ..] (they share the sigma at `step`). */
export default defineNode({
  type: 'SplitSigmas',
  version: 1,
  category: 'sampling/custom_sampling/sigmas',
  description: 'Splits the noise levels at a step: high_sigmas runs steps 0 .. step, low_sigmas the rest (both hold the sigma at step).',
  inputs: {
    sigmas: socket('SIGMAS'),
    step: int({ default: 0, min: 0, max: 10000, description: 'Where to split.' }),
  },
  outputs: { high_sigmas: socket('SIGMAS'), low_sigmas: socket('SIGMAS') },
  run(input) {
    const { sigmas } = input.sigmas;
    return { high_sigmas: { sigmas: sigmas.slice(0, input.step + 1) }, low_sigmas: { sigmas: sigmas.slice(input.step) } };
  },
});
