/** The core node types (ComfyUI's names and inputs), registered by every host. */
import type { AnyNodeDefinition } from '../schema.ts';
import '../socket-values.ts';
import checkpointLoader from './checkpoint-loader-simple.ts';
import controlNetLoader from './controlnet-loader.ts';
import diffControlNetLoader from './diff-controlnet-loader.ts';
import controlNetApply from './controlnet-apply.ts';
import controlNetApplyAdvanced from './controlnet-apply-advanced.ts';
import cannyNode from './canny.ts';
import clipTextEncode from './clip-text-encode.ts';
import clipSetLastLayer from './clip-set-last-layer.ts';
import loraLoader from './lora-loader.ts';
import loraLoaderModelOnly from './lora-loader-model-only.ts';
import clipTextEncodeSdxl from './clip-text-encode-sdxl.ts';
import clipTextEncodeSdxlRefiner from './clip-text-encode-sdxl-refiner.ts';
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
import vaeLoader from './vae-loader.ts';
import imageScale from './image-scale.ts';
import imageScaleBy from './image-scale-by.ts';
import imageScaleToTotalPixels from './image-scale-to-total-pixels.ts';
import imageCrop from './image-crop.ts';
import imageInvert from './image-invert.ts';
import imagePadForOutpaint from './image-pad-for-outpaint.ts';
import imageBatch from './image-batch.ts';
import emptyImage from './empty-image.ts';
import imageCompositeMasked from './image-composite-masked.ts';
import imageBlur from './image-blur.ts';
import imageSharpen from './image-sharpen.ts';
import imageFlip from './image-flip.ts';
import imageRotate from './image-rotate.ts';
import loadImageMask from './load-image-mask.ts';
import imageToMask from './image-to-mask.ts';
import maskToImage from './mask-to-image.ts';
import solidMask from './solid-mask.ts';
import invertMask from './invert-mask.ts';
import growMask from './grow-mask.ts';
import featherMask from './feather-mask.ts';
import maskComposite from './mask-composite.ts';
import cropMask from './crop-mask.ts';
import thresholdMask from './threshold-mask.ts';
import latentUpscale from './latent-upscale.ts';
import latentUpscaleBy from './latent-upscale-by.ts';
import latentComposite from './latent-composite.ts';
import latentCompositeMasked from './latent-composite-masked.ts';
import latentBatch from './latent-batch.ts';
import repeatLatentBatch from './repeat-latent-batch.ts';
import latentFromBatch from './latent-from-batch.ts';
import latentCrop from './latent-crop.ts';
import latentFlip from './latent-flip.ts';
import latentRotate from './latent-rotate.ts';
import setLatentNoiseMask from './set-latent-noise-mask.ts';
import vaeEncodeForInpaint from './vae-encode-for-inpaint.ts';
import inpaintModelConditioning from './inpaint-model-conditioning.ts';
import upscaleModelLoader from './upscale-model-loader.ts';
import imageUpscaleWithModel from './image-upscale-with-model.ts';

export const coreNodes: AnyNodeDefinition[] = [
  checkpointLoader,
  controlNetLoader,
  diffControlNetLoader,
  controlNetApply,
  controlNetApplyAdvanced,
  cannyNode,
  diffusersLoader,
  clipTextEncode,
  clipSetLastLayer,
  loraLoader,
  loraLoaderModelOnly,
  clipTextEncodeSdxl,
  clipTextEncodeSdxlRefiner,
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
  vaeLoader,
  loadImage,
  saveImage,
  previewImage,
  imageScale,
  imageScaleBy,
  imageScaleToTotalPixels,
  imageCrop,
  imageInvert,
  imagePadForOutpaint,
  imageBatch,
  emptyImage,
  imageCompositeMasked,
  imageBlur,
  imageSharpen,
  imageFlip,
  imageRotate,
  loadImageMask,
  imageToMask,
  maskToImage,
  solidMask,
  invertMask,
  growMask,
  featherMask,
  maskComposite,
  cropMask,
  thresholdMask,
  latentUpscale,
  latentUpscaleBy,
  latentComposite,
  latentCompositeMasked,
  latentBatch,
  repeatLatentBatch,
  latentFromBatch,
  latentCrop,
  latentFlip,
  latentRotate,
  setLatentNoiseMask,
  vaeEncodeForInpaint,
  inpaintModelConditioning,
  upscaleModelLoader,
  imageUpscaleWithModel,
];
