/**
 * Tiny node types over plain numbers (carried on LATENT sockets) for pack and subgraph tests, with a
 * run counter so tests can see what ran, and stand-ins for the core SD node types (same names, inputs
 * and outputs as ComfyUI's) so the Txt2ImgSimple subgraph can be expanded and run without the engine.
 */
import { NodeRegistry } from '../../../nodes/registry.ts';
import { checkSubgraph, subgraphDefinition } from '../../../nodes/packs/index.ts';
import { type AnyNodeDefinition, defineNode as defineTypedNode, choice, float, int, socket, text } from '../../../nodes/schema.ts';

// These stand-in node types carry plain numbers on LATENT sockets (not real latents), so they are declared
// without the socket value types the core nodes give LATENT.
const defineNode = (definition: AnyNodeDefinition): AnyNodeDefinition => defineTypedNode(definition as never);

export const runs: Record<string, number> = {};
export function resetRuns(): void {
  for (const key of Object.keys(runs)) delete runs[key];
}
const ran = (type: string) => (runs[type] = (runs[type] ?? 0) + 1);

export const numberNodes = [
  defineNode({
    type: 'Num',
    version: 1,
    category: 'test',
    description: 'A number.',
    inputs: { value: int({ default: 0 }) },
    outputs: { LATENT: socket('LATENT') },
    run(input) {
      ran('Num');
      return { LATENT: input.value };
    },
  }),
  defineNode({
    type: 'Add',
    version: 1,
    category: 'test',
    description: 'a + b + bias.',
    inputs: { a: socket('LATENT'), b: socket('LATENT'), bias: int({ default: 0, min: 0, max: 10 }) },
    outputs: { LATENT: socket('LATENT') },
    run(input) {
      ran('Add');
      return { LATENT: (input.a as number) + (input.b as number) + input.bias };
    },
  }),
  defineNode({
    type: 'Mul',
    version: 1,
    category: 'test',
    description: 'a * factor; reports progress.',
    inputs: { a: socket('LATENT'), factor: int({ default: 1, min: 0, max: 100 }) },
    outputs: { LATENT: socket('LATENT') },
    run(input, ctx) {
      ran('Mul');
      ctx.progress(1, 1);
      return { LATENT: (input.a as number) * input.factor };
    },
  }),
  defineNode({
    type: 'Fail',
    version: 1,
    category: 'test',
    description: 'Passes its input through, or throws.',
    inputs: { a: socket('LATENT'), mode: choice(['pass', 'throw'] as const, { default: 'pass' }) },
    outputs: { LATENT: socket('LATENT') },
    run(input) {
      ran('Fail');
      if (input.mode === 'throw') throw new Error('the test node was told to fail');
      return { LATENT: input.a };
    },
  }),
  defineNode({
    type: 'Out',
    version: 1,
    category: 'test',
    description: 'Shows a number.',
    inputs: { value: socket('LATENT') },
    outputs: {},
    outputNode: true,
    cache: { enabled: false },
    run(input) {
      ran('Out');
      return { ui: { value: input.value } };
    },
  }),
];

