/**
 * Writes a single-file checkpoint with the exact SDXL base 1.0 architecture in its original (SGM) layout
 * (model.diffusion_model.*, first_stage_model.*, conditioner.embedders.0.transformer.* for CLIP ViT-L,
 * conditioner.embedders.1.model.* for OpenCLIP ViT-bigG with fused in_proj and [D, P] text_projection),
 * f16, filled with seeded random values as make:sd15-random does: for benchmarks and memory tests of
 * the full-size model without downloading one.
 *
 *   npm run make:sdxl-random -- OUT.safetensors [--seed N] [--tiny] [--refiner]
 *
 * It loads through CheckpointLoaderSimple with SDXL's defaults (heads = width / 64, VAE scaling 0.13025;
 * no sidecar needed). --tiny writes the same structure with small widths. --refiner writes SDXL refiner
 * 1.0's structure instead (OpenCLIP bigG alone under conditioner.embedders.0.model.*, the UNet with 4
 * levels, the last without attention, context 1280, label embedding 1280 + 5 x 256).
 */
import { pathToFileURL } from 'node:url';

import { randomCheckpointCli, SD15, type SdArchitecture } from './make-sd15-random.ts';

/** SDXL base 1.0: UNet 2,567,463,684 parameters, VAE 83,653,863, CLIP-L 123,060,480, OpenCLIP bigG 694,659,840. */
export const SDXL: SdArchitecture = {
  unet: {
    inChannels: 4,
    outChannels: 4,
    modelChannels: 320,
    channelMult: [1, 2, 4],
    numResBlocks: 2,
    attentionLevels: [1, 2],
    contextDim: 2048,
    transformerDepth: 1,
    transformerDepths: [1, 2, 10],
    linearProjection: true,
    admInChannels: 2816, // pooled 1280 + 6 x 256
  },
  vae: SD15.vae,
  clip: { vocab: 49408, hidden: 768, layers: 12, intermediate: 3072, positions: 77 },
  clipG: { vocab: 49408, hidden: 1280, layers: 32, intermediate: 5120, positions: 77, projection: 1280 },
};

/** The same structure with small widths (heads = width / 64 needs widths that are multiples of 64). */
export const TINY_SDXL: SdArchitecture = {
  unet: { ...SDXL.unet, modelChannels: 64, channelMult: [1, 1, 2], contextDim: 64 + 128, transformerDepths: [1, 1, 2], admInChannels: 64 + 6 * 256 },
  vae: { ...SDXL.vae, ch: 32, chMult: [1, 1, 2, 2] },
  clip: { vocab: 49408, hidden: 64, layers: 2, intermediate: 128, positions: 77 },
  clipG: { vocab: 49408, hidden: 128, layers: 2, intermediate: 256, positions: 77, projection: 64 },
};

/** SDXL refiner 1.0 (stabilityai/stable-diffusion-xl-refiner-1.0): bigG alone, a 4-level UNet with 4-layer transformers at levels 1 and 2. */
export const SDXL_REFINER: SdArchitecture = {
  ...SDXL,
  unet: {
    ...SDXL.unet,
    modelChannels: 384,
    channelMult: [1, 2, 4, 4],
    attentionLevels: [1, 2],
    contextDim: 1280,
    transformerDepth: 4,
    transformerDepths: [4, 4, 4, 4],
    admInChannels: 2560, // pooled 1280 + 5 x 256 (height, width, crop top, left, aesthetic score)
  },
  refiner: true,
};

/** The refiner's structure with small widths. */
export const TINY_SDXL_REFINER: SdArchitecture = {
  ...TINY_SDXL,
  unet: { ...TINY_SDXL.unet, channelMult: [1, 1, 2, 2], attentionLevels: [1, 2], contextDim: 128, transformerDepths: [2, 2, 2, 2], admInChannels: 64 + 5 * 256 },
  refiner: true,
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const refiner = args.includes('--refiner');
  process.exitCode = randomCheckpointCli(args.filter((a) => a !== '--refiner'), 'make:sdxl-random', refiner ? SDXL_REFINER : SDXL, refiner ? TINY_SDXL_REFINER : TINY_SDXL);
}
