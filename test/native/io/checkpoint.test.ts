import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import {
  type CheckpointInfo,
  type CheckpointTensorInfo,
  isNativeError,
  loadCheckpointInfo,
  native,
} from '../../../native/index.ts';
import { makeTempDir, rewrite } from './safetensors-files.ts';

const tinyDir = path.resolve('test/fixtures/tiny-sd');
const tinyFile = path.join(tinyDir, 'tiny-sd.safetensors');
const tinyYaml = path.join(tinyDir, 'tiny-sd.yaml');
const demoDir = path.resolve('models/diffusers/shapes-sd');
const demoFile = path.resolve('models/checkpoints/shapes-sd.safetensors');

const tmp = makeTempDir('checkpoint');
afterAll(() => tmp.cleanup());

async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    expect(isNativeError(error)).toBe(true);
    return error as { code: string; message: string };
  }
  throw new Error('expected the promise to reject');
}

function sameBits(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

const key = (t: CheckpointTensorInfo) => `${t.component}:${t.name}`;

/** Every tensor of `a` equals (name, dtype, shape, bits) the same tensor of `b`, and the sets agree. */
function expectSameTensors(a: CheckpointInfo, b: CheckpointInfo): void {
  expect(a.tensors.map(key).sort()).toEqual(b.tensors.map(key).sort());
  const byKey = new Map(b.tensors.map((t) => [key(t), t]));
  const mismatched: string[] = [];
  for (const t of a.tensors) {
    const u = byKey.get(key(t))!;
    if (t.dtype !== u.dtype || t.shape.join() !== u.shape.join() || !sameBits(t.data!, u.data!)) mismatched.push(key(t));
  }
  expect(mismatched).toEqual([]);
}

/** The configuration a diffusers folder's config.json files describe, in the engine's key set. */
function configsFromJsonFiles(dir: string): CheckpointInfo['configs'] {
  const read = (part: string) => JSON.parse(fs.readFileSync(path.join(dir, part, 'config.json'), 'utf8'));
  const unet = read('unet');
  const vae = read('vae');
  const clip = read('text_encoder');
  const heads = unet.num_attention_heads ?? unet.attention_head_dim; // diffusers' SD 1.x naming quirk
  return {
    clip: {
      vocab_size: clip.vocab_size,
      hidden_size: clip.hidden_size,
      num_hidden_layers: clip.num_hidden_layers,
      num_attention_heads: clip.num_attention_heads,
      intermediate_size: clip.intermediate_size,
      max_position_embeddings: clip.max_position_embeddings,
      layer_norm_eps: clip.layer_norm_eps,
      hidden_act: clip.hidden_act,
    },
    unet: {
      in_channels: unet.in_channels,
      out_channels: unet.out_channels,
      block_out_channels: unet.block_out_channels,
      down_block_types: unet.down_block_types,
      up_block_types: unet.up_block_types,
      layers_per_block: unet.layers_per_block,
      num_attention_heads: Array.isArray(heads) ? heads : unet.block_out_channels.map(() => heads),
      cross_attention_dim: unet.cross_attention_dim,
      norm_num_groups: unet.norm_num_groups,
      norm_eps: unet.norm_eps,
      use_linear_projection: unet.use_linear_projection,
      transformer_layers_per_block: Array.isArray(unet.transformer_layers_per_block)
        ? unet.transformer_layers_per_block
        : unet.block_out_channels.map(() => unet.transformer_layers_per_block), // per block, as diffusers expands it
      flip_sin_to_cos: unet.flip_sin_to_cos,
      freq_shift: unet.freq_shift,
      sample_size: unet.sample_size,
    },
    vae: {
      in_channels: vae.in_channels,
      out_channels: vae.out_channels,
      latent_channels: vae.latent_channels,
      block_out_channels: vae.block_out_channels,
      layers_per_block: vae.layers_per_block,
      norm_num_groups: vae.norm_num_groups,
      scaling_factor: vae.scaling_factor,
      sample_size: vae.sample_size,
      mid_block_add_attention: vae.mid_block_add_attention ?? true,
      use_quant_conv: vae.use_quant_conv ?? true,
      use_post_quant_conv: vae.use_post_quant_conv ?? true,
    },
  };
}

/** A symlink to `target` named `<name>.safetensors` in the temp dir, with optional sidecars. */
function linked(name: string, target: string, sidecars: { yaml?: string; json?: unknown } = {}): string {
  const dir = path.join(tmp.dir, name);
  fs.mkdirSync(dir);
  const file = path.join(dir, `${name}.safetensors`);
  fs.symlinkSync(target, file);
  if (sidecars.yaml !== undefined) fs.writeFileSync(path.join(dir, `${name}.yaml`), sidecars.yaml);
  if (sidecars.json !== undefined) fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(sidecars.json));
  return file;
}

