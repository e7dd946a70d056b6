// The subgraph types a job brings to a worker: every one the workflow uses (nested ones too), and a
// registry for the job that has them, leaving the worker's own registry as it was.
import { describe, expect, it } from 'vitest';

import { coreNodes } from '../../../../nodes/core/index.ts';
import { checkSubgraph, subgraphDefinition, subgraphOf } from '../../../../nodes/packs/index.ts';
import { NodeRegistry } from '../../../../nodes/registry.ts';
import type { ExecutionNode } from '../../../../protocol/index.ts';
import { registryForJob, subgraphsUsedBy } from '../../../../server/jobs/redis/subgraphs.ts';

const encode = {
  type: 'Encode',
  inputs: [
    { name: 'clip', type: 'CLIP', targets: [{ node: '1', input: 'clip' }] },
    { name: 'prompt', type: 'STRING', default: 'a cat', targets: [{ node: '1', input: 'text' }] },
  ],
  outputs: [{ name: 'CONDITIONING', type: 'CONDITIONING', from: { node: '1', output: 0 } }],
  workflow: { '1': { class_type: 'CLIPTextEncode', inputs: { text: 'x' } } },
};
// Uses Encode of its own pack (looked up as user/Encode).
const encodeTwice = {
  type: 'EncodeTwice',
  inputs: [{ name: 'clip', type: 'CLIP', targets: [{ node: 'a', input: 'clip' }, { node: 'b', input: 'clip' }] }],
  outputs: [{ name: 'POS', type: 'CONDITIONING', from: { node: 'a', output: 0 } }, { name: 'NEG', type: 'CONDITIONING', from: { node: 'b', output: 0 } }],
  workflow: { a: { class_type: 'Encode', inputs: { prompt: 'yes' } }, b: { class_type: 'Encode', inputs: { prompt: '' } } },
};

function registryWith(...subgraphs: unknown[]): NodeRegistry {
  const registry = new NodeRegistry();
  registry.registerAll(coreNodes);
  for (const json of subgraphs) {
    const { subgraph, problems } = checkSubgraph(json, 'user');
    expect(problems).toEqual([]);
    expect(registry.register(subgraphDefinition(subgraph!, registry), 'user')).toBeNull();
  }
  return registry;
}

const prompt = {
  '4': { class_type: 'DiffusersLoader', inputs: { model_path: 'tiny-sd' } },
  '6': { class_type: 'user/EncodeTwice', inputs: { clip: ['4', 1] } },
  '7': { class_type: 'user/EncodeTwice', inputs: { clip: ['4', 1] } },
};

describe('subgraph types shipped with a Redis job', () => {
  it('lists every subgraph type a workflow uses, nested ones first, each once, and no code node', () => {
    const shipped = subgraphsUsedBy(prompt, registryWith(encode, encodeTwice));
    expect(shipped.map((s) => `${s.pack}/${s.json.type}`)).toEqual(['user/Encode', 'user/EncodeTwice']);
    expect(subgraphsUsedBy({ '1': { class_type: 'KSampler', inputs: {} }, '2': null as unknown as ExecutionNode }, registryWith())).toEqual([]);
  });

  it('gives the job a registry with the types the worker lacks, and leaves the worker\'s own as it was', () => {
    const shipped = subgraphsUsedBy(prompt, registryWith(encode, encodeTwice));
    const workers = registryWith();
    const job = registryForJob(workers, shipped);
    expect(job).not.toBe(workers);
    expect(subgraphOf(job.get('user/EncodeTwice'))?.json).toEqual(shipped[1].json);
    expect(job.has('user/Encode')).toBe(true);
    expect(workers.has('user/Encode')).toBe(false);
    // A worker that has the same types runs with its own registry; a different definition is replaced for the job.
    const same = registryWith(encode, encodeTwice);
    expect(registryForJob(same, shipped)).toBe(same);
    const other = registryWith({ ...encode, inputs: [encode.inputs[0]] });
    const replaced = registryForJob(other, shipped);
    expect(subgraphOf(replaced.get('user/Encode'))!.json.inputs.map((i) => i.name)).toEqual(['clip', 'prompt']);
    expect(subgraphOf(other.get('user/Encode'))!.json.inputs.map((i) => i.name)).toEqual(['clip']);
  });

  it('refuses a shipped subgraph that is not valid, naming it', () => {
    expect(() => registryForJob(registryWith(), [{ pack: 'user', json: { ...encode, workflow: {} } as never }])).toThrow(/"user\/Encode" is not valid on this worker/);
  });
});
