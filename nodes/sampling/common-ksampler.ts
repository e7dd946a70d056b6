// ComfyUI's common_ksampler, shared by KSampler and KSamplerAdvanced: sampler_name and scheduler as ComfyUI
// names them (comfy/), plus latentflow's diffusers-exact schedulers under names of their own:
//   scheduler "diffusers"        - diffusers' own scheduler class for the sampler, its own timestep spacing
//                                  (DDIM, PNDM, Euler, Euler ancestral, LMS, DPM++ 2M; equal to diffusers 0.27.2)
//   scheduler "diffusers_karras" - the same with use_karras_sigmas (Euler, Euler ancestral, LMS, DPM++ 2M)
//   sampler   "pndm"             - diffusers' PLMS (only with "diffusers"; ComfyUI has no such sampler)
// so "same picture as ComfyUI" and "same picture as diffusers" are both one choice away.

import type { Precision } from '../../native/index.ts';
import type { AttentionChoice } from '../models/attention-plan.ts';
import type { ConditioningValue, LatentValue, ModelValue } from '../socket-values.ts';
import { inModelScale } from '../vae/latent-scale.ts';
import type { NodeContext, WidgetProblem } from '../schema.ts';
import { sdxlAdded, type ConditioningEntry } from './comfy/conditioning.ts';
import { controlsAt, controlsForPlan, prepareWholeSchedule } from './comfy/control.ts';
import { ksamplerSigmas, seededNoise, stepRange } from './comfy/ksampler.ts';
import { COMFY_SAMPLER_NAMES, type ComfySamplerName, isComfySampler } from './comfy/samplers/index.ts';
import { COMFY_SCHEDULER_NAMES, type ComfySchedulerName, isComfyScheduler } from './comfy/schedulers.ts';
import { modelSamplingOf, runComfySampling, schedulerConfigOf } from './run-comfy.ts';
import { sample } from './sample.ts';
import { stepPreviewer } from './step-preview.ts';
import type { SamplerName as DiffusersSamplerName } from './schedulers/index.ts';
import { withUnet } from './unet-session.ts';

/** KSampler's sampler_name choices: ComfyUI's, then latentflow's diffusers-only pndm. */
export const KSAMPLER_SAMPLERS = [...COMFY_SAMPLER_NAMES, 'pndm'] as const;
export type KSamplerSampler = (typeof KSAMPLER_SAMPLERS)[number];

/** KSampler's scheduler choices: ComfyUI's nine, then latentflow's diffusers-exact ones. */
export const KSAMPLER_SCHEDULERS = [...COMFY_SCHEDULER_NAMES, 'diffusers', 'diffusers_karras'] as const;
export type KSamplerScheduler = (typeof KSAMPLER_SCHEDULERS)[number];

/** Samplers with a diffusers scheduler class, and those of them with use_karras_sigmas. */
const DIFFUSERS_SAMPLERS: readonly DiffusersSamplerName[] = ['ddim', 'pndm', 'euler', 'euler_ancestral', 'lms', 'dpmpp_2m'];
const DIFFUSERS_KARRAS_SAMPLERS: readonly DiffusersSamplerName[] = ['euler', 'euler_ancestral', 'lms', 'dpmpp_2m'];

/** Saved KSampler v1 widgets: `normal` / `karras` meant diffusers' spacing; they keep making the same picture. */
export function migrateSchedulerV1(widgets: Record<string, unknown>, fromVersion: number): Record<string, unknown> {
  if (fromVersion >= 2) return widgets;
  const renamed: Record<string, string> = { normal: 'diffusers', karras: 'diffusers_karras' };
  const scheduler = widgets.scheduler;
  return typeof scheduler === 'string' && scheduler in renamed ? { ...widgets, scheduler: renamed[scheduler] } : widgets;
}

/** Sampler / scheduler / steps combinations that cannot run, found before anything runs. */
export function checkSamplerScheduler(sampler: string, scheduler: string, steps: number): WidgetProblem[] {
  const isDiffusers = scheduler === 'diffusers' || scheduler === 'diffusers_karras';
  if (sampler === 'pndm' && !isDiffusers) {
    return [{ input: 'scheduler', message: `sampler "pndm" is diffusers' PLMS and runs only with scheduler "diffusers"; pick it, or a ComfyUI sampler.` }];
  }
  if (scheduler === 'diffusers' && !DIFFUSERS_SAMPLERS.includes(sampler as DiffusersSamplerName)) {
    return [{ input: 'sampler_name', message: `scheduler "diffusers" has no diffusers class for sampler "${sampler}"; use one of ${DIFFUSERS_SAMPLERS.join(', ')}, or a ComfyUI scheduler such as "normal".` }];
  }
  if (scheduler === 'diffusers_karras' && !DIFFUSERS_KARRAS_SAMPLERS.includes(sampler as DiffusersSamplerName)) {
    return [{ input: 'sampler_name', message: `scheduler "diffusers_karras" exists for ${DIFFUSERS_KARRAS_SAMPLERS.join(', ')}, not "${sampler}"; pick one of them, or scheduler "karras".` }];
  }
  if (scheduler === 'kl_optimal' && steps < 2) {
    return [{ input: 'steps', message: 'scheduler "kl_optimal" needs at least 2 steps (its formula divides by steps - 1).' }];
  }
  return [];
}

