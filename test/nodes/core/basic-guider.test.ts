import { describe, expect, it } from 'vitest';

import basicGuider from '../../../nodes/core/basic-guider.ts';
import type { ModelValue } from '../../../nodes/socket-values.ts';
import { plain, prompt } from '../sampling/comfy/reference.ts';
import { runNode } from '../../helpers/node-context.ts';

describe('BasicGuider', () => {
  it('has no negative and cfg 1 (the sampling equality is tested with SamplerCustomAdvanced)', () => {
    const guider = runNode(basicGuider, { model: { source: 'm' } as ModelValue, conditioning: plain(prompt(4)) }).GUIDER;
    expect(guider.negative).toBeUndefined();
    expect(guider.cfg).toBe(1);
  });
});