/** Stand-ins for the core SD nodes: ComfyUI's names, inputs and outputs; values are plain records. */
export const coreStandIns = [
  defineNode({
    type: 'CheckpointLoaderSimple',
    version: 1,
    category: 'loaders',
    description: 'Stand-in.',
    inputs: { ckpt_name: choice(() => ['tiny-sd.safetensors', 'other.safetensors']) },
    outputs: { MODEL: socket('MODEL'), CLIP: socket('CLIP'), VAE: socket('VAE') },
    run(input) {
      ran('CheckpointLoaderSimple');
      return { MODEL: { ckpt: input.ckpt_name }, CLIP: { ckpt: input.ckpt_name }, VAE: { ckpt: input.ckpt_name } };
    },
  }),
  defineNode({
    type: 'CLIPTextEncode',
    version: 1,
    category: 'conditioning',
    description: 'Stand-in.',
    inputs: { text: text({ multiline: true }), clip: socket('CLIP') },
    outputs: { CONDITIONING: socket('CONDITIONING') },
    run(input) {
      ran('CLIPTextEncode');
      return { CONDITIONING: { text: input.text } };
    },
  }),
  defineNode({
    type: 'EmptyLatentImage',
    version: 1,
    category: 'latent',
    description: 'Stand-in.',
    inputs: { width: int({ default: 512, min: 16, max: 4096, step: 8 }), height: int({ default: 512, min: 16, max: 4096, step: 8 }), batch_size: int({ default: 1, min: 1, max: 64 }) },
    outputs: { LATENT: socket('LATENT') },
    run(input) {
      ran('EmptyLatentImage');
      const shape = [input.batch_size, 4, input.height / 8, input.width / 8];
      return { LATENT: { samples: new Float32Array(shape.reduce((a, b) => a * b)), shape } };
    },
  }),
  defineNode({
    type: 'KSampler',
    version: 1,
    category: 'sampling',
    description: 'Stand-in: records what it was given.',
    inputs: {
      model: socket('MODEL'),
      seed: int({ default: 0, min: 0 }),
      steps: int({ default: 20, min: 1, max: 10000 }),
      cfg: float({ default: 8, min: 0, max: 100 }),
      sampler_name: choice(['euler', 'ddim'] as const),
      scheduler: choice(['normal', 'karras'] as const),
      positive: socket('CONDITIONING'),
      negative: socket('CONDITIONING'),
      latent_image: socket('LATENT'),
      denoise: float({ default: 1, min: 0, max: 1 }),
    },
    outputs: { LATENT: socket('LATENT') },
    run(input) {
      ran('KSampler');
      const { model, positive, negative, latent_image, ...widgets } = input;
      return { LATENT: { ...(latent_image as object), sampledWith: { model, positive, negative, ...widgets } } };
    },
  }),
  defineNode({
    type: 'VAEDecode',
    version: 1,
    category: 'latent',
    description: 'Stand-in.',
    inputs: { samples: socket('LATENT'), vae: socket('VAE') },
    outputs: { IMAGE: socket('IMAGE') },
    run(input) {
      ran('VAEDecode');
      return { IMAGE: { decoded: input.samples } };
    },
  }),
  defineNode({
    type: 'PreviewImage',
    version: 1,
    category: 'image',
    description: 'Stand-in output node.',
    inputs: { images: socket('IMAGE') },
    outputs: {},
    outputNode: true,
    cache: { enabled: false },
    run(input) {
      ran('PreviewImage');
      return { ui: { images: input.images } };
    },
  }),
];

/** A registry with the number nodes (core, un-namespaced). */
export function numberRegistry(): NodeRegistry {
  const registry = new NodeRegistry();
  registry.registerAll(numberNodes);
  return registry;
}

/** Checks and registers subgraphs as pack `pack` (what loadPacks does for a latentflow.json). */
export function registerSubgraphs(registry: NodeRegistry, pack: string, subgraphs: unknown[]): void {
  const definitions = subgraphs.map((json) => {
    const { subgraph, problems } = checkSubgraph(json, pack);
    if (!subgraph) throw new Error(`test subgraph is invalid: ${problems.join('; ')}`);
    return subgraphDefinition(subgraph, registry);
  });
  const issues = registry.registerPack(pack, definitions);
  if (issues.length > 0) throw new Error(issues.map((i) => i.message).join('\n'));
}

/** (x + y + bias) and its product with factor; both as outputs. */
export const addMul = {
  type: 'AddMul',
  description: 'Adds x, y and bias, then multiplies by factor.',
  inputs: [
    { name: 'x', type: 'LATENT', targets: [{ node: '1', input: 'a' }] },
    { name: 'y', type: 'LATENT', targets: [{ node: '1', input: 'b' }] },
    { name: 'bias', type: 'INT', default: 0, min: 0, max: 100, targets: [{ node: '1', input: 'bias' }] },
    { name: 'factor', type: 'INT', default: 2, min: 0, max: 100, targets: [{ node: '2', input: 'factor' }] },
  ],
  outputs: [
    { name: 'SUM', type: 'LATENT', from: { node: '1', output: 0 } },
    { name: 'PRODUCT', type: 'LATENT', from: { node: '2', output: 0 } },
  ],
  workflow: {
    '1': { class_type: 'Add', inputs: { bias: 0 } },
    '2': { class_type: 'Mul', inputs: { a: ['1', 0], factor: 1 } },
  },
};

/** AddMul (pack-local name) fed with x twice plus a constant 10, inside another subgraph. */
export const nested = {
  type: 'Nested',
  inputs: [
    { name: 'x', type: 'LATENT', targets: [{ node: 'a', input: 'x' }] },
    { name: 'k', type: 'INT', default: 1, targets: [{ node: 'a', input: 'bias' }] },
  ],
  outputs: [{ name: 'OUT', type: 'LATENT', from: { node: 'a', output: 1 } }],
  workflow: {
    n: { class_type: 'Num', inputs: { value: 10 } },
    a: { class_type: 'AddMul', inputs: { y: ['n', 0], factor: 3 } },
  },
};
