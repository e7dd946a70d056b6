import { describe, expect, it } from 'vitest';

import { NodeRegistry } from '../../../nodes/registry.ts';
import { choice, defineNode, float, int, optional, socket, text } from '../../../nodes/schema.ts';
import { executionToSaved, type ExecutionGraph } from '../../../protocol/index.ts';
import type { Issue } from '../../../protocol/index.ts';
import { validateGraph } from '../../../server/runner/index.ts';

// Schema-only stand-ins for the core nodes, with ComfyUI's type and input names (the real ones run the
// native engine). `run` is never called here.
const never = () => {
  throw new Error('not run in validation tests');
};
const coreStandIns = [
  defineNode({
    type: 'CheckpointLoaderSimple',
    version: 1,
    category: 'loaders',
    description: 'Loads a checkpoint.',
    inputs: { ckpt_name: choice((env) => (env.paths ? ['v1-5-pruned-emaonly.safetensors', 'tiny-sd.safetensors'] : [])) },
    outputs: { MODEL: socket('MODEL'), CLIP: socket('CLIP'), VAE: socket('VAE') },
    run: never,
  }),
  defineNode({
    type: 'CLIPTextEncode',
    version: 1,
    category: 'conditioning',
    description: 'Encodes a prompt.',
    inputs: { text: text({ multiline: true }), clip: socket('CLIP') },
    outputs: { CONDITIONING: socket('CONDITIONING') },
    run: never,
  }),
  defineNode({
    type: 'EmptyLatentImage',
    version: 1,
    category: 'latent',
    description: 'An empty latent.',
    inputs: { width: int({ default: 512, min: 16, max: 4096, step: 8 }), height: int({ default: 512, min: 16, max: 4096, step: 8 }), batch_size: int({ default: 1, min: 1, max: 64 }) },
    outputs: { LATENT: socket('LATENT') },
    run: never,
  }),
  defineNode({
    type: 'KSampler',
    version: 1,
    category: 'sampling',
    description: 'Denoises a latent.',
    inputs: {
      model: socket('MODEL'),
      seed: int({ default: 0, min: 0, max: Number.MAX_SAFE_INTEGER }),
      steps: int({ default: 20, min: 1, max: 10000 }),
      cfg: float({ default: 8, min: 0, max: 100, step: 0.1 }),
      sampler_name: choice(['euler', 'euler_ancestral', 'lms', 'dpmpp_2m', 'ddim'] as const),
      scheduler: choice(['normal', 'karras'] as const),
      positive: socket('CONDITIONING'),
      negative: socket('CONDITIONING'),
      latent_image: socket('LATENT'),
      denoise: float({ default: 1, min: 0, max: 1, step: 0.01 }),
      attention: choice(['auto', 'naive', 'sliced', 'flash'] as const, { default: 'auto' }),
    },
    outputs: { LATENT: socket('LATENT') },
    run: never,
  }),
  defineNode({
    type: 'VAEDecode',
    version: 1,
    category: 'latent',
    description: 'Decodes a latent.',
    inputs: { samples: socket('LATENT'), vae: socket('VAE') },
    outputs: { IMAGE: socket('IMAGE') },
    run: never,
  }),
  defineNode({
    type: 'SaveImage',
    version: 1,
    category: 'image',
    description: 'Saves images.',
    inputs: { images: socket('IMAGE'), filename_prefix: text({ default: 'ComfyUI' }), mask: optional(socket('IMAGE')) },
    outputs: {},
    outputNode: true,
    run: never,
  }),
];

const registry = new NodeRegistry();
expect(registry.registerAll(coreStandIns)).toEqual([]);
const env = { paths: { models: 'models', input: 'in', output: 'out', temp: 'tmp' } };

// ComfyUI's default txt2img workflow, exactly as its "Save (API format)" writes it.
const txt2img: ExecutionGraph = {
  '3': {
    class_type: 'KSampler',
    inputs: { seed: 156680208700286, steps: 20, cfg: 8, sampler_name: 'euler', scheduler: 'normal', denoise: 1, model: ['4', 0], positive: ['6', 0], negative: ['7', 0], latent_image: ['5', 0] },
    _meta: { title: 'KSampler' },
  },
  '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'v1-5-pruned-emaonly.safetensors' }, _meta: { title: 'Load Checkpoint' } },
  '5': { class_type: 'EmptyLatentImage', inputs: { width: 512, height: 512, batch_size: 1 }, _meta: { title: 'Empty Latent Image' } },
  '6': { class_type: 'CLIPTextEncode', inputs: { text: 'beautiful scenery nature glass bottle landscape, , purple galaxy bottle,', clip: ['4', 1] } },
  '7': { class_type: 'CLIPTextEncode', inputs: { text: 'text, watermark', clip: ['4', 1] } },
  '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
  '9': { class_type: 'SaveImage', inputs: { filename_prefix: 'ComfyUI', images: ['8', 0] } },
};

