// The op test program (sdn_ops_test, test/native/ops/ops_test.cc): every op case of op_cases.cc and
// every check of op_checks.cc on every instruction-set path this CPU has, against the naive twins.
// It runs once; each (op family, path) is one test here, failing with the cases that failed.
import { execFileSync, spawn } from 'node:child_process';

import { beforeAll, describe, expect, it } from 'vitest';

import { native } from '../../../native/index.ts';
import { nativeProgram } from '../../helpers/native-programs.ts';

interface Result {
  kind: 'case' | 'check';
  op: string;
  params: string;
  isa: string;
  ok: boolean;
  error?: number | null;
  tolerance?: number;
  message?: string;
}

const program = nativeProgram('sdn_ops_test');
const listing = JSON.parse(execFileSync(program, ['--list'], { encoding: 'utf8' })) as { ops: string[]; isas: string[]; bf16: boolean };

let results: Result[] = [];
let exitCode: number | null = null;
let stderr = '';

beforeAll(async () => {
  // Asynchronously, so vitest's worker stays responsive; 2 threads as the machine's other tests.
  const child = spawn(program, ['--threads', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
  results = stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Result);
}, 600_000);

describe('the op test program', () => {
  it('lists the op families and runs every path this CPU has (portable always; avx2, avx512, avx512-amx where present)', () => {
    expect(listing.isas[0]).toBe('portable');
    expect(listing.ops).toEqual(expect.arrayContaining(['gemm', 'conv2d', 'conv2d winograd', 'attention', 'group norm', 'activation', 'half']));
    expect(exitCode, stderr).not.toBeNull();
    for (const isa of listing.isas) expect(results.filter((r) => r.isa === isa).length, isa).toBeGreaterThan(100);
    // bf16 compute cases run on avx512 where the CPU has AVX512_BF16 (vdpbf16ps), and again on
    // avx512-amx (the same ops with bf16 and fp32 products on AMX tiles) where it has AMX.
    const bf16 = results.filter((r) => r.params.includes('bf16-compute'));
    expect(bf16.length > 0).toBe(listing.isas.includes('avx512') && listing.bf16);
    const amx = native.cpuFeatures().amxBf16;
    expect(listing.isas.includes('avx512-amx')).toBe(amx);
    if (amx) expect(bf16.filter((r) => r.isa === 'avx512-amx').length).toBe(bf16.filter((r) => r.isa === 'avx512').length);
  });

  describe.each(listing.ops)('%s', (op) => {
    it.each(listing.isas)('every case and check passes on the %s path', (isa) => {
      const mine = results.filter((r) => r.op === op && r.isa === isa);
      expect(mine.length, `no results for ${op} on ${isa}: ${stderr}`).toBeGreaterThan(0);
      const failed = mine.filter((r) => !r.ok).map((r) =>
        r.kind === 'case' ? `${r.params}: error ${r.error ?? 'NaN'} > ${r.tolerance}${r.message ? ` (${r.message})` : ''}` : `${r.params}: ${r.message}`);
      expect(failed).toEqual([]);
    });
  });

  it('exits 0 exactly when everything passed', () => {
    expect(exitCode).toBe(results.every((r) => r.ok) ? 0 : 1);
  });
});
