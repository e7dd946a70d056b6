import { describe, expect, it } from 'vitest';

import { jobError, jobErrorSchema, readJobError } from '../../protocol/index.ts';

describe('JobError', () => {
  it('has the same fields whatever failed', () => {
    const error = jobError('worker_failed', 'Redis went away', { attempts: 3 });
    expect(error).toEqual({ code: 'worker_failed', message: 'Redis went away', issues: [], messages: [], attempts: 3 });
    expect(jobErrorSchema.parse(error)).toEqual(error);
  });

  it('reads records written before the shape was fixed', () => {
    expect(readJobError(null)).toBeNull();
    expect(readJobError({ message: 'the server stopped while this job was running, 2 times; it was not retried again', code: 'abandoned' })).toMatchObject({ code: 'abandoned', issues: [], messages: [] });
    expect(readJobError({ message: 'interrupted by the user', messages: [['execution_start', { type: 'execution_start' }]] })).toMatchObject({ code: 'interrupted', messages: [['execution_start', { type: 'execution_start' }]] });
    expect(readJobError({ message: 'boom', issues: [{ code: 'node_failed', message: 'A #1: boom', nodeId: '1' }] })).toMatchObject({ code: 'run_failed', issues: [{ nodeId: '1' }] });
    expect(readJobError('garbage')).toMatchObject({ code: 'run_failed', message: 'garbage' });
    expect(readJobError({ code: 'no such code', message: 'x' })).toEqual(jobError('internal', 'x'));
  });
});
