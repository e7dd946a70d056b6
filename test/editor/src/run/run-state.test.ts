import { describe, expect, it } from 'vitest';

import type { RunEvent } from '../../../../protocol/index.ts';
import { emptyRunState, overallProgress, reduceRunEvent, runQueued, runRejected, type RunState } from '../../../../editor/src/run/run-state.ts';

const run = (state: RunState, ...events: RunEvent[]) => events.reduce((s, e) => reduceRunEvent(s, e, e.type === 'preview' ? 'blob:preview' : undefined), state);

describe('run state', () => {
  const queued = runQueued(emptyRunState(), 'r1', 1, ['4', '6', '3', '9']);

  it('follows a run: cached nodes, the running node and its step, stats, images', () => {
    let s = run(queued, { runId: 'r1', type: 'execution_start', timestamp: 1 }, { runId: 'r1', type: 'execution_cached', nodes: ['4', '6'] });
    expect(s.nodes['4'].status).toBe('cached');
    expect(overallProgress(s)).toBe(0.5);
    s = run(s, { runId: 'r1', type: 'executing', node: '3', nodeType: 'KSampler' }, { runId: 'r1', type: 'progress', node: '3', value: 2, max: 4 });
    expect(s.active!.node).toBe('3');
    expect(s.nodes['3']).toMatchObject({ status: 'running', progress: { value: 2, max: 4 } });
    expect(overallProgress(s)).toBeCloseTo(2.5 / 4);
    s = run(s, { runId: 'r1', type: 'preview', node: '3', image: { mime: 'image/png', width: 8, height: 8, data: new Uint8Array(1) } });
    expect(s.nodes['3'].preview).toBe('blob:preview');
    s = run(s, { runId: 'r1', type: 'stats', node: '3', nodeType: 'KSampler', ms: 1234, peakBytes: 5e6, extra: {} });
    expect(s.nodes['3']).toMatchObject({ status: 'done', stats: { ms: 1234, peakBytes: 5e6 } });
    expect(s.nodes['3'].progress).toBeUndefined();
    s = run(
      s,
      { runId: 'r1', type: 'executing', node: '9', nodeType: 'SaveImage' },
      { runId: 'r1', type: 'executed', node: '9', nodeType: 'SaveImage', cached: false, output: { images: [{ filename: 'a.png', subfolder: '', type: 'output' }] } },
      { runId: 'r1', type: 'stats', node: '9', nodeType: 'SaveImage', ms: 3, peakBytes: null, extra: {} },
      { runId: 'r1', type: 'execution_success', timestamp: 2 },
    );
    expect(s.nodes['9'].images).toEqual([{ filename: 'a.png', subfolder: '', type: 'output' }]);
    expect(s.active!.phase).toBe('success');
    expect(overallProgress(s)).toBe(1);
  });

  it('puts a run-time error on its node and clears pending marks', () => {
    const s = run(
      queued,
      { runId: 'r1', type: 'execution_start', timestamp: 1 },
      { runId: 'r1', type: 'executing', node: '4', nodeType: 'CheckpointLoaderSimple' },
      { runId: 'r1', type: 'execution_error', node: '4', nodeType: 'CheckpointLoaderSimple', message: 'boom', issues: [{ code: 'node_failed', message: 'CheckpointLoaderSimple #4: file missing.' }] },
    );
    expect(s.nodes['4'].status).toBe('error');
    expect(s.nodes['3'].status).toBeUndefined();
    expect(s.issues).toEqual([{ code: 'node_failed', message: 'CheckpointLoaderSimple #4: file missing.', nodeId: '4', nodeType: 'CheckpointLoaderSimple' }]);
    expect(s.active!.phase).toBe('error');
  });

  it('keeps images and stats of the last run when a new one is queued, but clears issues', () => {
    let s = run(
      queued,
      { runId: 'r1', type: 'execution_start', timestamp: 1 },
      { runId: 'r1', type: 'stats', node: '3', nodeType: 'KSampler', ms: 9, peakBytes: 1, extra: {} },
      { runId: 'r1', type: 'execution_success', timestamp: 2 },
    );
    s = runRejected(s, [{ code: 'input_missing', message: 'x', nodeId: '3', input: 'model' }]);
    s = runQueued(s, 'r2', 2, ['3']);
    expect(s.issues).toEqual([]);
    expect(s.active).toMatchObject({ runId: 'r2', phase: 'queued', number: 2, total: 1 });
    expect(s.nodes['3']).toMatchObject({ status: 'pending', stats: { ms: 9 } });
  });

  it('follows runs queued back to back, each when it starts', () => {
    let s = run(queued, { runId: 'r1', type: 'executing', node: '3', nodeType: 'KSampler' }); // execution_start was missed
    expect(s.active).toMatchObject({ runId: 'r1', phase: 'running', node: '3' });
    s = runQueued(s, 'r2', 2, ['3', '9']);
    expect(s.active!.runId).toBe('r1');
    expect(Object.keys(s.waiting)).toEqual(['r2']);
    s = run(
      s,
      { runId: 'r1', type: 'stats', node: '3', nodeType: 'KSampler', ms: 5, peakBytes: null, extra: {} },
      { runId: 'r1', type: 'execution_success', timestamp: 3 },
      { runId: 'r2', type: 'execution_start', timestamp: 4 },
      { runId: 'r2', type: 'execution_cached', nodes: ['3'] },
      { runId: 'r2', type: 'execution_cached', nodes: ['3'] }, // a duplicate changes nothing
    );
    expect(s.active).toMatchObject({ runId: 'r2', phase: 'running', total: 2, finished: 1, number: 2 });
    expect(s.waiting).toEqual({});
    expect(s.nodes['3'].status).toBe('cached');
    expect(s.nodes['9'].status).toBe('pending');
    expect(overallProgress(s)).toBe(0.5);
  });

  it('ignores events of other runs and marks an interrupt', () => {
    let s = run(queued, { runId: 'other', type: 'progress', node: '3', value: 1, max: 2 });
    expect(s).toBe(queued);
    s = run(queued, { runId: 'r1', type: 'execution_start', timestamp: 1 }, { runId: 'r1', type: 'executing', node: '3', nodeType: 'KSampler' }, { runId: 'r1', type: 'execution_interrupted', node: '3', nodeType: 'KSampler', executed: [] });
    expect(s.nodes['3'].status).toBe('interrupted');
    expect(s.active!.phase).toBe('interrupted');
  });
});
