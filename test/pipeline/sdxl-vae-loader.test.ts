// An SDXL checkpoint's samples decoded by a standalone VAE (VAELoader) make the same picture as the
// checkpoint's own VAE: a LATENT carries its model's scaling factor (SDXL 0.13025, nodes/vae/latent-scale.ts),
// as ComfyUI's latent_format does, so a VAE file (which cannot say whether it is SDXL's: the architecture is
// SD 1.x's) decodes by it, not by the 0.18215 a standalone VAE assumes. Both key layouts: LDM (the single
// file's first_stage_model.* without the prefix, as sdxl_vae.safetensors ships) and diffusers' AutoencoderKL.
// And the way back: a standalone VAE's encode (0.18215) sampled by the SDXL model is rescaled to 0.13025.
import fs from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { native } from '../../native/index.ts';
import type { ExecutionGraph } from '../../protocol/index.ts';
import { readSafetensors, writeSafetensors } from '../helpers/safetensors.ts';
import { compareToReference, makeSdxlModelsDir, SDXL_FIXTURES as fixtures, sdxlGraph, sdxlPipelineHost } from '../helpers/sdxl.ts';

const modelsDir = makeSdxlModelsDir();
fs.mkdirSync(path.join(modelsDir, 'vae'));
{
  const ldm = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, t] of readSafetensors(path.join(fixtures, 'tiny-sdxl', 'tiny-sdxl.safetensors'))) {
    if (!name.startsWith('first_stage_model.')) continue;
    ldm.set(name.slice('first_stage_model.'.length), { shape: t.shape, data: t.dtype === 'F16' ? native.halfToF32(t.data as Uint16Array, 'f16') : (t.data as Float32Array) });
  }
  writeSafetensors(path.join(modelsDir, 'vae', 'sdxl-ldm.safetensors'), ldm);
  fs.copyFileSync(path.join(fixtures, 'tiny-sdxl', 'vae', 'diffusion_pytorch_model.safetensors'), path.join(modelsDir, 'vae', 'sdxl-diffusers.safetensors'));
}
const { dataDir, host, run, picture } = sdxlPipelineHost(modelsDir, 'lf-sdxl-vae-');

describe('SDXL with a standalone VAE (VAELoader)', () => {
  it('decodes the single file\'s samples as its own VAE does, from both key layouts, within 2/255 of the reference', async () => {
    const graph = sdxlGraph('single-file', 'euler', 'sdxl-vae-own') as Record<string, unknown>;
    for (const [id, file] of [['10', 'sdxl-ldm.safetensors'], ['20', 'sdxl-diffusers.safetensors']] as const) {
      graph[id] = { class_type: 'VAELoader', inputs: { vae_name: file } };
      graph[`${id}1`] = { class_type: 'VAEDecode', inputs: { samples: ['5', 0], vae: [id, 0] } };
      graph[`${id}2`] = { class_type: 'SaveImage', inputs: { images: [`${id}1`, 0], filename_prefix: `sdxl-vae-${id}` } };
    }
    const result = await run(graph as ExecutionGraph);
    expect(result.issues).toEqual([]);
    expect(result.status).toBe('success');
    const own = picture(result, '7');
    // the LDM file holds the single file's very weights: the same picture to the byte
    expect(picture(result, '102').equals(own)).toBe(true);
    for (const node of ['7', '102', '202']) {
      const { max } = compareToReference(picture(result, node), path.join(fixtures, 'expected', 'pipeline_euler.png'));
      expect(max, `SaveImage ${node}`).toBeLessThanOrEqual(2);
    }
  });

  it('samples a standalone VAE\'s encode in the SDXL scale: the same picture as the checkpoint VAE\'s encode', async () => {
    // img2img at denoise 0.5 from the reference picture, encoded once by the checkpoint's VAE (0.13025) and
    // once by the standalone copy of it (0.18215): the sampler rescales the second, so both make one picture.
    fs.copyFileSync(path.join(fixtures, 'expected', 'pipeline_euler.png'), path.join(host.paths.input, 'sdxl-ref.png'));
    const graph = sdxlGraph('single-file', 'euler', 'sdxl-i2i-own') as unknown as Record<string, Record<string, unknown>>;
    graph['8'] = { class_type: 'LoadImage', inputs: { image: 'sdxl-ref.png' } };
    graph['9'] = { class_type: 'VAEEncode', inputs: { pixels: ['8', 0], vae: ['1', 2] } };
    graph['5'] = { ...graph['5'], inputs: { ...(graph['5'].inputs as object), scheduler: 'normal', latent_image: ['9', 0], denoise: 0.5 } };
    graph['10'] = { class_type: 'VAELoader', inputs: { vae_name: 'sdxl-ldm.safetensors' } };
    graph['11'] = { class_type: 'VAEEncode', inputs: { pixels: ['8', 0], vae: ['10', 0] } };
    graph['12'] = { ...graph['5'], inputs: { ...(graph['5'].inputs as object), latent_image: ['11', 0] } };
    graph['13'] = { class_type: 'VAEDecode', inputs: { samples: ['12', 0], vae: ['10', 0] } };
    graph['14'] = { class_type: 'SaveImage', inputs: { images: ['13', 0], filename_prefix: 'sdxl-i2i-standalone' } };
    const result = await run(graph as unknown as ExecutionGraph);
    expect(result.issues).toEqual([]);
    expect(result.status).toBe('success');
    const own = path.join(dataDir, 'own.png');
    fs.writeFileSync(own, picture(result, '7'));
    const { max } = compareToReference(picture(result, '14'), own, 1);
    expect(max).toBeLessThanOrEqual(1);
  });
});
