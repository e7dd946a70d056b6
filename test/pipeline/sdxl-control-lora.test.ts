// A Control-LoRA and zero-depth SDXL ControlNets through the graph runner: CheckpointLoaderSimple (the tiny SDXL single
// file), ControlNetLoader (test/fixtures/controlnet-sdxl: control_lora_sdxl, resolved against the model when sampling
// starts; controlnet_sdxl_{mid,small}_ldm with their <name>.json sidecars), ControlNetApply / ControlNetApplyAdvanced and
// KSampler. Each control changes the picture, strength 0 makes the picture without one, and a Control-LoRA on a model
// it was not made for is refused naming the node and the fix. (The numbers against PyTorch:
// test/native/models/controlnet-sdxl-variants.test.ts.)
import fs from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import type { ExecutionGraph } from '../../protocol/index.ts';
import { makeSdxlModelsDir, SDXL_FIXTURES as fixtures, sdxlGraph, sdxlPipelineHost } from '../helpers/sdxl.ts';

const cnFixtures = path.resolve('test/fixtures/controlnet-sdxl');
const modelsDir = makeSdxlModelsDir();
fs.mkdirSync(path.join(modelsDir, 'controlnet'));
for (const f of ['control_lora_sdxl.safetensors', 'controlnet_sdxl_mid_ldm.safetensors', 'controlnet_sdxl_mid_ldm.json', 'controlnet_sdxl_small_ldm.safetensors',
  'controlnet_sdxl_small_ldm.json'])
  fs.symlinkSync(path.join(cnFixtures, f), path.join(modelsDir, 'controlnet', f));
fs.symlinkSync(path.resolve('test/fixtures/tiny-sd'), path.join(modelsDir, 'diffusers', 'tiny-sd'));
const { host, run, picture } = sdxlPipelineHost(modelsDir, 'lf-sdxl-control-lora-');
fs.copyFileSync(path.join(fixtures, 'expected', 'pipeline_euler.png'), path.join(host.paths.input, 'hint.png'));

type Node = { class_type: string; inputs: Record<string, unknown> };

/** The fixture's txt2img (ComfyUI's 'normal' schedule) plus, per entry, a ControlNetLoader + apply node + KSampler branch. */
function graphWith(branches: { id: string; file: string; strength: number; old?: boolean }[], checkpoint?: Node): ExecutionGraph {
  const g = sdxlGraph('single-file', 'euler', 'sdxl-cl-plain') as unknown as Record<string, Node>;
  if (checkpoint) g['1'] = checkpoint;
  g['5'].inputs.scheduler = 'normal';
  g['8'] = { class_type: 'LoadImage', inputs: { image: 'hint.png' } };
  for (const { id, file, strength, old } of branches) {
    g[`${id}0`] = { class_type: 'ControlNetLoader', inputs: { control_net_name: file } };
    g[`${id}1`] = old
      ? { class_type: 'ControlNetApply', inputs: { conditioning: ['2', 0], control_net: [`${id}0`, 0], image: ['8', 0], strength } }
      : {
        class_type: 'ControlNetApplyAdvanced',
        inputs: { positive: ['2', 0], negative: ['3', 0], control_net: [`${id}0`, 0], image: ['8', 0], strength, start_percent: 0, end_percent: 1 },
      };
    g[`${id}2`] = { class_type: 'KSampler', inputs: { ...g['5'].inputs, positive: [`${id}1`, 0], negative: old ? ['3', 0] : [`${id}1`, 1] } };
    g[`${id}3`] = { class_type: 'VAEDecode', inputs: { samples: [`${id}2`, 0], vae: ['1', 2] } };
    g[`${id}4`] = { class_type: 'SaveImage', inputs: { images: [`${id}3`, 0], filename_prefix: `sdxl-cl-${id}` } };
  }
  return g as unknown as ExecutionGraph;
}

describe('Control-LoRA and zero-depth SDXL ControlNets through the graph runner', () => {
  it('each changes the picture (ControlNetApplyAdvanced and ControlNetApply); strength 0 makes the picture without one', async () => {
    const result = await run(graphWith([
      { id: '1', file: 'control_lora_sdxl.safetensors', strength: 1 },
      { id: '2', file: 'control_lora_sdxl.safetensors', strength: 1, old: true },
      { id: '3', file: 'control_lora_sdxl.safetensors', strength: 0 },
      { id: '4', file: 'controlnet_sdxl_mid_ldm.safetensors', strength: 1 },
      { id: '5', file: 'controlnet_sdxl_small_ldm.safetensors', strength: 1 },
    ]));
    expect(result.issues).toEqual([]);
    expect(result.status).toBe('success');
    const plain = picture(result, '7');
    const pictures = ['14', '24', '44', '54'].map((node) => picture(result, node));
    for (const p of pictures) expect(p.equals(plain)).toBe(false); // the control changed the picture
    expect(pictures[0].equals(pictures[1])).toBe(false); // both sides vs the positive side only
    expect(picture(result, '34').equals(plain)).toBe(true); // strength 0: no control
  });

  it('refuses a Control-LoRA with a model it was not made for (SD 1.x) before sampling, naming the node and the fix', async () => {
    const result = await run(graphWith([{ id: '1', file: 'control_lora_sdxl.safetensors', strength: 1 }],
      { class_type: 'DiffusersLoader', inputs: { model_path: 'tiny-sd', weight_dtype: 'f32' } }));
    expect(result.status).toBe('error');
    const messages = result.issues.map((i) => i.message).join('\n');
    expect(messages).toMatch(/KSampler #12/);
    expect(messages).toMatch(/the Control-LoRA ".*control_lora_sdxl\.safetensors" \(the control_net input of the apply node\) does not fit the model input: .*made for another model.*load a Control-LoRA made for this checkpoint/);
  });
});
