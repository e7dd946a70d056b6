import { describe, expect, it } from 'vitest';

import { nodesToRun } from '../../../../editor/src/app/run.ts';
import { fromSaved } from '../../../../editor/src/graph/convert.ts';
import { parseCatalog } from '../../../../protocol/index.ts';
import { OBJECT_INFO } from '../../catalog-fixture.ts';
import { TXT2IMG } from '../../workflow-fixture.ts';

const catalog = parseCatalog(OBJECT_INFO);

describe('nodesToRun', () => {
  it('is the output nodes and everything upstream of them', () => {
    const doc = fromSaved(TXT2IMG, catalog);
    expect(nodesToRun(doc, catalog).sort()).toEqual(['3', '4', '5', '6', '7', '8', '9']);
    const withoutSave = { nodes: doc.nodes, edges: doc.edges.filter((e) => e.target !== '9') };
    expect(nodesToRun(withoutSave, catalog)).toEqual(['9']);
  });

  it('leaves muted nodes out and passes bypassed ones through, as the server converts what the editor sends', () => {
    const doc = fromSaved(TXT2IMG, catalog);
    const withMode = (id: string, mode: number) => ({ ...doc, nodes: doc.nodes.map((n) => (n.id === id ? { ...n, data: { ...n.data, mode } } : n)) });
    expect(nodesToRun(withMode('9', 2), catalog)).toEqual([]);
    // VAEDecode bypassed: it has no IMAGE input to pass on, so SaveImage runs with nothing upstream.
    expect(nodesToRun(withMode('8', 4), catalog)).toEqual(['9']);
    // A note is drawn, never run.
    const noted = { ...doc, nodes: [...doc.nodes, { id: '20', type: 'latentflow-note', position: { x: 0, y: 0 }, data: { nodeType: 'MarkdownNote', widgets: { text: '# hi' } } }] };
    expect(nodesToRun(noted, catalog).sort()).toEqual(['3', '4', '5', '6', '7', '8', '9']);
  });
});
