/**
 * Writes a single-file checkpoint with the exact SD 1.5 architecture, original (LDM/CompVis) key
 * names and shapes, f16, filled with seeded random values: for benchmarks and memory tests of the
 * full-size model without downloading one.
 *
 *   npm run make:sd15-random -- OUT.safetensors [--seed N] [--tiny]
 *
 * --tiny writes the same structure with small widths (for tests). The file loads through the engine's
 * single-file loader with SD 1.5's configurations (no sidecar needed: SD 1.x defaults apply).
 *
 * Values (activations stay O(1), as the tiny-sd fixture's weights): conv/linear weights
 * normal / sqrt(fan_in); norm weights 1 + 0.1 normal, norm biases and other biases 0.05 normal;
 * embeddings 0.5 normal. "normal" is a 65536-entry table of standard-normal quantiles indexed by a
 * counter-based hash (seekable and fast: one 32-bit hash gives two values), so a tensor's values
 * depend only on (seed, tensor name, element index).
 * The file is written tensor by tensor through one reusable buffer (constant memory).
 */
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';

/** The architecture, in the original LDM config's terms (v1-inference.yaml). */
export interface SdArchitecture {
  unet: {
    inChannels: number;
    outChannels: number;
    modelChannels: number;
    channelMult: number[];
    numResBlocks: number;
    /** Levels (0-based) whose blocks have a SpatialTransformer. */
    attentionLevels: number[];
    contextDim: number;
    transformerDepth: number;
    /** Transformer depth per level (SDXL: [_, 2, 10]; the mid block takes the last); default transformerDepth everywhere. */
    transformerDepths?: number[];
    /** proj_in / proj_out as linears [c, c] (SDXL) instead of 1x1 convolutions. */
    linearProjection?: boolean;
    /** SDXL's label embedding (label_emb.0.{0,2}) input width: pooled text + 6 time-id features. */
    admInChannels?: number;
  };
  vae: { ch: number; chMult: number[]; numResBlocks: number; zChannels: number; inChannels: number; outChannels: number };
  clip: { vocab: number; hidden: number; layers: number; intermediate: number; positions: number };
  /** SDXL: the second text encoder (OpenCLIP, open_clip names); with it the file has SDXL's SGM layout. */
  clipG?: { vocab: number; hidden: number; layers: number; intermediate: number; positions: number; projection: number };
  /** An SDXL refiner: clipG alone, under conditioner.embedders.0.model. (no CLIP-L tensors; `clip` gives only the positions). */
  refiner?: boolean;
}

/** SD 1.5: UNet 859,520,964 parameters, VAE 83,653,863, CLIP ViT-L/14 text encoder 123,060,480. */
export const SD15: SdArchitecture = {
  unet: {
    inChannels: 4,
    outChannels: 4,
    modelChannels: 320,
    channelMult: [1, 2, 4, 4],
    numResBlocks: 2,
    attentionLevels: [0, 1, 2],
    contextDim: 768,
    transformerDepth: 1,
  },
  vae: { ch: 128, chMult: [1, 2, 4, 4], numResBlocks: 2, zChannels: 4, inChannels: 3, outChannels: 3 },
  clip: { vocab: 49408, hidden: 768, layers: 12, intermediate: 3072, positions: 77 },
};

/** The same structure with small widths (the real vocabulary, so the real tokenizer works). */
export const TINY: SdArchitecture = {
  unet: { ...SD15.unet, modelChannels: 32, channelMult: [1, 2, 2, 2], contextDim: 32 },
  vae: { ...SD15.vae, ch: 32, chMult: [1, 1, 2, 2] },
  clip: { vocab: 49408, hidden: 32, layers: 2, intermediate: 64, positions: 77 },
};

export type TensorKind = 'weight' | 'bias' | 'norm.weight' | 'norm.bias' | 'embedding' | 'position_ids' | 'projection';

export interface TensorSpec {
  name: string;
  shape: number[];
  kind: TensorKind;
}

export type Component = 'unet' | 'vae' | 'clip' | 'clipG';

