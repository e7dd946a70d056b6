import { describe, expect, it } from 'vitest';

import { errorAnswerSchema, interruptRequestSchema, promptRequestSchema, queueRunRequestSchema, renameWorkflowRequestSchema, updateWorkflowRequestSchema } from '../../protocol/index.ts';

describe('HTTP request schemas', () => {
  it('take what the routes take and refuse the rest', () => {
    expect(queueRunRequestSchema.parse({ workflow: {}, overrides: { '6.text': 'a cat' }, clientId: 'tab' })).toEqual({ workflow: {}, overrides: { '6.text': 'a cat' }, clientId: 'tab' });
    expect(queueRunRequestSchema.safeParse({ workflow: {}, clientId: 'x'.repeat(201) }).success).toBe(false);
    expect(updateWorkflowRequestSchema.safeParse({ workflow: {} }).success).toBe(false);
    expect(renameWorkflowRequestSchema.safeParse({ newName: 'b', revision: 0 }).success).toBe(false);
    expect(interruptRequestSchema.parse({})).toEqual({});
    expect(promptRequestSchema.parse({ prompt: {}, client_id: 'c', extra_data: { extra_pnginfo: {} } })).toMatchObject({ client_id: 'c' });
    expect(promptRequestSchema.safeParse({ prompt: {}, prompt_id: 'x'.repeat(101) }).success).toBe(false);
  });

  it('describe the error answer', () => {
    expect(errorAnswerSchema.safeParse({ error: { code: 'invalid_workflow', message: 'no', issues: [{ code: 'cycle', message: 'a loop' }] } }).success).toBe(true);
    expect(errorAnswerSchema.safeParse({ error: { message: 'no code' } }).success).toBe(false);
  });
});
