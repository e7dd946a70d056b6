// The T2I-Adapter program (sdn_t2i_adapter_test, test/native/models/t2i_adapter/): the engine's adapter, loaded
// from the TencentARC full, diffusers and light layouts of test/fixtures/t2i-adapter/ and SDXL's adapter in
// test/fixtures/t2i-adapter-sdxl/ (full and diffusers layouts), against PyTorch's features.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { nativeProgram } from '../../helpers/native-programs.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('T2I-Adapter features', () => {
  it('match the PyTorch reference for every layout, at 1e-4 x max|ref|', () => {
    const out = execFileSync(nativeProgram('sdn_t2i_adapter_test'), { cwd: root, encoding: 'utf8' });
    const lines = out.split('\n').filter((l) => /^(ok|FAIL)/.test(l));
    expect(lines.filter((l) => !l.startsWith('ok')), out).toEqual([]);
    // 4 levels x (full + odd hint) for the full and diffusers files, 4 levels for the light one, 4 levels for each
    // SDXL file, and 5 UNet checks
    expect(lines).toHaveLength(33);
    expect(out).toContain('t2i_xl_diffusers: layout diffusers xl 1 hint_channels 3 levels 4');
    expect(out).toContain("unet eps_full");
    expect(out).toContain("control_residuals adapters 0.5 + 0.3");
    expect(out).toContain('t2i_diffusers: layout diffusers');
    expect(out).toContain('t2i_light: layout light light 1');
  });
});
