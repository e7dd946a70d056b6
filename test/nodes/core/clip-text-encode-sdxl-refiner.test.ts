// CLIPTextEncodeSDXLRefiner and CLIPTextEncode with an SDXL refiner checkpoint, against the PyTorch
// reference (test/fixtures/sdxl-refiner): the context is bigG's penultimate hidden states alone, the pooled
// output its projection, and the added conditioning ComfyUI's SDXLRefiner.encode_adm (pooled | Fourier
// features of height, width, crop_h, crop_w, aesthetic score); the UNet call the sampler makes from the
// node's conditioning gives the reference noise prediction. Both nodes refuse the wrong kind of CLIP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { unetForward } from '../../../native/index.ts';
import clipTextEncode from '../../../nodes/core/clip-text-encode.ts';
import clipTextEncodeSdxl from '../../../nodes/core/clip-text-encode-sdxl.ts';
import clipTextEncodeSdxlRefiner from '../../../nodes/core/clip-text-encode-sdxl-refiner.ts';
import { loadCheckpoint, type LoadedCheckpoint } from '../../../nodes/models/load-checkpoint.ts';
import { sdxlAdded } from '../../../nodes/sampling/comfy/conditioning.ts';
import { relativeMaxError } from '../../helpers/compare.ts';
import { testContext } from '../../helpers/node-context.ts';
import { f32, readSafetensors } from '../../helpers/safetensors.ts';

const expected = readSafetensors('test/fixtures/sdxl-refiner/expected/refiner.safetensors');
const prompt = 'a watercolor lighthouse on a cliff, stormy sea';
const bound = 1e-4;

/** diffusers' / ComfyUI's Timestep embedder as the reference writes it: cos half first, 10000^(-i / half). */
function fourier(values: ArrayLike<number>, dim: number): Float32Array {
  const half = dim / 2, out = new Float32Array(values.length * dim);
  for (let v = 0; v < values.length; v++)
    for (let i = 0; i < half; i++) {
      const angle = values[v] * Math.exp((-Math.log(10000) * i) / half);
      out[v * dim + i] = Math.cos(angle);
      out[v * dim + half + i] = Math.sin(angle);
    }
  return out;
}

const refinerInputs = (clip: LoadedCheckpoint['CLIP'], ascore: number) => ({ clip, ascore, width: 768, height: 1024, text: prompt });

