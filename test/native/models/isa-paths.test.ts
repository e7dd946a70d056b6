// The whole networks on every instruction-set path and with Winograd forced: the tiny-sd fixtures
// (isa-paths-child.ts) in child processes whose LATENTFLOW_ISA / LATENTFLOW_CONV pick the kernels,
// within the fixture tests' own bounds (1e-4 x max|ref| with f32 weights, 2e-2 with f16: see
// clip.test.ts, unet.test.ts, vae.test.ts). This process runs those tests on the CPU's best path; the
// whole suite can run on another one with the same variable, e.g.
//   LATENTFLOW_ISA=avx2 npx vitest run test/native/models test/pipeline
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { describe, expect, it } from 'vitest';

import { native } from '../../../native/index.ts';

const paths = ['portable', 'avx2', 'avx512'] as const;
const best = native.cpuFeatures().isa;
const available = paths.slice(0, paths.indexOf(best) + 1);

async function runChild(env: Record<string, string>, pathOnly = false): Promise<{ isa: string; errors: Record<string, number> }> {
  const child = fileURLToPath(new URL('./isa-paths-child.ts', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child, ...(pathOnly ? ['--path-only'] : [])], {
    env: { ...process.env, LATENTFLOW_THREADS: '2', ...env },
  });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

function expectWithinBounds(errors: Record<string, number>): void {
  expect(Object.keys(errors).length).toBe(10);
  for (const [name, err] of Object.entries(errors)) expect(err, name).toBeLessThanOrEqual(name.endsWith('f16') ? 2e-2 : 1e-4);
}

describe.each([
  ...available.filter((isa) => isa !== best).map((isa) => ({ isa, conv: 'auto' })),
  ...available.map((isa) => ({ isa, conv: 'winograd' })),
])('the fixtures on the $isa path, $conv convolutions (in a child process)', ({ isa, conv }) => {
  it('text encoder, UNet (8x8, 16x12), VAE decode and encode within the fixture bounds, f32 and f16 weights', async () => {
    const report = await runChild({ LATENTFLOW_ISA: isa, LATENTFLOW_CONV: conv });
    expect(report.isa).toBe(isa);
    console.log(`${isa} / ${conv}: ${Object.entries(report.errors).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ')}`);
    expectWithinBounds(report.errors);
  });
});

it('LATENTFLOW_ISA caps the path at what the CPU has (an unknown name caps nothing)', async () => {
  expect((await runChild({ LATENTFLOW_ISA: 'avx512' }, true)).isa).toBe(best);
  expect((await runChild({ LATENTFLOW_ISA: 'sse9' }, true)).isa).toBe(best);
  expect((await runChild({ LATENTFLOW_ISA: 'portable' }, true)).isa).toBe('portable');
});