describe.each([
  ['tiny-sd fixture', tinyFile, tinyDir, { unetHeads: 8, clipHeads: 4, scaling: 0.18215 }],
  ['shapes-sd demo model', demoFile, demoDir, { unetHeads: 8, clipHeads: 4, scaling: 0.3036903738975525 }],
] as const)('single-file checkpoint: %s', (_, file, dir, expected) => {
  it('gives the same configurations as its diffusers folder and its config.json files', async () => {
    const single = await loadCheckpointInfo(file, 'f16');
    const folder = await loadCheckpointInfo(dir, 'f16');
    expect(single.layout).toBe('single-file');
    expect(folder.layout).toBe('diffusers');
    expect(single.configs).toEqual(folder.configs);
    const fromFiles = configsFromJsonFiles(dir);
    expect(single.configs.unet).toEqual(fromFiles.unet);
    expect(single.configs.clip).toEqual(fromFiles.clip);
    // The engine keeps the scaling factor as an f32 (reported as its shortest decimal): compare at f32 precision.
    expect({ ...single.configs.vae, scaling_factor: 0 }).toEqual({ ...fromFiles.vae, scaling_factor: 0 });
    expect(Math.fround(single.configs.vae.scaling_factor)).toBe(Math.fround(expected.scaling));
    expect(single.configs.unet.num_attention_heads.every((h) => h === expected.unetHeads)).toBe(true);
    expect(single.configs.clip!.num_attention_heads).toBe(expected.clipHeads);
    // The .yaml sidecar's noise schedule becomes an SD 1.5-style scheduler config.
    expect(single.schedulerConfig).toMatchObject({ beta_start: 0.00085, beta_end: 0.012, num_train_timesteps: 1000 });
  });

  it('maps every tensor to its diffusers name, bitwise equal to the fp16 diffusers weights', async () => {
    const single = await loadCheckpointInfo(file, 'f16', { withData: true });
    const folder = await loadCheckpointInfo(dir, 'f16', { withData: true });
    expectSameTensors(single, folder);
    const names = new Set(single.tensors.map(key));
    expect(names.has('vae:decoder.mid_block.attentions.0.to_q.weight')).toBe(true);
    expect(names.has('unet:up_blocks.1.upsamplers.0.conv.weight')).toBe(true);
    expect(names.has('clip:text_model.final_layer_norm.weight')).toBe(true);
    const toQ = single.tensors.find((t) => t.name === 'encoder.mid_block.attentions.0.to_q.weight')!;
    expect(toQ.shape.length).toBe(2); // [C, C, 1, 1] conv in the file, Linear here
  });
});

