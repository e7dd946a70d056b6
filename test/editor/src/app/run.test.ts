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
});
