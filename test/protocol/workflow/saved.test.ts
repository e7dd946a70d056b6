import { describe, expect, it } from 'vitest';

import { parseSavedWorkflow } from '../../../protocol/index.ts';

describe('the saved form', () => {
  it('reports shape problems with the node id', () => {
    const { issues } = parseSavedWorkflow({ version: 1, name: 'x', nodes: [{ id: 7, type: 'A', position: { x: 'left', y: 0 } }], edges: [{ from: { node: '7' }, to: { node: '7', input: 'a' } }] });
    expect(issues.map((i) => [i.code, i.nodeId, (i.details as { path: string[] }).path.join('.')])).toEqual([
      ['workflow_invalid', '7', 'nodes.0.position.x'],
      ['workflow_invalid', undefined, 'edges.0.from.output'],
    ]);
    expect(parseSavedWorkflow({ version: 2, name: 'x', nodes: [] }).issues[0].details).toMatchObject({ path: ['version'] });
  });

  it('accepts numeric ids in the saved form', () => {
    const { workflow } = parseSavedWorkflow({ version: 1, name: 'n', nodes: [{ id: 1, type: 'A', position: { x: 0, y: 0 } }], edges: [{ from: { node: 1, output: 0 }, to: { node: 1, input: 'x' } }] });
    expect(workflow!.nodes[0]).toEqual({ id: '1', type: 'A', position: { x: 0, y: 0 }, widgets: {} });
    expect(workflow!.edges[0].from.node).toBe('1');
  });
});