describe('single-file checkpoint: storage and memory', () => {
  it('keeps f16 weights as zero-copy views and owns far fewer bytes than with f32 storage', async () => {
    const before = native.memoryStats();
    const f16 = await loadCheckpointInfo(tinyFile, 'f16');
    const f32 = await loadCheckpointInfo(tinyFile, 'f32');
    const fileBytes = fs.statSync(tinyFile).size;
    // f16: matrices are views of the mapping; only vectors (biases, norms) are widened to owned f32.
    expect(f16.memory.mappedBytes).toBe(fileBytes);
    for (const t of f16.tensors) expect([t.shape.length >= 2 ? 'F16' : 'F32', t.shape.length >= 2 ? 'mapped' : 'owned']).toEqual([t.dtype, t.storage]);
    // f32: everything is widened into owned memory (about twice the file) and the file is not kept mapped.
    expect(f32.memory.mappedBytes).toBe(0);
    expect(f32.memory.weightsBytes).toBeGreaterThan(1.9 * fileBytes);
    expect(f16.memory.weightsBytes).toBeLessThan(0.02 * f32.memory.weightsBytes);
    console.log(
      `tiny-sd single file (${fileBytes} bytes): f16 storage owns ${f16.memory.weightsBytes} bytes + maps ${f16.memory.mappedBytes}; ` +
        `f32 storage owns ${f32.memory.weightsBytes} bytes`,
    );
    // Released after the call: nothing leaks.
    const after = native.memoryStats();
    expect(after.weightsCurrent).toBe(before.weightsCurrent);
    expect(after.mappedCurrent).toBe(before.mappedCurrent);
  });

  it('with f32 storage holds exactly the widened f16 values', async () => {
    const f16 = await loadCheckpointInfo(tinyFile, 'f16', { withData: true });
    const f32 = await loadCheckpointInfo(tinyFile, 'f32', { withData: true });
    const wide = new Map(f32.tensors.map((t) => [key(t), t]));
    for (const t of f16.tensors) {
      const w = wide.get(key(t))!;
      expect(w.dtype).toBe('F32');
      const expected = t.dtype === 'F16' ? native.halfToF32(t.data as Uint16Array, 'f16') : t.data!;
      if (!sameBits(w.data!, expected)) throw new Error(`${key(t)} differs`);
    }
  });

  it('with q8_0 storage quantizes the UNet into 8-bit blocks (each value within half a step of the f16 one), the rest as f16', async () => {
    const before = native.memoryStats();
    const f16 = await loadCheckpointInfo(tinyFile, 'f16', { withData: true });
    const q8 = await loadCheckpointInfo(tinyFile, 'q8_0', { withData: true });
    const storage = 'mapped'; // from an unlinked spill file (where it goes, and owned memory: weight-spill.test.ts)
    const half = new Map(f16.tensors.map((t) => [key(t), t]));
    let quantized = 0;
    let unetF16Bytes = 0;
    for (const t of q8.tensors) {
      const h = half.get(key(t))!;
      const numel = t.shape.reduce((a, b) => a * b, 1);
      const expectedDtype = t.shape.length < 2 ? 'F32' : t.component === 'unet' && numel % 32 === 0 ? 'Q8_0' : 'F16';
      expect(`${key(t)} ${t.dtype}`).toBe(`${key(t)} ${expectedDtype}`);
      if (t.dtype !== 'Q8_0') {
        if (!sameBits(t.data!, h.data!)) throw new Error(`${key(t)} differs from f16 storage`);
        continue;
      }
      expect(t.storage).toBe(storage);
      unetF16Bytes += 2 * numel;
      quantized++;
      // Blocks of 32 in the flat order: d = max|x| / 127 (an f16), every value within d / 2 of the file's.
      const x = native.halfToF32(h.data as Uint16Array, 'f16');
      const q = t.data as Float32Array;
      for (let b = 0; b < numel; b += 32) {
        let amax = 0;
        for (let j = b; j < b + 32; j++) amax = Math.max(amax, Math.abs(x[j]));
        const step = amax / 127;
        for (let j = b; j < b + 32; j++)
          if (Math.abs(q[j] - x[j]) > step * 0.5 * (1 + 2e-3) + 1e-12) throw new Error(`${key(t)}[${j}]: ${q[j]} vs ${x[j]} (step ${step})`);
      }
    }
    // Every UNet matrix whose element count is whole blocks of 32; 34 bytes per 32 values (53% of f16's).
    expect(quantized).toBe(f16.tensors.filter((t) => t.component === 'unet' && t.dtype === 'F16' && t.shape.reduce((a, b) => a * b, 1) % 32 === 0).length);
    expect(quantized).toBeGreaterThan(100);
    const q8Bytes = (unetF16Bytes / 2 / 32) * 34;
    expect([q8.memory.weightsBytes, q8.memory.mappedBytes - f16.memory.mappedBytes]).toEqual([f16.memory.weightsBytes, q8Bytes]);
    console.log(`tiny-sd q8_0: ${quantized} UNet tensors quantized, ${unetF16Bytes} f16 bytes -> ${q8Bytes}`);
    const after = native.memoryStats();
    expect([after.weightsCurrent, after.mappedCurrent]).toEqual([before.weightsCurrent, before.mappedCurrent]);
  });

  it('copies tensors that are not aligned in the file, with the same values', async () => {
    // Pad the header by an odd number of bytes: every tensor then starts at an odd address.
    const file = rewrite(tinyFile, path.join(tmp.dir, 'misaligned.safetensors'), (name, e, bytes) => ({ name, dtype: e.dtype, shape: e.shape, bytes }), {
      padding: 1,
    });
    fs.copyFileSync(tinyYaml, file.replace(/\.safetensors$/, '.yaml'));
    const moved = await loadCheckpointInfo(file, 'f16', { withData: true });
    const original = await loadCheckpointInfo(tinyFile, 'f16', { withData: true });
    expect(moved.tensors.filter((t) => t.storage === 'mapped')).toEqual([]);
    expectSameTensors(moved, original);
  });
});

