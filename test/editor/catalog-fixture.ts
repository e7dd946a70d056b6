/**
 * A node catalog in the shape GET /api/node-types serves (nodes/schema.ts objectInfo()), for the txt2img
 * core nodes; the editor's unit tests draw and convert with it.
 */
import type { ObjectInfo, ObjectInfoEntry, ObjectInfoInput } from '../../protocol/index.ts';

type Inputs = { required: Record<string, ObjectInfoInput>; optional?: Record<string, ObjectInfoInput> };

function entry(name: string, category: string, input: Inputs, outputs: Array<[string, string]>, outputNode = false): ObjectInfoEntry {
  return {
    input: { required: input.required, optional: input.optional ?? {} },
    input_order: { required: Object.keys(input.required), optional: Object.keys(input.optional ?? {}) },
    output: outputs.map(([, type]) => type) as ObjectInfoEntry['output'],
    output_is_list: outputs.map(() => false),
    output_name: outputs.map(([n]) => n),
    output_tooltips: outputs.map(() => ''),
    name,
    display_name: name,
    description: `${name} description`,
    category,
    python_module: 'nodes',
    output_node: outputNode,
    version: 1,
    pack: null,
  };
}

export const OBJECT_INFO: ObjectInfo = {
  CheckpointLoaderSimple: entry('CheckpointLoaderSimple', 'loaders', { required: { ckpt_name: [['shapes-sd.safetensors', 'v1-5.safetensors'], {}] } }, [
    ['MODEL', 'MODEL'],
    ['CLIP', 'CLIP'],
    ['VAE', 'VAE'],
  ]),
  CLIPTextEncode: entry('CLIPTextEncode', 'conditioning', { required: { text: ['STRING', { multiline: true, default: '' }], clip: ['CLIP', {}] } }, [['CONDITIONING', 'CONDITIONING']]),
  EmptyLatentImage: entry(
    'EmptyLatentImage',
    'latent',
    {
      required: {
        width: ['INT', { default: 512, min: 64, max: 2048, step: 8 }],
        height: ['INT', { default: 512, min: 64, max: 2048, step: 8 }],
        batch_size: ['INT', { default: 1, min: 1, max: 16 }],
      },
    },
    [['LATENT', 'LATENT']],
  ),
  KSampler: entry(
    'KSampler',
    'sampling',
    {
      required: {
        model: ['MODEL', {}],
        seed: ['INT', { default: 0, min: 0, tooltip: 'Noise seed.' }],
        steps: ['INT', { default: 20, min: 1, max: 150 }],
        cfg: ['FLOAT', { default: 7, min: 0, max: 30, step: 0.5 }],
        sampler_name: [['euler', 'euler_ancestral', 'ddim', 'dpmpp_2m'], { default: 'euler' }],
        scheduler: [['normal', 'karras'], { default: 'normal' }],
        positive: ['CONDITIONING', {}],
        negative: ['CONDITIONING', {}],
        latent_image: ['LATENT', {}],
        denoise: ['FLOAT', { default: 1, min: 0, max: 1, step: 0.01 }],
        attention: [['auto', 'naive', 'sliced', 'flash'], { default: 'auto' }],
      },
    },
    [['LATENT', 'LATENT']],
  ),
  VAEDecode: entry('VAEDecode', 'latent', { required: { samples: ['LATENT', {}], vae: ['VAE', {}] } }, [['IMAGE', 'IMAGE']]),
  SaveImage: entry(
    'SaveImage',
    'image',
    { required: { images: ['IMAGE', {}], filename_prefix: ['STRING', { default: 'latentflow' }] }, optional: { embed_workflow: ['BOOLEAN', { default: true, label_on: 'yes', label_off: 'no' }] } },
    [],
    true,
  ),
};
