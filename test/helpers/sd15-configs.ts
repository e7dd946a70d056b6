// SD 1.5's UNet and VAE configurations (their diffusers config.json files, as modelInfo() reports
// them), for memory estimates of the full-size model without loading one.
import type { UNetConfig, VAEConfig } from '../../native/index.ts';

export const SD15_UNET: UNetConfig = {
  in_channels: 4,
  out_channels: 4,
  block_out_channels: [320, 640, 1280, 1280],
  down_block_types: ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'],
  up_block_types: ['UpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D'],
  layers_per_block: 2,
  num_attention_heads: [8, 8, 8, 8],
  cross_attention_dim: 768,
  norm_num_groups: 32,
  norm_eps: 1e-5,
  use_linear_projection: false,
  transformer_layers_per_block: [1, 1, 1, 1],
  flip_sin_to_cos: true,
  freq_shift: 0,
  sample_size: 64,
};

export const SD15_VAE: VAEConfig = {
  in_channels: 3,
  out_channels: 3,
  latent_channels: 4,
  block_out_channels: [128, 256, 512, 512],
  layers_per_block: 2,
  norm_num_groups: 32,
  scaling_factor: 0.18215,
  sample_size: 512,
};
