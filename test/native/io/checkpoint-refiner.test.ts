// SDXL refiner files that are not what they claim: a refiner's bigG (conditioner.embedders.0.model.*) beside a
// CLIP-L tower, and a sidecar that configures a CLIP-L text encoder the refiner does not have, are refused
// naming the file and the fix; a diffusers refiner folder without its text_encoder_2 weights names the part.
import fs from 'node:fs';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { loadModel } from '../../../native/index.ts';
import { makeTempDir, readHeader, rewrite } from './safetensors-files.ts';

const refinerFile = 'test/fixtures/sdxl-refiner/tiny-sdxl-refiner.safetensors';
const refinerFolder = 'test/fixtures/sdxl-refiner/tiny-sdxl-refiner';
const baseFile = 'test/fixtures/sdxl/tiny-sdxl/tiny-sdxl.safetensors';
const tmp = makeTempDir('sdxl-refiner-files');
afterAll(() => tmp.cleanup());

describe('SDXL refiner files refused', () => {
  it('a refiner file that also has a CLIP-L tower (conditioner.embedders.0.transformer.*)', async () => {
    const base = readHeader(baseFile);
    const all = fs.readFileSync(baseFile);
    const extra = Object.entries(base.header)
      .filter(([name]) => name.startsWith('conditioner.embedders.0.transformer.'))
      .map(([name, e]) => {
        const entry = e as { dtype: string; shape: number[]; data_offsets: [number, number] };
        return { name, dtype: entry.dtype, shape: entry.shape, bytes: all.subarray(base.dataStart + entry.data_offsets[0], base.dataStart + entry.data_offsets[1]) };
      });
    expect(extra.length).toBeGreaterThan(10);
    const file = rewrite(refinerFile, path.join(tmp.dir, 'mixed.safetensors'), (name, e, bytes) => ({ name, dtype: e.dtype, shape: e.shape, bytes }), { extra });
    await expect(loadModel(file, { weights: 'f32' })).rejects.toThrow(/mixed\.safetensors" mixes an SDXL refiner's text encoder \(conditioner\.embedders\.0\.model\.\*\) with a CLIP-L one/);
  });

  it('a sidecar with a text_encoder (CLIP-L) section', async () => {
    const file = path.join(tmp.dir, 'refiner.safetensors');
    fs.symlinkSync(path.resolve(refinerFile), file);
    const sidecar = JSON.parse(fs.readFileSync(refinerFile.replace(/\.safetensors$/, '.json'), 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(path.join(tmp.dir, 'refiner.json'), JSON.stringify({ ...sidecar, text_encoder_heads: 4 }));
    await expect(loadModel(file, { weights: 'f32' })).rejects.toThrow(/refiner\.json": "text_encoder" \(CLIP-L\) is not part of an SDXL refiner; its one text encoder is "text_encoder_2"/);
  });

  it('a diffusers refiner folder without text_encoder_2 weights', async () => {
    const folder = path.join(tmp.dir, 'no-weights');
    fs.cpSync(path.resolve(refinerFolder), folder, { recursive: true, dereference: true });
    fs.rmSync(path.join(folder, 'text_encoder_2', 'model.safetensors'));
    await expect(loadModel(folder, { weights: 'f32' })).rejects.toThrow(/second text encoder has no weights/);
  });
});
