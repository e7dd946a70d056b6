/**
 * What a checkpoint path holds besides its weights, read here and handed to the engine as one load
 * configuration (sdn_model_load's JSON): a diffusers folder's model_index.json, config.json files,
 * tokenizer/ and scheduler/scheduler_config.json; a single file's configurations as the engine infers
 * them from the tensor shapes (checkpointInfer), with the sidecars beside it applied:
 *
 * - `<base>.yaml` (or .yml): an LDM config as A1111 and ComfyUI read it (v1-inference.yaml style),
 *   parsed with the `yaml` package. What it says about the network is checked against the weights
 *   (model_channels, channel_mult, attention_resolutions, ...); what the weights cannot show is taken
 *   from it: the UNet's heads (num_heads, or width / num_head_channels), the VAE's scale_factor, the
 *   latent image_size and the noise schedule (an SD 1.5-style scheduler config).
 * - `<base>.json`: {"unet": {...}, "vae": {...}, "text_encoder": {...}, "scheduler": {...}} with
 *   config.json keys, laid over the result; fields the weights define must agree with them.
 *
 * Every error names the file and what is wrong, with code SDN_STATUS_BAD_FORMAT or SDN_STATUS_IO_ERROR
 * like the engine's own.
 */
import fs from 'node:fs';
import path from 'node:path';

import { parse as parseYaml } from 'yaml';

import { addon, nativeError } from './core.ts';

/** CLIPTextModel's configuration, with transformers' config.json keys. */
export interface CLIPConfig {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  max_position_embeddings: number;
  layer_norm_eps: number;
  hidden_act: 'quick_gelu' | 'gelu';
  /** CLIPTextModelWithProjection (SDXL's second encoder): the width of text_projection. */
  projection_dim?: number;
  architectures?: string[];
}

/** UNet2DConditionModel's configuration, with diffusers' config.json keys (heads per block). */
export interface UNetConfig {
  in_channels: number;
  out_channels: number;
  block_out_channels: number[];
  down_block_types: string[];
  up_block_types: string[];
  layers_per_block: number;
  /** Heads per block (SD 1.x: 8 everywhere). */
  num_attention_heads: number[];
  cross_attention_dim: number;
  norm_num_groups: number;
  norm_eps: number;
  use_linear_projection: boolean;
  /** Transformer blocks per attention, per down block (the mid block: the last; SDXL: [1, 2, 10]). */
  transformer_layers_per_block: number[];
  /** "text_time" for SDXL (pooled text embedding + time ids' Fourier features added to the time embedding). */
  addition_embed_type?: 'text_time';
  addition_time_embed_dim?: number;
  projection_class_embeddings_input_dim?: number;
  flip_sin_to_cos: boolean;
  freq_shift: number;
  sample_size: number;
}

/** AutoencoderKL's configuration, with diffusers' config.json keys. */
export interface VAEConfig {
  in_channels: number;
  out_channels: number;
  latent_channels: number;
  block_out_channels: number[];
  layers_per_block: number;
  norm_num_groups: number;
  /** Latents are divided by this before vaeDecode (and multiplied after vaeEncode). */
  scaling_factor: number;
  sample_size: number;
  /** Whether the encoder's and decoder's mid blocks have their attention (SD 1.x: true). */
  mid_block_add_attention?: boolean;
  use_quant_conv?: boolean;
  /** Whether latents go through post_quant_conv before the decoder (SD 1.x: true). */
  use_post_quant_conv?: boolean;
}

/** The configurations of a model, under the names of its diffusers subfolders (text_encoder_2: SDXL). */
export interface ModelConfigs {
  text_encoder: CLIPConfig;
  unet: UNetConfig;
  vae: VAEConfig;
  text_encoder_2?: CLIPConfig;
}

type ConfigObject = Record<string, unknown>;
type Part = keyof ModelConfigs;
const PARTS: readonly Part[] = ['text_encoder', 'unet', 'vae'];
/** Every part a model may have: SDXL adds its second text encoder. */
const ALL_PARTS: readonly Part[] = [...PARTS, 'text_encoder_2'];

/** Image size / latent size of a VAE (8 for SD 1.x): one 2x up-sampling per block but the last. */
export function vaeScaleFactor(vae: Pick<VAEConfig, 'block_out_channels'>): number {
  return 2 ** (vae.block_out_channels.length - 1);
}

