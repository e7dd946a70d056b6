/**
 * Encoding pictures with the engine's VAE from a node (VAEEncode, VAEEncodeForInpaint, InpaintModelConditioning):
 * the posterior mean times the scaling factor, [B, C, H/f, W/f]; and ComfyUI's crop of a picture whose sides
 * are not multiples of the VAE's factor f (the centre part, (side % f) / 2 cut from the top and left).
 */
import { vaeEncode, vaeScaleFactor } from '../../native/index.ts';
import { imageToVae } from '../image/convert.ts';
import type { NodeContext } from '../schema.ts';
import type { ImageValue, LatentValue, VaeValue } from '../socket-values.ts';
import { vaeAttentionMode, withCancel } from './decode.ts';
import { taesdEncodePixels } from './taesd.ts';

/** The top-left corner and size of the part of an H x W picture the VAE encodes (multiples of `factor`). */
export function encodableWindow(height: number, width: number, factor: number): { top: number; left: number; height: number; width: number } {
  const h = Math.floor(height / factor) * factor;
  const w = Math.floor(width / factor) * factor;
  return { top: Math.floor((height % factor) / 2), left: Math.floor((width % factor) / 2), height: h, width: w };
}

/** The VAE's downscale factor (8 for SD and for TAESD). */
export function vaeFactor(vae: VaeValue): number {
  return vae.taesd ? vae.taesd.scaleFactor : vaeScaleFactor(vae.model.info.vae);
}

/**
 * An IMAGE cut to its encodable window (ComfyUI's VAE.vae_encode_crop_pixels: the centre part whose sides are
 * multiples of `factor`); the IMAGE itself when its sides already are. Throws when a side is under `factor`.
 */
export function cropToEncodable(pixels: ImageValue, factor: number): ImageValue {
  const [B, H, W] = pixels.shape;
  const window = encodableWindow(H, W, factor);
  if (window.height === 0 || window.width === 0) throw new Error(`the picture is ${W}x${H}; the VAE needs at least ${factor} pixels on each side. Resize it first (ImageScale).`);
  if (window.height === H && window.width === W) return pixels;
  const out = new Float32Array(B * window.height * window.width * 3);
  for (let b = 0; b < B; b++)
    for (let y = 0; y < window.height; y++) {
      const src = ((b * H + window.top + y) * W + window.left) * 3;
      out.set(pixels.data.subarray(src, src + window.width * 3), ((b * window.height + y) * window.width) * 3);
    }
  return { data: out, shape: [B, window.height, window.width, 3] };
}

/**
 * Encodes an IMAGE to a model-space LATENT, as ComfyUI's VAE.encode: sides that are not multiples of the VAE's
 * factor are cut to the centre part first ((side % f) / 2 pixels from the top and left), silently.
 */
export async function encodePixels(vae: VaeValue, image: ImageValue, ctx: NodeContext): Promise<LatentValue> {
  const f = vaeFactor(vae);
  const pixels = cropToEncodable(image, f);
  const [B, H, W] = pixels.shape;
  if (vae.taesd) {
    const samples = await taesdEncodePixels(vae.taesd, imageToVae(pixels.data, B, H, W), [B, 3, H, W], ctx);
    return { samples, shape: [B, vae.taesd.info.config.latent_channels, H / f, W / f] as const };
  }
  const { model } = vae;
  const { mean } = await withCancel(ctx.signal, (cancel) => vaeEncode(model, imageToVae(pixels.data, B, H, W), [B, 3, H, W], { attention: vaeAttentionMode(H / f, W / f), cancel }));
  const factor = model.info.vae.scaling_factor;
  return { samples: mean.map((v) => v * factor), shape: [B, model.info.vae.latent_channels, H / f, W / f] as const, scalingFactor: factor };
}
