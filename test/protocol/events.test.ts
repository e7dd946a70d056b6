import { describe, expect, it } from 'vitest';

import { type RunEvent, runEventSchema, TERMINAL_EVENTS } from '../../protocol/index.ts';

describe('run events', () => {
  it('are one discriminated union keyed by type', () => {
    const events: RunEvent[] = [
      { type: 'queued', runId: 'r', position: 0 },
      { type: 'progress', runId: 'r', node: '3', value: 1, max: 4 },
      { type: 'preview', runId: 'r', node: '3', image: { mime: 'image/png', width: 2, height: 2, data: new Uint8Array([1, 2]) } },
      { type: 'execution_error', runId: 'r', node: '3', nodeType: 'KSampler', message: 'KSampler #3: no', issues: [{ code: 'node_failed', message: 'KSampler #3: no', nodeId: '3' }] },
    ];
    for (const event of events) expect(runEventSchema.parse(event)).toEqual(event);
    expect(runEventSchema.safeParse({ type: 'progress', runId: 'r', node: '3', value: 1 }).success).toBe(false);
    expect(runEventSchema.safeParse({ type: 'teleported', runId: 'r' }).success).toBe(false);
  });

  it('end a run with success, error or interrupted', () => {
    expect([...TERMINAL_EVENTS].sort()).toEqual(['execution_error', 'execution_interrupted', 'execution_success']);
  });
});
