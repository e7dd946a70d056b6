// The whole networks on every instruction-set path and with Winograd forced: the tiny-sd fixtures
// (isa-paths-child.ts) in child processes whose LATENTFLOW_ISA / LATENTFLOW_CONV pick the kernels,
// within the fixture tests' own bounds (1e-4 x max|ref| with f32 weights, 2e-2 with f16, 5e-2 for the UNet with
// q8_0: see clip.test.ts, unet.test.ts, vae.test.ts). This process runs those tests on the CPU's best path; the
// whole suite can run on another one with the same variable, e.g.
//   LATENTFLOW_ISA=avx2 npx vitest run test/native/models test/pipeline
//   LATENTFLOW_AMX_FP32=0 npx vitest run test/native/models test/pipeline   # fp32 on FMAs where AMX would take it
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
  expect(Object.keys(errors).length).toBe(12);
  for (const [name, err] of Object.entries(errors)) expect(err, name).toBeLessThanOrEqual(name.endsWith('q8_0') ? 5e-2 : name.endsWith('f16') ? 2e-2 : 1e-4);
}

// Where fp32 products take AMX tiles on the best path (bf16 pieces), this process tests them; a child tests
// the same path's FMA kernels (LATENTFLOW_AMX_FP32=0).
const fp32Sets = native.cpuFeatures().amxFp32 ? [{ isa: best, conv: 'auto', fp32: 'FMA (LATENTFLOW_AMX_FP32=0)' }] : [];

describe.each([
  ...available.filter((isa) => isa !== best).map((isa) => ({ isa, conv: 'auto', fp32: 'the path\'s' })),
  ...available.map((isa) => ({ isa, conv: 'winograd', fp32: 'the path\'s' })),
  ...fp32Sets,
])('the fixtures on the $isa path, $conv convolutions, $fp32 fp32 kernels (in a child process)', ({ isa, conv, fp32 }) => {
  it('text encoder, UNet (8x8, 16x12), VAE decode and encode within the fixture bounds, f32 and f16 weights (the UNet q8_0 too)', async () => {
    const report = await runChild({ LATENTFLOW_ISA: isa, LATENTFLOW_CONV: conv, ...(fp32.startsWith('FMA') ? { LATENTFLOW_AMX_FP32: '0' } : {}) });
    expect(report.isa).toBe(isa);
    console.log(`${isa} / ${conv} / ${fp32}: ${Object.entries(report.errors).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ')}`);
    expectWithinBounds(report.errors);
  });
});

it('LATENTFLOW_ISA caps the path at what the CPU has (an unknown name caps nothing)', async () => {
  expect((await runChild({ LATENTFLOW_ISA: 'avx512' }, true)).isa).toBe(best);
  expect((await runChild({ LATENTFLOW_ISA: 'sse9' }, true)).isa).toBe(best);
  expect((await runChild({ LATENTFLOW_ISA: 'portable' }, true)).isa).toBe('portable');
});
