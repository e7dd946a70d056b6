import { describe, expect, it } from 'vitest';

import { NodeRegistry } from '../../nodes/registry.ts';
import { defineNode, int, socket } from '../../nodes/schema.ts';
import type { Issue } from '../../protocol/index.ts';

const loader = defineNode({
  type: 'Loader',
  version: 1,
  category: 'loaders',
  description: 'Makes a model.',
  inputs: { size: int({ default: 1, min: 1 }) },
  outputs: { MODEL: socket('MODEL') },
  run: (input) => ({ MODEL: { size: input.size } as never }), // a stand-in value, not a real model
});

const upscale = defineNode({
  type: 'Upscale',
  version: 2,
  category: 'image/upscale',
  description: 'Scales an image.',
  inputs: { image: socket('IMAGE'), factor: int({ default: 2, min: 1, max: 8 }) },
  outputs: { IMAGE: socket('IMAGE') },
  run: (input) => ({ IMAGE: input.image }),
});

describe('NodeRegistry', () => {
  it('registers core nodes under their own names and pack nodes as pack/Type', () => {
    const registry = new NodeRegistry();
    expect(registry.registerAll([loader])).toEqual([]);
    expect(registry.registerPack('pixels', [upscale])).toEqual([]);
    expect(registry.types()).toEqual(['Loader', 'pixels/Upscale']);
    expect(registry.get('Loader')).toBe(loader);
    expect(registry.get('pixels/Upscale')?.type).toBe('pixels/Upscale');
    expect(registry.get('pixels/Upscale')?.run).toBe(upscale.run);
    expect(registry.get('Upscale')).toBeUndefined();
    expect(registry.packOf('Loader')).toBeNull();
    expect(registry.packOf('pixels/Upscale')).toBe('pixels');
    expect(registry.packOf('Nope')).toBeUndefined();
    // The original definition is not renamed (another pack may register it too).
    expect(upscale.type).toBe('Upscale');
  });

  it('reports invalid and duplicate definitions with the pack named, and still loads the rest', () => {
    const registry = new NodeRegistry();
    registry.registerAll([loader]);
    const broken = { ...upscale, type: 'Broken', inputs: { image: { kind: 'socket', type: 'TENSOR' } } };
    const noRun = { type: 'NoRun', version: 1, category: 'x', description: '', inputs: {}, outputs: {} };
    const issues = registry.registerPack('mixed', [broken, upscale, noRun, upscale, 'not a node']);
    expect(issues.map((i) => [i.code, i.nodeType, i.details?.pack])).toEqual([
      ['node_definition_invalid', 'Broken', 'mixed'],
      ['node_definition_invalid', 'NoRun', 'mixed'],
      ['node_type_duplicate', 'mixed/Upscale', 'mixed'],
      ['node_definition_invalid', undefined, 'mixed'],
    ]);
    expect(issues[0].details?.problems).toHaveLength(1);
    expect(issues[0].message).toContain('mixed');
    expect(registry.types()).toEqual(['Loader', 'mixed/Upscale']);
    expect(registry.issues).toHaveLength(4);
    // A core duplicate is refused too; the first registration is kept.
    const dup = registry.register({ ...loader, description: 'second' });
    expect(dup?.code).toBe('node_type_duplicate');
    expect(dup?.details?.pack).toBeNull();
    expect(registry.get('Loader')?.description).toBe('Makes a model.');
    // Registry issues have the Issue shape the editor shows.
    const asIssue: Issue = issues[0];
    expect(asIssue.code).toBe('node_definition_invalid');
  });

  it('checks namespaces and pack names', () => {
    const registry = new NodeRegistry();
    expect(registry.register({ ...loader, type: 'other/Loader' })?.code).toBe('node_definition_invalid');
    expect(registry.registerPack('p', [{ ...loader, type: 'q/Loader' }])[0]?.code).toBe('node_definition_invalid');
    expect(registry.registerPack('p', [{ ...loader, type: 'p/Loader' }])).toEqual([]);
    expect(registry.has('p/Loader')).toBe(true);
    const bad = registry.registerPack('../evil', [loader]);
    expect(bad).toHaveLength(1);
    expect(bad[0].details?.pack).toBe('../evil');
    expect(registry.types()).toEqual(['p/Loader']);
  });

  it('serves the catalog in object_info shape with version and pack', () => {
    const registry = new NodeRegistry();
    registry.registerAll([loader]);
    registry.registerPack('pixels', [upscale]);
    const catalog = registry.catalog();
    expect(Object.keys(catalog)).toEqual(['Loader', 'pixels/Upscale']);
    expect(catalog['pixels/Upscale']).toMatchObject({
      name: 'pixels/Upscale',
      category: 'image/upscale',
      version: 2,
      pack: 'pixels',
      input: { required: { image: ['IMAGE', {}], factor: ['INT', { default: 2, min: 1, max: 8 }] }, optional: {} },
      output: ['IMAGE'],
      output_name: ['IMAGE'],
    });
    expect(catalog.Loader.pack).toBeNull();
  });
});
