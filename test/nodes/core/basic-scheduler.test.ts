import { describe, expect, it } from 'vitest';

import basicScheduler from '../../../nodes/core/basic-scheduler.ts';
import { calculateSigmas } from '../../../nodes/sampling/comfy/schedulers.ts';
import { useTinyModel } from '../../helpers/tiny-model.ts';
import { eps, tensor } from '../sampling/comfy/reference.ts';
import { runNode } from '../../helpers/node-context.ts';

const model = useTinyModel();

describe('BasicScheduler', () => {
  it("gives the scheduler's sigmas on the model's table (reference), steps + 1 of them", () => {
    const { sigmas } = runNode(basicScheduler, { model: model.value, scheduler: 'exponential', steps: 4, denoise: 1 }).SIGMAS;
    expect(Array.from(sigmas)).toEqual(Array.from(tensor('schedule.exponential.4')));
  });

  it('denoise < 1 keeps the last steps + 1 sigmas of int(steps / denoise) steps; 0 gives none', () => {
    const { sigmas } = runNode(basicScheduler, { model: model.value, scheduler: 'normal', steps: 4, denoise: 0.6 }).SIGMAS;
    expect(Array.from(sigmas)).toEqual(calculateSigmas(eps, 'normal', 6).slice(-5));
    expect(runNode(basicScheduler, { model: model.value, scheduler: 'normal', steps: 4, denoise: 0 }).SIGMAS.sigmas.length).toBe(0);
  });
});
