// SDXL base 1.0's UNet configuration (stabilityai/stable-diffusion-xl-base-1.0 unet/config.json, as
// modelInfo() reports it: heads per block = width / 64), for memory estimates of the full-size model
// without loading one.
import type { UNetConfig } from '../../native/index.ts';

export const SDXL_UNET: UNetConfig = {
  in_channels: 4,
  out_channels: 4,
  block_out_channels: [320, 640, 1280],
  down_block_types: ['DownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D'],
  up_block_types: ['CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'UpBlock2D'],
  layers_per_block: 2,
  num_attention_heads: [5, 10, 20],
  cross_attention_dim: 2048,
  norm_num_groups: 32,
  norm_eps: 1e-5,
  use_linear_projection: true,
  transformer_layers_per_block: [1, 2, 10],
  addition_embed_type: 'text_time',
  addition_time_embed_dim: 256,
  projection_class_embeddings_input_dim: 2816,
  flip_sin_to_cos: true,
  freq_shift: 0,
  sample_size: 128,
};

/**
 * SDXL refiner 1.0's UNet configuration (stabilityai/stable-diffusion-xl-refiner-1.0 unet/config.json: the last
 * level without attention, 4 transformer layers, context 1280 = bigG alone, adm 2560 = 1280 + 5 x 256), as
 * modelInfo() reports it.
 */
export const SDXL_REFINER_UNET: UNetConfig = {
  ...SDXL_UNET,
  block_out_channels: [384, 768, 1536, 1536],
  down_block_types: ['DownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'],
  up_block_types: ['UpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'UpBlock2D'],
  num_attention_heads: [6, 12, 24, 24],
  cross_attention_dim: 1280,
  // As modelInfo() reports a single file: 1 at level 0, which has no attention (the diffusers config's 4 there
  // is unused: the same network); the mid block takes the last level's 4.
  transformer_layers_per_block: [1, 4, 4, 4],
  projection_class_embeddings_input_dim: 2560,
};
