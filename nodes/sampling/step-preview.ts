/**
 * Step previews as ComfyUI's --preview-method chooses them: 'none', 'latent2rgb' (the linear map of
 * preview.ts at latent size), 'taesd' (the first latent decoded by TAESD's decoder from
 * <models>/vae_approx/taesd_decoder.safetensors, at full size), 'auto' (ComfyUI's meaning: latent2rgb).
 * The host sets the method (HostServices.previewMethod; absent: 'auto', latentflow's previews so far).
 * With 'taesd' and no decoder file, previews fall back to latent2rgb with one warning, as ComfyUI does.
 *
 * A TAESD preview is decoded on the engine's worker thread while sampling goes on; a step that arrives
 * while one is being decoded is skipped (the next one is shown), and done() waits for the last, so no
 * preview arrives after the node's result.
 */
import fs from 'node:fs';
import path from 'node:path';

import { loadTaesd, taesdDecode, type TaesdHandle } from '../../native/index.ts';
import { encodePng } from '../image/png.ts';
import type { NodeContext } from '../schema.ts';
import { latentToRgbPreview } from './preview.ts';

export const PREVIEW_METHODS = ['none', 'auto', 'latent2rgb', 'taesd'] as const;
export type PreviewMethod = (typeof PREVIEW_METHODS)[number];

declare module '../schema.ts' {
  interface HostServices {
    /** ComfyUI's --preview-method (and a prompt's extra_data.preview_method, where the host passes it). */
    previewMethod?: PreviewMethod;
  }
}

export interface StepPreviewer {
  /** The x0 estimate of a step, [B, C, h, w] (model space); only the first latent is shown. */
  step(denoised: Float32Array): void;
  /** Resolves once the preview being decoded (if any) has been sent. */
  done(): Promise<void>;
}

/** TAESD decoders by file, loaded once per process (a few MB). */
const decoders = new Map<string, Promise<TaesdHandle>>();

/** <models>/vae_approx/taesd_decoder.safetensors, or undefined when there is none. */
export function taesdPreviewFile(modelsDir: string | undefined): string | undefined {
  if (!modelsDir) return undefined;
  const file = path.join(modelsDir, 'vae_approx', 'taesd_decoder.safetensors');
  return fs.existsSync(file) ? file : undefined;
}

function sendRgb(ctx: NodeContext, width: number, height: number, rgb: Uint8Array): void {
  ctx.preview({ mime: 'image/png', width, height, data: encodePng({ width, height, channels: 3, data: rgb }) });
}

/** TAESD's [1, 3, H, W] output in about [0, 1] -> interleaved RGB bytes (ComfyUI's preview_to_image rounding: trunc). */
export function taesdToRgb(pixels: Float32Array, height: number, width: number): Uint8Array {
  const plane = height * width, rgb = new Uint8Array(plane * 3);
  for (let p = 0; p < plane; p++)
    for (let c = 0; c < 3; c++) rgb[p * 3 + c] = Math.trunc(Math.min(Math.max(pixels[c * plane + p], 0), 1) * 255);
  return rgb;
}

export function stepPreviewer(ctx: NodeContext, shape: readonly [number, number, number, number]): StepPreviewer {
  const method = ctx.services.previewMethod ?? 'auto';
  const [, C, h, w] = shape;
  const latent2rgb: StepPreviewer = {
    step: (x0) => {
      const p = latentToRgbPreview(x0, h, w);
      sendRgb(ctx, p.width, p.height, p.rgb);
    },
    done: async () => {},
  };
  if (method === 'none') return { step: () => {}, done: async () => {} };
  if (method !== 'taesd') return latent2rgb;
  const file = taesdPreviewFile(ctx.services.paths?.models);
  if (!file) {
    ctx.log.warn('preview method taesd: no vae_approx/taesd_decoder.safetensors in the models directory; showing latent2rgb previews');
    return latent2rgb;
  }
  if (!decoders.has(file)) decoders.set(file, loadTaesd({ decoder: file }));
  let inFlight: Promise<void> | null = null;
  let failed = false;
  return {
    step(x0) {
      if (failed) return latent2rgb.step(x0);
      if (inFlight) return; // busy decoding the previous one: skip this step
      const first = x0.slice(0, C * h * w);
      inFlight = (async () => {
        try {
          const taesd = await decoders.get(file)!;
          const f = taesd.scaleFactor;
          const pixels = await taesdDecode(taesd, first, [1, C, h, w]);
          if (!ctx.signal.aborted) sendRgb(ctx, w * f, h * f, taesdToRgb(pixels, h * f, w * f));
        } catch (error) {
          ctx.log.warn(`TAESD preview failed (${(error as Error).message}); showing latent2rgb previews`);
          failed = true;
          latent2rgb.step(first);
        } finally {
          inFlight = null;
        }
      })();
    },
    done: async () => {
      await inFlight;
    },
  };
}
