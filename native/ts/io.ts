/**
 * The io family of the native engine (see native/src/binding/binding_io.cc): safetensors inspection
 * and reading, and a test/tool view of a loaded checkpoint. Every function runs off the JS thread and
 * rejects with a `NativeError` (code SDN_STATUS_IO_ERROR, SDN_STATUS_BAD_FORMAT, ...) whose message
 * names the file and the problem.
 */
import { addon } from './core.ts';

/** One tensor listed in a safetensors header. */
export interface SafetensorsTensorInfo {
  name: string;
  /** As written in the file: "F32", "F16", "BF16", "I64", ... */
  dtype: string;
  shape: number[];
  /** Byte range [begin, end) inside the data section (which starts at 8 + headerBytes). */
  dataOffsets: [number, number];
}

/** A safetensors file's header, validated strictly (see native/src/io/safetensors.h). */
export interface SafetensorsInfo {
  path: string;
  /** Length of the JSON header in bytes. */
  headerBytes: number;
  /** Length of the data section in bytes. */
  dataBytes: number;
  metadata: Record<string, string>;
  /** In header order. */
  tensors: SafetensorsTensorInfo[];
}

/** CLIP text encoder configuration, with transformers' config.json key names. */
export interface CLIPConfigFile {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  max_position_embeddings: number;
  layer_norm_eps: number;
  hidden_act: 'quick_gelu' | 'gelu';
}

/** UNet2DConditionModel configuration, with diffusers' config.json key names (heads per block). */
export interface UNetConfigFile {
  in_channels: number;
  out_channels: number;
  block_out_channels: number[];
  down_block_types: ('CrossAttnDownBlock2D' | 'DownBlock2D')[];
  up_block_types: ('CrossAttnUpBlock2D' | 'UpBlock2D')[];
  layers_per_block: number;
  num_attention_heads: number[];
  cross_attention_dim: number;
  norm_num_groups: number;
  norm_eps: number;
  use_linear_projection: boolean;
  transformer_layers_per_block: number;
  flip_sin_to_cos: boolean;
  freq_shift: number;
  sample_size: number;
}

/** AutoencoderKL configuration, with diffusers' config.json key names. */
export interface VAEConfigFile {
  in_channels: number;
  out_channels: number;
  latent_channels: number;
  block_out_channels: number[];
  layers_per_block: number;
  norm_num_groups: number;
  scaling_factor: number;
  sample_size: number;
}

export type WeightStorageKind = 'f32' | 'f16';
export type CheckpointComponent = 'clip' | 'unet' | 'vae';

/** One stored weight of a loaded checkpoint, under its diffusers / transformers name. */
export interface CheckpointTensorInfo {
  component: CheckpointComponent;
  name: string;
  /** Stored dtype: rank >= 2 weights follow the storage policy, vectors are always F32. */
  dtype: 'F32' | 'F16';
  shape: number[];
  /** "mapped": a zero-copy view of the file; "owned": converted or copied into engine memory. */
  storage: 'mapped' | 'owned';
  /** The stored values (f16 as raw bits), only when requested. */
  data?: Float32Array | Uint16Array;
}

/** What loading a checkpoint produced (see native/src/io/checkpoint.h). */
export interface CheckpointInfo {
  source: string;
  layout: 'diffusers' | 'single-file';
  configs: { clip: CLIPConfigFile; unet: UNetConfigFile; vae: VAEConfigFile };
  /** scheduler_config.json text (diffusers folder, or derived from a .yaml sidecar); null when absent. */
  schedulerConfig: string | null;
  tokenizerDir: string | null;
  /** Engine memory the loaded weights held: owned (converted) bytes and mapped file bytes, measured
   * around the load (another load running at the same time in this process would add to them). */
  memory: { weightsBytes: number; mappedBytes: number };
  tensors: CheckpointTensorInfo[];
}

/** Raw addon functions of this family. */
export interface IoAddon {
  inspectSafetensors(path: string): Promise<SafetensorsInfo>;
  readSafetensorsTensor(path: string, name: string): Promise<Float32Array>;
  loadCheckpointInfo(path: string, storage: WeightStorageKind, withData?: boolean): Promise<CheckpointInfo>;
  parseYaml(text: string): unknown;
}

export const ioAddon = addon as unknown as IoAddon;

/**
 * Lists a safetensors file's tensors and metadata without reading tensor data.
 * @example
 *   const info = await inspectSafetensors('models/checkpoints/shapes-sd.safetensors');
 *   console.log(info.tensors.length, info.metadata.format);
 */
export function inspectSafetensors(path: string): Promise<SafetensorsInfo> {
  return ioAddon.inspectSafetensors(path);
}

/**
 * Reads one F32/F16/BF16 tensor, widened to f32 (for tests and tools; models read weights through
 * the engine's own loader).
 * @example
 *   const w = await readSafetensorsTensor(file, 'conv_in.weight');
 */
export function readSafetensorsTensor(path: string, name: string): Promise<Float32Array> {
  return ioAddon.readSafetensorsTensor(path, name);
}

/**
 * Loads a checkpoint (a diffusers folder or a single-file original-layout .safetensors) as the models
 * would, reports its configurations and weights, and releases it. A test/tool function.
 * @example
 *   const info = await loadCheckpointInfo('models/checkpoints/shapes-sd.safetensors', 'f16');
 *   console.log(info.configs.unet.block_out_channels, info.memory);
 */
export function loadCheckpointInfo(
  path: string,
  storage: WeightStorageKind,
  options: { withData?: boolean } = {},
): Promise<CheckpointInfo> {
  return ioAddon.loadCheckpointInfo(path, storage, options.withData ?? false);
}

/**
 * Parses the YAML subset of LDM model configs (the reader single-file sidecars go through; see
 * native/src/io/yaml.h). Synchronous: for small config texts.
 * @example
 *   parseYaml('model:\n  params:\n    scale_factor: 0.18215') // { model: { params: { scale_factor: 0.18215 } } }
 */
export function parseYaml(text: string): unknown {
  return ioAddon.parseYaml(text);
}
