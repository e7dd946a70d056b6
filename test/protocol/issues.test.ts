import { describe, expect, it } from 'vitest';

import { InvalidWorkflowError, type Issue, issueSchema, nodeLabel } from '../../protocol/index.ts';

const issue: Issue = { code: 'input_missing', message: 'KSampler #7: input "model" is not connected.', nodeId: '7', nodeType: 'KSampler', input: 'model' };

describe('issues', () => {
  it('have one shape on the wire; an unknown code is not an issue', () => {
    expect(issueSchema.parse(JSON.parse(JSON.stringify(issue)))).toEqual(issue);
    expect(issueSchema.safeParse({ ...issue, code: 'oops' }).success).toBe(false);
  });

  it('name nodes one way', () => {
    expect(nodeLabel('KSampler', '7')).toBe('KSampler #7');
  });

  it('an invalid workflow carries every issue; its message is the only one, or the count and the first', () => {
    expect(new InvalidWorkflowError([issue]).message).toBe(issue.message);
    const two = new InvalidWorkflowError([issue, { code: 'cycle', message: 'a loop' }]);
    expect(two.message).toBe(`the workflow has 2 problems; the first: ${issue.message}`);
    expect(two.issues).toHaveLength(2);
  });
});
