/** The txt2img workflow in the saved form, as the server stores it (the unit tests' canvas). */
import type { SavedWorkflow } from '../../protocol/index.ts';

export const TXT2IMG: SavedWorkflow = {
  version: 1,
  name: 'txt2img',
  nodes: [
    { id: '4', type: 'CheckpointLoaderSimple', position: { x: 0, y: 0 }, widgets: { ckpt_name: 'shapes-sd.safetensors' } },
    { id: '6', type: 'CLIPTextEncode', position: { x: 340, y: 0 }, widgets: { text: 'a large yellow square on a purple background' } },
    { id: '7', type: 'CLIPTextEncode', position: { x: 340, y: 260 }, widgets: { text: '' } },
    { id: '5', type: 'EmptyLatentImage', position: { x: 340, y: 520 }, widgets: { width: 64, height: 64, batch_size: 1 } },
    { id: '3', type: 'KSampler', position: { x: 680, y: 0 }, widgets: { seed: 42, steps: 4, cfg: 7, sampler_name: 'euler', scheduler: 'normal', denoise: 1, attention: 'auto' } },
    { id: '8', type: 'VAEDecode', position: { x: 1020, y: 0 }, widgets: {} },
    { id: '9', type: 'SaveImage', position: { x: 1360, y: 0 }, widgets: { filename_prefix: 'latentflow', embed_workflow: true } },
  ],
  edges: [
    { from: { node: '4', output: 0 }, to: { node: '3', input: 'model' } },
    { from: { node: '4', output: 1 }, to: { node: '6', input: 'clip' } },
    { from: { node: '4', output: 1 }, to: { node: '7', input: 'clip' } },
    { from: { node: '6', output: 0 }, to: { node: '3', input: 'positive' } },
    { from: { node: '7', output: 0 }, to: { node: '3', input: 'negative' } },
    { from: { node: '5', output: 0 }, to: { node: '3', input: 'latent_image' } },
    { from: { node: '3', output: 0 }, to: { node: '8', input: 'samples' } },
    { from: { node: '4', output: 2 }, to: { node: '8', input: 'vae' } },
    { from: { node: '8', output: 0 }, to: { node: '9', input: 'images' } },
  ],
};
