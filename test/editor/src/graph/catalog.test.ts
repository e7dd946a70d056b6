import { describe, expect, it } from 'vitest';

import { defaultWidgets, searchCatalog, searchFlat } from '../../../../editor/src/graph/catalog.ts';
import { parseCatalog } from '../../../../protocol/index.ts';
import { OBJECT_INFO } from '../../catalog-fixture.ts';

describe('catalog', () => {
  const catalog = parseCatalog(OBJECT_INFO);

  it('fills defaults for a fresh node', () => {
    expect(defaultWidgets(catalog.get('KSampler')!)).toEqual({ seed: 0, steps: 20, cfg: 7, sampler_name: 'euler', scheduler: 'normal', denoise: 1, attention: 'auto' });
    expect(defaultWidgets(catalog.get('CheckpointLoaderSimple')!)).toEqual({ ckpt_name: 'shapes-sd.safetensors' });
  });

  it('searches and groups by category', () => {
    const groups = searchCatalog(catalog, '');
    expect(groups.map((g) => g.category)).toEqual(['conditioning', 'image', 'latent', 'loaders', 'sampling']);
    expect(groups.find((g) => g.category === 'latent')!.specs.map((s) => s.type)).toEqual(['EmptyLatentImage', 'VAEDecode']);
    expect(searchCatalog(catalog, 'vae dec').flatMap((g) => g.specs.map((s) => s.type))).toEqual(['VAEDecode']);
    expect(searchFlat(catalog, 'ksampler')[0].type).toBe('KSampler');
    expect(searchFlat(catalog, 'zzz')).toEqual([]);
  });
});
