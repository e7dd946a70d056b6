// The one HTTP error mapper and its two formatters (ours, and ComfyUI's for its routes).
import { describe, expect, it } from 'vitest';

import { SubgraphError } from '../../../nodes/packs/subgraph-error.ts';
import { InvalidWorkflowError, type Issue } from '../../../protocol/index.ts';
import { answerFor, classifyError, comfyAnswerFor, HttpError } from '../../../server/api/errors.ts';
import { QueueUnavailableError } from '../../../server/jobs/queue.ts';
import { StaleRevisionError } from '../../../server/store/workflow-store.ts';

const onNode: Issue = { code: 'value_invalid', message: 'KSampler #3: "sampler_name" is "rk4", not one of the options.', nodeId: '3', input: 'sampler_name', details: { reason: 'not_in_options' } };

describe('classifyError', () => {
  it('maps each error kind to one status and code', () => {
    expect(classifyError(new InvalidWorkflowError([onNode]))).toEqual({ status: 400, code: 'invalid_workflow', message: onNode.message, issues: [onNode] });
    expect(classifyError(new HttpError(404, 'not_found', 'gone'))).toEqual({ status: 404, code: 'not_found', message: 'gone' });
    expect(classifyError(new QueueUnavailableError('Redis is down'))).toMatchObject({ status: 503, code: 'queue_unavailable' });
    expect(classifyError(new StaleRevisionError('w', 2, 3))).toMatchObject({ status: 409, code: 'stale_revision', details: { expected: 2, actual: 3 } });
    expect(classifyError(new SubgraphError({ code: 'node_type_duplicate', message: 'taken' }))).toMatchObject({ status: 409, code: 'node_type_duplicate' });
    expect(classifyError(Object.assign(new Error('x'), { type: 'entity.parse.failed' }))).toMatchObject({ status: 400, code: 'bad_json' });
    expect(classifyError(new Error('secret detail'))).toEqual({ status: 500, code: 'internal', message: 'internal server error (see the server log)' });
  });
});

describe('the formatters', () => {
  it('ours: { error: { code, message, issues?, details? } }', () => {
    expect(answerFor(new InvalidWorkflowError([onNode]))).toEqual({ status: 400, body: { error: { code: 'invalid_workflow', message: onNode.message, issues: [onNode] } } });
  });

  it('ComfyUI\'s: node_errors keyed by node, class_type from the prompt when the issue has none', () => {
    const prompt = { '3': { class_type: 'KSampler', inputs: {} } };
    expect(comfyAnswerFor(new InvalidWorkflowError([onNode]), prompt)).toEqual({
      status: 400,
      body: {
        error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details: onNode.message, extra_info: {} },
        node_errors: {
          '3': { errors: [{ type: 'value_invalid', message: onNode.message, details: 'sampler_name', extra_info: { input_name: 'sampler_name', reason: 'not_in_options' } }], dependent_outputs: [], class_type: 'KSampler' },
        },
      },
    });
    const shape = comfyAnswerFor(new InvalidWorkflowError([{ code: 'workflow_invalid', message: 'Workflow: expected an object.' }]));
    expect(shape.body.error).toMatchObject({ type: 'invalid_prompt', message: 'Workflow: expected an object.' });
    expect(comfyAnswerFor(new QueueUnavailableError('down'))).toMatchObject({ status: 503, body: { error: { type: 'queue_unavailable', message: 'down' }, node_errors: {} } });
  });
});