describe('single-file checkpoint: key variants and defaults', () => {
  it('reads older text-encoder keys (no "text_model."), a position_ids buffer and ignores unrelated keys', async () => {
    const positions = Buffer.alloc(77 * 8);
    for (let i = 0; i < 77; i++) positions.writeBigInt64LE(BigInt(i), i * 8);
    const file = rewrite(
      tinyFile,
      path.join(tmp.dir, 'old-keys.safetensors'),
      (name, e, bytes) => ({ name: name.replace('cond_stage_model.transformer.text_model.', 'cond_stage_model.transformer.'), dtype: e.dtype, shape: e.shape, bytes }),
      {
        extra: [
          { name: 'cond_stage_model.transformer.embeddings.position_ids', dtype: 'I64', shape: [1, 77], bytes: positions },
          { name: 'alphas_cumprod', dtype: 'F32', shape: [2], bytes: Buffer.alloc(8) },
          { name: 'model_ema.decay', dtype: 'F32', shape: [], bytes: Buffer.alloc(4) },
        ],
      },
    );
    fs.copyFileSync(tinyYaml, file.replace(/\.safetensors$/, '.yaml'));
    expectSameTensors(await loadCheckpointInfo(file, 'f16', { withData: true }), await loadCheckpointInfo(tinyFile, 'f16', { withData: true }));
  });

  it('without a sidecar takes SD 1.x values for what the weights cannot show', async () => {
    const bare = await loadCheckpointInfo(linked('bare', tinyFile), 'f16');
    const withYaml = await loadCheckpointInfo(tinyFile, 'f16');
    expect(bare.schedulerConfig).toBeNull();
    expect(bare.configs.clip).toEqual(withYaml.configs.clip); // hidden 32 -> 4 heads by the rule
    expect(bare.configs.unet).toEqual({ ...withYaml.configs.unet, sample_size: 64 });
    expect(bare.configs.vae).toEqual({ ...withYaml.configs.vae, sample_size: 512, scaling_factor: 0.18215 });
  });

  it('takes values from a .json sidecar, overriding the yaml', async () => {
    const file = linked('json-sidecar', tinyFile, {
      yaml: fs.readFileSync(tinyYaml, 'utf8'),
      json: { text_encoder: { num_attention_heads: 8 }, unet: { attention_head_dim: [2, 4, 4, 8] }, vae: { scaling_factor: 0.5 } },
    });
    const info = await loadCheckpointInfo(file, 'f16');
    expect(info.configs.clip!.num_attention_heads).toBe(8);
    expect(info.configs.unet.num_attention_heads).toEqual([2, 4, 4, 8]);
    expect(info.configs.vae.scaling_factor).toBe(0.5);
    expect(info.configs.vae.sample_size).toBe(64); // from the yaml
  });
});