/** Every tensor of the checkpoint, by component, with original single-file names (clipG: SDXL only, else empty). */
export function sdTensorSpecs(arch: SdArchitecture): Record<Component, TensorSpec[]> {
  return { unet: unetSpecs(arch), vae: vaeSpecs(arch), clip: clipSpecs(arch), clipG: openClipSpecs(arch) };
}

// A module with weight and bias.
function affine(out: TensorSpec[], name: string, weightShape: number[], norm = false): void {
  out.push({ name: `${name}.weight`, shape: weightShape, kind: norm ? 'norm.weight' : 'weight' });
  out.push({ name: `${name}.bias`, shape: [weightShape[0]], kind: norm ? 'norm.bias' : 'bias' });
}

function unetSpecs(arch: SdArchitecture): TensorSpec[] {
  const u = arch.unet;
  const p = 'model.diffusion_model.';
  const out: TensorSpec[] = [];
  const mc = u.modelChannels;
  const emb = 4 * mc;
  const ch = u.channelMult.map((m) => m * mc);
  const levels = ch.length;

  const resBlock = (name: string, cin: number, cout: number) => {
    affine(out, `${name}.in_layers.0`, [cin], true);
    affine(out, `${name}.in_layers.2`, [cout, cin, 3, 3]);
    affine(out, `${name}.emb_layers.1`, [cout, emb]);
    affine(out, `${name}.out_layers.0`, [cout], true);
    affine(out, `${name}.out_layers.3`, [cout, cout, 3, 3]);
    if (cin !== cout) affine(out, `${name}.skip_connection`, [cout, cin, 1, 1]);
  };
  const proj = (c: number) => (u.linearProjection ? [c, c] : [c, c, 1, 1]);
  const depthOf = (level: number) => u.transformerDepths?.[level] ?? u.transformerDepth;
  const transformer = (name: string, c: number, depth: number) => {
    affine(out, `${name}.norm`, [c], true);
    affine(out, `${name}.proj_in`, proj(c));
    for (let t = 0; t < depth; t++) {
      const b = `${name}.transformer_blocks.${t}`;
      for (const [attn, kv] of [['attn1', c], ['attn2', u.contextDim]] as const) {
        out.push({ name: `${b}.${attn}.to_q.weight`, shape: [c, c], kind: 'weight' });
        out.push({ name: `${b}.${attn}.to_k.weight`, shape: [c, kv], kind: 'weight' });
        out.push({ name: `${b}.${attn}.to_v.weight`, shape: [c, kv], kind: 'weight' });
        affine(out, `${b}.${attn}.to_out.0`, [c, c]);
      }
      affine(out, `${b}.ff.net.0.proj`, [8 * c, c]); // GEGLU: 2 x 4c
      affine(out, `${b}.ff.net.2`, [c, 4 * c]);
      for (const norm of ['norm1', 'norm2', 'norm3']) affine(out, `${b}.${norm}`, [c], true);
    }
    affine(out, `${name}.proj_out`, proj(c));
  };

  affine(out, `${p}time_embed.0`, [emb, mc]);
  affine(out, `${p}time_embed.2`, [emb, emb]);
  if (u.admInChannels) {
    affine(out, `${p}label_emb.0.0`, [emb, u.admInChannels]);
    affine(out, `${p}label_emb.0.2`, [emb, emb]);
  }
  affine(out, `${p}input_blocks.0.0`, [mc, u.inChannels, 3, 3]);
  const skips = [mc];
  let block = 1;
  let prev = mc;
  for (let level = 0; level < levels; level++) {
    for (let j = 0; j < u.numResBlocks; j++, block++) {
      resBlock(`${p}input_blocks.${block}.0`, prev, ch[level]);
      prev = ch[level];
      if (u.attentionLevels.includes(level)) transformer(`${p}input_blocks.${block}.1`, ch[level], depthOf(level));
      skips.push(prev);
    }
    if (level < levels - 1) {
      affine(out, `${p}input_blocks.${block}.0.op`, [prev, prev, 3, 3]);
      skips.push(prev);
      block++;
    }
  }
  resBlock(`${p}middle_block.0`, prev, prev);
  transformer(`${p}middle_block.1`, prev, depthOf(levels - 1));
  resBlock(`${p}middle_block.2`, prev, prev);
  block = 0;
  for (let level = levels - 1; level >= 0; level--) {
    const attention = u.attentionLevels.includes(level);
    for (let j = 0; j <= u.numResBlocks; j++, block++) {
      resBlock(`${p}output_blocks.${block}.0`, prev + skips.pop()!, ch[level]);
      prev = ch[level];
      if (attention) transformer(`${p}output_blocks.${block}.1`, prev, depthOf(level));
      if (j === u.numResBlocks && level > 0) affine(out, `${p}output_blocks.${block}.${attention ? 2 : 1}.conv`, [prev, prev, 3, 3]);
    }
  }
  affine(out, `${p}out.0`, [mc], true);
  affine(out, `${p}out.2`, [u.outChannels, mc, 3, 3]);
  return out;
}

