/**
 * The values core nodes pass along their sockets, and the per-run services they read, declared into
 * nodes/schema.ts by declaration merging so `run` inputs are typed without casts.
 *
 * Layouts follow ComfyUI: LATENT carries `samples` [B, 4, H/8, W/8] in model space (VAE latents times
 * the scaling factor); IMAGE is [B, H, W, 3] float in [0, 1]; CONDITIONING is a list of entries, each a
 * prompt's text embeddings [1, tokens, dim] (tokens a multiple of 77 for long prompts) with its area, strength
 * and timestep range (nodes/sampling/comfy/conditioning.ts). SAMPLER, SIGMAS, NOISE and GUIDER carry the parts
 * of ComfyUI's custom sampling. MASK is [B, H, W] in [0, 1]. UPSCALE_MODEL is a loaded RRDBNet (ESRGAN) upscale model.
 * CONTROL_NET is a loaded ControlNet (ControlNetLoader).
 */
import type { ControlNetHandle, LoraHandle, ModelHandle, TaesdHandle, UpscalerHandle } from '../native/index.ts';
import type { ExecutionGraph } from '../protocol/index.ts';
import type { Conditioning } from './sampling/comfy/conditioning.ts';
import type { ModelSamplingSpec } from './sampling/comfy/model-sampling.ts';
import type { ComfySamplerName } from './sampling/comfy/samplers/index.ts';
import type { CLIPTokenizer } from './text/clip-tokenizer.ts';

/** A LoRA applied by LoraLoader / LoraLoaderModelOnly: its file under <models>/loras and its strength on this network. */
export interface AppliedLora {
  name: string;
  lora: LoraHandle;
  strength: number;
}

/** The LoRAs a MODEL or CLIP runs with (in order; they stack) and the loaded model without them. */
export interface LoraStack {
  base: ModelHandle;
  applied: AppliedLora[];
}

/** The diffusion model (UNet) of a loaded checkpoint. */
export interface ModelValue {
  /** What its UNet calls run: the checkpoint's model, or one with `loras` added (sharing its weights). */
  model: ModelHandle;
  loras?: LoraStack;
  /** File or folder it came from (for messages). */
  source: string;
  /** Set by ModelSamplingDiscrete; otherwise eps (or the model config's v_prediction), no zsnr. */
  sampling?: ModelSamplingSpec;
}

/** The text encoder of a loaded checkpoint and the tokenizer that goes with it. */
export interface ClipValue {
  /** What its text encoder calls run: the checkpoint's model, or one with `loras` added (sharing its weights). */
  model: ModelHandle;
  tokenizer: CLIPTokenizer;
  /** SDXL: the second text encoder's tokenizer (pads with "!"); absent for SD 1.x. */
  tokenizer2?: CLIPTokenizer;
  source: string;
  loras?: LoraStack;
  /** CLIPSetLastLayer: the hidden layer prompts are taken from, 1 = the last (its -1), 2 = the penultimate (-2), ... */
  clipSkip?: number;
}

/**
 * A VAE: a checkpoint's, or VAELoader's (a standalone AutoencoderKL file loaded as a VAE-only model),
 * or VAELoader's `taesd` (madebyollin's tiny autoencoder, `taesd` set and `model` absent).
 */
export type VaeValue = { model: ModelHandle; taesd?: undefined; source: string } | { taesd: TaesdHandle; model?: undefined; source: string };

export type ConditioningValue = Conditioning;

/** A loaded ControlNet (ControlNetLoader, DiffControlNetLoader). */
export interface ControlNetValue {
  controlnet: ControlNetHandle;
  /** File it came from (for messages). */
  source: string;
  /** ComfyUI's global_average_pooling: on for files named *_shuffle (or *_shuffle_fp16), as ComfyUI decides it. */
  globalAveragePooling: boolean;
}

/** A sampling algorithm (KSamplerSelect). */
export interface SamplerValue {
  name: ComfySamplerName;
}

/** Noise levels to walk, descending (BasicScheduler, KarrasScheduler, SplitSigmas, ...). */
export interface SigmasValue {
  sigmas: Float32Array;
}

/** Starting noise: seeded like ComfyUI's prepare_noise, or none (its seed 0 then seeds the samplers' own noise). */
export type NoiseValue = { kind: 'random'; seed: number } | { kind: 'disabled'; seed: 0 };

/** A model with its conditioning and guidance (BasicGuider: positive only, cfg 1; CFGGuider). */
export interface GuiderValue {
  model: ModelValue;
  positive: Conditioning;
  negative?: Conditioning;
  cfg: number;
}

export interface LatentValue {
  samples: Float32Array;
  shape: readonly [number, number, number, number];
  /**
   * SetLatentNoiseMask / VAEEncodeForInpaint: where the sampler may change the latent (1) and where it keeps the
   * input (0), [B or 1, H, W] at any size (resized to the latent bilinearly when sampling, as ComfyUI does).
   */
  noiseMask?: MaskValue;
  /**
   * The VAE scaling factor the samples carry (samples = raw VAE latent x scalingFactor): the sampling model's
   * (KSampler, SamplerCustom) or the encoding VAE's (VAEEncode). It plays the part of ComfyUI's latent_format:
   * a VAE decodes (and a sampler takes) the latent by this factor, not by its own, so an SDXL checkpoint's
   * samples decode right through a standalone VAE (VAELoader, whose files do not say 0.18215 or 0.13025).
   * Absent (EmptyLatentImage, TAESD): the decoding VAE's or the sampling model's own. See nodes/vae/latent-scale.ts.
   */
  scalingFactor?: number;
}

/** MASK: [B, H, W] float in [0, 1] (ComfyUI's MASK; 1 = masked, i.e. to be repainted). */
export interface MaskValue {
  data: Float32Array;
  shape: readonly [number, number, number];
}

export interface ImageValue {
  data: Float32Array;
  shape: readonly [number, number, number, 3];
}

/** UPSCALE_MODEL (UpscaleModelLoader): an ESRGAN / Real-ESRGAN upscale model in the engine. */
export interface UpscaleModelValue {
  upscaler: UpscalerHandle;
  /** File it came from (for messages). */
  source: string;
}

/** What the host knows about the run a node belongs to (SaveImage embeds it in its PNGs). */
export interface RunInfo {
  /** The execution form being run (ComfyUI's "prompt"). */
  prompt?: ExecutionGraph | Record<string, unknown>;
  /** Extra data queued with it (ComfyUI's extra_data; extra_pnginfo.workflow is the saved form). */
  extra?: Record<string, unknown>;
}

declare module './schema.ts' {
  interface SocketValueTypes {
    MODEL: ModelValue;
    CLIP: ClipValue;
    VAE: VaeValue;
    CONDITIONING: ConditioningValue;
    LATENT: LatentValue;
    IMAGE: ImageValue;
    SAMPLER: SamplerValue;
    SIGMAS: SigmasValue;
    NOISE: NoiseValue;
    GUIDER: GuiderValue;
    MASK: MaskValue;
    UPSCALE_MODEL: UpscaleModelValue;
    CONTROL_NET: ControlNetValue;
  }
  interface HostServices {
    run?: RunInfo;
  }
}
