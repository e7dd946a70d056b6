// An SDXL ControlNet through the graph runner: CheckpointLoaderSimple (the tiny SDXL single file), ControlNetLoader
// (test/fixtures/controlnet-sdxl, both layouts, each with its config.json as the <name>.json sidecar),
// ControlNetApplyAdvanced and KSampler. The control changes the picture, both layouts make the same one, strength 0
// makes the picture without a ControlNet, and a ControlNet of another family is refused naming node, input and fix.
// (The ControlNet's numbers against PyTorch: test/native/models/controlnet-sdxl.test.ts.)
import fs from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import type { ExecutionGraph } from '../../protocol/index.ts';
import { makeSdxlModelsDir, SDXL_FIXTURES as fixtures, sdxlGraph, sdxlPipelineHost } from '../helpers/sdxl.ts';

const cnFixtures = path.resolve('test/fixtures/controlnet-sdxl');
const modelsDir = makeSdxlModelsDir();
fs.mkdirSync(path.join(modelsDir, 'controlnet'));
for (const f of ['controlnet_sdxl_ldm.safetensors', 'controlnet_sdxl_ldm.json', 'controlnet_sdxl_diffusers.safetensors', 'controlnet_sdxl_diffusers.json'])
  fs.symlinkSync(path.join(cnFixtures, f), path.join(modelsDir, 'controlnet', f));
fs.symlinkSync(path.resolve('test/fixtures/controlnet/controlnet_ldm.safetensors'), path.join(modelsDir, 'controlnet', 'sd15_ldm.safetensors'));
const { host, run, picture } = sdxlPipelineHost(modelsDir, 'lf-sdxl-cn-');
fs.copyFileSync(path.join(fixtures, 'expected', 'pipeline_euler.png'), path.join(host.paths.input, 'hint.png'));

/** The fixture's txt2img (ComfyUI's 'normal' schedule) plus, per entry, a ControlNetLoader + ControlNetApplyAdvanced + KSampler branch. */
function graphWith(branches: { id: string; file: string; strength: number }[]): ExecutionGraph {
  const g = sdxlGraph('single-file', 'euler', 'sdxl-cn-plain') as unknown as Record<string, { class_type: string; inputs: Record<string, unknown> }>;
  g['5'].inputs.scheduler = 'normal';
  g['8'] = { class_type: 'LoadImage', inputs: { image: 'hint.png' } };
  for (const { id, file, strength } of branches) {
    g[`${id}0`] = { class_type: 'ControlNetLoader', inputs: { control_net_name: file } };
    g[`${id}1`] = {
      class_type: 'ControlNetApplyAdvanced',
      inputs: { positive: ['2', 0], negative: ['3', 0], control_net: [`${id}0`, 0], image: ['8', 0], strength, start_percent: 0, end_percent: 1 },
    };
    g[`${id}2`] = { class_type: 'KSampler', inputs: { ...g['5'].inputs, positive: [`${id}1`, 0], negative: [`${id}1`, 1] } };
    g[`${id}3`] = { class_type: 'VAEDecode', inputs: { samples: [`${id}2`, 0], vae: ['1', 2] } };
    g[`${id}4`] = { class_type: 'SaveImage', inputs: { images: [`${id}3`, 0], filename_prefix: `sdxl-cn-${id}` } };
  }
  return g as unknown as ExecutionGraph;
}

describe('SDXL ControlNet through the graph runner', () => {
  it('changes the picture, the same from both layouts; strength 0 makes the picture without a ControlNet', async () => {
    const result = await run(graphWith([
      { id: '1', file: 'controlnet_sdxl_ldm.safetensors', strength: 1 },
      { id: '2', file: 'controlnet_sdxl_diffusers.safetensors', strength: 1 },
      { id: '3', file: 'controlnet_sdxl_ldm.safetensors', strength: 0 },
    ]));
    expect(result.issues).toEqual([]);
    expect(result.status).toBe('success');
    const plain = picture(result, '7');
    const ldm = picture(result, '14'), diffusers = picture(result, '24'), zero = picture(result, '34');
    expect(ldm.equals(plain)).toBe(false); // the control changed the picture
    expect(diffusers.equals(ldm)).toBe(true); // the same weights in the other layout
    expect(zero.equals(plain)).toBe(true); // strength 0: no ControlNet
  });

  it('refuses an SD 1.x ControlNet with the SDXL checkpoint before sampling, naming the node, the input and the fix', async () => {
    const result = await run(graphWith([{ id: '1', file: 'sd15_ldm.safetensors', strength: 1 }]));
    expect(result.status).toBe('error');
    const messages = result.issues.map((i) => i.message).join('\n');
    expect(messages).toMatch(/KSampler #12/);
    expect(messages).toMatch(/the ControlNet \(the control_net input of ControlNetApply \/ ControlNetApplyAdvanced\) was made for a model with context 32 wide, but the model input is SDXL \(context 80 wide, with pooled text and size conditioning\); load a ControlNet made for this checkpoint with ControlNetLoader/);
  });
});
