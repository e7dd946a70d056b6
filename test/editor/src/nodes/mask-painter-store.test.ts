// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { parseCatalog } from '../../../../protocol/index.ts';
import { useUi } from '../../../../editor/src/app/ui-store.ts';
import { NODE_COMPONENT } from '../../../../editor/src/graph/convert.ts';
import { graphStore } from '../../../../editor/src/graph/store.ts';
import { closeMaskPainter, openMaskPainter, saveMask, useMaskPainter } from '../../../../editor/src/nodes/mask-painter-store.ts';
import { OBJECT_INFO } from '../../catalog-fixture.ts';

const catalog = parseCatalog(OBJECT_INFO);

beforeEach(() => {
  graphStore.getState().setCatalog(catalog);
  graphStore.getState().load(
    {
      nodes: [
        { id: '1', type: NODE_COMPONENT, position: { x: 0, y: 0 }, data: { nodeType: 'LoadImage', widgets: { image: 'pets/cat.png' } } },
        { id: '2', type: NODE_COMPONENT, position: { x: 0, y: 300 }, data: { nodeType: 'LoadImage', widgets: { image: '' } } },
      ],
      edges: [],
    },
    { name: null, revision: null },
  );
  useUi.setState({ toasts: [] });
  closeMaskPainter();
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe('mask painter commands', () => {
  it('opens on the picture the node names, and not on a node without one', () => {
    expect(openMaskPainter('1')).toBe(true);
    expect(useMaskPainter.getState().target).toEqual({ nodeId: '1', input: 'image', picture: { filename: 'cat.png', subfolder: 'pets', type: 'input' } });
    closeMaskPainter();
    expect(openMaskPainter('2')).toBe(false);
    expect(useMaskPainter.getState().target).toBeNull();
    expect(useUi.getState().toasts.at(-1)?.message).toMatch(/no picture/);
  });

  it("saves through POST /upload/mask with ComfyUI's form and points the node at the new file", async () => {
    const forms: FormData[] = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      if (url === '/upload/mask') {
        forms.push(init.body as FormData);
        return new Response(JSON.stringify({ name: 'clipspace-mask-5.png', subfolder: 'clipspace', type: 'input' }), { status: 200 });
      }
      if (url === '/api/node-types') return new Response(JSON.stringify(OBJECT_INFO), { status: 200 });
      return new Response('{}', { status: 404 });
    });
    openMaskPainter('1');
    const name = await saveMask(useMaskPainter.getState().target!, new Blob([new Uint8Array([1, 2, 3])], { type: 'image/png' }));
    expect(name).toBe('clipspace/clipspace-mask-5.png');
    expect(forms).toHaveLength(1);
    const form = forms[0];
    expect((form.get('image') as File).name).toMatch(/^clipspace-mask-\d+\.png$/);
    expect(JSON.parse(form.get('original_ref') as string)).toEqual({ filename: 'cat.png', subfolder: 'pets', type: 'input' });
    expect([form.get('type'), form.get('subfolder')]).toEqual(['input', 'clipspace']);
    expect(graphStore.getState().nodes.find((n) => n.id === '1')!.data.widgets.image).toBe('clipspace/clipspace-mask-5.png');
  });

  it('keeps the node as it was and says why when the upload fails', async () => {
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ error: { code: 'size_mismatch', message: 'the mask is 5x4 but the picture it belongs to is 4x4' } }), { status: 400 }));
    openMaskPainter('1');
    expect(await saveMask(useMaskPainter.getState().target!, new Blob([]))).toBeNull();
    expect(graphStore.getState().nodes.find((n) => n.id === '1')!.data.widgets.image).toBe('pets/cat.png');
    expect(useUi.getState().toasts.at(-1)).toMatchObject({ kind: 'error', message: expect.stringMatching(/5x4/) });
  });
});
