import { describe, expect, it } from 'vitest';

import { executionToSaved, parseSavedWorkflow, type SavedWorkflow, savedToExecution } from '../../../protocol/index.ts';
import { saved, txt2img } from './examples.ts';

describe('savedToExecution and executionToSaved', () => {
  it('converts to the execution form: widgets become inputs, edges links', () => {
    const { graph, issues } = savedToExecution(saved);
    expect(issues).toEqual([]);
    expect(graph).toEqual({
      '1': { class_type: 'Loader', inputs: { size: 3 } },
      '2': { class_type: 'Scale', inputs: { factor: 1.5, note: 'hi', model: ['1', 0] }, _meta: { title: 'scale it' } },
      '3': { class_type: 'Save', inputs: { prefix: 'out', model: ['2', 0] } },
    });
  });

  it('round-trips saved -> execution -> saved (positions kept through layout) and execution -> saved -> execution', () => {
    const { graph } = savedToExecution(saved);
    const layout = Object.fromEntries(saved.nodes.map((n) => [n.id, n.position]));
    expect(executionToSaved(graph, { name: 'tiny', layout })).toEqual(saved);
    const back = executionToSaved(txt2img, { name: 'txt2img' });
    expect(parseSavedWorkflow(JSON.parse(JSON.stringify(back))).issues).toEqual([]);
    expect(savedToExecution(back)).toEqual({ graph: txt2img, issues: [] });
  });

  it('reports duplicate ids, edges into missing nodes and inputs linked twice; an edge wins over a stale widget', () => {
    const bad: SavedWorkflow = {
      ...saved,
      nodes: [...saved.nodes, { id: '2', type: 'Other', position: { x: 0, y: 0 }, widgets: {} }],
      edges: [...saved.edges, { from: { node: '1', output: 0 }, to: { node: '9', input: 'model' } }, { from: { node: '1', output: 0 }, to: { node: '3', input: 'model' } }, { from: { node: '1', output: 0 }, to: { node: '3', input: 'prefix' } }],
    };
    const { graph, issues } = savedToExecution(bad);
    expect(issues.map((i) => [i.code, i.nodeId, i.input, i.details?.reason])).toEqual([
      ['workflow_invalid', '2', undefined, 'duplicate_id'],
      ['link_invalid', '9', 'model', 'target_missing'],
      ['link_invalid', '3', 'model', 'input_linked_twice'],
    ]);
    expect(graph['2'].class_type).toBe('Scale');
    expect(graph['3'].inputs.prefix).toEqual(['1', 0]);
  });
});
