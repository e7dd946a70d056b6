/** The core node types (ComfyUI's names and inputs), registered by every host. */
import type { AnyNodeDefinition } from '../schema.ts';
import '../socket-values.ts';
import checkpointLoader from './checkpoint-loader-simple.ts';
import clipTextEncode from './clip-text-encode.ts';
import clipTextEncodeSdxl from './clip-text-encode-sdxl.ts';
import diffusersLoader from './diffusers-loader.ts';
import emptyLatentImage from './empty-latent-image.ts';
import ksampler from './ksampler.ts';
import ksamplerAdvanced from './ksampler-advanced.ts';
import samplerCustom from './sampler-custom.ts';
import samplerCustomAdvanced from './sampler-custom-advanced.ts';
import ksamplerSelect from './ksampler-select.ts';
import basicScheduler from './basic-scheduler.ts';
import karrasScheduler from './karras-scheduler.ts';
import exponentialScheduler from './exponential-scheduler.ts';
import splitSigmas from './split-sigmas.ts';
import randomNoise from './random-noise.ts';
import disableNoise from './disable-noise.ts';
import basicGuider from './basic-guider.ts';
import cfgGuider from './cfg-guider.ts';
import conditioningCombine from './conditioning-combine.ts';
import conditioningConcat from './conditioning-concat.ts';
import conditioningAverage from './conditioning-average.ts';
import conditioningSetArea from './conditioning-set-area.ts';
import conditioningSetAreaPercentage from './conditioning-set-area-percentage.ts';
import conditioningSetAreaStrength from './conditioning-set-area-strength.ts';
import conditioningSetTimestepRange from './conditioning-set-timestep-range.ts';
import conditioningZeroOut from './conditioning-zero-out.ts';
import modelSamplingDiscrete from './model-sampling-discrete.ts';
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
  clipTextEncodeSdxl,
  emptyLatentImage,
  ksampler,
  ksamplerAdvanced,
  samplerCustom,
  samplerCustomAdvanced,
  ksamplerSelect,
  basicScheduler,
  karrasScheduler,
  exponentialScheduler,
  splitSigmas,
  randomNoise,
  disableNoise,
  basicGuider,
  cfgGuider,
  modelSamplingDiscrete,
  conditioningCombine,
  conditioningConcat,
  conditioningAverage,
  conditioningSetArea,
  conditioningSetAreaPercentage,
  conditioningSetAreaStrength,
  conditioningSetTimestepRange,
  conditioningZeroOut,
  vaeDecode,
  vaeDecodeTiled,
  vaeEncode,
  loadImage,
  saveImage,
  previewImage,
];
