/**
 * Leak check as a test: runs bench/leak.ts (1,000 rejected requests, then 50 tiny-model jobs, against a
 * warmed-up baseline, RSS measured after forced GCs) in a fresh process, so nothing else in the test
 * run shares its heap. The bounds and why they are generous enough yet catch a real leak are in
 * bench/leak.ts; this test fails exactly when the bench does.
 */
import { spawnSync } from 'node:child_process';

import { describe, expect, it } from 'vitest';

describe('leaks', () => {
  it('RSS stays flat over 1,000 rejected requests and 50 tiny-model jobs; engine counters return to baseline', () => {
    const run = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/leak.ts', '--json'], {
      encoding: 'utf8',
      env: { ...process.env, LATENTFLOW_THREADS: process.env.LATENTFLOW_THREADS ?? '2' },
      timeout: 110_000,
    });
    const line = run.stdout.trim().split('\n').pop() ?? '';
    expect(line.startsWith('{'), `bench/leak.ts printed no result (exit ${run.status}): ${run.stderr.slice(-2000)}`).toBe(true);
    const result = JSON.parse(line);
    console.log(
      `leak: +${result.rejectedRssDeltaMiB} MiB RSS / +${result.rejectedHeapDeltaMiB} MiB heap over ${result.rejected} rejected requests, ` +
        `+${result.jobsRssDeltaMiB} MiB RSS over ${result.jobs} jobs, activations ${result.activationsDelta} B, weights ${result.weightsDelta} B (${result.seconds} s)`,
    );
    expect(result.rejected).toBe(1000);
    expect(result.jobs).toBe(50);
    expect(result.failures).toEqual([]);
    expect(run.status).toBe(0);
  });
});