function vaeSpecs(arch: SdArchitecture): TensorSpec[] {
  const v = arch.vae;
  const p = 'first_stage_model.';
  const out: TensorSpec[] = [];
  const ch = v.chMult.map((m) => m * v.ch);
  const levels = ch.length;
  const last = ch[levels - 1];
  const resBlock = (name: string, cin: number, cout: number) => {
    affine(out, `${name}.norm1`, [cin], true);
    affine(out, `${name}.conv1`, [cout, cin, 3, 3]);
    affine(out, `${name}.norm2`, [cout], true);
    affine(out, `${name}.conv2`, [cout, cout, 3, 3]);
    if (cin !== cout) affine(out, `${name}.nin_shortcut`, [cout, cin, 1, 1]);
  };
  const mid = (name: string) => {
    resBlock(`${name}.mid.block_1`, last, last);
    affine(out, `${name}.mid.attn_1.norm`, [last], true);
    for (const proj of ['q', 'k', 'v', 'proj_out']) affine(out, `${name}.mid.attn_1.${proj}`, [last, last, 1, 1]);
    resBlock(`${name}.mid.block_2`, last, last);
  };

  affine(out, `${p}encoder.conv_in`, [v.ch, v.inChannels, 3, 3]);
  let prev = v.ch;
  for (let level = 0; level < levels; level++) {
    for (let j = 0; j < v.numResBlocks; j++) {
      resBlock(`${p}encoder.down.${level}.block.${j}`, prev, ch[level]);
      prev = ch[level];
    }
    if (level < levels - 1) affine(out, `${p}encoder.down.${level}.downsample.conv`, [prev, prev, 3, 3]);
  }
  mid(`${p}encoder`);
  affine(out, `${p}encoder.norm_out`, [last], true);
  affine(out, `${p}encoder.conv_out`, [2 * v.zChannels, last, 3, 3]);
  affine(out, `${p}quant_conv`, [2 * v.zChannels, 2 * v.zChannels, 1, 1]);
  affine(out, `${p}post_quant_conv`, [v.zChannels, v.zChannels, 1, 1]);
  affine(out, `${p}decoder.conv_in`, [last, v.zChannels, 3, 3]);
  mid(`${p}decoder`);
  prev = last;
  for (let level = levels - 1; level >= 0; level--) {
    for (let j = 0; j <= v.numResBlocks; j++) {
      resBlock(`${p}decoder.up.${level}.block.${j}`, prev, ch[level]);
      prev = ch[level];
    }
    if (level > 0) affine(out, `${p}decoder.up.${level}.upsample.conv`, [prev, prev, 3, 3]);
  }
  affine(out, `${p}decoder.norm_out`, [v.ch], true);
  affine(out, `${p}decoder.conv_out`, [v.outChannels, v.ch, 3, 3]);
  return out;
}

