// LoadImage and LoadImageMask on files in an input folder: formats listed, IMAGE + MASK, the host's pixel limit.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import loadImage, { inputImages } from '../../../nodes/core/load-image.ts';
import loadImageMask from '../../../nodes/core/load-image-mask.ts';
import type { HostServices } from '../../../nodes/schema.ts';
import { testContext } from '../../helpers/node-context.ts';

const input = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-load-image-'));
for (const f of fs.readdirSync('test/fixtures/image-ops/files')) fs.copyFileSync(path.join('test/fixtures/image-ops/files', f), path.join(input, f));
fs.writeFileSync(path.join(input, 'notes.txt'), 'not a picture');
afterAll(() => fs.rmSync(input, { recursive: true, force: true }));

const services = (extra: HostServices = {}): HostServices => ({ paths: { input, output: input, temp: input, models: input }, ...extra });
const ctx = (extra: HostServices = {}) => ({ ...testContext('LoadImage'), services: services(extra) });

describe('LoadImage', () => {
  it('lists the PNG, JPEG and WebP files of the input folder', () => {
    expect(inputImages(services())).toEqual(['alpha.webp', 'gray16.png', 'oriented.jpg', 'rgb16.png']);
  });

  it('gives IMAGE and MASK (1 - alpha)', async () => {
    const out = await loadImage.run({ image: 'alpha.webp' }, ctx());
    expect(out.IMAGE.shape).toEqual([1, 3, 4, 3]);
    expect(out.MASK.shape).toEqual([1, 3, 4]);
    expect(out.MASK.data[4]).toBe(1);
  });

  it('refuses a picture over the host\'s pixel limit (services.maxImagePixels, the server\'s --max-image-pixels)', async () => {
    await expect(loadImage.run({ image: 'oriented.jpg' }, ctx({ maxImagePixels: 7 }))).rejects.toThrow(/4x2 \(8 pixels\).*up to 7 pixels/);
  });

  it('LoadImageMask reads one channel; a changed file changes the cache fingerprint', async () => {
    const out = await loadImageMask.run({ image: 'alpha.webp', channel: 'red' }, ctx());
    expect(Math.round(out.MASK.data[0] * 255)).toBe(200);
    const before = await loadImageMask.cache!.fingerprint!({ image: 'alpha.webp', channel: 'red' }, services());
    fs.appendFileSync(path.join(input, 'alpha.webp'), Buffer.alloc(1));
    expect(await loadImageMask.cache!.fingerprint!({ image: 'alpha.webp', channel: 'red' }, services())).not.toBe(before);
  });
});
