// One door to the schedulers: create(name, schedule, config, steps).

import { createDdim } from './ddim.ts';
import { createDpmpp2m } from './dpmpp-2m.ts';
import { createEuler } from './euler.ts';
import { createEulerAncestral } from './euler-ancestral.ts';
import { createLms } from './lms.ts';
import { createPndm } from './pndm.ts';
import {
  SAMPLER_NAMES,
  type SamplerName,
  SCHEDULE_NAMES,
  type ScheduleName,
  type Scheduler,
  type SchedulerConfigFile,
} from './schedule.ts';

export { SAMPLER_NAMES, SCHEDULE_NAMES };
export type { SamplerName, ScheduleName, Scheduler, SchedulerConfigFile };
export type { StepResult } from './schedule.ts';

/** Samplers whose diffusers class has use_karras_sigmas (euler_ancestral: our extension, same construction). */
const KARRAS_CAPABLE: readonly SamplerName[] = ['euler', 'euler_ancestral', 'lms', 'dpmpp_2m'];

/**
 * A scheduler configured from a model's scheduler_config.json (parsed JSON) for `steps` inference steps.
 *
 * @example
 *   const config = JSON.parse(readFileSync('tiny-sd/scheduler/scheduler_config.json', 'utf8'));
 *   const scheduler = create('dpmpp_2m', 'karras', config, 20);
 *   scheduler.timesteps; // [999, ...]
 */
export function create(name: SamplerName, schedule: ScheduleName, config: SchedulerConfigFile, steps: number): Scheduler {
  if (!SAMPLER_NAMES.includes(name)) throw new Error(`sampler "${name}" is unknown; choose one of ${SAMPLER_NAMES.join(', ')}.`);
  if (!SCHEDULE_NAMES.includes(schedule)) throw new Error(`scheduler "${schedule}" is unknown; choose one of ${SCHEDULE_NAMES.join(', ')}.`);
  if (schedule === 'karras' && !KARRAS_CAPABLE.includes(name)) {
    throw new Error(`sampler "${name}" has no karras schedule (it steps on training timesteps); use "normal", or one of ${KARRAS_CAPABLE.join(', ')} with "karras".`);
  }
  switch (name) {
    case 'ddim':
      return createDdim(config, steps);
    case 'pndm':
      return createPndm(config, steps);
    case 'euler':
      return createEuler(config, schedule, steps);
    case 'euler_ancestral':
      return createEulerAncestral(config, schedule, steps);
    case 'lms':
      return createLms(config, schedule, steps);
    case 'dpmpp_2m':
      return createDpmpp2m(config, schedule, steps);
  }
}
