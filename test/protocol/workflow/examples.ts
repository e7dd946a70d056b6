// Workflows the protocol tests share.
import type { ExecutionGraph, SavedWorkflow } from '../../../protocol/index.ts';

// ComfyUI's default txt2img workflow in API format, as ComfyUI's "Save (API format)" writes it.
export const txt2img: ExecutionGraph = {
  '3': {
    class_type: 'KSampler',
    inputs: { seed: 156680208700286, steps: 20, cfg: 8, sampler_name: 'euler', scheduler: 'normal', denoise: 1, model: ['4', 0], positive: ['6', 0], negative: ['7', 0], latent_image: ['5', 0] },
    _meta: { title: 'KSampler' },
  },
  '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'v1-5-pruned-emaonly.safetensors' }, _meta: { title: 'Load Checkpoint' } },
  '5': { class_type: 'EmptyLatentImage', inputs: { width: 512, height: 512, batch_size: 1 } },
  '6': { class_type: 'CLIPTextEncode', inputs: { text: 'beautiful scenery nature glass bottle landscape', clip: ['4', 1] } },
  '7': { class_type: 'CLIPTextEncode', inputs: { text: 'text, watermark', clip: ['4', 1] } },
  '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
  '9': { class_type: 'SaveImage', inputs: { filename_prefix: 'ComfyUI', images: ['8', 0] } },
};

/** A three-node chain in the saved form (types need not be registered). */
export const saved: SavedWorkflow = {
  version: 1,
  name: 'tiny',
  nodes: [
    { id: '1', type: 'Loader', position: { x: 0, y: 0 }, widgets: { size: 3 } },
    { id: '2', type: 'Scale', title: 'scale it', position: { x: 320, y: 0 }, widgets: { factor: 1.5, note: 'hi' } },
    { id: '3', type: 'Save', position: { x: 640, y: 0 }, widgets: { prefix: 'out' } },
  ],
  edges: [
    { from: { node: '1', output: 0 }, to: { node: '2', input: 'model' } },
    { from: { node: '2', output: 0 }, to: { node: '3', input: 'model' } },
  ],
};
