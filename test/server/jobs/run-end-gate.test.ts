// The gate that lets a run end at most once for clients (server/jobs/run-end-gate.ts): every kind of
// end counts, nothing of an ended run passes until it is queued again, other runs are not affected,
// and it remembers a bounded number of ended runs (the oldest forgotten first).
import { describe, expect, it } from 'vitest';

import type { RunEvent } from '../../../protocol/index.ts';
import { RunEndGate } from '../../../server/jobs/run-end-gate.ts';

const start = (runId: string): RunEvent => ({ type: 'execution_start', runId, timestamp: 1 });
const success = (runId: string): RunEvent => ({ type: 'execution_success', runId, timestamp: 2 });
const error = (runId: string): RunEvent => ({ type: 'execution_error', runId, node: null, nodeType: null, message: 'failed', issues: [] });
const interrupted = (runId: string): RunEvent => ({ type: 'execution_interrupted', runId, node: '3', nodeType: 'KSampler', executed: [] });
const queued = (runId: string): RunEvent => ({ type: 'queued', runId, position: 0 });

describe('RunEndGate', () => {
  it('passes one end of each kind, once, and nothing of the run after it', () => {
    for (const end of [success, error, interrupted]) {
      const gate = new RunEndGate();
      expect(gate.admit(start('a'))).toBe(true);
      expect(gate.admit(end('a'))).toBe(true);
      expect(gate.admit(end('a'))).toBe(false);
      // Another kind of end, or a late event of a run stopped elsewhere, does not pass either.
      expect(gate.admit(success('a'))).toBe(false);
      expect(gate.admit(error('a'))).toBe(false);
      expect(gate.admit({ type: 'progress', runId: 'a', node: '3', value: 1, max: 2 })).toBe(false);
    }
  });

  it('lets other runs through, and a run queued again end again', () => {
    const gate = new RunEndGate();
    expect(gate.admit(success('a'))).toBe(true);
    expect(gate.admit(start('b'))).toBe(true);
    expect(gate.admit(success('b'))).toBe(true);
    expect(gate.admit(queued('a'))).toBe(true);
    expect(gate.admit(start('a'))).toBe(true);
    expect(gate.admit(success('a'))).toBe(true);
    expect(gate.admit(success('a'))).toBe(false);
  });

  it('remembers at most `capacity` ended runs, forgetting the oldest', () => {
    const gate = new RunEndGate(3);
    for (const id of ['a', 'b', 'c', 'd']) expect(gate.admit(success(id))).toBe(true);
    expect(gate.size).toBe(3);
    expect(gate.admit(success('a'))).toBe(true); // forgotten: the oldest
    for (const id of ['c', 'd']) expect(gate.admit(success(id))).toBe(false);
    expect(gate.size).toBe(3);
  });
});
