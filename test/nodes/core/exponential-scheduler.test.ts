import { describe, expect, it } from 'vitest';

import exponentialScheduler from '../../../nodes/core/exponential-scheduler.ts';
import { runNode } from '../../helpers/node-context.ts';

describe('ExponentialScheduler', () => {
  it('spaces the sigmas evenly in log, then 0', () => {
    const { sigmas } = runNode(exponentialScheduler, { steps: 3, sigma_max: 16, sigma_min: 1 }).SIGMAS;
    expect(sigmas.length).toBe(4);
    [16, 4, 1, 0].forEach((v, i) => expect(sigmas[i]).toBeCloseTo(v, 5));
  });

  it('refuses a zero end at validation (log spacing)', () => {
    expect(exponentialScheduler.checkWidgets!({ steps: 3, sigma_max: 16, sigma_min: 0 }, {})).toMatchObject([{ input: 'sigma_min' }]);
  });
});