/** A checkpoint path resolved: what the engine loads, and what stays on this side. */
export interface ResolvedCheckpoint {
  path: string;
  layout: 'diffusers' | 'single-file';
  /** config.json objects as read (diffusers) or as inferred and overlaid (single file); the engine validates them. */
  configs: Record<'unet' | 'vae', ConfigObject> & { text_encoder?: ConfigObject; text_encoder_2?: ConfigObject };
  /** How errors name where each configuration came from. */
  sources: Partial<Record<Part, string>>;
  /** The diffusers folder's tokenizer/ (null: the default CLIP tokenizer). */
  tokenizerDir: string | null;
  /** SDXL: the diffusers folder's tokenizer_2/ (null: the default CLIP tokenizer padding with "!"). */
  tokenizer2Dir?: string | null;
  /** scheduler_config.json, or the one a sidecar describes (null when absent). */
  schedulerConfig: ConfigObject | null;
}

const quoted = (s: string) => `"${s}"`;

function readText(file: string, maxBytes: number): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    throw nativeError('SDN_STATUS_IO_ERROR', `cannot open ${quoted(file)}: ${(error as Error).message}`);
  }
  if (stat.size > maxBytes) throw nativeError('SDN_STATUS_BAD_FORMAT', `${quoted(file)} is larger than ${maxBytes} bytes`);
  return fs.readFileSync(file, 'utf8');
}

