// A cheap step preview: ComfyUI's Latent2RGB for SD 1.x, a fixed linear map of the 4 latent channels to RGB at
// latent resolution (ComfyUI comfy/latent_formats.py SD15.latent_rgb_factors, no bias), then
// byte = trunc(clamp((v + 1) / 2, 0, 1) * 255) as in ComfyUI's preview_to_image.

/** rgb = sum over channels c of latent[c] * SD15_LATENT_RGB[c]; rows are channels 0..3, columns R, G, B. */
export const SD15_LATENT_RGB: readonly (readonly [number, number, number])[] = [
  [0.3512, 0.2297, 0.3227],
  [0.325, 0.4974, 0.235],
  [-0.2829, 0.1762, 0.2721],
  [-0.212, -0.2616, -0.7177],
];

export interface PreviewImage {
  width: number;
  height: number;
  /** Interleaved RGB bytes, row-major: (y * width + x) * 3 + channel. */
  rgb: Uint8Array;
}

/**
 * The preview of the first latent of a batch.
 * latent: [B, 4, H, W] (model-space latents, i.e. already multiplied by the VAE scaling factor), row-major.
 */
export function latentToRgbPreview(latent: Float32Array, height: number, width: number): PreviewImage {
  const plane = height * width;
  if (latent.length < 4 * plane) {
    throw new Error(`latent preview: ${latent.length} values cannot hold 4 channels of ${height}x${width}.`);
  }
  const rgb = new Uint8Array(plane * 3);
  for (let p = 0; p < plane; p++) {
    for (let channel = 0; channel < 3; channel++) {
      let value = 0;
      for (let c = 0; c < 4; c++) value += latent[c * plane + p] * SD15_LATENT_RGB[c][channel];
      const unit = Math.min(Math.max((value + 1) / 2, 0), 1);
      rgb[p * 3 + channel] = Math.trunc(unit * 255);
    }
  }
  return { width, height, rgb };
}
