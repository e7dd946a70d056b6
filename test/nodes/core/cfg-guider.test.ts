import { describe, expect, it } from 'vitest';

import cfgGuider from '../../../nodes/core/cfg-guider.ts';
import type { ModelValue } from '../../../nodes/socket-values.ts';
import { plain, prompt } from '../sampling/comfy/reference.ts';
import { runNode } from '../../helpers/node-context.ts';

describe('CFGGuider', () => {
  it('holds the model, both conditionings and the scale (sampling by SamplerCustomAdvanced is tested there)', () => {
    const model = { source: 'm' } as ModelValue;
    const guider = runNode(cfgGuider, { model, positive: plain(prompt(4)), negative: plain(prompt(5)), cfg: 6 }).GUIDER;
    expect(guider.model).toBe(model);
    expect(guider.cfg).toBe(6);
    expect(guider.negative).toHaveLength(1);
  });
});
