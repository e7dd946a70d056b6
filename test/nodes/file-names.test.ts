import { describe, expect, it } from 'vitest';

import { prefixProblem } from '../../nodes/image/save.ts';
import { fileNameProblem } from '../../nodes/file-names.ts';

describe('the file-name rule', () => {
  it('accepts letters of any script, digits, spaces, dots, dashes, underscores and parentheses', () => {
    for (const name of ['latentflow_00001_.png', 'my picture (2).png', '猫の絵', 'a.b-c_d', 'x'.repeat(128)]) expect(fileNameProblem(name), name).toBeNull();
  });

  it('refuses, saying why', () => {
    expect(fileNameProblem('')).toMatch(/empty/);
    expect(fileNameProblem("a'&;=b%22")).toBe('may not contain "\'"');
    expect(fileNameProblem('a/b')).toMatch(/may not contain "\/"/);
    expect(fileNameProblem('.hidden')).toMatch(/starts with a dot/);
    expect(fileNameProblem(' x')).toMatch(/space/);
    expect(fileNameProblem('x'.repeat(129))).toMatch(/128 characters/);
    expect(fileNameProblem('一'.repeat(67))).toMatch(/200 bytes/);
  });
});

describe("SaveImage's prefixes follow it", () => {
  it('each folder, and the file name made from the last part', () => {
    expect(prefixProblem('renders/night (2)/cat')).toBeNull();
    expect(prefixProblem('/abs/olute')).toBeNull(); // taken as relative to the output folder
    expect(prefixProblem("a'&;=b%22")).toMatch(/file names such as "a'&;=b%22_00001_.png" that may not contain "'"/);
    expect(prefixProblem('ok/a%2fb')).toMatch(/may not contain "%"/);
    expect(prefixProblem('../x')).toMatch(/folder "\.\." that starts with a dot/);
    expect(prefixProblem('x'.repeat(118))).toMatch(/longer than 128 characters/); // with "_00001_.png", 129
    expect(prefixProblem('x'.repeat(117))).toBeNull();
    expect(prefixProblem('')).toMatch(/empty/);
  });
});
