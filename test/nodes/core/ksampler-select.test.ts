import { describe, expect, it } from 'vitest';

import ksamplerSelect from '../../../nodes/core/ksampler-select.ts';
import { objectInfo } from '../../../nodes/schema.ts';
import { runNode } from '../../helpers/node-context.ts';

describe('KSamplerSelect', () => {
  it("offers ComfyUI's samplers (no diffusers-only pndm) and returns the choice", () => {
    const options = objectInfo(ksamplerSelect).input.required.sampler_name[0] as string[];
    expect(options).toContain('dpmpp_3m_sde');
    expect(options).toContain('uni_pc_bh2');
    expect(options).not.toContain('pndm');
    expect(runNode(ksamplerSelect, { sampler_name: 'lcm' }).SAMPLER).toEqual({ name: 'lcm' });
  });
});
