/**
 * POST /upload/mask (and /api/upload/mask), ComfyUI's form and meaning: the mask's alpha written into a copy of
 * the original, the copy used by LoadImage with MASK = 1 where painted; and what a hostile client gets
 * (bad original_ref, traversal, links, huge pictures, oversized uploads).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodePng, readPngText } from '../../../nodes/image/png.ts';
import { json, startTestServer, type TestServer } from '../../helpers/server.ts';

/** The pixel limit of this suite's server: 40x40. */
const MAX_PIXELS = 1600;
/** The upload limit of this suite's server. */
const UPLOAD_LIMIT = 16 * 1024;

let t: TestServer;
let input: string;
let outside: string;

beforeAll(async () => {
  t = await startTestServer({ maxImagePixels: MAX_PIXELS, uploadLimitBytes: UPLOAD_LIMIT });
  input = path.join(t.dataDir, 'input');
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-mask-outside-'));
  fs.writeFileSync(path.join(input, 'pic.png'), picture(8, 6, { workflow: '{"nodes":[]}' }));
  fs.mkdirSync(path.join(input, 'pets'));
  fs.writeFileSync(path.join(input, 'pets', 'cat.png'), picture(8, 6));
  fs.writeFileSync(path.join(t.dataDir, 'output', 'made.png'), picture(8, 6));
  fs.writeFileSync(path.join(outside, 'secret.png'), picture(8, 6));
});

afterAll(async () => {
  await t?.close();
  fs.rmSync(outside, { recursive: true, force: true });
});

function picture(width: number, height: number, text: Record<string, string> = {}): Buffer {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 29 + 7) & 0xff;
  return encodePng({ width, height, channels: 3, data }, text);
}

/** ComfyUI's mask upload: alpha 0 on the columns [x0, x1), 255 elsewhere. */
function mask(width: number, height: number, x0 = 2, x1 = 5): Buffer {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) data[i * 4 + 3] = i % width >= x0 && i % width < x1 ? 0 : 255;
  return encodePng({ width, height, channels: 4, data });
}

interface Form {
  image?: { data: Buffer; filename: string };
  original_ref?: unknown;
  type?: string;
  subfolder?: string;
  overwrite?: string;
}

function post(form: Form, route = '/upload/mask'): Promise<Response> {
  const body = new FormData();
  if (form.image) body.append('image', new Blob([form.image.data], { type: 'image/png' }), form.image.filename);
  if (form.original_ref !== undefined) body.append('original_ref', typeof form.original_ref === 'string' ? form.original_ref : JSON.stringify(form.original_ref));
  for (const key of ['type', 'subfolder', 'overwrite'] as const) if (form[key] !== undefined) body.append(key, form[key]!);
  return fetch(`${t.base}${route}`, { method: 'POST', body });
}

/** A form as ComfyUI's mask editor sends it: input/clipspace/clipspace-mask-<n>.png from `original`. */
const editorForm = (original: unknown, image = mask(8, 6), filename = 'clipspace-mask-1.png'): Form => ({
  image: { data: image, filename },
  original_ref: original,
  type: 'input',
  subfolder: 'clipspace',
});

async function refused(response: Response, status: number, code: string): Promise<string> {
  const body = await json(response);
  expect({ status: response.status, code: body?.error?.code }).toEqual({ status, code });
  return body.error.message as string;
}

const filesUnder = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).map(String).sort() : []);

