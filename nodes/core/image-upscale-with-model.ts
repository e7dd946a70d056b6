import { upscalerRun } from '../../native/index.ts';
import { requireFloatBudget } from '../image/budget.ts';
import { imageToPlanes, planesToImage } from '../image/convert.ts';
import { planUpscaleTile } from '../models/upscale-plan.ts';
import { defineNode, socket } from '../schema.ts';
import { memoryBudget } from '../system/memory.ts';
import { withCancel } from '../vae/decode.ts';

/**
 * ComfyUI's ImageUpscaleWithModel: the picture through the upscale model, clamped to [0, 1]. ComfyUI
 * runs tiles of 512 pixels (32 overlapping, blended) and halves them on out-of-memory errors; here the
 * tiles are planned by the engine's exact estimate against the memory budget (nodes/models/upscale-plan.ts):
 * the whole picture when it fits, else the largest tiles with a margin as wide as the network's receptive
 * field (the same picture), else, for deep models on small budgets, tiles with a 32-pixel margin (logged).
 */
export default defineNode({
  type: 'ImageUpscaleWithModel',
  version: 1,
  category: 'image/upscaling',
  displayName: 'Upscale Image (using Model)',
  description:
    "Upscales a picture with an upscale model (UpscaleModelLoader) by the model's scale, in tiles when the memory budget needs it " +
    "(with a margin as wide as the model's receptive field, they do not change the result); progress per tile.",
  inputs: {
    upscale_model: socket('UPSCALE_MODEL'),
    image: socket('IMAGE'),
  },
  outputs: { IMAGE: socket('IMAGE') },
  async run(input, ctx) {
    const { upscaler } = input.upscale_model;
    const [b, h, w] = input.image.shape;
    const s = upscaler.info.scale;
    // the result as an IMAGE, and its channels-first copy, live outside the engine's arena
    requireFloatBudget(2 * b * h * s * w * s * 3, `a ${w * s}x${h * s} result of batch ${b}`, 'upscale a smaller picture', ctx.services);
    const budget = memoryBudget(ctx.services);
    const plan = planUpscaleTile(upscaler, { batch: b, height: h, width: w }, budget);
    ctx.stats({ estimatedPeakBytes: plan.estimate.peakBytes, memoryBudgetBytes: budget, tile: plan.tile, margin: plan.margin || upscaler.info.halo });
    if (!plan.exact) {
      ctx.log.warn(
        `tiles of ${plan.tile} pixels with a margin of ${plan.margin} (the model sees ${upscaler.info.halo} pixels around each): pixels near ` +
          'tile borders may differ slightly from one piece; a larger memory budget gives the exact picture.',
      );
    }
    const planes = imageToPlanes(input.image); // [B, 3, H, W] in [0, 1]
    const out = await withCancel(ctx.signal, (cancel) =>
      upscalerRun(upscaler, planes.data, [b, 3, h, w], { tile: plan.tile, margin: plan.margin, cancel, onProgress: (done, total) => ctx.progress(done, total) }),
    );
    for (let i = 0; i < out.length; i++) out[i] = out[i] < 0 ? 0 : out[i] > 1 ? 1 : out[i]; // torch.clamp(s, 0, 1), as ComfyUI
    return { IMAGE: planesToImage({ data: out, n: b * 3, h: h * s, w: w * s }) };
  },
});
