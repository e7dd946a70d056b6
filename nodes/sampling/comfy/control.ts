// ControlNets in sampling, as ComfyUI's comfy/controlnet.py runs them: per UNet call, every link of the batch's
// control chain (ControlNetApply / ControlNetApplyAdvanced, conditioning.ts ControlChain) whose range holds the
// step's sigma (skipped when sigma > percent_to_sigma(start) or sigma < percent_to_sigma(end)) runs on the call's
// latent with its hint, the first applied first; the engine sums strength x residuals and adds them to the UNet.
// The hint is resized to 8x the call's latent (an area's crop included) with nearest-exact after a center
// crop (common_upscale), and spread over the batch as broadcast_image_to does.

import type { ControlNetRef, UnetControl } from '../../../native/index.ts';
import { commonUpscale } from '../../image/resize.ts';
import type { Conditioning, ControlChain } from './conditioning.ts';
import type { ModelSampling } from './model-sampling.ts';

/** One chain resolved for a sampling run: its links, the first applied first, with their ranges in sigmas. */
export interface PreparedControl {
  links: { link: ControlChain; sigmaStart: number; sigmaEnd: number; hints: Map<string, { data: Float32Array; batch: number }> }[];
}

/** Resolves chains against the model sampling, one PreparedControl per chain object (identity is what batches). */
export function controlPreparer(ms: ModelSampling): (chain: ControlChain | undefined) => PreparedControl | undefined {
  const prepared = new Map<ControlChain, PreparedControl>();
  return (chain) => {
    if (!chain) return undefined;
    let p = prepared.get(chain);
    if (!p) {
      const links: PreparedControl['links'] = [];
      for (let link: ControlChain | undefined = chain; link; link = link.previous) {
        links.unshift({ link, sigmaStart: ms.percentToSigma(link.startPercent), sigmaEnd: ms.percentToSigma(link.endPercent), hints: new Map() });
      }
      p = { links };
      prepared.set(chain, p);
    }
    return p;
  };
}

/**
 * The ControlNets of a UNet call of `n` latents of h x w cells that batches `batched` conditions (cond and uncond
 * entries) at `sigma`: ComfyUI's get_control down the chain.
 */
export function controlsAt(control: PreparedControl, sigma: number, n: number, h: number, w: number, batched: number): UnetControl[] {
  const out: UnetControl[] = [];
  for (const entry of control.links) {
    if (sigma > entry.sigmaStart || sigma < entry.sigmaEnd) continue;
    const { link } = entry;
    const f = link.controlnet.hintFactor;
    const key = `${h}x${w}`;
    let hint = entry.hints.get(key);
    if (!hint) {
      const [b, c, hh, hw] = link.hintShape;
      const data = hh === f * h && hw === f * w ? link.hint : commonUpscale({ data: link.hint, n: b * c, h: hh, w: hw }, c, f * w, f * h, 'nearest-exact', 'center').data;
      hint = { data, batch: b };
      entry.hints.set(key, hint);
    }
    const c = link.hintShape[1];
    const item = c * f * h * f * w;
    const spread = broadcastToBatch(hint.data, hint.batch, item, n, batched);
    out.push({
      controlnet: link.controlnet,
      hint: spread.data,
      hintShape: [spread.batch, c, f * h, f * w],
      strength: link.strength,
      globalAveragePooling: link.globalAveragePooling,
    });
  }
  return out;
}

/**
 * ComfyUI's broadcast_image_to: a batch of one stays one (it broadcasts); otherwise the first target / batched
 * items (repeated, then the first ones, when fewer), the whole repeated `batched` times.
 */
export function broadcastToBatch(data: Float32Array, batch: number, itemSize: number, target: number, batched: number): { data: Float32Array; batch: number } {
  if (batch === 1 || batch === target) return { data, batch };
  const per = Math.floor(target / batched);
  const one = new Float32Array(per * itemSize);
  for (let i = 0; i < per; i++) {
    const from = i % Math.min(batch, per);
    one.set(data.subarray(from * itemSize, (from + 1) * itemSize), i * itemSize);
  }
  if (per === target) return { data: one, batch: per };
  const out = new Float32Array(target * itemSize);
  for (let k = 0; k < batched; k++) out.set(one, k * per * itemSize);
  return { data: out, batch: per * batched };
}

/**
 * The ControlNets the memory plan must count: the longest chain of any entry (a UNet call runs one chain), each
 * with its hint's batch in the call (1 stays 1, else the call's batch).
 */
export function controlsForPlan(lists: readonly Conditioning[], unetBatch: number): { controlnet: ControlNetRef; hintBatch: number }[] {
  let longest: { controlnet: ControlNetRef; hintBatch: number }[] = [];
  for (const list of lists) {
    for (const entry of list) {
      const links: { controlnet: ControlNetRef; hintBatch: number }[] = [];
      for (let link = entry.control; link; link = link.previous) links.push({ controlnet: link.controlnet, hintBatch: link.hintShape[0] === 1 ? 1 : unetBatch });
      if (links.length > longest.length) longest = links;
    }
  }
  return longest;
}

/**
 * A chain for the diffusers schedulers' loop (common-ksampler.ts), which runs every step with every ControlNet:
 * refused unless every link spans the whole schedule (start_percent 0, end_percent 1).
 */
export function prepareWholeSchedule(chain: ControlChain): PreparedControl {
  const links: PreparedControl['links'] = [];
  for (let link: ControlChain | undefined = chain; link; link = link.previous) {
    if (link.startPercent !== 0 || link.endPercent !== 1) {
      throw new Error(
        `a ControlNet with start_percent ${link.startPercent} / end_percent ${link.endPercent} needs a ComfyUI scheduler (e.g. "normal"); the diffusers schedulers apply ControlNets to the whole schedule (0 to 1).`,
      );
    }
    links.unshift({ link, sigmaStart: Infinity, sigmaEnd: -Infinity, hints: new Map() });
  }
  return { links };
}
