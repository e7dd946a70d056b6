// Classifier-free guidance over ComfyUI's conditioning (comfy/samplers.py process_conds, get_area_and_mult,
// calc_cond_batch, cfg_function), for one step:
// * each entry predicts x0 on its area of x (the whole latent without an area), weighted by its strength with
//   the area's edges feathered over min(8, size / 4) cells on sides that do not touch the border;
// * entries outside their timestep range [percent_to_sigma(end), percent_to_sigma(start)] are skipped;
// * a list's prediction is the weighted sum over its entries / the summed weights (+1e-37);
// * an area entry with no same-area counterpart in the other list gets one (the other list's smallest entry
//   that covers it), so both sides are blended alike;
// * entries with the same area size run as one UNet batch, their token counts repeated to a common multiple
//   (at most 4x, as ComfyUI's), with the whole latent batch each;
// * entries batch only when they share their ControlNets (the same control chain, or none); the batch's
//   ControlNets run in the same UNet call (control.ts);
// * result: uncond + (cond - uncond) * cfg; with cfg 1 the negative list is not run.

import type { UnetControl } from '../../../native/index.ts';
import type { LatentShape } from '../sample.ts';
import { roundHalfEven } from '../schedulers/schedule.ts';
import { sdxlAdded, type Conditioning, type ConditioningEntry } from './conditioning.ts';
import { controlPreparer, controlsAt, type PreparedControl } from './control.ts';
import type { ModelSampling } from './model-sampling.ts';

const f = Math.fround;

/**
 * The UNet: raw output for input x [shape], the model timestep, context [shape[0], tokens, dim], and for
 * SDXL the added conditioning rows (pooled text embeddings and time ids, shape[0] rows each), and the
 * ControlNets of the call.
 */
export type UNetCall = (
  x: Float32Array,
  shape: LatentShape,
  timestep: number,
  context: Float32Array,
  added?: { textEmbeds: Float32Array; timeIds: Float32Array },
  controls?: UnetControl[],
) => Promise<Float32Array>;

/** An entry resolved for one sampling run (area in latent cells, timestep range in sigmas). */
export interface PreparedEntry {
  embeddings: Float32Array;
  tokens: number;
  dim: number;
  /** [height, width, y, x] in latent cells. */
  area?: [number, number, number, number];
  strength: number;
  sigmaStart?: number;
  sigmaEnd?: number;
  /** SDXL: pooled output and time ids (conditioning.ts sdxlAdded). */
  added?: { textEmbeds: Float32Array; timeIds: Float32Array };
  /** The entry's ControlNets (one object per chain: entries sharing it batch). */
  control?: PreparedControl;
}

/** Resolves both lists against the latent size and the model sampling (ComfyUI's process_conds). */
export function prepareConditioning(
  ms: ModelSampling,
  lists: { positive: Conditioning; negative?: Conditioning },
  latentHeight: number,
  latentWidth: number,
): { positive: PreparedEntry[]; negative?: PreparedEntry[] } {
  const control = controlPreparer(ms);
  const prepare = (entry: ConditioningEntry, negative: boolean): PreparedEntry => {
    const [, tokens, dim] = entry.shape;
    const out: PreparedEntry = { embeddings: entry.embeddings, tokens, dim, strength: entry.strength ?? 1 };
    const prepared = control(entry.control);
    if (prepared) out.control = prepared;
    const added = sdxlAdded(entry, latentHeight, latentWidth, negative);
    if (added) out.added = added;
    const a = entry.area;
    if (a?.unit === 'latent') out.area = [a.height, a.width, a.y, a.x];
    else if (a?.unit === 'percentage') {
      out.area = [
        Math.max(1, roundHalfEven(a.height * latentHeight)),
        Math.max(1, roundHalfEven(a.width * latentWidth)),
        roundHalfEven(a.y * latentHeight),
        roundHalfEven(a.x * latentWidth),
      ];
    }
    if (entry.startPercent !== undefined) out.sigmaStart = ms.percentToSigma(entry.startPercent);
    if (entry.endPercent !== undefined) out.sigmaEnd = ms.percentToSigma(entry.endPercent);
    return out;
  };
  const positive = lists.positive.map((entry) => prepare(entry, false));
  const negative = lists.negative?.map((entry) => prepare(entry, true));
  if (negative) {
    for (const entry of [...positive]) addSameArea(negative, entry);
    for (const entry of [...negative]) addSameArea(positive, entry);
  }
  return { positive, negative };
}

