import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { saveImages, splitPrefix, workflowChunks } from '../../../nodes/image/save.ts';
import { decodePng, readPngText } from '../../../nodes/image/png.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-save-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const image = (batch: number) => ({ data: new Float32Array(batch * 4 * 4 * 3).map((_, i) => (i % 7) / 6), shape: [batch, 4, 4, 3] as const });

describe('saving images', () => {
  it('names files <prefix>_00001_.png counting up from the highest existing, never overwriting', () => {
    fs.writeFileSync(path.join(dir, 'cat_00007_.png'), 'someone else\'s file');
    const refs = saveImages(image(2), dir, 'cat', 'output', {});
    expect(refs.map((r) => r.filename)).toEqual(['cat_00008_.png', 'cat_00009_.png']);
    expect(fs.readFileSync(path.join(dir, 'cat_00007_.png'), 'utf8')).toBe('someone else\'s file');
    const png = decodePng(fs.readFileSync(path.join(dir, 'cat_00008_.png')));
    expect([png.width, png.height, png.channels]).toEqual([4, 4, 3]);
    expect(png.data[1]).toBe(Math.round((1 / 6) * 255));
  });

  it('saves into a subfolder given in the prefix and refuses prefixes that leave the folder', () => {
    const [ref] = saveImages(image(1), dir, 'shapes/yellow', 'output', {});
    expect(ref).toEqual({ filename: 'yellow_00001_.png', subfolder: 'shapes', type: 'output' });
    expect(() => splitPrefix('../escape')).toThrow(/^filename_prefix "\.\.\/escape" has a folder "\.\." that starts with a dot/);
    expect(() => splitPrefix('')).toThrow(/empty/);
    expect(() => splitPrefix('a:b')).toThrow(/may not contain/);
  });

  it('embeds the run\'s workflow as ComfyUI does: "prompt" and "workflow" tEXt chunks', () => {
    const prompt = { '3': { class_type: 'KSampler', inputs: { seed: 1 } } };
    const workflow = { version: 1, name: 'w', nodes: [], edges: [] };
    const chunks = workflowChunks({ run: { prompt, extra: { extra_pnginfo: { workflow } } } });
    const [ref] = saveImages(image(1), dir, 'meta', 'output', chunks);
    const text = readPngText(fs.readFileSync(path.join(dir, ref.filename)));
    expect(JSON.parse(text.prompt)).toEqual(prompt);
    expect(JSON.parse(text.workflow)).toEqual(workflow);
  });
});