describe.each([
  { layout: 'diffusers folder', path: 'test/fixtures/sdxl-refiner/tiny-sdxl-refiner' },
  { layout: 'single file', path: 'test/fixtures/sdxl-refiner/tiny-sdxl-refiner.safetensors' },
])('SDXL refiner text encoding nodes: $layout', ({ path }) => {
  let loaded: LoadedCheckpoint;
  beforeAll(async () => {
    loaded = await loadCheckpoint(path, 'f32');
  });
  afterAll(() => loaded.MODEL.model.dispose());

  it(`CLIPTextEncodeSDXLRefiner: bigG's penultimate states and pooled output within ${bound} x max|ref|, ComfyUI's adm vector`, async () => {
    for (const [ascore, adm] of [[6, 'adm.positive'], [2.5, 'adm.negative']] as const) {
      const [entry] = (await clipTextEncodeSdxlRefiner.run(refinerInputs(loaded.CLIP, ascore), testContext('CLIPTextEncodeSDXLRefiner'))).CONDITIONING;
      expect(entry.shape).toEqual([1, 77, 48]);
      expect(relativeMaxError(entry.embeddings, f32(expected, 'te.penultimate'))).toBeLessThanOrEqual(bound);
      expect(relativeMaxError(entry.pooled!, f32(expected, 'te.text_embeds'))).toBeLessThanOrEqual(bound);
      // The node's score wins over the default of the list the entry is in (put in the other list here).
      const added = sdxlAdded(entry, 16, 16, /* negative */ ascore === 6)!;
      expect(Array.from(added.timeIds)).toEqual([1024, 768, 0, 0, ascore]);
      const vector = new Float32Array([...added.textEmbeds, ...fourier(added.timeIds, 8)]);
      expect(relativeMaxError(vector, f32(expected, adm))).toBeLessThanOrEqual(bound);
    }
  });

  it(`the UNet call from the node's conditioning (negative 2.5, positive 6) is the reference within ${bound} x max|ref|`, async () => {
    const entries = [];
    for (const ascore of [2.5, 6]) entries.push((await clipTextEncodeSdxlRefiner.run(refinerInputs(loaded.CLIP, ascore), testContext('CLIPTextEncodeSDXLRefiner'))).CONDITIONING[0]);
    const added = entries.map((entry) => sdxlAdded(entry, 16, 16)!);
    const context = new Float32Array([...entries[0].embeddings, ...entries[1].embeddings]);
    const out = await unetForward(loaded.MODEL.model, f32(expected, 'unet.sample'), [2, 4, 16, 16], f32(expected, 'unet.timesteps'), context, {
      added: { textEmbeds: new Float32Array([...added[0].textEmbeds, ...added[1].textEmbeds]), timeIds: new Float32Array([...added[0].timeIds, ...added[1].timeIds]) },
    });
    expect(relativeMaxError(out, f32(expected, 'unet.noise_pred'))).toBeLessThanOrEqual(bound);
  });

  it('CLIPTextEncode conditions as ComfyUI does with a refiner: the latent size, aesthetic score 6 positive / 2.5 negative', async () => {
    const [entry] = (await clipTextEncode.run({ text: prompt, clip: loaded.CLIP }, testContext('CLIPTextEncode'))).CONDITIONING;
    expect(relativeMaxError(entry.embeddings, f32(expected, 'te.penultimate'))).toBeLessThanOrEqual(bound);
    expect(relativeMaxError(entry.pooled!, f32(expected, 'te.text_embeds'))).toBeLessThanOrEqual(bound);
    expect(Array.from(sdxlAdded(entry, 16, 12, false)!.timeIds)).toEqual([128, 96, 0, 0, 6]);
    expect(Array.from(sdxlAdded(entry, 16, 12, true)!.timeIds)).toEqual([128, 96, 0, 0, 2.5]);
  });

  it('CLIPTextEncodeSDXL refuses the refiner CLIP, naming the node to use', async () => {
    const inputs = { clip: loaded.CLIP, width: 128, height: 128, crop_w: 0, crop_h: 0, target_width: 128, target_height: 128, text_g: 'a', text_l: 'a' };
    await expect(clipTextEncodeSdxl.run(inputs, testContext('CLIPTextEncodeSDXL'))).rejects.toThrow(
      /input "clip" is an SDXL refiner's text encoder .*use CLIPTextEncodeSDXLRefiner/,
    );
  });
});

describe('CLIPTextEncodeSDXLRefiner with other checkpoints', () => {
  it('refuses an SDXL base CLIP and an SD 1.x one, naming the input and the node to use', async () => {
    for (const [path, message] of [
      ['test/fixtures/sdxl/tiny-sdxl', /input "clip" is an SDXL base text encoder .*use CLIPTextEncodeSDXL/],
      ['test/fixtures/tiny-sd', /input "clip" is an SD 1\.x text encoder; CLIPTextEncodeSDXLRefiner needs an SDXL refiner checkpoint \(use CLIPTextEncode\)/],
    ] as const) {
      const other = await loadCheckpoint(path, 'f32');
      try {
        await expect(clipTextEncodeSdxlRefiner.run(refinerInputs(other.CLIP, 6), testContext('CLIPTextEncodeSDXLRefiner'))).rejects.toThrow(message);
      } finally {
        other.MODEL.model.dispose();
      }
    }
  });

  it("has ComfyUI's inputs and defaults (ascore 6, width and height 1024)", () => {
    expect(Object.keys(clipTextEncodeSdxlRefiner.inputs)).toEqual(['ascore', 'width', 'height', 'text', 'clip']);
    expect(clipTextEncodeSdxlRefiner.inputs.ascore).toMatchObject({ default: 6, min: 0, max: 1000, step: 0.01 });
    expect(clipTextEncodeSdxlRefiner.inputs.width).toMatchObject({ default: 1024 });
    expect(clipTextEncodeSdxlRefiner.inputs.height).toMatchObject({ default: 1024 });
  });
});