export interface KSamplerInput {
  model: ModelValue;
  seed: number;
  steps: number;
  cfg: number;
  sampler_name: KSamplerSampler;
  scheduler: KSamplerScheduler;
  positive: ConditioningValue;
  negative: ConditioningValue;
  latent_image: LatentValue;
  denoise: number;
  attention?: AttentionChoice;
  /** The UNet's precision for this sampling ('model': the loader's). */
  precision?: Precision | 'model';
  /** KSamplerAdvanced: */
  addNoise?: boolean;
  startStep?: number;
  lastStep?: number;
  forceFullDenoise?: boolean;
}

/** ComfyUI's common_ksampler (or the diffusers loop for the diffusers schedulers). */
export async function commonKSampler(input: KSamplerInput, ctx: NodeContext): Promise<LatentValue> {
  const problems = checkSamplerScheduler(input.sampler_name, input.scheduler, input.steps);
  if (problems.length > 0) throw new Error(`${problems[0].message}`);
  const { scheduler, sampler_name: sampler } = input;
  if (!isComfyScheduler(scheduler)) return diffusersKSampler(input, ctx);
  if (!isComfySampler(sampler)) throw new Error(`sampler "${sampler}" is not one of ComfyUI's samplers.`);
  const shape = input.latent_image.shape;
  const numel = shape.reduce((a, b) => a * b, 1);
  let sigmas: number[] | null = ksamplerSigmas(modelSamplingOf(input.model), sampler, scheduler as ComfySchedulerName, input.steps, input.denoise);
  if (input.startStep !== undefined || input.lastStep !== undefined) {
    sigmas = stepRange(sigmas, input.startStep ?? 0, input.lastStep ?? 10000, input.forceFullDenoise ?? true);
  }
  if (sigmas === null) return { ...input.latent_image, samples: input.latent_image.samples.slice() };
  const noise = input.addNoise === false ? new Float32Array(numel) : seededNoise(shape, input.seed);
  const { samples } = await runComfySampling(
    {
      guider: { model: input.model, positive: input.positive, negative: input.negative, cfg: input.cfg },
      sampler: sampler as ComfySamplerName,
      sigmas,
      noise,
      latent: input.latent_image,
      seed: input.seed,
      attention: input.attention,
      precision: input.precision,
    },
    ctx,
  );
  return samples;
}

/** SDXL's added conditioning of a plain entry, as the diffusers sampler's Conditioning field. */
function withAdded(entry: ConditioningEntry, latentHeight: number, latentWidth: number) {
  const added = sdxlAdded(entry, latentHeight, latentWidth);
  return added ? { added } : {};
}

/** The single plain entry a diffusers scheduler can sample with, or a clear refusal. */
function plainEntry(conditioning: ConditioningValue, name: string): ConditioningEntry {
  const [entry] = conditioning;
  if (conditioning.length !== 1 || entry.area || entry.strength !== undefined || entry.startPercent !== undefined || entry.endPercent !== undefined) {
    throw new Error(
      `the diffusers schedulers take one plain prompt per side, but "${name}" is combined, has an area, a strength or a timestep range; use a ComfyUI scheduler (e.g. "normal").`,
    );
  }
  return entry;
}