function inside(inner: readonly number[], outer: readonly number[]): boolean {
  return inner[2] >= outer[2] && inner[3] >= outer[3] && inner[0] + inner[2] <= outer[0] + outer[2] && inner[1] + inner[3] <= outer[1] + outer[3];
}

/** ComfyUI's create_cond_with_same_area_if_none. */
function addSameArea(list: PreparedEntry[], entry: PreparedEntry): void {
  if (!entry.area) return;
  let smallest: PreparedEntry | undefined;
  for (const other of list) {
    if (other.area) {
      if (!inside(entry.area, other.area)) continue;
      if (!smallest || !smallest.area || smallest.area[0] * smallest.area[1] > other.area[0] * other.area[1]) smallest = other;
    } else if (!smallest) smallest = other;
  }
  if (!smallest) return;
  if (smallest.area && smallest.area.every((v, i) => v === entry.area![i])) return;
  list.push({ ...entry, embeddings: smallest.embeddings, tokens: smallest.tokens, dim: smallest.dim, added: smallest.added });
}

interface Job {
  entry: PreparedEntry;
  list: number;
  /** [h, w, y, x] of the crop (the whole latent without an area). */
  crop: [number, number, number, number];
  /** Weight per crop cell (h * w). */
  weight: Float32Array;
}

/** ComfyUI's get_area_and_mult, or null when the entry is outside its timestep range at this sigma. */
function makeJob(entry: PreparedEntry, list: number, sigma: number, height: number, width: number): Job | null {
  if (entry.sigmaStart !== undefined && sigma > entry.sigmaStart) return null;
  if (entry.sigmaEnd !== undefined && sigma < entry.sigmaEnd) return null;
  let crop: [number, number, number, number] = [height, width, 0, 0];
  if (entry.area) {
    const [h, w, y, x] = entry.area;
    crop = [Math.min(height - y, h), Math.min(width - x, w), y, x];
    if (crop[0] <= 0 || crop[1] <= 0) return null;
  }
  const [h, w, y, x] = crop;
  const weight = new Float32Array(h * w).fill(f(entry.strength));
  if (entry.area) {
    const scaleRow = (row: number, factor: number) => {
      for (let c = 0; c < w; c++) weight[row * w + c] = f(weight[row * w + c] * factor);
    };
    const scaleColumn = (column: number, factor: number) => {
      for (let r = 0; r < h; r++) weight[r * w + column] = f(weight[r * w + column] * factor);
    };
    const feather = (size: number, offset: number, total: number, scale: (index: number, factor: number) => void) => {
      const rr = Math.min(8, Math.floor(size / 4));
      if (offset !== 0) for (let t = 0; t < rr; t++) scale(t, (1 / rr) * (t + 1));
      if (size + offset < total) for (let t = 0; t < rr; t++) scale(size - 1 - t, (1 / rr) * (t + 1));
    };
    feather(h, y, height, scaleRow);
    feather(w, x, width, scaleColumn);
  }
  return { entry, list, crop, weight };
}

function canBatch(a: Job, b: Job): boolean {
  if (a.crop[0] !== b.crop[0] || a.crop[1] !== b.crop[1]) return false;
  if (a.entry.dim !== b.entry.dim) return false;
  if (a.entry.added?.textEmbeds.length !== b.entry.added?.textEmbeds.length) return false;
  if (a.entry.control !== b.entry.control) return false;
  const ta = a.entry.tokens;
  const tb = b.entry.tokens;
  return ta === tb || lcm(ta, tb) / Math.min(ta, tb) <= 4;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}

/**
 * One x0 prediction per conditioning list (null lists are skipped and give zeros), as ComfyUI's calc_cond_batch.
 */