function clipSpecs(arch: SdArchitecture): TensorSpec[] {
  if (arch.refiner) return [];
  const c = arch.clip;
  const p = arch.clipG ? 'conditioner.embedders.0.transformer.text_model.' : 'cond_stage_model.transformer.text_model.';
  const out: TensorSpec[] = [
    { name: `${p}embeddings.position_ids`, shape: [1, c.positions], kind: 'position_ids' }, // int64 buffer, as in SD 1.5's file
    { name: `${p}embeddings.token_embedding.weight`, shape: [c.vocab, c.hidden], kind: 'embedding' },
    { name: `${p}embeddings.position_embedding.weight`, shape: [c.positions, c.hidden], kind: 'embedding' },
  ];
  for (let l = 0; l < c.layers; l++) {
    const b = `${p}encoder.layers.${l}`;
    for (const proj of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) affine(out, `${b}.self_attn.${proj}`, [c.hidden, c.hidden]);
    affine(out, `${b}.layer_norm1`, [c.hidden], true);
    affine(out, `${b}.mlp.fc1`, [c.intermediate, c.hidden]);
    affine(out, `${b}.mlp.fc2`, [c.hidden, c.intermediate]);
    affine(out, `${b}.layer_norm2`, [c.hidden], true);
  }
  affine(out, `${p}final_layer_norm`, [c.hidden], true);
  return out;
}

/** SDXL's OpenCLIP ViT-bigG text tower with open_clip's names (fused in_proj, text_projection [D, P]). */
function openClipSpecs(arch: SdArchitecture): TensorSpec[] {
  const g = arch.clipG;
  if (!g) return [];
  const p = arch.refiner ? 'conditioner.embedders.0.model.' : 'conditioner.embedders.1.model.';
  const out: TensorSpec[] = [
    { name: `${p}token_embedding.weight`, shape: [g.vocab, g.hidden], kind: 'embedding' },
    { name: `${p}positional_embedding`, shape: [g.positions, g.hidden], kind: 'embedding' },
  ];
  for (let l = 0; l < g.layers; l++) {
    const b = `${p}transformer.resblocks.${l}`;
    out.push({ name: `${b}.attn.in_proj_weight`, shape: [3 * g.hidden, g.hidden], kind: 'weight' });
    out.push({ name: `${b}.attn.in_proj_bias`, shape: [3 * g.hidden], kind: 'bias' });
    affine(out, `${b}.attn.out_proj`, [g.hidden, g.hidden]);
    affine(out, `${b}.ln_1`, [g.hidden], true);
    affine(out, `${b}.ln_2`, [g.hidden], true);
    affine(out, `${b}.mlp.c_fc`, [g.intermediate, g.hidden]);
    affine(out, `${b}.mlp.c_proj`, [g.hidden, g.intermediate]);
  }
  affine(out, `${p}ln_final`, [g.hidden], true);
  // [D, P]: x @ text_projection. Scaled as a [P, D] linear's weight would be (1 / sqrt(D)).
  out.push({ name: `${p}text_projection`, shape: [g.hidden, g.projection], kind: 'projection' });
  return out;
}

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Parameters (position_ids excluded) per component. */
export function parameterCounts(arch: SdArchitecture): Record<Component, number> {
  const specs = sdTensorSpecs(arch);
  const count = (list: TensorSpec[]) => list.filter((t) => t.kind !== 'position_ids').reduce((n, t) => n + numel(t.shape), 0);
  return { unet: count(specs.unet), vae: count(specs.vae), clip: count(specs.clip), clipG: count(specs.clipG) };
}

// ---- random values --------------------------------------------------------------------------------

// A 32-bit integer hash with good avalanche (Chris Wellons' "lowbias32").
function hash32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

function hashString(s: string, seed: number): number {
  let h = hash32(seed ^ 0x9e3779b9);
  for (let i = 0; i < s.length; i++) h = hash32(h ^ s.charCodeAt(i));
  return h;
}

// Standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9).
function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

const quantiles = Float64Array.from({ length: 65536 }, (_, k) => normalQuantile((k + 0.5) / 65536));