describe('POST /upload/mask', () => {
  it('writes the original with the mask as its alpha into input/clipspace, keeping its text chunks', async () => {
    const response = await post(editorForm({ filename: 'pic.png', subfolder: '', type: 'input' }));
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ name: 'clipspace-mask-1.png', subfolder: 'clipspace', type: 'input' });
    const saved = fs.readFileSync(path.join(input, 'clipspace', 'clipspace-mask-1.png'));
    const original = await sharp(path.join(input, 'pic.png')).raw().toBuffer();
    const { data, info } = await sharp(saved).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([8, 6, 4]);
    for (let i = 0; i < 48; i++) {
      expect([...data.subarray(i * 4, i * 4 + 3)]).toEqual([...original.subarray(i * 3, i * 3 + 3)]);
      expect(data[i * 4 + 3]).toBe(i % 8 >= 2 && i % 8 < 5 ? 0 : 255);
    }
    expect(readPngText(saved)).toEqual({ workflow: '{"nodes":[]}' });
  });

  it("is LoadImage's picture then, with MASK 1 where painted (a run through MaskToImage and SaveImage)", async () => {
    const saved = await json(await post(editorForm({ filename: 'pic.png', type: 'input' }, mask(8, 6, 0, 3), 'clipspace-mask-run.png')));
    const prompt = {
      '1': { class_type: 'LoadImage', inputs: { image: `${saved.subfolder}/${saved.name}` } },
      '2': { class_type: 'MaskToImage', inputs: { mask: ['1', 1] } },
      '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'mask-run' } },
    };
    const queued = await json(await fetch(`${t.base}/prompt`, { method: 'POST', body: JSON.stringify({ prompt }) }));
    expect(typeof queued.prompt_id).toBe('string');
    let outputs: any;
    for (const deadline = Date.now() + 60_000; !outputs; ) {
      if (Date.now() > deadline) throw new Error('the run did not finish within 60 s');
      const history = await json(await fetch(`${t.base}/history/${queued.prompt_id}`));
      const entry = history[queued.prompt_id];
      if (entry?.status?.status_str === 'error') throw new Error(`the run failed: ${JSON.stringify(entry.status)}`);
      if (entry?.status?.completed) outputs = entry.outputs;
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const image = outputs['3'].images[0];
    const { data, info } = await sharp(path.join(t.dataDir, 'output', image.subfolder, image.filename)).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([8, 6]);
    for (let i = 0; i < 48; i++) expect(data[i * info.channels]).toBe(i % 8 < 3 ? 255 : 0);
  });

  it('answers under /api/ too, takes a fresh name when the file exists, and writes PNG whatever the name says', async () => {
    const first = await json(await post(editorForm({ filename: 'pic.png', type: 'input' }, mask(8, 6), 'again.png'), '/api/upload/mask'));
    const second = await json(await post(editorForm({ filename: 'pic.png', type: 'input' }, mask(8, 6), 'again.png'), '/api/upload/mask'));
    expect([first.name, second.name]).toEqual(['again.png', 'again (1).png']);
    const renamed = await json(await post(editorForm({ filename: 'pic.png', type: 'input' }, mask(8, 6), 'mask.webp')));
    expect(renamed.name).toBe('mask.png');
    expect((await sharp(path.join(input, 'clipspace', 'mask.png')).metadata()).format).toBe('png');
    const overwritten = await post({ ...editorForm({ filename: 'pic.png', type: 'input' }, mask(8, 6, 0, 8), 'again.png'), overwrite: 'true' });
    expect((await json(overwritten)).name).toBe('again.png');
    expect((await sharp(path.join(input, 'clipspace', 'again.png')).extractChannel(3).raw().toBuffer()).every((a) => a === 0)).toBe(true);
  });

  it("finds the original as ComfyUI names it: type (default output), subfolder, a [folder] annotation, a path in the name", async () => {
    for (const original of [
      { filename: 'made.png' },
      { filename: 'made.png', type: 'output' },
      { filename: 'made.png [output]', type: 'input' },
      { filename: 'cat.png', subfolder: 'pets', type: 'input' },
      { filename: 'pets/cat.png [input]' },
    ]) {
      const response = await post(editorForm(original, mask(8, 6), 'found.png'));
      expect(response.status, JSON.stringify(original)).toBe(200);
    }
  });

  describe('hostile input', () => {
    it('refuses a missing or malformed original_ref and a missing mask', async () => {
      await refused(await post({ image: { data: mask(8, 6), filename: 'm.png' } }), 400, 'bad_request');
      for (const bad of ['{not json', '"pic.png"', 'null', '[]', JSON.stringify({ subfolder: '' }), JSON.stringify({ filename: '' }), JSON.stringify({ filename: 7 }), JSON.stringify({ filename: 'pic.png', subfolder: 3 }), JSON.stringify({ filename: 'pic.png', type: 'models' })]) {
        const message = await refused(await post(editorForm(bad)), 400, 'bad_request');
        expect(message).toMatch(/original_ref/);
      }
      await refused(await post({ original_ref: { filename: 'pic.png', type: 'input' } }), 400, 'bad_request');
    });

    it('refuses traversal, absolute paths and links out in the original reference', async () => {
      fs.symlinkSync(path.join(outside, 'secret.png'), path.join(input, 'link-out.png'));
      fs.symlinkSync(outside, path.join(input, 'folder-out'));
      for (const original of [
        { filename: '../../secret.png', type: 'input' },
        { filename: 'secret.png', subfolder: '../..', type: 'input' },
        { filename: '/etc/passwd', type: 'input' },
        { filename: 'pic.png', subfolder: '/etc', type: 'input' },
        { filename: '..%2fpic.png', type: 'input' },
        { filename: 'pic.png\u0000.png', type: 'input' },
        { filename: 'link-out.png', type: 'input' },
        { filename: 'secret.png', subfolder: 'folder-out', type: 'input' },
      ]) {
        await refused(await post(editorForm(original)), 400, 'bad_path');
      }
      expect(filesUnder(outside)).toEqual(['secret.png']);
    });

    it('answers 404 for an original that is not there or is a folder, 400 for one that is not a picture', async () => {
      await refused(await post(editorForm({ filename: 'nothing.png', type: 'input' })), 404, 'not_found');
      await refused(await post(editorForm({ filename: 'pets', type: 'input' })), 404, 'not_found');
      fs.writeFileSync(path.join(input, 'text.png'), 'this is not a picture');
      await refused(await post(editorForm({ filename: 'text.png', type: 'input' })), 400, 'not_an_image');
    });

    it('refuses a mask that is not a picture, of another size, over the pixel or the upload limit', async () => {
      await refused(await post(editorForm({ filename: 'pic.png', type: 'input' }, Buffer.from('GIF89a not a png'))), 400, 'not_an_image');
      const message = await refused(await post(editorForm({ filename: 'pic.png', type: 'input' }, mask(6, 8))), 400, 'size_mismatch');
      expect(message).toMatch(/6x8.*8x6/);
      await refused(await post(editorForm({ filename: 'pic.png', type: 'input' }, mask(41, 40))), 413, 'image_too_large');
      // A header that claims 100000 x 100000 pixels: refused before anything is inflated.
      const bomb = Buffer.from(mask(8, 6));
      bomb.writeUInt32BE(100_000, 16);
      bomb.writeUInt32BE(100_000, 20);
      const crc = await import('node:zlib').then((z) => z.crc32(bomb.subarray(12, 29)));
      bomb.writeUInt32BE(crc >>> 0, 29);
      await refused(await post(editorForm({ filename: 'pic.png', type: 'input' }, bomb)), 413, 'image_too_large');
      const noise = Buffer.from(Array.from({ length: UPLOAD_LIMIT * 2 }, (_, i) => (i * 7919) % 251));
      await refused(await post(editorForm({ filename: 'pic.png', type: 'input' }, noise)), 413, 'too_large');
    });

    it('refuses an original over the pixel limit, from its header', async () => {
      fs.writeFileSync(path.join(input, 'huge.png'), picture(50, 50));
      await refused(await post(editorForm({ filename: 'huge.png', type: 'input' }, mask(8, 6))), 413, 'image_too_large');
    });

    it('keeps the copy inside its folder: traversal in the name or subfolder, links in the way', async () => {
      const named = await json(await post(editorForm({ filename: 'pic.png', type: 'input' }, mask(8, 6), '../../escaped.png')));
      expect(named).toEqual({ name: 'escaped.png', subfolder: 'clipspace', type: 'input' });
      await refused(await post({ ...editorForm({ filename: 'pic.png', type: 'input' }), subfolder: '../..' }), 400, 'bad_path');
      await refused(await post({ ...editorForm({ filename: 'pic.png', type: 'input' }), subfolder: 'folder-out' }), 400, 'bad_path');
      await refused(await post({ ...editorForm({ filename: 'pic.png', type: 'input' }), type: 'models' }), 400, 'bad_request');
      // A dangling link where the copy goes: never written through, even when asked to overwrite.
      fs.symlinkSync(path.join(outside, 'planted.png'), path.join(input, 'clipspace', 'trap.png'));
      await refused(await post({ ...editorForm({ filename: 'pic.png', type: 'input' }, mask(8, 6), 'trap.png'), overwrite: 'true' }), 400, 'bad_path');
      const fresh = await json(await post(editorForm({ filename: 'pic.png', type: 'input' }, mask(8, 6), 'trap.png')));
      expect(fresh.name).toBe('trap (1).png');
      expect(filesUnder(outside)).toEqual(['secret.png']);
      expect(fs.existsSync(path.join(t.dataDir, 'escaped.png'))).toBe(false);
    });
  });
});
