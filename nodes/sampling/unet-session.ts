/**
 * The UNet as a sampling node calls it, set up once for every sampling path (ComfyUI's and the
 * diffusers loop): the attention mode planned against the memory budget (a run over it is refused
 * here, AttentionMemoryError, before the first step allocates anything), the plan reported in the
 * node's stats and log, the precision checked against the CPU, and every call cancelled with the node.
 *
 * @example
 *   const samples = await withUnet(ctx, model, { attention: 'auto', batch: 2, latentHeight: 64, latentWidth: 64, contextTokens: 77 },
 *     (unet) => sampleLoop((x, shape, t, context) => unet(x, shape, t, context)));
 */
import { type AddedConditioning, CancelToken, ControlNetHandle, type ControlNetRef, type ModelHandle, type Precision, type Shape4, type UnetControl, unetForward } from '../../native/index.ts';
import { naiveScoreBytes, planUnetAttention, type AttentionChoice } from '../models/attention-plan.ts';
import { requirePrecision } from '../models/load-checkpoint.ts';
import type { NodeContext } from '../schema.ts';
import { formatBytes, memoryBudget } from '../system/memory.ts';
import { checkControlsFitModel } from './comfy/control-fit.ts';

export interface UnetRun {
  attention?: AttentionChoice;
  /** 'model' or absent: the loader's. */
  precision?: Precision | 'model';
  /** The largest UNet batch a step runs (cond and uncond together). */
  batch: number;
  latentHeight: number;
  latentWidth: number;
  contextTokens: number;
  /** The ControlNets one call may run at most (their memory is planned with the UNet's; control.ts controlsForPlan). */
  controls?: { controlnet: ControlNetRef; hintBatch: number }[];
}

/** One UNet evaluation at a single timestep for the whole batch (SDXL: with the added conditioning rows). */
export type UnetCall = (
  x: Float32Array,
  shape: Shape4,
  timestep: number,
  context: Float32Array,
  added?: AddedConditioning,
  controls?: UnetControl[],
) => Promise<Float32Array>;

/** The precision a sampling node asks for, checked against the CPU; undefined: the model's. */
export function unetPrecision(precision: Precision | 'model' | undefined): Precision | undefined {
  if (precision === undefined || precision === 'model') return undefined;
  requirePrecision(precision);
  return precision;
}

/**
 * A control as the model runs it: a Control-LoRA is resolved against the model (ComfyUI's ControlLora.pre_run,
 * when sampling starts), once per model (ControlNetHandle.resolveFor caches it); other controls are as loaded.
 */
async function resolveControl(model: ModelHandle, controlnet: ControlNetRef): Promise<ControlNetRef> {
  if (!(controlnet instanceof ControlNetHandle) || controlnet.info.kind !== 'control_lora') return controlnet;
  try {
    return await controlnet.resolveFor(model);
  } catch (e) {
    throw Object.assign(
      new Error(`the Control-LoRA "${controlnet.info.source}" (the control_net input of the apply node) does not fit the model input: ${(e as Error).message}; ` +
        'load a Control-LoRA made for this checkpoint (Stability AI\'s control-lora files are for SDXL).'),
      { code: (e as { code?: string }).code, cause: e },
    );
  }
}

export async function withUnet<T>(ctx: NodeContext, model: ModelHandle, run: UnetRun, work: (unet: UnetCall) => Promise<T>): Promise<T> {
  const precision = unetPrecision(run.precision);
  const { batch, latentHeight, latentWidth, contextTokens } = run;
  const controls = run.controls && (await Promise.all(run.controls.map(async (c) => ({ ...c, controlnet: await resolveControl(model, c.controlnet) }))));
  checkControlsFitModel(model, controls ?? []);
  const plan = planUnetAttention(run.attention ?? 'auto', model, { batch, latentHeight, latentWidth, contextTokens, controls }, memoryBudget(ctx.services));
  // The weights a resolved Control-LoRA holds beyond the model's (its merged layers and its own tensors).
  const controlWeightBytes = (controls ?? []).reduce((sum, c) => sum + (c.controlnet instanceof ControlNetHandle && c.controlnet.info.kind === 'controlnet' && c.controlnet.info.layout === 'control_lora' ? c.controlnet.info.weightBytes : 0), 0);
  ctx.stats({
    naiveScoreBytes: naiveScoreBytes(batch, Math.max(...model.info.unet.num_attention_heads), latentHeight, latentWidth),
    estimatedPeakBytes: plan.estimate.peakBytes,
    memoryBudgetBytes: plan.budgetBytes,
    ...(controlWeightBytes > 0 ? { controlLoraWeightBytes: controlWeightBytes } : {}),
  });
  ctx.log.info(`${plan.mode} attention, ~${formatBytes(plan.estimate.peakBytes)} of working memory per step` +
    (controlWeightBytes > 0 ? `; Control-LoRA weights resolved for this model: ${formatBytes(controlWeightBytes)}` : ''));
  const cancel = new CancelToken();
  const onAbort = () => cancel.cancel();
  ctx.signal.addEventListener('abort', onAbort);
  try {
    return await work(async (x, shape, timestep, context, added, calls) => {
      const resolved = calls && (await Promise.all(calls.map(async (c) => ({ ...c, controlnet: await resolveControl(model, c.controlnet) }))));
      return unetForward(model, x, shape, new Float32Array(shape[0]).fill(timestep), context, { attention: plan.mode, cancel, precision, added, controls: resolved });
    });
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
}