// f32 -> f16 bits, round to nearest even (only used to build the 65536-entry tables).
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function toHalf(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const abs = x & 0x7fffffff;
  if (abs >= 0x477ff000) return sign | 0x7c00; // overflow (no NaN/inf inputs here)
  if (abs < 0x38800000) {
    // subnormal or zero: scale by 2^24 and round to an integer, ties to even
    const v = Math.abs(f32[0]) * 2 ** 24;
    const r = Math.round(v);
    return sign | (r - v === 0.5 && r % 2 === 1 ? r - 1 : r);
  }
  const rebased = abs - (112 << 23);
  let h = rebased >>> 13;
  const rem = rebased & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++;
  return sign | h;
}

const tables = new Map<string, Uint16Array>();
/** f16 bits of offset + scale * quantile[k], for k in 0..65535. */
function table(scale: number, offset: number): Uint16Array {
  const key = `${scale}:${offset}`;
  let t = tables.get(key);
  if (!t) {
    t = new Uint16Array(65536);
    for (let k = 0; k < 65536; k++) t[k] = toHalf(offset + scale * quantiles[k]);
    tables.set(key, t);
  }
  return t;
}

function distribution(spec: TensorSpec): { scale: number; offset: number } {
  switch (spec.kind) {
    case 'weight':
      return { scale: 1 / Math.sqrt(numel(spec.shape.slice(1))), offset: 0 };
    case 'norm.weight':
      return { scale: 0.1, offset: 1 };
    case 'embedding':
      return { scale: 0.5, offset: 0 };
    case 'projection':
      return { scale: 1 / Math.sqrt(spec.shape[0]), offset: 0 };
    default:
      return { scale: 0.05, offset: 0 };
  }
}

/** Fills `out` (f16 bits) with the values of elements [start, start + out.length) of a tensor. */
function fill(out: Uint16Array, t: Uint16Array, key: number, start: number): void {
  // Element i takes 16 bits of hash(key, i >> 1): the low half for even i, the high half for odd i.
  let i = 0;
  if (start & 1) {
    out[0] = t[hash32((Math.imul((start - 1) >>> 1, 0x9e3779b9) + key) >>> 0) >>> 16];
    i = 1;
  }
  const n = out.length;
  for (; i + 1 < n; i += 2) {
    const h = hash32((Math.imul((start + i) >>> 1, 0x9e3779b9) + key) >>> 0);
    out[i] = t[h & 0xffff];
    out[i + 1] = t[h >>> 16];
  }
  if (i < n) out[i] = t[hash32((Math.imul((start + i) >>> 1, 0x9e3779b9) + key) >>> 0) & 0xffff];
}

// ---- the file ---------------------------------------------------------------------------------------

export interface WriteOptions {
  seed?: number;
  /** 'random' (default) writes the values; 'sparse' writes only the header and extends the file with a
   * hole (all-zero weights, no disk blocks): for fast tests of loading the full-size layout. */
  fill?: 'random' | 'sparse';
  onProgress?: (fraction: number) => void;
}

export interface WriteResult {
  bytes: number;
  tensors: number;
  parameters: Record<Component, number>;
  seconds: number;
}

/** Writes the checkpoint (streaming: one reusable 8 MiB buffer). */
export function writeRandomCheckpoint(file: string, arch: SdArchitecture, options: WriteOptions = {}): WriteResult {
  const started = performance.now();
  const seed = options.seed ?? 0;
  const specs = sdTensorSpecs(arch);
  const all = [...specs.unet, ...specs.vae, ...specs.clip, ...specs.clipG];
  const kind = arch.refiner ? 'SDXL refiner' : arch.clipG ? 'SDXL' : 'SD 1.x';
  const bytes = writeRandomTensors(file, all, `random weights with ${kind} structure, seed ${seed} (scripts/make-sd15-random.ts)`,
    { ...options, positions: arch.clip.positions });
  return { bytes, tensors: all.length, parameters: parameterCounts(arch), seconds: (performance.now() - started) / 1000 };
}

/**
 * Writes `tensors` as an f16 safetensors file of seeded random values (the distributions above; position ids
 * as I64 counters modulo `positions`); returns its size in bytes. Other random-weights scripts
 * (make-controlnet-random.ts) use it for their own tensor lists.
 */
