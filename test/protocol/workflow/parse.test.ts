import { describe, expect, it } from 'vitest';

import { NodeRegistry } from '../../../nodes/registry.ts';
import { defineNode, float, int, socket, text } from '../../../nodes/schema.ts';
import { executionToSaved, parseWorkflow } from '../../../protocol/index.ts';
import { txt2img } from './examples.ts';

describe('parseWorkflow', () => {
  const scale = defineNode({
    type: 'Scale',
    version: 2,
    category: 'x',
    description: 'v2 renamed "amount" to "factor" and made it a ratio instead of a percentage.',
    inputs: { model: socket('MODEL'), factor: float({ default: 1 }), note: text({ default: '' }), steps: int({ default: 1 }) },
    outputs: { MODEL: socket('MODEL') },
    migrate: (widgets, from) => (from < 2 ? { ...widgets, factor: Number(widgets.amount) / 100, amount: undefined } : widgets),
    run: (input) => ({ MODEL: input.model }),
  });

  it('accepts either form and migrates saved nodes of an older type version', () => {
    const registry = new NodeRegistry();
    registry.registerAll([scale]);
    const saved = { version: 1, name: 'old', nodes: [{ id: '2', type: 'Scale', version: 1, position: { x: 0, y: 0 }, widgets: { amount: 150 } }], edges: [] };
    const fromSaved = parseWorkflow(saved, registry);
    expect(fromSaved.form).toBe('saved');
    expect(fromSaved.graph!['2'].inputs).toEqual({ factor: 1.5 });
    expect(fromSaved.saved!.name).toBe('old');
    const fromExecution = parseWorkflow(txt2img);
    expect(fromExecution.form).toBe('execution');
    expect(fromExecution.graph).toEqual(txt2img);
    expect(executionToSaved(fromSaved.graph!, { versions: registry }).nodes[0].version).toBe(2);
  });
});