function edit(changes: Record<string, Record<string, unknown> | null>): ExecutionGraph {
  const graph: ExecutionGraph = structuredClone(txt2img);
  for (const [id, inputs] of Object.entries(changes)) {
    if (inputs === null) delete graph[id];
    else graph[id].inputs = { ...graph[id].inputs, ...inputs };
  }
  return graph;
}

/** The structured part of issues (what code branches on), sorted for comparison. */
function shape(issues: Issue[]) {
  return issues.map((i) => ({ code: i.code, nodeId: i.nodeId, nodeType: i.nodeType, input: i.input, details: i.details }));
}

describe('validateGraph', () => {
  it("accepts ComfyUI's txt2img API workflow (attention left out takes its default), in both forms", () => {
    expect(validateGraph(txt2img, registry, env)).toEqual([]);
    expect(validateGraph(executionToSaved(txt2img, { name: 'txt2img' }), registry, env)).toEqual([]);
    expect(validateGraph(JSON.parse(JSON.stringify(txt2img)), registry, env)).toEqual([]);
  });

  it('returns every problem at once, each located with its code, node, input and details', () => {
    const graph = edit({
      '3': { steps: 0, cfg: Number.NaN, seed: '1', sampler_name: 'fast', denoise: 2.5, model: ['4', 1], latent_image: ['55', 0] },
      '5': { width: 512.5, batch_size: ['4', 0] },
      '6': { clip: undefined, text: 42 },
      '7': { clip: ['4', 7], sampling: 'x' },
      '8': { vae: 'vae.safetensors', samples: ['3', 'zero'] },
    });
    graph['10'] = { class_type: 'KSamplerTurbo', inputs: { model: ['99', 0] } };
    const issues = validateGraph(graph, registry, env);
    expect(shape(issues)).toEqual([
      { code: 'type_mismatch', nodeId: '3', nodeType: 'KSampler', input: 'model', details: { expected: 'MODEL', received: 'CLIP', from: ['4', 1] } },
      { code: 'value_invalid', nodeId: '3', nodeType: 'KSampler', input: 'seed', details: { reason: 'wrong_type', expected: 'INT', received: 'string' } },
      { code: 'value_out_of_range', nodeId: '3', nodeType: 'KSampler', input: 'steps', details: { min: 1, max: 10000, received: 0 } },
      { code: 'value_invalid', nodeId: '3', nodeType: 'KSampler', input: 'cfg', details: { reason: 'not_finite', expected: 'FLOAT', received: 'NaN' } },
      {
        code: 'value_invalid',
        nodeId: '3',
        nodeType: 'KSampler',
        input: 'sampler_name',
        details: { reason: 'not_in_options', expected: 'COMBO', received: 'fast', options: ['euler', 'euler_ancestral', 'lms', 'dpmpp_2m', 'ddim'] },
      },
      { code: 'link_invalid', nodeId: '3', nodeType: 'KSampler', input: 'latent_image', details: { from: ['55', 0], reason: 'node_missing' } },
      { code: 'value_out_of_range', nodeId: '3', nodeType: 'KSampler', input: 'denoise', details: { min: 0, max: 1, received: 2.5 } },
      { code: 'value_invalid', nodeId: '5', nodeType: 'EmptyLatentImage', input: 'width', details: { reason: 'not_integer', expected: 'INT', received: 512.5 } },
      { code: 'type_mismatch', nodeId: '5', nodeType: 'EmptyLatentImage', input: 'batch_size', details: { expected: 'INT', received: 'MODEL', from: ['4', 0] } },
      { code: 'value_invalid', nodeId: '6', nodeType: 'CLIPTextEncode', input: 'text', details: { reason: 'wrong_type', expected: 'STRING', received: 'number' } },
      { code: 'input_missing', nodeId: '6', nodeType: 'CLIPTextEncode', input: 'clip', details: { expected: 'CLIP' } },
      { code: 'input_unknown', nodeId: '7', nodeType: 'CLIPTextEncode', input: 'sampling', details: { known: ['text', 'clip'] } },
      { code: 'link_invalid', nodeId: '7', nodeType: 'CLIPTextEncode', input: 'clip', details: { from: ['4', 7], reason: 'output_missing', outputs: ['MODEL', 'CLIP', 'VAE'] } },
      { code: 'link_invalid', nodeId: '8', nodeType: 'VAEDecode', input: 'samples', details: { received: ['3', 'zero'], reason: 'malformed' } },
      { code: 'value_invalid', nodeId: '8', nodeType: 'VAEDecode', input: 'vae', details: { reason: 'expected_link', expected: 'VAE', received: 'vae.safetensors' } },
      { code: 'node_type_unknown', nodeId: '10', nodeType: 'KSamplerTurbo', input: undefined, details: { similar: [] } },
      { code: 'link_invalid', nodeId: '10', nodeType: 'KSamplerTurbo', input: 'model', details: { from: ['99', 0], reason: 'node_missing' } },
    ]);
    for (const issue of issues) expect(issue.message).toMatch(/\S/);
    // Messages name the node and input (STYLE.md section 7), e.g.:
    expect(issues.find((i) => i.code === 'input_missing')!.message).toBe('CLIPTextEncode #6: input "clip" is not connected; connect a CLIP output to it.');
  });

  it('reports a widget without value or default, and accepts a missing optional socket', () => {
    const issues = validateGraph(edit({ '3': { sampler_name: undefined } }), registry, env);
    expect(shape(issues)).toEqual([{ code: 'input_missing', nodeId: '3', nodeType: 'KSampler', input: 'sampler_name', details: { expected: 'COMBO' } }]);
  });

  it('checks dynamic options against the host environment', () => {
    expect(validateGraph(txt2img, registry, {})).toMatchObject([
      { code: 'value_invalid', nodeId: '4', input: 'ckpt_name', details: { reason: 'not_in_options', options: [] } },
    ]);
    expect(validateGraph(edit({ '4': { ckpt_name: 'missing.ckpt' } }), registry, env)).toMatchObject([
      { code: 'value_invalid', nodeId: '4', input: 'ckpt_name', details: { reason: 'not_in_options', received: 'missing.ckpt', options: ['v1-5-pruned-emaonly.safetensors', 'tiny-sd.safetensors'] } },
    ]);
  });

  it('names the nodes of a loop', () => {
    // Feed the sampler's result back into its own latent input through a decode -> encode detour.
    const graph = edit({ '3': { latent_image: ['11', 0] } });
    graph['11'] = { class_type: 'KSampler', inputs: { ...txt2img['3'].inputs, latent_image: ['3', 0] } };
    const issues = validateGraph(graph, registry, env);
    expect(shape(issues)).toEqual([{ code: 'cycle', nodeId: '3', nodeType: 'KSampler', input: undefined, details: { nodes: ['3', '11'], nodesTotal: 2 } }]);
    expect(issues[0].message).toContain('KSampler #11');
  });

  it('reports a workflow without an output node, and suggests a pack-namespaced type', () => {
    const noOutput = edit({ '9': null });
    expect(shape(validateGraph(noOutput, registry, env))).toEqual([{ code: 'output_node_missing', nodeId: undefined, nodeType: undefined, input: undefined, details: { nodes: 6 } }]);
    const packs = new NodeRegistry();
    packs.registerPack('extra', coreStandIns.filter((d) => d.type === 'SaveImage'));
    expect(validateGraph({ '1': { class_type: 'saveimage', inputs: {} } }, packs)[0]).toMatchObject({ code: 'node_type_unknown', details: { similar: ['extra/SaveImage'] } });
  });

  it('reports malformed JSON as workflow_invalid issues', () => {
    expect(validateGraph('nope', registry)).toMatchObject([{ code: 'workflow_invalid' }]);
    expect(validateGraph({ '1': { class_type: 3 } }, registry)).toMatchObject([{ code: 'workflow_invalid', nodeId: '1', details: { path: ['1', 'class_type'] } }]);
    expect(validateGraph({ version: 1, name: 'x', nodes: 'none' }, registry)[0].code).toBe('workflow_invalid');
  });
});