export function writeRandomTensors(file: string, all: TensorSpec[], description: string, options: WriteOptions & { positions?: number } = {}): number {
  const seed = options.seed ?? 0;
  const positions = options.positions ?? 77;
  const header: Record<string, unknown> = { __metadata__: { format: 'pt', latentflow: description } };
  let offset = 0;
  for (const t of all) {
    const bytes = numel(t.shape) * (t.kind === 'position_ids' ? 8 : 2);
    header[t.name] = { dtype: t.kind === 'position_ids' ? 'I64' : 'F16', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let text = JSON.stringify(header);
  text += ' '.repeat((8 - ((8 + Buffer.byteLength(text)) % 8)) % 8); // data starts 8-byte aligned, as safetensors writes it
  const headerBytes = Buffer.from(text, 'utf8');
  const total = 8 + headerBytes.length + offset;

  const fd = fs.openSync(file, 'w');
  try {
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(headerBytes.length));
    fs.writeSync(fd, length);
    fs.writeSync(fd, headerBytes);
    if (options.fill === 'sparse') {
      fs.ftruncateSync(fd, total);
    } else {
      const chunk = new Uint16Array(4 << 20); // 8 MiB of f16
      let written = 0;
      let reported = 0;
      for (const t of all) {
        const n = numel(t.shape);
        if (t.kind === 'position_ids') {
          const ids = new BigInt64Array(n);
          for (let i = 0; i < n; i++) ids[i] = BigInt(i % positions);
          fs.writeSync(fd, new Uint8Array(ids.buffer));
          continue;
        }
        const { scale, offset: shift } = distribution(t);
        const values = table(scale, shift);
        const key = hashString(t.name, seed);
        for (let start = 0; start < n; start += chunk.length) {
          const part = chunk.subarray(0, Math.min(chunk.length, n - start));
          fill(part, values, key, start);
          fs.writeSync(fd, new Uint8Array(part.buffer, 0, part.byteLength));
          written += part.byteLength;
          if (options.onProgress && written - reported > total / 20) {
            reported = written;
            options.onProgress(written / total);
          }
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return total;
}

// ---- command line -------------------------------------------------------------------------------------

/** The command line of make:sd15-random and make:sdxl-random: OUT.safetensors [--seed N] [--tiny]. */
export function randomCheckpointCli(argv: string[], script: string, full: SdArchitecture, tiny: SdArchitecture): number {
  const usage = `usage: npm run ${script} -- OUT.safetensors [--seed N] [--tiny]`;
  let out: string | undefined;
  let seed = 0;
  let arch = full;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--tiny') arch = tiny;
    else if (a === '--seed') {
      seed = Number(argv[++i]);
      if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
        console.error(`--seed must be an integer in 0..4294967295\n${usage}`);
        return 2;
      }
    } else if (a === '--help' || a === '-h') {
      console.log(usage);
      return 0;
    } else if (a.startsWith('-')) {
      console.error(`unknown option ${a}\n${usage}`);
      return 2;
    } else if (out === undefined) out = a;
    else {
      console.error(`only one output file, got "${out}" and "${a}"\n${usage}`);
      return 2;
    }
  }
  if (!out) {
    console.error(usage);
    return 2;
  }
  const result = writeRandomCheckpoint(out, arch, {
    seed,
    onProgress: (f) => process.stdout.write(`\r${(f * 100).toFixed(0)}%`),
  });
  const p = result.parameters;
  console.log(
    `\r${out}: ${result.tensors} tensors, ${(result.bytes / 2 ** 30).toFixed(2)} GiB (${result.bytes} bytes), ` +
      `parameters: UNet ${p.unet.toLocaleString('en')}, VAE ${p.vae.toLocaleString('en')}, text encoder ${p.clip.toLocaleString('en')}, ` +
      (p.clipG ? `second text encoder ${p.clipG.toLocaleString('en')}, ` : '') +
      `total ${(p.unet + p.vae + p.clip + p.clipG).toLocaleString('en')}; written in ${result.seconds.toFixed(1)} s`,
  );
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  process.exitCode = randomCheckpointCli(process.argv.slice(2), 'make:sd15-random', SD15, TINY);
