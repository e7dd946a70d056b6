import { describe, expect, it } from 'vitest';

import { compareNodeIds, type ExecutionGraph } from '../../../protocol/index.ts';
import { findCycles, orderGraph, validateGraph } from '../../../server/runner/index.ts';
import { chain, chainRegistry } from '../../helpers/chain.ts';

/** A graph from "id: type <- from, from" lines; links go into inputs a, b, c in order. */
function graph(lines: string[]): ExecutionGraph {
  const out: ExecutionGraph = {};
  for (const line of lines) {
    const [id, rest] = line.split(':').map((s) => s.trim());
    const [type, from = ''] = rest.split('<-').map((s) => s.trim());
    const inputs: Record<string, unknown> = {};
    from.split(',').map((s) => s.trim()).filter(Boolean).forEach((f, i) => (inputs['abc'[i]] = [f, 0]));
    out[id] = { class_type: type, inputs };
  }
  return out;
}


describe('orderGraph', () => {
  it('orders a diamond: each node after everything it links from, the shared node once', () => {
    const g = graph(['1: Load', '2: Left <- 1', '3: Right <- 1', '4: Join <- 2, 3', '5: Save <- 4']);
    const result = orderGraph(g, ['5']);
    expect(result).toEqual({ ok: true, order: ['1', '2', '3', '4', '5'] });
  });

  it('leaves out branches no output needs', () => {
    const g = graph(['1: Load', '2: Used <- 1', '3: Unused <- 1', '4: AlsoUnused <- 3', '5: Save <- 2', '6: Orphan']);
    expect(orderGraph(g, ['5'])).toEqual({ ok: true, order: ['1', '2', '5'] });
    // Two outputs share their upstream; it appears once.
    expect(orderGraph(g, ['5', '4'])).toEqual({ ok: true, order: ['1', '2', '5', '3', '4'] });
  });

  it('orders a 10,000-node chain without recursion', () => {
    const result = orderGraph(chain(10_000), ['9999']);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.order).toHaveLength(10_000);
      expect(result.order.every((id, i) => id === String(i))).toBe(true);
    }
  });

  it('returns a cycle issue naming the nodes of the loop, in link order', () => {
    const g = graph(['1: Load', '2: A <- 1, 4', '3: B <- 2', '4: C <- 3', '5: Save <- 4']);
    const result = orderGraph(g, ['5']);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issue.code).toBe('cycle');
      expect(result.issue.details).toEqual({ nodes: ['2', '3', '4'], nodesTotal: 3 });
      expect(result.issue.message).toContain('A #2 -> B #3 -> C #4');
    }
  });

  it('skips links to missing nodes (validation reports them)', () => {
    expect(orderGraph(graph(['1: A <- 9', '2: Save <- 1']), ['2'])).toEqual({ ok: true, order: ['1', '2'] });
  });
});

describe('findCycles', () => {
  it('finds every loop once, including self-links, and nothing in a DAG', () => {
    const g = graph(['1: A <- 2', '2: B <- 1', '3: C <- 3', '4: D <- 1', '5: E <- 6', '6: F <- 7', '7: G <- 5, 4']);
    expect(findCycles(g).sort((a, b) => compareNodeIds(a[0], b[0]))).toEqual([['1', '2'], ['3'], ['5', '6', '7']]);
    expect(findCycles(graph(['1: Load', '2: Left <- 1', '3: Right <- 1', '4: Join <- 2, 3']))).toEqual([]);
  });

  it('handles a 10,000-node loop without recursion', () => {
    const g = chain(10_000);
    g['0'].inputs.a = ['9999', 0];
    const cycles = findCycles(g);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toHaveLength(10_000);
  });

  it('sorts ids numerically where they are numbers', () => {
    expect(['10', '9', 'b', '1', 'a'].sort(compareNodeIds)).toEqual(['1', '9', '10', 'a', 'b']);
  });
});

describe('validateGraph on a 10,000-node chain', () => {
  it('validates it without overflowing the stack (its time: npm run bench:overheads)', () => {
    expect(validateGraph(chain(10_000), chainRegistry())).toEqual([]);
  });
});
