// SD 1.5's UNet and VAE configurations as modelInfo() reports them (their diffusers config.json files),
// for memory estimates of the full-size model without loading one.
import type { UNetConfig, VAEConfig } from '../../native/index.ts';

export const SD15_UNET: UNetConfig = {
  inChannels: 4,
  outChannels: 4,
  blockOutChannels: [320, 640, 1280, 1280],
  downBlockTypes: ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'],
  upBlockTypes: ['UpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D'],
  layersPerBlock: 2,
  numAttentionHeads: [8, 8, 8, 8],
  crossAttentionDim: 768,
  normNumGroups: 32,
  normEps: 1e-5,
  useLinearProjection: false,
  transformerLayersPerBlock: 1,
  flipSinToCos: true,
  freqShift: 0,
  sampleSize: 64,
};

export const SD15_VAE: VAEConfig = {
  inChannels: 3,
  outChannels: 3,
  latentChannels: 4,
  blockOutChannels: [128, 256, 512, 512],
  layersPerBlock: 2,
  normNumGroups: 32,
  scalingFactor: 0.18215,
  sampleSize: 512,
  downscaleFactor: 8,
};
