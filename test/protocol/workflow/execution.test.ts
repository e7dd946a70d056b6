import { describe, expect, it } from 'vitest';

import { parseExecutionGraph } from '../../../protocol/index.ts';
import { txt2img } from './examples.ts';

describe('execution form', () => {
  it('parses ComfyUI API format, normalising numeric link ids to strings', () => {
    const { graph, issues } = parseExecutionGraph({ ...txt2img, '8': { class_type: 'VAEDecode', inputs: { samples: [3, 0], vae: ['4', 2] } } });
    expect(issues).toEqual([]);
    expect(graph!['8'].inputs.samples).toEqual(['3', 0]);
    expect(graph!['3']._meta).toEqual({ title: 'KSampler' });
    expect(graph!['3'].inputs.seed).toBe(156680208700286);
  });


  it('reports every shape problem with its node id and path', () => {
    const { graph, issues } = parseExecutionGraph({ '1': { inputs: {} }, '2': { class_type: 'X', inputs: 5 }, '3': { class_type: 'Y' } });
    expect(graph).toBeUndefined();
    expect(issues.map((i) => [i.code, i.nodeId, (i.details as { path: string[] }).path])).toEqual([
      ['workflow_invalid', '1', ['1', 'class_type']],
      ['workflow_invalid', '2', ['2', 'inputs']],
    ]);
    expect(parseExecutionGraph([1, 2]).issues[0].code).toBe('workflow_invalid');
    expect(parseExecutionGraph(null).issues).toHaveLength(1);
  });
});
