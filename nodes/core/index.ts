/** The core node types (ComfyUI's names and inputs), registered by every host. */
import type { AnyNodeDefinition } from '../schema.ts';
import '../socket-values.ts';
import checkpointLoader from './checkpoint-loader-simple.ts';
import clipTextEncode from './clip-text-encode.ts';
import diffusersLoader from './diffusers-loader.ts';
import emptyLatentImage from './empty-latent-image.ts';
import ksampler from './ksampler.ts';
import loadImage from './load-image.ts';
import previewImage from './preview-image.ts';
import saveImage from './save-image.ts';
import vaeDecode from './vae-decode.ts';
import vaeDecodeTiled from './vae-decode-tiled.ts';
import vaeEncode from './vae-encode.ts';

export const coreNodes: AnyNodeDefinition[] = [
  checkpointLoader,
  diffusersLoader,
  clipTextEncode,
  emptyLatentImage,
  ksampler,
  vaeDecode,
  vaeDecodeTiled,
  vaeEncode,
  loadImage,
  saveImage,
  previewImage,
];
