// The rule of native/src/ops/arch/x86/x86.h, checked on the built libraries: the code compiled with a
// path's flags (sdn_avx2.a, sdn_avx512.a) defines no function the rest of the engine could link to by
// accident, so no AVX-512 (or AVX2) instruction can reach a CPU without it. Every global or weak
// symbol they define belongs to the path: its namespace (sdn::x86::avx512::...) or a template made for
// its vector type (...<sdn::x86::Avx512>).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

// The release build (what ships; `npm run test:asan`'s -O1 build keeps inline helpers out of line, and
// runs only where it was built).
const dir = path.resolve('native/build/Release');

describe.each([
  { lib: 'sdn_avx2.a', ns: 'sdn::x86::avx2::', type: 'sdn::x86::Avx2' },
  { lib: 'sdn_avx512.a', ns: 'sdn::x86::avx512::', type: 'sdn::x86::Avx512' },
])('$lib', ({ lib, ns, type }) => {
  it('defines only symbols of its own path (global and weak ones)', () => {
    const file = path.join(dir, lib);
    expect(existsSync(file), `${file}: build the engine with npm run build:native`).toBe(true);
    const symbols = execFileSync('nm', ['-C', '--defined-only', file], { encoding: 'utf8' })
      .split('\n')
      .map((line) => /^[0-9a-f]+ ([A-Za-z]) (.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null && /^[A-Zu]$/.test(m[1])) // global, weak or unique (local ones are lower case)
      .map((m) => m[2]);
    expect(symbols.length).toBeGreaterThan(10);
    const foreign = symbols.filter((s) => !s.startsWith(ns) && !s.includes(`<${type}>`) && !s.includes(`<${type},`));
    expect(foreign).toEqual([]);
  });
});
