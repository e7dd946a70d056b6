import { describe, expect, it } from 'vitest';

import { groupAround, groupMembers } from '../../../../editor/src/graph/groups.ts';
import type { FlowNode } from '../../../../editor/src/graph/types.ts';

const node = (id: string, x: number, y: number, width = 200, height = 100): FlowNode => ({ id, position: { x, y }, measured: { width, height }, data: { nodeType: 'X', widgets: {} } });

describe('groups', () => {
  it('holds the nodes whose centre is inside it and the reroutes on it', () => {
    const nodes = [node('in', 0, 0), node('half', 250, 0), node('out', 400, 0)];
    // [x, y, w, h] = [-10, -40, 400, 200]: "half" has its centre (350, 50) inside, "out" (500, 50) not.
    const members = groupMembers([-10, -40, 400, 200], nodes, [{ id: 1, pos: { x: 10, y: 10 } }, { id: 2, pos: { x: 900, y: 0 } }]);
    expect([...members.nodes]).toEqual(['in', 'half']);
    expect([...members.reroutes]).toEqual([1]);
  });

  it('is drawn around the nodes with padding and room for its title', () => {
    expect(groupAround([node('a', 0, 0), node('b', 300, 200, 100, 50)])).toEqual([-10, -44, 420, 304]);
  });
});