function readJsonObject(file: string, what = quoted(file)): ConfigObject {
  let value: unknown;
  try {
    value = JSON.parse(readText(file, 16 << 20));
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith('SDN_STATUS_')) throw error;
    throw nativeError('SDN_STATUS_BAD_FORMAT', `${what} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw nativeError('SDN_STATUS_BAD_FORMAT', `${what}: expected a JSON object`);
  return value as ConfigObject;
}

const isFile = (p: string) => fs.statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;
const isDir = (p: string) => fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;

/**
 * Reads what `file` (a diffusers folder with model_index.json, or a single-file .safetensors
 * checkpoint) says about its model.
 *
 * @example
 *   const resolved = await resolveCheckpoint('models/checkpoints/shapes-sd.safetensors');
 *   resolved.configs.unet.num_attention_heads; // from the .yaml sidecar's num_heads
 */
export async function resolveCheckpoint(file: string): Promise<ResolvedCheckpoint> {
  if (isDir(file)) return resolveDiffusers(file);
  if (!fs.existsSync(file)) throw nativeError('SDN_STATUS_IO_ERROR', `model ${quoted(file)} does not exist`);
  return resolveSingleFile(file);
}

function resolveDiffusers(dir: string): ResolvedCheckpoint {
  if (!isFile(path.join(dir, 'model_index.json')))
    throw nativeError('SDN_STATUS_BAD_FORMAT', `${quoted(dir)} is not a diffusers folder: model_index.json is missing`);
  const configs = {} as ResolvedCheckpoint['configs'];
  // SDXL (StableDiffusionXLPipeline): a second text encoder and its tokenizer. An SDXL refiner
  // (StableDiffusionXLImg2ImgPipeline with requires_aesthetics_score) has only that one: no text_encoder/.
  const second = path.join(dir, 'text_encoder_2', 'config.json');
  if (isFile(second)) configs.text_encoder_2 = readJsonObject(second);
  const refiner = configs.text_encoder_2 !== undefined && !isDir(path.join(dir, 'text_encoder'));
  for (const part of PARTS) if (part !== 'text_encoder' || !refiner) configs[part] = readJsonObject(path.join(dir, part, 'config.json'));
  const scheduler = path.join(dir, 'scheduler', 'scheduler_config.json');
  return {
    path: dir,
    layout: 'diffusers',
    configs,
    sources: {},
    tokenizerDir: isDir(path.join(dir, 'tokenizer')) ? path.join(dir, 'tokenizer') : null,
    tokenizer2Dir: isDir(path.join(dir, 'tokenizer_2')) ? path.join(dir, 'tokenizer_2') : null,
    schedulerConfig: isFile(scheduler) ? readJsonObject(scheduler) : null,
  };
}

async function resolveSingleFile(file: string): Promise<ResolvedCheckpoint> {
  const inferred = JSON.parse(await (addon.checkpointInfer as (p: string) => Promise<string>)(file)) as ResolvedCheckpoint['configs'];
  const resolved: ResolvedCheckpoint = { path: file, layout: 'single-file', configs: inferred, sources: {}, tokenizerDir: null, schedulerConfig: null };
  const dot = file.lastIndexOf('.');
  const base = dot > file.lastIndexOf('/') ? file.slice(0, dot) : file;
  const yamlFile = ['.yaml', '.yml'].map((ext) => base + ext).find(isFile);
  if (yamlFile) applyYamlSidecar(yamlFile, resolved);
  if (isFile(`${base}.json`)) applyJsonSidecar(`${base}.json`, resolved);
  // SDXL base's scheduler_config.json (what a single file cannot show): Euler, 'leading' spacing.
  if (resolved.configs.text_encoder_2 && !resolved.schedulerConfig) resolved.schedulerConfig = { ...SDXL_SCHEDULER_CONFIG };
  return resolved;
}

/** The scheduler_config.json SDXL base ships (stabilityai/stable-diffusion-xl-base-1.0), for single files. */
export const SDXL_SCHEDULER_CONFIG: Readonly<ConfigObject> = {
  _class_name: 'EulerDiscreteScheduler',
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  num_train_timesteps: 1000,
  prediction_type: 'epsilon',
  interpolation_type: 'linear',
  steps_offset: 1,
  timestep_spacing: 'leading',
  use_karras_sigmas: false,
};

// ---- <base>.yaml: an LDM config -------------------------------------------------------------------

function applyYamlSidecar(file: string, resolved: ResolvedCheckpoint): void {
  const where = `sidecar ${quoted(file)}`;
  const fail = (message: string): never => {
    throw nativeError('SDN_STATUS_BAD_FORMAT', message);
  };
  let root: unknown;
  try {
    root = parseYaml(readText(file, 1 << 20), { schema: 'core', maxAliasCount: 0 });
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith('SDN_STATUS_')) throw error;
    return fail(`${where}: ${(error as Error).message.split('\n')[0]}`);
  }
  const at = (v: unknown, ...keys: string[]): unknown =>
    keys.reduce<unknown>((o, k) => (o && typeof o === 'object' && !Array.isArray(o) ? (o as ConfigObject)[k] : undefined), v);
  const isObject = (v: unknown): v is ConfigObject => typeof v === 'object' && v !== null && !Array.isArray(v);
  const params = at(root, 'model', 'params');
  if (!isObject(params)) fail(`${where} is not an LDM config: model.params is missing (expected a v1-inference.yaml-style file)`);
  const p = params as ConfigObject;
  const unetParams = at(p, 'unet_config', 'params');
  if (!isObject(unetParams)) fail(`${where}: model.params.unet_config.params is missing`);
  const unetYaml = unetParams as ConfigObject;
  const ddconfig = at(p, 'first_stage_config', 'params', 'ddconfig');

  const u = resolved.configs.unet as unknown as UNetConfig;
  const v = resolved.configs.vae as unknown as VAEConfig;
  const agree = (ok: boolean, what: string) => ok || fail(`${where} does not match the checkpoint: ${what}`);
  const int = (obj: ConfigObject, key: string, section: string): number | undefined => {
    const value = obj[key];
    if (value === undefined || value === null) return undefined;
    if (!Number.isInteger(value)) fail(`${where}: ${section}.${key} must be an integer`);
    return value as number;
  };
  const ints = (value: unknown, what: string): number[] =>
    Array.isArray(value) && value.every(Number.isInteger) ? (value as number[]) : fail(`${where}: ${what} must be a list of integers`);
  const checkInt = (obj: ConfigObject, key: string, have: number, section: string) => {
    const want = int(obj, key, section);
    if (want !== undefined) agree(want === have, `${section}.${key} is ${want}, the weights have ${have}`);
  };
  const list = (xs: number[]) => `[${xs.join(', ')}]`;
  const same = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

  // The yaml describes the same network as the weights.
  const c0 = u.block_out_channels[0];
  const unetSection = 'unet_config.params';
  checkInt(unetYaml, 'model_channels', c0, unetSection);
  checkInt(unetYaml, 'in_channels', u.in_channels, unetSection);
  checkInt(unetYaml, 'out_channels', u.out_channels, unetSection);
  checkInt(unetYaml, 'num_res_blocks', u.layers_per_block, unetSection);
  checkInt(unetYaml, 'context_dim', u.cross_attention_dim, unetSection);
  const depths = u.transformer_layers_per_block.filter((_, i) => u.down_block_types[i] === 'CrossAttnDownBlock2D');
  if (new Set(depths).size === 1) checkInt(unetYaml, 'transformer_depth', depths[0], unetSection);
  if (unetYaml.channel_mult !== undefined) {
    const widths = ints(unetYaml.channel_mult, `${unetSection}.channel_mult`).map((m) => m * c0);
    agree(same(widths, u.block_out_channels), `${unetSection}.channel_mult gives widths ${list(widths)}, the weights have ${list(u.block_out_channels)}`);
  }
  if (unetYaml.attention_resolutions !== undefined) {
    const wanted = [...ints(unetYaml.attention_resolutions, `${unetSection}.attention_resolutions`)].sort((a, b) => a - b);
    const have = u.down_block_types.flatMap((t, i) => (t === 'CrossAttnDownBlock2D' ? [2 ** i] : []));
    agree(same(wanted, have), `${unetSection}.attention_resolutions is ${list(wanted)}, the weights have attention at downsampling factors ${list(have)}`);
  }
  if (typeof unetYaml.use_linear_in_transformer === 'boolean')
    agree(unetYaml.use_linear_in_transformer === u.use_linear_projection, `${unetSection}.use_linear_in_transformer contradicts the proj_in weights' rank`);

  // Heads: num_heads, or width / num_head_channels (num_heads -1 means "use num_head_channels").
  const heads = int(unetYaml, 'num_heads', unetSection) ?? -1;
  const headChannels = int(unetYaml, 'num_head_channels', unetSection) ?? -1;
  if (heads > 0) u.num_attention_heads = u.block_out_channels.map(() => heads);
  else if (headChannels > 0)
    u.num_attention_heads = u.block_out_channels.map((w) =>
      w % headChannels === 0 ? w / headChannels : fail(`${where}: num_head_channels ${headChannels} does not divide the UNet width ${w}`),
    );
  else
    fail(
      `${where}: model.params.unet_config.params has neither num_heads nor num_head_channels (the UNet's attention head count); ` +
        'add one, e.g. num_heads: 8 for SD 1.x',
    );

  if (isObject(ddconfig)) {
    const section = 'first_stage_config.params.ddconfig';
    checkInt(ddconfig, 'ch', v.block_out_channels[0], section);
    checkInt(ddconfig, 'num_res_blocks', v.layers_per_block, section);
    checkInt(ddconfig, 'z_channels', v.latent_channels, section);
    checkInt(ddconfig, 'in_channels', v.in_channels, section);
    checkInt(ddconfig, 'out_ch', v.out_channels, section);
    if (ddconfig.ch_mult !== undefined) {
      const widths = ints(ddconfig.ch_mult, `${section}.ch_mult`).map((m) => m * v.block_out_channels[0]);
      agree(same(widths, v.block_out_channels), `${section}.ch_mult gives widths ${list(widths)}, the weights have ${list(v.block_out_channels)}`);
    }
  }
  if (p.scale_factor !== undefined && p.scale_factor !== null) {
    if (typeof p.scale_factor !== 'number' || !(p.scale_factor > 0)) fail(`${where}: model.params.scale_factor must be a positive number`);
    v.scaling_factor = p.scale_factor as number;
  }
  // model.params.image_size is the latent size (64 for SD 1.x; unet_config's image_size is unused by LDM).
  const latent = int(p, 'image_size', 'model.params') ?? u.sample_size;
  if (!(latent > 0)) fail(`${where}: model.params.image_size must be positive`);
  u.sample_size = latent;
  v.sample_size = latent * vaeScaleFactor(v);

  // SD 1.5's scheduler_config.json with the yaml's noise schedule and parameterization.
  const number = (key: string, fallback: number): number => {
    const value = p[key];
    if (value === undefined || value === null) return fallback;
    return typeof value === 'number' ? value : fail(`${where}: model.params.${key} must be a number`);
  };
  let prediction = 'epsilon';
  if (typeof p.parameterization === 'string') {
    if (p.parameterization !== 'eps' && p.parameterization !== 'v')
      fail(`${where}: model.params.parameterization "${p.parameterization}" is not supported (eps or v)`);
    if (p.parameterization === 'v') prediction = 'v_prediction';
  }
  resolved.schedulerConfig = {
    _class_name: 'PNDMScheduler',
    beta_start: number('linear_start', 0.00085),
    beta_end: number('linear_end', 0.012),
    beta_schedule: 'scaled_linear',
    num_train_timesteps: int(p, 'timesteps', 'model.params') ?? 1000,
    set_alpha_to_one: false,
    skip_prk_steps: true,
    steps_offset: 1,
    clip_sample: false,
    prediction_type: prediction,
  };
}

// ---- <base>.json: config.json sections ------------------------------------------------------------

/** Per section, the fields the weights define: a sidecar may repeat them, never change them. */
const DEFINED_BY_WEIGHTS: Record<Part, string[]> = {
  text_encoder_2: ['vocab_size', 'hidden_size', 'num_hidden_layers', 'intermediate_size', 'max_position_embeddings', 'projection_dim'],
  unet: ['block_out_channels', 'down_block_types', 'up_block_types', 'layers_per_block', 'in_channels', 'out_channels', 'cross_attention_dim',
    'use_linear_projection', 'transformer_layers_per_block', 'projection_class_embeddings_input_dim'],
  vae: ['block_out_channels', 'layers_per_block', 'latent_channels', 'in_channels', 'out_channels'],
  text_encoder: ['vocab_size', 'hidden_size', 'num_hidden_layers', 'intermediate_size', 'max_position_embeddings'],
};

/**
 * The flat form of the .json sidecar (what the weights cannot show, one key each, as the SDXL
 * fixtures' tiny-sdxl.json writes it) in sections: unet_num_attention_heads, text_encoder_heads,
 * text_encoder_2_heads, text_encoder_act, text_encoder_2_act, vae_scaling_factor (and a "note").
 */
const FLAT_SIDECAR_KEYS: Record<string, [Part, string]> = {
  unet_num_attention_heads: ['unet', 'num_attention_heads'],
  text_encoder_heads: ['text_encoder', 'num_attention_heads'],
  text_encoder_2_heads: ['text_encoder_2', 'num_attention_heads'],
  text_encoder_act: ['text_encoder', 'hidden_act'],
  text_encoder_2_act: ['text_encoder_2', 'hidden_act'],
  vae_scaling_factor: ['vae', 'scaling_factor'],
};

function sectionsOfFlatSidecar(root: ConfigObject): ConfigObject {
  const sections: Record<string, ConfigObject> = {};
  for (const [key, value] of Object.entries(root)) {
    if (key === 'note') continue;
    const target = FLAT_SIDECAR_KEYS[key];
    if (!target) return root; // not the flat form: checked as sections below
    (sections[target[0]] ??= {})[target[1]] = value;
  }
  return sections;
}

function applyJsonSidecar(file: string, resolved: ResolvedCheckpoint): void {
  const where = `sidecar ${quoted(file)}`;
  const root = sectionsOfFlatSidecar(readJsonObject(file, where));
  for (const key of Object.keys(root))
    if (!(ALL_PARTS as readonly string[]).includes(key) && key !== 'scheduler')
      throw nativeError(
        'SDN_STATUS_BAD_FORMAT',
        `${where}: unknown section ${quoted(key)} (expected unet, vae, text_encoder, text_encoder_2, scheduler, or the flat keys ${Object.keys(FLAT_SIDECAR_KEYS).join(', ')})`,
      );
  for (const part of ALL_PARTS) {
    const section = root[part];
    if (section === undefined) continue;
    if (typeof section !== 'object' || section === null || Array.isArray(section))
      throw nativeError('SDN_STATUS_BAD_FORMAT', `${where}: "${part}" must be an object of config.json keys`);
    if (part === 'text_encoder_2' && !resolved.configs.text_encoder_2)
      throw nativeError('SDN_STATUS_BAD_FORMAT', `${where}: "text_encoder_2" is for SDXL checkpoints; this one has one text encoder`);
    if (part === 'text_encoder' && !resolved.configs.text_encoder)
      throw nativeError('SDN_STATUS_BAD_FORMAT', `${where}: "text_encoder" (CLIP-L) is not part of an SDXL refiner; its one text encoder is "text_encoder_2"`);
    const base = { ...resolved.configs[part] };
    // diffusers' SD 1.x quirk: "attention_head_dim" holds the head count when num_attention_heads is absent.
    if (part === 'unet' && 'attention_head_dim' in section && !('num_attention_heads' in section)) delete base.num_attention_heads;
    for (const key of DEFINED_BY_WEIGHTS[part])
      if (key in section && JSON.stringify((section as ConfigObject)[key]) !== JSON.stringify(base[key]))
        throw nativeError('SDN_STATUS_BAD_FORMAT', `${where} does not match the checkpoint: ${part}.${key}`);
    resolved.configs[part] = { ...base, ...(section as ConfigObject) };
    resolved.sources[part] = `${where} (${part})`; // the engine's validation of the result names the sidecar
  }
  if (root.scheduler !== undefined) {
    if (typeof root.scheduler !== 'object' || root.scheduler === null || Array.isArray(root.scheduler))
      throw nativeError('SDN_STATUS_BAD_FORMAT', `${where}: "scheduler" must be an object of scheduler_config.json keys`);
    resolved.schedulerConfig = root.scheduler as ConfigObject;
  }
}
