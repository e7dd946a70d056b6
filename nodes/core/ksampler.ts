import { CancelToken, unetForward } from '../../native/index.ts';
import { encodePng } from '../image/png.ts';
import { sample } from '../sampling/sample.ts';
import { SAMPLER_NAMES, SCHEDULE_NAMES, type SchedulerConfigFile } from '../sampling/schedulers/index.ts';
import { choice, defineNode, float, int, socket } from '../schema.ts';
import { naiveScoreBytes, planUnetAttention } from '../models/attention-plan.ts';
import { requirePrecision } from '../models/load-checkpoint.ts';
import { formatBytes, memoryBudget } from '../system/memory.ts';
import type { ConditioningValue } from '../socket-values.ts';

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

/** Largest seed: torch seeds are 64-bit, JSON numbers are exact up to 2^53 - 1. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

export default defineNode({
  type: 'KSampler',
  version: 1,
  category: 'sampling',
  description:
    'Denoises a latent with the model, guided by the positive and negative conditioning. A seed gives the same picture as diffusers with the same scheduler.',
  inputs: {
    model: socket('MODEL'),
    seed: int({ default: 0, min: 0, max: MAX_SEED, description: 'Noise seed (torch.Generator().manual_seed(seed)).' }),
    steps: int({ default: 20, min: 1, max: 1000, description: 'Denoising steps.' }),
    cfg: float({ default: 7.5, min: 0, max: 100, step: 0.1, round: 0.01, description: 'Classifier-free guidance scale; 1 skips the negative pass.' }),
    sampler_name: choice(SAMPLER_NAMES, { default: 'euler', description: 'The scheduler (diffusers: DDIM, PNDM, Euler, Euler ancestral, LMS, DPM++ 2M).' }),
    scheduler: choice(SCHEDULE_NAMES, { default: 'normal', description: "normal: diffusers' own spacing; karras: Karras sigmas." }),
    positive: socket('CONDITIONING'),
    negative: socket('CONDITIONING'),
    latent_image: socket('LATENT'),
    denoise: float({ default: 1, min: 0, max: 1, step: 0.01, description: 'Fraction of the schedule to run; below 1 keeps part of the input latent (img2img).' }),
    attention: choice(['auto', 'naive', 'sliced', 'flash'] as const, {
      default: 'auto',
      description: 'Attention kernel: naive (full score matrix), sliced (a slice at a time), flash (memory-efficient, linear memory), auto (by memory).',
    }),
    precision: choice(['model', 'fp32', 'bf16'] as const, {
      default: 'model',
      description: "The UNet's precision for this sampling: the loader's (model), fp32, or bf16 (CPUs with AVX512_BF16; about twice as fast).",
    }),
  },
  outputs: { LATENT: socket('LATENT') },
  async run(input, ctx) {
    const { model } = input.model;
    requirePrecision(input.precision);
    const precision = input.precision === 'model' ? undefined : input.precision;
    const [batch, channels, height, width] = input.latent_image.shape;
    const [positive, negative] = matchTokenCounts(input.positive, input.negative);
    // Cond and uncond go through the UNet as one batch (unless cfg is 1). A run whose estimate is over
    // the budget is refused here (AttentionMemoryError), before the first step allocates anything.
    const unetBatch = batch * (input.cfg === 1 ? 1 : 2);
    const plan = planUnetAttention(
      input.attention,
      model,
      { batch: unetBatch, latentHeight: height, latentWidth: width, contextTokens: positive.shape[1] },
      memoryBudget(ctx.services),
    );
    ctx.stats({
      naiveScoreBytes: naiveScoreBytes(unetBatch, Math.max(...model.info.unet.num_attention_heads), height, width),
      estimatedPeakBytes: plan.estimate.peakBytes,
      memoryBudgetBytes: plan.budgetBytes,
    });
    ctx.log.info(`${plan.mode} attention, ~${formatBytes(plan.estimate.peakBytes)} of working memory per step`);
    const cancel = new CancelToken();
    const onAbort = () => cancel.cancel();
    ctx.signal.addEventListener('abort', onAbort);
    try {
      const samples = await sample({
        predictNoise: (x, shape, t, context) =>
          unetForward(model, x, shape, new Float32Array(shape[0]).fill(t), context.data, { attention: plan.mode, cancel, precision }),
        sampler: input.sampler_name,
        schedule: input.scheduler,
        schedulerConfig: (model.info.schedulerConfig as SchedulerConfigFile | null) ?? SD15_SCHEDULER_CONFIG,
        steps: input.steps,
        cfg: input.cfg,
        seed: input.seed,
        positive: { data: positive.embeddings, shape: positive.shape },
        negative: { data: negative.embeddings, shape: negative.shape },
        shape: [batch, channels, height, width],
        initLatent: input.denoise < 1 ? input.latent_image.samples : undefined,
        denoise: input.denoise,
        signal: ctx.signal,
        onProgress: (p) => ctx.progress(p.step, p.total),
        onPreview: (p) => ctx.preview({ mime: 'image/png', width: p.width, height: p.height, data: encodePng({ width: p.width, height: p.height, channels: 3, data: p.rgb }) }),
      });
      return { LATENT: { samples, shape: input.latent_image.shape } };
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
    }
  },
});

/**
 * Cond and uncond go through the UNet as one batch, so their token counts must match: the shorter is
 * repeated to the least common multiple of both (as ComfyUI does for long prompts).
 */
export function matchTokenCounts(a: ConditioningValue, b: ConditioningValue): [ConditioningValue, ConditioningValue] {
  const [, ta, dim] = a.shape;
  const [, tb, dimB] = b.shape;
  if (dim !== dimB) throw new Error(`positive and negative conditioning have different widths (${dim} and ${dimB}); encode both with the same CLIP.`);
  if (ta === tb) return [a, b];
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  const lcm = (ta / gcd(ta, tb)) * tb;
  const repeat = (c: ConditioningValue): ConditioningValue => {
    const times = lcm / c.shape[1];
    const out = new Float32Array(lcm * dim);
    for (let i = 0; i < times; i++) out.set(c.embeddings, i * c.embeddings.length);
    return { embeddings: out, shape: [1, lcm, dim] };
  };
  return [repeat(a), repeat(b)];
}
