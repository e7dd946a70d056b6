import { describe, expect, it } from 'vitest';

import karrasScheduler from '../../../nodes/core/karras-scheduler.ts';
import { tensor } from '../sampling/comfy/reference.ts';
import { runNode } from '../../helpers/node-context.ts';

describe('KarrasScheduler', () => {
  it("with SD 1.x's default range equals the karras scheduler on the model table within 1e-6", () => {
    const { sigmas } = runNode(karrasScheduler, { steps: 4, sigma_max: 14.614642, sigma_min: 0.0291675, rho: 7 }).SIGMAS;
    const wanted = tensor('schedule.karras.4');
    sigmas.forEach((s, i) => expect(Math.abs(s - wanted[i])).toBeLessThanOrEqual(1e-6 * 14.7));
  });

  it('rho shapes the spacing: rho 1 is linear in sigma', () => {
    const { sigmas } = runNode(karrasScheduler, { steps: 3, sigma_max: 3, sigma_min: 1, rho: 1 }).SIGMAS;
    expect(Array.from(sigmas)).toEqual([3, 2, 1, 0]);
  });
});
