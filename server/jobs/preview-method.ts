/**
 * ComfyUI's preview methods: whether its /ws clients get binary step previews. ComfyUI's default is
 * none (`--preview-method`); a prompt may choose its own in `extra_data.preview_method`. latentflow has
 * no TAESD decoder yet: `taesd` is accepted and previews as `latent2rgb` (what `auto` gives too).
 * The editor's own socket.io stream always carries previews.
 *
 * @example
 *   comfyPreviews({ preview_method: 'auto' }, 'none');   // true
 *   comfyPreviews({}, 'none');                            // false
 */
export const PREVIEW_METHODS = ['none', 'auto', 'latent2rgb', 'taesd'] as const;
export type PreviewMethod = (typeof PREVIEW_METHODS)[number];

export function isPreviewMethod(value: unknown): value is PreviewMethod {
  return typeof value === 'string' && (PREVIEW_METHODS as readonly string[]).includes(value);
}

/** The run's method: its extra_data's when that names one (ComfyUI also takes "default"), else the server's. */
export function previewMethodOf(extra: Record<string, unknown> | undefined, serverDefault: PreviewMethod): PreviewMethod {
  const chosen = extra?.preview_method;
  return isPreviewMethod(chosen) ? chosen : serverDefault;
}

/** Whether /ws sends binary previews for a run with this extra_data. */
export function comfyPreviews(extra: Record<string, unknown> | undefined, serverDefault: PreviewMethod): boolean {
  return previewMethodOf(extra, serverDefault) !== 'none';
}
