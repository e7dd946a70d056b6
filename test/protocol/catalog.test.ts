import { describe, expect, it } from 'vitest';

import { parseCatalog, parseInput, WIDGET_TYPE_OF_KIND } from '../../protocol/index.ts';
import { OBJECT_INFO } from '../editor/catalog-fixture.ts';

describe('reading the catalog', () => {
  const catalog = parseCatalog(OBJECT_INFO);

  it('reads sockets, widgets and outputs in object_info order', () => {
    const ks = catalog.get('KSampler')!;
    expect(ks.inputs.map((i) => i.name)).toEqual(['model', 'seed', 'steps', 'cfg', 'sampler_name', 'scheduler', 'positive', 'negative', 'latent_image', 'denoise', 'attention']);
    expect(ks.inputs[0]).toEqual({ name: 'model', optional: false, kind: 'socket', type: 'MODEL' });
    expect(ks.inputs[1]).toMatchObject({ kind: 'int', seed: true, min: 0, default: 0, tooltip: 'Noise seed.' });
    expect(ks.inputs[3]).toMatchObject({ kind: 'float', seed: false, min: 0, max: 30, step: 0.5 });
    expect(ks.inputs[10]).toMatchObject({ kind: 'choice', options: ['auto', 'naive', 'sliced', 'flash'], default: 'auto' });
    expect(ks.outputs).toEqual([{ name: 'LATENT', type: 'LATENT', index: 0 }]);
    const save = catalog.get('SaveImage')!;
    expect(save.outputNode).toBe(true);
    expect(save.inputs[2]).toMatchObject({ name: 'embed_workflow', optional: true, kind: 'boolean', default: true, labelOn: 'yes', labelOff: 'no' });
    expect(catalog.get('CLIPTextEncode')!.inputs[0]).toMatchObject({ kind: 'text', multiline: true });
  });

  it('accepts the newer COMBO form and unknown socket types', () => {
    expect(parseInput('x', ['COMBO', { options: ['a', 'b'], default: 'b' }], false)).toMatchObject({ kind: 'choice', options: ['a', 'b'], default: 'b' });
    expect(parseInput('m', ['MASK', {}], true)).toEqual({ name: 'm', optional: true, kind: 'socket', type: 'MASK' });
  });

  it('names each widget kind with object_info\'s widget type', () => {
    expect(WIDGET_TYPE_OF_KIND).toEqual({ int: 'INT', float: 'FLOAT', text: 'STRING', boolean: 'BOOLEAN', choice: 'COMBO' });
  });
});

describe('the real core catalog', () => {
  it('parses every core node type as the server serves it, with the widgets the editor draws', async () => {
    const { coreNodes } = await import('../../nodes/core/index.ts');
    const { objectInfo } = await import('../../nodes/schema.ts');
    const paths = { models: 'models', input: 'data/input', output: 'data/output', temp: 'data/temp' };
    const real = parseCatalog(Object.fromEntries(coreNodes.map((d) => [d.type, objectInfo(d, { paths })])));
    for (const type of ['CheckpointLoaderSimple', 'DiffusersLoader', 'CLIPTextEncode', 'EmptyLatentImage', 'KSampler', 'VAEDecode', 'SaveImage']) {
      expect(real.has(type), type).toBe(true);
    }
    const ks = real.get('KSampler')!;
    const kinds = Object.fromEntries(ks.inputs.map((i) => [i.name, i.kind === 'socket' ? i.type : i.kind]));
    expect(kinds).toMatchObject({ model: 'MODEL', positive: 'CONDITIONING', negative: 'CONDITIONING', latent_image: 'LATENT', seed: 'int', steps: 'int', cfg: 'float', sampler_name: 'choice', scheduler: 'choice', attention: 'choice' });
    expect(ks.inputs.find((i) => i.name === 'seed')).toMatchObject({ seed: true });
    expect(ks.inputs.find((i) => i.name === 'attention')).toMatchObject({ options: ['auto', 'naive', 'sliced', 'flash'] });
    expect(real.get('CLIPTextEncode')!.inputs.find((i) => i.name === 'text')).toMatchObject({ kind: 'text', multiline: true });
    expect(real.get('SaveImage')!.outputNode).toBe(true);
    expect(real.get('CheckpointLoaderSimple')!.outputs.map((o) => o.type)).toEqual(['MODEL', 'CLIP', 'VAE']);
    expect(real.get('CheckpointLoaderSimple')!.inputs[0]).toMatchObject({ kind: 'choice', options: expect.arrayContaining(['shapes-sd.safetensors']) });
  });
});
