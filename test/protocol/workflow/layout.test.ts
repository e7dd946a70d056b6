import { describe, expect, it } from 'vitest';

import { columnLayout, executionToSaved } from '../../../protocol/index.ts';
import { txt2img } from './examples.ts';

describe('columnLayout', () => {
  it('lays nodes out in columns by longest path from a source', () => {
    const positions = Object.fromEntries(executionToSaved(txt2img).nodes.map((n) => [n.id, n.position.x / 320]));
    expect(positions).toEqual({ '4': 0, '5': 0, '6': 1, '7': 1, '3': 2, '8': 3, '9': 4 });
  });

  it('spaces columns and rows as asked (rows in id order within a column)', () => {
    const layout = columnLayout(txt2img, { columnWidth: 340, rowHeight: 300 });
    expect(layout['6']).toEqual({ x: 340, y: 0 });
    expect(layout['7']).toEqual({ x: 340, y: 300 });
    expect(layout['9']).toEqual({ x: 4 * 340, y: 0 });
  });
});