export async function predictLists(
  unet: UNetCall,
  ms: ModelSampling,
  lists: ReadonlyArray<PreparedEntry[] | null>,
  x: Float32Array,
  shape: LatentShape,
  sigma: number,
): Promise<Float32Array[]> {
  const [batch, channels, height, width] = shape;
  const sums = lists.map(() => new Float32Array(x.length));
  const counts = lists.map(() => new Float32Array(x.length).fill(1e-37));
  const jobs: Job[] = [];
  lists.forEach((list, index) => {
    for (const entry of list ?? []) {
      const job = makeJob(entry, index, sigma, height, width);
      if (job) jobs.push(job);
    }
  });
  const timestep = ms.timestep(sigma);
  while (jobs.length > 0) {
    const first = jobs[0];
    const picked: Job[] = [];
    for (let k = jobs.length - 1; k >= 0; k--) if (canBatch(jobs[k], first)) picked.push(jobs[k]);
    for (const job of picked) jobs.splice(jobs.indexOf(job), 1);
    const [h, w] = first.crop;
    const cell = h * w;
    const tokens = picked.reduce((m, job) => lcm(m, job.entry.tokens), 1);
    const dim = first.entry.dim;
    const n = picked.length * batch;
    const input = new Float32Array(n * channels * cell);
    const context = new Float32Array(n * tokens * dim);
    picked.forEach((job, j) => {
      const [, , y, x0] = job.crop;
      for (let b = 0; b < batch; b++) {
        for (let c = 0; c < channels; c++) {
          for (let r = 0; r < h; r++) {
            const from = ((b * channels + c) * height + y + r) * width + x0;
            input.set(x.subarray(from, from + w), (((j * batch + b) * channels + c) * h + r) * w);
          }
        }
        const embeddings = job.entry.embeddings;
        for (let rep = 0; rep < tokens / job.entry.tokens; rep++) context.set(embeddings, ((j * batch + b) * tokens + rep * job.entry.tokens) * dim);
      }
    });
    let added: { textEmbeds: Float32Array; timeIds: Float32Array } | undefined;
    if (first.entry.added) {
      const p = first.entry.added.textEmbeds.length, q = first.entry.added.timeIds.length;
      added = { textEmbeds: new Float32Array(n * p), timeIds: new Float32Array(n * q) };
      picked.forEach((job, j) => {
        for (let b = 0; b < batch; b++) {
          added!.textEmbeds.set(job.entry.added!.textEmbeds, (j * batch + b) * p);
          added!.timeIds.set(job.entry.added!.timeIds, (j * batch + b) * q);
        }
      });
    }
    const cropShape: LatentShape = [n, channels, h, w];
    const controls = first.entry.control ? controlsAt(first.entry.control, sigma, n, h, w, picked.length) : [];
    const output = await unet(ms.calculateInput(input, sigma), cropShape, timestep, context, added, controls.length > 0 ? controls : undefined);
    if (output.length !== input.length) throw new Error(`sampling: the model returned ${output.length} values for an input of ${input.length}.`);
    const denoised = ms.calculateDenoised(sigma, output, input);
    picked.forEach((job, j) => {
      const [, , y, x0] = job.crop;
      const sum = sums[job.list];
      const count = counts[job.list];
      for (let b = 0; b < batch; b++) {
        for (let c = 0; c < channels; c++) {
          for (let r = 0; r < h; r++) {
            for (let col = 0; col < w; col++) {
              const to = ((b * channels + c) * height + y + r) * width + x0 + col;
              const weight = job.weight[r * w + col];
              sum[to] += denoised[(((j * batch + b) * channels + c) * h + r) * w + col] * weight;
              count[to] += weight;
            }
          }
        }
      }
    });
  }
  return sums.map((sum, i) => sum.map((v, k) => v / counts[i][k]));
}

/** ComfyUI's CFGGuider for one step: x0 = uncond + (cond - uncond) * cfg (the negative skipped when cfg is 1). */
export async function guidedPrediction(
  unet: UNetCall,
  ms: ModelSampling,
  conditioning: { positive: PreparedEntry[]; negative?: PreparedEntry[] },
  cfg: number,
  x: Float32Array,
  shape: LatentShape,
  sigma: number,
): Promise<Float32Array> {
  const negative = isCloseToOne(cfg) || !conditioning.negative ? null : conditioning.negative;
  const [cond, uncond] = await predictLists(unet, ms, [conditioning.positive, negative], x, shape, sigma);
  const out = new Float32Array(x.length);
  for (let k = 0; k < out.length; k++) out[k] = uncond[k] + f(cond[k] - uncond[k]) * cfg;
  return out;
}

/** math.isclose(cfg, 1.0) with Python's default rel_tol 1e-9. */
export function isCloseToOne(cfg: number): boolean {
  return Math.abs(cfg - 1) <= 1e-9 * Math.max(Math.abs(cfg), 1);
}