async function diffusersKSampler(input: KSamplerInput, ctx: NodeContext): Promise<LatentValue> {
  if (input.model.model.info.unet.in_channels !== input.latent_image.shape[1]) {
    throw new Error(`this UNet takes ${input.model.model.info.unet.in_channels} input channels (an inpainting model); the diffusers schedulers do not feed it the mask: pick a ComfyUI scheduler (e.g. "normal").`);
  }
  if (input.latent_image.noiseMask) throw new Error(`the latent has a noise mask (SetLatentNoiseMask, VAEEncodeForInpaint), which only ComfyUI's schedulers honour; pick one (e.g. "normal").`);
  if (input.addNoise === false || input.startStep !== undefined || input.lastStep !== undefined) {
    const changed = input.addNoise === false || (input.startStep ?? 0) !== 0 || (input.lastStep ?? 10000) < input.steps;
    if (changed) throw new Error(`add_noise, start_at_step and end_at_step need a ComfyUI scheduler; the diffusers schedulers run the whole schedule.`);
  }
  const sampling = input.model.sampling;
  if (sampling && (sampling.kind !== 'eps' || sampling.zsnr)) {
    throw new Error(`ModelSamplingDiscrete (${sampling.kind}${sampling.zsnr ? ', zsnr' : ''}) applies to ComfyUI's schedulers only; pick one (e.g. "normal" or "sgm_uniform").`);
  }
  const { model } = input.model;
  // in this model's latent scale (a latent encoded by another VAE's factor is rescaled), and marked with it
  const latent = inModelScale(input.latent_image, model.info.vae.scaling_factor);
  const [batch, channels, height, width] = latent.shape;
  const [positive, negative] = matchTokenCounts(plainEntry(input.positive, 'positive'), plainEntry(input.negative, 'negative'));
  // Cond and uncond go through the UNet as one batch (unless cfg is 1).
  const unetBatch = batch * (input.cfg === 1 ? 1 : 2);
  // ControlNets run on that whole batch: both sides must carry the same ones (ControlNetApplyAdvanced).
  if (input.cfg !== 1 && positive.control !== negative.control) {
    throw new Error(
      'the diffusers schedulers run the positive and negative prompts as one batch, so both need the same ControlNets; apply them with ControlNetApplyAdvanced (to both), or use a ComfyUI scheduler (e.g. "normal").',
    );
  }
  const control = positive.control ? prepareWholeSchedule(positive.control) : undefined;
  const previewer = stepPreviewer(ctx, input.latent_image.shape);
  const unetRun = {
    attention: input.attention,
    precision: input.precision,
    batch: unetBatch,
    latentHeight: height,
    latentWidth: width,
    contextTokens: positive.shape[1],
    controls: controlsForPlan([[positive]], unetBatch),
  };
  return withUnet(ctx, model, unetRun, async (unet) => {
    try {
      const samples = await sample({
        predictNoise: (x, shape, t, context) => {
          const controls = control ? controlsAt(control, 0, shape[0], shape[2], shape[3], shape[0] / batch) : undefined;
          return unet(x, shape, t, context.data, context.added, controls);
        },
        sampler: input.sampler_name as DiffusersSamplerName,
        schedule: input.scheduler === 'diffusers_karras' ? 'karras' : 'normal',
        schedulerConfig: schedulerConfigOf(input.model),
        steps: input.steps,
        cfg: input.cfg,
        seed: input.seed,
        positive: { data: positive.embeddings, shape: positive.shape, ...withAdded(positive, height, width) },
        negative: { data: negative.embeddings, shape: negative.shape, ...withAdded(negative, height, width) },
        shape: [batch, channels, height, width],
        initLatent: input.denoise < 1 ? latent.samples : undefined,
        denoise: input.denoise,
        signal: ctx.signal,
        onProgress: (p) => ctx.progress(p.step, p.total),
        onDenoised: (_step, x0) => previewer.step(x0),
      });
      await previewer.done();
      return { samples, shape: latent.shape, scalingFactor: latent.scalingFactor };
    } finally {
      await previewer.done().catch(() => {}); // no preview arrives after the node's result or error
    }
  });
}

/**
 * Cond and uncond go through the UNet as one batch, so their token counts must match: the shorter is
 * repeated to the least common multiple of both (as ComfyUI does for long prompts).
 */
export function matchTokenCounts(a: ConditioningEntry, b: ConditioningEntry): [ConditioningEntry, ConditioningEntry] {
  const [, ta, dim] = a.shape;
  const [, tb, dimB] = b.shape;
  if (dim !== dimB) throw new Error(`positive and negative conditioning have different widths (${dim} and ${dimB}); encode both with the same CLIP.`);
  if (ta === tb) return [a, b];
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  const lcm = (ta / gcd(ta, tb)) * tb;
  const repeat = (c: ConditioningEntry): ConditioningEntry => {
    const times = lcm / c.shape[1];
    const out = new Float32Array(lcm * dim);
    for (let i = 0; i < times; i++) out.set(c.embeddings, i * c.embeddings.length);
    return { ...c, embeddings: out, shape: [1, lcm, dim] };
  };
  return [repeat(a), repeat(b)];
}
