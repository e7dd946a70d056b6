// The node side of ComfyUI's sampling, shared by KSampler, KSamplerAdvanced, SamplerCustom and
// SamplerCustomAdvanced: binds the loaded model's UNet (attention mode planned against the memory budget before
// anything runs), its model sampling (the model's scheduler config, or what ModelSamplingDiscrete set), progress,
// step previews and cancellation, then runs comfySample.

import type { Precision } from '../../native/index.ts';
import type { AttentionChoice } from '../models/attention-plan.ts';
import type { GuiderValue, LatentValue, ModelValue } from '../socket-values.ts';
import type { NodeContext } from '../schema.ts';
import { inModelScale } from '../vae/latent-scale.ts';
import { controlsForPlan } from './comfy/control.ts';
import { comfySample } from './comfy/ksampler.ts';
import { ModelSampling } from './comfy/model-sampling.ts';
import { inpaintConcat, withInpaintConcat } from './comfy/inpaint-concat.ts';
import { prepareDenoiseMask } from './comfy/noise-mask.ts';
import type { ComfySamplerName } from './comfy/samplers/index.ts';
import { stepPreviewer } from './step-preview.ts';
import type { SchedulerConfigFile } from './schedulers/index.ts';
import { withUnet } from './unet-session.ts';

/** SD 1.5's scheduler_config.json: what single-file checkpoints (which carry none) are sampled with. */
export const SD15_SCHEDULER_CONFIG: SchedulerConfigFile = {
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  steps_offset: 1,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  clip_sample: false,
};

/** The scheduler config a model is sampled with. */
export function schedulerConfigOf(model: ModelValue): SchedulerConfigFile {
  return (model.model.info.schedulerConfig as SchedulerConfigFile | null) ?? SD15_SCHEDULER_CONFIG;
}

/** ComfyUI's model sampling of a MODEL (ModelSamplingDiscrete's choice when set). */
export function modelSamplingOf(model: ModelValue): ModelSampling {
  return ModelSampling.fromConfig(schedulerConfigOf(model), model.sampling ?? {});
}

export interface ComfyRun {
  guider: GuiderValue;
  sampler: ComfySamplerName;
  sigmas: readonly number[];
  noise: Float32Array;
  latent: LatentValue;
  seed: number;
  attention?: AttentionChoice;
  /** The UNet's precision ('model' or absent: the loader's). */
  precision?: Precision | 'model';
}

/** Runs ComfyUI's sampling for a node; returns the samples and the last x0 prediction as LATENTs. */
export async function runComfySampling(run: ComfyRun, ctx: NodeContext): Promise<{ samples: LatentValue; denoised: LatentValue }> {
  const { model } = run.guider.model;
  // in this model's latent scale (a latent encoded by another VAE's factor is rescaled), and marked with it
  const latent = inModelScale(run.latent, model.info.vae.scaling_factor);
  const { scalingFactor } = latent;
  const shape = latent.shape;
  const [batch, , height, width] = shape;
  const widths = new Set([...run.guider.positive, ...(run.guider.negative ?? [])].map((entry) => entry.shape[2]));
  const inChannels = model.info.unet.in_channels;
  const inpainting = inChannels === 2 * shape[1] + 1;
  if (inChannels !== shape[1] && !inpainting) {
    throw new Error(`the UNet takes ${inChannels} input channels but the latent has ${shape[1]}; make the latent with this checkpoint's VAE.`);
  }
  if (run.guider.positive.length === 0) throw new Error(`the positive conditioning is empty; connect a CLIPTextEncode.`);
  if (widths.size > 1 || !widths.has(model.info.unet.cross_attention_dim)) {
    throw new Error(
      `the conditioning is ${[...widths].join(' and ')} wide but the model expects ${model.info.unet.cross_attention_dim}; encode the prompts with this checkpoint's CLIP.`,
    );
  }
  // The largest UNet batch: every full-size entry of both sides together (area entries run smaller crops).
  const sides = [run.guider.positive, ...(run.guider.negative && run.guider.cfg !== 1 ? [run.guider.negative] : [])];
  const fullEntries = sides.reduce((n, side) => n + side.filter((entry) => !entry.area).length, 0);
  const tokens = Math.max(...sides.flat().map((entry) => entry.shape[1]));
  const unetBatch = batch * Math.max(1, fullEntries);
  const previewer = stepPreviewer(ctx, shape);
  const unetRun = {
    attention: run.attention,
    precision: run.precision,
    batch: unetBatch,
    latentHeight: height,
    latentWidth: width,
    contextTokens: tokens,
    controls: controlsForPlan(sides, unetBatch),
  };
  // An inpainting UNet also reads the mask and the masked picture (inpaint-concat.ts).
  const concat = inpainting ? inpaintConcat(latent, run.guider.positive) : null;
  return withUnet(ctx, model, unetRun, async (unet) => {
    try {
      const { samples, denoised } = await comfySample({
        unet: concat ? withInpaintConcat(unet, concat, shape) : unet,
        modelSampling: modelSamplingOf(run.guider.model),
        sampler: run.sampler,
        sigmas: run.sigmas,
        noise: run.noise,
        latent: latent.samples,
        shape,
        positive: run.guider.positive,
        negative: run.guider.negative,
        cfg: run.guider.cfg,
        seed: run.seed,
        signal: ctx.signal,
        denoiseMask: latent.noiseMask ? prepareDenoiseMask(latent.noiseMask, shape) : undefined,
        onStep: ({ step, total, denoised: x0 }) => {
          ctx.progress(step, total);
          previewer.step(x0);
        },
      });
      await previewer.done();
      const noiseMask = latent.noiseMask;
      return { samples: { samples, shape, noiseMask, scalingFactor }, denoised: { samples: denoised, shape, noiseMask, scalingFactor } };
    } finally {
      await previewer.done().catch(() => {}); // no preview arrives after the node's result or error
    }
  });
}
