import { describe, expect, it } from 'vitest';

import { checkSubgraph, resolveInnerType, subgraphDefinition, subgraphOf } from '../../../nodes/packs/index.ts';
import { objectInfo } from '../../../nodes/schema.ts';
import { addMul, numberRegistry, registerSubgraphs } from './helpers.ts';

describe('checkSubgraph', () => {
  it('accepts a subgraph and gives it a node definition with the declared inputs and outputs', () => {
    const { subgraph, problems } = checkSubgraph(addMul, 't');
    expect(problems).toEqual([]);
    expect(subgraph!.graph['2'].inputs).toEqual({ a: ['1', 0], factor: 1 });
    const definition = subgraphDefinition(subgraph!);
    expect(subgraphOf(definition)).toBe(subgraph);
    expect(objectInfo(definition, {}, 't')).toMatchObject({
      name: 'AddMul',
      category: 'subgraphs',
      description: 'Adds x, y and bias, then multiplies by factor.',
      input: { required: { x: ['LATENT', {}], y: ['LATENT', {}], bias: ['INT', { default: 0, min: 0, max: 100 }], factor: ['INT', { default: 2, min: 0, max: 100 }] } },
      output: ['LATENT', 'LATENT'],
      output_name: ['SUM', 'PRODUCT'],
      output_node: false,
      version: 1,
    });
    expect(() => definition.run({}, {} as never)).toThrow(/is a subgraph/);
  });

  it('accepts the saved form as the fragment', () => {
    const saved = {
      version: 1,
      name: 'fragment',
      nodes: [
        { id: 1, type: 'Add', position: { x: 0, y: 0 }, widgets: { bias: 1 } },
        { id: 2, type: 'Mul', position: { x: 300, y: 0 }, widgets: {} },
      ],
      edges: [{ from: { node: 1, output: 0 }, to: { node: 2, input: 'a' } }],
    };
    const { subgraph, problems } = checkSubgraph({ ...addMul, workflow: saved }, 't');
    expect(problems).toEqual([]);
    expect(subgraph!.graph).toEqual({ '1': { class_type: 'Add', inputs: { bias: 1 } }, '2': { class_type: 'Mul', inputs: { a: ['1', 0] } } });
  });

  it('names every problem: shape, references, duplicates, links leaving the fragment, bad defaults', () => {
    expect(checkSubgraph({ type: 'x/y', workflow: {} }, 't').problems).toEqual(['"type" must be a name like "Txt2ImgSimple" (letters, digits, _; the pack adds its namespace)']);
    expect(checkSubgraph({ ...addMul, extra: 1 }, 't').problems).toHaveLength(1);
    expect(checkSubgraph({ ...addMul, inputs: [{ name: 'x', type: 'TENSOR', targets: [{ node: '1', input: 'a' }] }] }, 't').problems[0]).toMatch(/^"inputs.0.type"/);
    expect(checkSubgraph({ ...addMul, inputs: [{ name: 'x', type: 'LATENT', targets: [] }] }, 't').problems).toEqual(['"inputs.0.targets" needs at least one target ({ "node", "input" })']);
    const problems = checkSubgraph(
      {
        type: 'Broken',
        inputs: [
          { name: 'x', type: 'LATENT', default: 1, targets: [{ node: '1', input: 'a' }] },
          { name: 'x', type: 'STRING', min: 0, targets: [{ node: '1', input: 'a' }] },
          { name: 'z', type: 'INT', options: ['a'], targets: [{ node: '7', input: 'a' }] },
        ],
        outputs: [
          { name: 'O', type: 'LATENT', from: { node: '1', output: 0 } },
          { name: 'O', type: 'LATENT', from: { node: '8', output: 0 } },
        ],
        workflow: { '1': { class_type: 'Add', inputs: { b: ['outside', 0] } } },
      },
      't',
    ).problems;
    expect(problems).toEqual([
      'inner node "1" input "b" links to node "outside", which is not in the subgraph; declare a socket input targeting it instead',
      'input "x" is a LATENT socket and cannot have a default',
      'input "x" is declared twice',
      'input "x": min/max/step only apply to INT and FLOAT',
      'inner input 1.a is fed by both "x" and "x"; keep one',
      'input "z": options only apply to COMBO',
      'input "z" targets node "7", which is not in the workflow',
      'output "O" is declared twice',
      'output "O" comes from node "8", which is not in the workflow',
    ]);
    const range = checkSubgraph({ ...addMul, inputs: [{ name: 'n', type: 'INT', default: 500, max: 100, targets: [{ node: '1', input: 'bias' }] }] }, 't').problems;
    expect(range).toEqual(['input "n": default 500 is outside [-inf, 100]']);
    expect(checkSubgraph({ ...addMul, workflow: { '1': { inputs: {} } } }, 't').problems[0]).toMatch(/^workflow: /);
  });
});

describe('resolveInnerType', () => {
  it('takes a type as written first, then the pack\'s own', () => {
    const registry = numberRegistry();
    registerSubgraphs(registry, 't', [addMul, { ...addMul, type: 'Add' }]);
    expect(resolveInnerType(registry, 't', 'AddMul')).toBe('t/AddMul');
    expect(resolveInnerType(registry, 't', 'Add')).toBe('Add'); // the core type, not t/Add
    expect(resolveInnerType(registry, 't', 'other/AddMul')).toBe('other/AddMul');
    expect(resolveInnerType(registry, 't', 'Unknown')).toBe('Unknown');
  });
});
