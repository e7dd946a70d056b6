// Euler ancestral, equal to diffusers 0.27.2 EulerAncestralDiscreteScheduler: an Euler step down to sigma_down,
// then fresh noise of size sigma_up, with sigma_up^2 + sigma_down^2 = sigma_{i+1}^2:
//   sigma_up   = sqrt(sigma_{i+1}^2 (sigma_i^2 - sigma_{i+1}^2) / sigma_i^2),   sigma_down = sqrt(sigma_{i+1}^2 - sigma_up^2)
//   x0 = x - sigma_i eps,  d = (x - x0) / sigma_i,  x_next = x + d (sigma_down - sigma_i) + randn(x.shape) sigma_up.
// The noise is torch.randn from the caller's generator, one draw of x's shape per step (also on the last step).
// 'karras' is an extension: diffusers 0.27.2 has no use_karras_sigmas on this class; we use Euler's construction.

import { randn } from '../rng.ts';
import { addNoiseSigma, eulerStep, scaleBySigma, sigmaSchedule } from './euler.ts';
import { checkIndex, checkSameLength, type ScheduleName, type Scheduler, type SchedulerConfigFile, type StepResult } from './schedule.ts';

const f = Math.fround;

export function createEulerAncestral(file: SchedulerConfigFile, schedule: ScheduleName, steps: number): Scheduler {
  const { timesteps, sigmas, initNoiseSigma } = sigmaSchedule(file, 'euler_ancestral', schedule, steps);
  return {
    name: 'euler_ancestral',
    schedule,
    timesteps,
    sigmas,
    initNoiseSigma,
    scaleModelInput: (x, i) => scaleBySigma(x, sigmas[i]),
    setBeginIndex: () => {},

    step(eps, i, x, generator): StepResult {
      checkIndex('euler_ancestral', i, timesteps.length);
      checkSameLength('euler_ancestral', eps, x, 'the model output');
      if (!generator) throw new Error('euler_ancestral: step needs the seeded generator for its per-step noise.');
      const sigmaFrom = sigmas[i];
      const sigmaTo = sigmas[i + 1];
      const sigmaToSquared = f(sigmaTo * sigmaTo);
      const sigmaFromSquared = f(sigmaFrom * sigmaFrom);
      const sigmaUp = f(Math.sqrt(f(f(sigmaToSquared * f(sigmaFromSquared - sigmaToSquared)) / sigmaFromSquared)));
      const sigmaDown = f(Math.sqrt(f(sigmaToSquared - f(sigmaUp * sigmaUp))));
      const result = eulerStep(eps, x, sigmaFrom, f(sigmaDown - sigmaFrom));
      const prev = result.prevSample;
      const noise = randn([x.length], generator);
      for (let k = 0; k < x.length; k++) prev[k] = f(prev[k] + f(noise[k] * sigmaUp));
      return result;
    },

    addNoise: (original, noise, i) => addNoiseSigma('euler_ancestral', original, noise, sigmas[i]),
  };
}
