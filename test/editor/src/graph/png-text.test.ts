import zlib from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { encodePng } from '../../../../nodes/image/png.ts';
import { readPngText, workflowFromPng, PngTextError } from '../../../../editor/src/graph/png-text.ts';
import { parseCatalog, parseWorkflow, savedToExecution } from '../../../../protocol/index.ts';
import { OBJECT_INFO } from '../../catalog-fixture.ts';
import { comfyFeaturesGraph } from '../../../protocol/workflow/ui-examples.ts';
import { TXT2IMG } from '../../workflow-fixture.ts';

const pixels = { width: 2, height: 2, channels: 3 as const, data: new Uint8Array(12).fill(200) };

/** Inserts a raw chunk before IEND (the reader does not check CRCs, so it is left zero). */
function withChunk(png: Uint8Array, type: string, body: Uint8Array): Uint8Array {
  const iend = png.length - 12;
  const chunk = new Uint8Array(12 + body.length);
  new DataView(chunk.buffer).setUint32(0, body.length);
  chunk.set(Buffer.from(type, 'latin1'), 4);
  chunk.set(body, 8);
  return Buffer.concat([png.subarray(0, iend), chunk, png.subarray(iend)]);
}

describe('PNG text chunks', () => {
  it('reads the tEXt chunks SaveImage writes', async () => {
    const png = encodePng(pixels, { workflow: JSON.stringify(TXT2IMG), prompt: JSON.stringify(savedToExecution(TXT2IMG).graph) });
    const text = await readPngText(png);
    expect(JSON.parse(text.workflow)).toEqual(TXT2IMG);
    expect(await workflowFromPng(png)).toEqual(TXT2IMG);
  });

  it('reads non-Latin-1 prompts (iTXt) intact', async () => {
    const workflow = { ...TXT2IMG, nodes: TXT2IMG.nodes.map((n) => (n.id === '6' ? { ...n, widgets: { text: 'ein Würfel — 立方体 🟨' } } : n)) };
    const png = encodePng(pixels, { workflow: JSON.stringify(workflow) });
    const read = await workflowFromPng(png);
    expect(read.nodes.find((n) => n.id === '6')!.widgets.text).toBe('ein Würfel — 立方体 🟨');
  });

  it('inflates zTXt and compressed iTXt', async () => {
    const base = encodePng(pixels);
    const ztxt = Buffer.concat([Buffer.from('prompt\0\0', 'latin1'), zlib.deflateSync(JSON.stringify(savedToExecution(TXT2IMG).graph))]);
    const itxt = Buffer.concat([Buffer.from('note\0\x01\0en\0\0', 'latin1'), zlib.deflateSync('größer')]);
    const png = withChunk(withChunk(base, 'zTXt', ztxt), 'iTXt', itxt);
    const text = await readPngText(png);
    expect(text.note).toBe('größer');
    const fromPrompt = await workflowFromPng(png, 'dropped');
    expect(fromPrompt.name).toBe('dropped');
    expect(savedToExecution(fromPrompt).graph).toEqual(savedToExecution(TXT2IMG).graph);
  });

  it('prefers "workflow" over "prompt", falls back when it is unreadable', async () => {
    const png = encodePng(pixels, { workflow: '{not json', prompt: JSON.stringify(savedToExecution(TXT2IMG).graph) });
    expect((await workflowFromPng(png)).nodes).toHaveLength(7);
  });

  it("restores a ComfyUI PNG's drawing from its UI-format \"workflow\" chunk (groups, notes, reroutes, modes), else from \"prompt\"", async () => {
    const ui = comfyFeaturesGraph();
    const prompt = JSON.stringify(parseWorkflow(ui).graph);
    const catalog = parseCatalog(OBJECT_INFO);
    const drawn = await workflowFromPng(encodePng(pixels, { prompt, workflow: JSON.stringify(ui) }), 'comfy', catalog);
    expect(drawn.nodes.map((n) => n.type)).toEqual(expect.arrayContaining(['MarkdownNote', 'Note', 'Reroute']));
    expect(drawn.nodes.find((n) => n.id === '9')!.mode).toBe(2);
    expect(drawn.extra).toMatchObject({ groups: [{ title: 'Loaders' }], reroutes: [{ id: 1 }] });
    // A workflow chunk that cannot be read: the prompt (what ran) is drawn instead, in columns.
    const fallback = await workflowFromPng(encodePng(pixels, { prompt, workflow: '{"nodes": 5' }), 'comfy', catalog);
    expect(fallback.nodes.map((n) => n.id).sort()).toEqual(Object.keys(JSON.parse(prompt)).sort());
    expect(fallback.extra?.groups).toBeUndefined();
  });

  it('says what is missing', async () => {
    await expect(workflowFromPng(encodePng(pixels))).rejects.toThrow(/carries no workflow/);
    await expect(readPngText(new Uint8Array([1, 2, 3]))).rejects.toThrow(PngTextError);
    const truncated = encodePng(pixels, { workflow: '{}' }).subarray(0, 40);
    await expect(readPngText(truncated)).rejects.toThrow(/truncated/);
  });

  it('reports corrupt compressed text as a PngTextError naming the chunk (fuzz regression: was a raw zlib TypeError)', async () => {
    const corrupt = Buffer.from([0x78, 0x9c, 0xff, 0xff]); // a zlib header, then an invalid block
    const ztxt = withChunk(encodePng(pixels), 'zTXt', Buffer.concat([Buffer.from('prompt\0\0', 'latin1'), corrupt]));
    await expect(readPngText(ztxt)).rejects.toThrow(PngTextError);
    await expect(readPngText(ztxt)).rejects.toThrow(/compressed zTXt chunk "prompt" cannot be inflated/);
    const itxt = withChunk(encodePng(pixels), 'iTXt', Buffer.concat([Buffer.from('workflow\0\x01\0\0\0', 'latin1'), corrupt]));
    await expect(workflowFromPng(itxt)).rejects.toThrow(PngTextError);
  });
});