interface ErrorCase {
  name: string;
  make: () => string;
  code: string;
  message: RegExp;
}

const dropping = (name: string, drop: (key: string) => boolean) => () => {
  const file = rewrite(tinyFile, path.join(tmp.dir, `${name}.safetensors`), (k, e, bytes) => (drop(k) ? null : { name: k, dtype: e.dtype, shape: e.shape, bytes }));
  return file;
};

const ldmYaml = (unetParams: string) =>
  `model:\n  params:\n    scale_factor: 0.18215\n    image_size: 8\n    unet_config:\n      params:\n${unetParams}`;

const errorCases: ErrorCase[] = [
  {
    name: 'no UNet keys',
    make: dropping('no-unet', (k) => k.startsWith('model.diffusion_model.')),
    code: 'SDN_STATUS_BAD_FORMAT',
    message: /is not an SD 1\.x checkpoint: no UNet weights \(model\.diffusion_model\.\*\)/,
  },
  {
    name: 'no VAE keys',
    make: dropping('no-vae', (k) => k.startsWith('first_stage_model.')),
    code: 'SDN_STATUS_BAD_FORMAT',
    message: /is not an SD 1\.x checkpoint: no VAE weights \(first_stage_model\.\*\)/,
  },
  {
    name: 'no text encoder keys',
    make: dropping('no-clip', (k) => k.startsWith('cond_stage_model.')),
    code: 'SDN_STATUS_BAD_FORMAT',
    message: /no text encoder weights \(cond_stage_model\.transformer\.\*\)/,
  },
  {
    name: 'a diffusers component file',
    make: () => path.join(tinyDir, 'unet/diffusion_pytorch_model.fp16.safetensors'),
    code: 'SDN_STATUS_BAD_FORMAT',
    message: /no UNet weights .*diffusers names: load the diffusers folder/,
  },
  {
    name: 'one UNet tensor missing',
    make: dropping('missing-one', (k) => k === 'model.diffusion_model.input_blocks.4.0.skip_connection.weight'),
    code: 'SDN_STATUS_MISSING_TENSOR',
    message: /1 of the \d+ UNet tensors .* are missing, e\.g\. "model\.diffusion_model\.input_blocks\.4\.0\.skip_connection\.weight"/,
  },
  {
    name: 'a tensor the inferred structure does not have',
    make: () =>
      rewrite(tinyFile, path.join(tmp.dir, 'extra.safetensors'), (k, e, bytes) => ({ name: k, dtype: e.dtype, shape: e.shape, bytes }), {
        extra: [{ name: 'first_stage_model.decoder.mid.attn_2.q.weight', dtype: 'F16', shape: [1], bytes: Buffer.alloc(2) }],
      }),
    code: 'SDN_STATUS_BAD_FORMAT',
    message: /1 VAE tensors do not belong to an SD 1\.x VAE .* "first_stage_model\.decoder\.mid\.attn_2\.q\.weight"/,
  },
  {
    name: 'an SD 2.x OpenCLIP text encoder',
    make: () =>
      rewrite(tinyFile, path.join(tmp.dir, 'sd2.safetensors'), (k, e, bytes) => ({
        name: k.replace('cond_stage_model.transformer.text_model.', 'cond_stage_model.model.'),
        dtype: e.dtype,
        shape: e.shape,
        bytes,
      })),
    code: 'SDN_STATUS_BAD_FORMAT',
    message: /text encoder is OpenCLIP \(cond_stage_model\.model\.\*, SD 2\.x\)/,
  },
  {
    name: 'a pickle checkpoint',
    make: () => {
      const file = path.join(tmp.dir, 'model.ckpt');
      fs.writeFileSync(file, Buffer.from('PK\x03\x04archive/data.pkl', 'latin1'));
      return file;
    },
    code: 'SDN_STATUS_BAD_FORMAT',
    message: /model\.ckpt" is a PyTorch pickle \(\.ckpt\); only \.safetensors checkpoints are loaded/,
  },
  {
    name: 'truncated file',
    make: () => {
      const file = path.join(tmp.dir, 'truncated.safetensors');
      fs.writeFileSync(file, fs.readFileSync(tinyFile).subarray(0, 5_000_000));
      return file;
    },
    code: 'SDN_STATUS_BAD_FORMAT',
    message: /lie outside the data section of \d+ bytes \(file truncated\?\)/,
  },
  {
    name: 'yaml sidecar without the head count',
    make: () => linked('no-heads', tinyFile, { yaml: ldmYaml('        model_channels: 32\n        context_dim: 32\n') }),
    code: 'SDN_STATUS_BAD_FORMAT',
    message: /no-heads\.yaml": model\.params\.unet_config\.params has neither num_heads nor num_head_channels/,
  },
  {
    name: 'yaml sidecar that is not an LDM config',
    make: () => linked('not-ldm', tinyFile, { yaml: 'unet:\n  heads: 8\n' }),
    code: 'SDN_STATUS_BAD_FORMAT',
    message: /not-ldm\.yaml" is not an LDM config: model\.params is missing/,
  },
  {
    name: 'yaml sidecar that contradicts the weights',
    make: () => linked('contradicts', tinyFile, { yaml: ldmYaml('        model_channels: 64\n        num_heads: 8\n') }),
    code: 'SDN_STATUS_BAD_FORMAT',
    message: /contradicts\.yaml" does not match the checkpoint: unet_config\.params\.model_channels is 64, the weights have 32/,
  },
  {
    name: 'yaml sidecar with a syntax error',
    make: () => linked('bad-yaml', tinyFile, { yaml: 'model:\n  params:\n\tscale_factor: 1\n' }),
    code: 'SDN_STATUS_BAD_FORMAT',
    message: /bad-yaml\.yaml": Tabs are not allowed as indentation at line 3/,
  },
  {
    name: 'json sidecar with a head count that does not divide the width',
    make: () => linked('bad-heads', tinyFile, { json: { text_encoder: { num_attention_heads: 5 } } }),
    code: 'SDN_STATUS_BAD_FORMAT',
    message: /bad-heads\.json" \(text_encoder\): hidden_size must be a positive multiple of num_attention_heads/,
  },
  {
    name: 'json sidecar that contradicts the weights',
    make: () => linked('json-contradicts', tinyFile, { json: { unet: { block_out_channels: [32, 64, 64, 128] } } }),
    code: 'SDN_STATUS_BAD_FORMAT',
    message: /json-contradicts\.json" does not match the checkpoint: unet\.block_out_channels/,
  },
];

describe('single-file checkpoint: errors name the file and what is wrong', () => {
  it.each(errorCases)('$name', async ({ make, code, message }) => {
    const file = make();
    const error = await rejection(loadCheckpointInfo(file, 'f16'));
    expect(error.code).toBe(code);
    expect(error.message).toContain(file.replace(/\.(safetensors|ckpt)$/, ''));
    expect(error.message).toMatch(message);
  });
});
