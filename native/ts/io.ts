/**
 * The io family of the native engine (native/src/binding/binding.cc over include/sdn.h): safetensors
 * inspection and reading, and a test/tool view of a loaded checkpoint. Every function runs off the JS
 * thread and rejects with a `NativeError` (code SDN_STATUS_IO_ERROR, SDN_STATUS_BAD_FORMAT, ...) whose
 * message names the file and the problem.
 */
import type { ModelConfigs } from './checkpoint-files.ts';
import { addon, native } from './core.ts';
import { loadModel, modelsAddon, type ModelWeightsDType } from './models.ts';

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

export type CheckpointComponent = 'clip' | 'clip2' | 'unet' | 'vae';

/** One stored weight of a loaded checkpoint, under its diffusers / transformers name. */
export interface CheckpointTensorInfo {
  component: CheckpointComponent;
  name: string;
  /** Stored dtype: rank >= 2 weights follow the storage policy (Q8_0: the UNet's under 'q8_0'), vectors are always F32. */
  dtype: 'F32' | 'F16' | 'Q8_0';
  shape: number[];
  /** "mapped": a zero-copy view of the file; "owned": converted or copied into engine memory. */
  storage: 'mapped' | 'owned';
  /** The stored values (f16 as raw bits, q8_0 widened to f32), only when requested. */
  data?: Float32Array | Uint16Array;
}

/** What loading a checkpoint produced. */
export interface CheckpointInfo {
  source: string;
  layout: 'diffusers' | 'single-file' | 'vae';
  /** The configurations the engine built the networks from (config.json keys). */
  configs: { clip?: ModelConfigs['text_encoder']; unet: ModelConfigs['unet']; vae: ModelConfigs['vae']; clip2?: ModelConfigs['text_encoder'] };
  /** scheduler_config.json (diffusers folder, or derived from a sidecar); null when absent. */
  schedulerConfig: Record<string, unknown> | null;
  tokenizerDir: string | null;
  /** Engine memory the loaded weights held: owned (converted) bytes and mapped file bytes, measured
   * around the load (another load running at the same time in this process would add to them). */
  memory: { weightsBytes: number; mappedBytes: number };
  tensors: CheckpointTensorInfo[];
}

/** Raw addon functions of this family. */
export interface IoAddon {
  inspectSafetensors(path: string): Promise<string>;
  readSafetensorsTensor(path: string, name: string): Promise<Float32Array>;
}

export const ioAddon = addon as unknown as IoAddon;

/**
 * Lists a safetensors file's tensors and metadata without reading tensor data.
 * @example
 *   const info = await inspectSafetensors('models/checkpoints/shapes-sd.safetensors');
 *   console.log(info.tensors.length, info.metadata.format);
 */
export async function inspectSafetensors(path: string): Promise<SafetensorsInfo> {
  const h = JSON.parse(await ioAddon.inspectSafetensors(path)) as {
    header_bytes: number;
    data_bytes: number;
    metadata: Record<string, string>;
    tensors: { name: string; dtype: string; shape: number[]; data_offsets: [number, number] }[];
  };
  return {
    path,
    headerBytes: h.header_bytes,
    dataBytes: h.data_bytes,
    metadata: h.metadata,
    tensors: h.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, dataOffsets: t.data_offsets })),
  };
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
export async function loadCheckpointInfo(path: string, storage: ModelWeightsDType, options: { withData?: boolean } = {}): Promise<CheckpointInfo> {
  const before = native.memoryStats();
  const model = await loadModel(path, { weights: storage });
  try {
    const after = native.memoryStats();
    const list = JSON.parse(modelsAddon.modelWeights(model.handle)) as {
      network: 'text_encoder' | 'text_encoder_2' | 'unet' | 'vae';
      name: string;
      dtype: 'F32' | 'F16' | 'Q8_0';
      shape: number[];
      storage: 'mapped' | 'owned';
    }[];
    const { info } = model;
    return {
      source: info.source,
      layout: info.layout,
      configs: { ...(info.clip ? { clip: info.clip } : {}), unet: info.unet, vae: info.vae, ...(info.clip2 ? { clip2: info.clip2 } : {}) },
      schedulerConfig: info.schedulerConfig,
      tokenizerDir: info.tokenizerDir || null,
      memory: { weightsBytes: after.weightsCurrent - before.weightsCurrent, mappedBytes: after.mappedCurrent - before.mappedCurrent },
      tensors: list.map((w) => ({
        component: w.network === 'text_encoder' ? 'clip' : w.network === 'text_encoder_2' ? 'clip2' : w.network,
        name: w.name,
        dtype: w.dtype,
        shape: w.shape,
        storage: w.storage,
        ...(options.withData ? { data: modelsAddon.modelWeight(model.handle, w.network, w.name) } : {}),
      })),
    };
  } finally {
    model.dispose();
  }
}
