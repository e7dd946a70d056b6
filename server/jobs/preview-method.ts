/**
 * A run's preview method (ComfyUI's): the server's `--preview-method` (ComfyUI's default: none) unless the
 * prompt chooses its own in `extra_data.preview_method`. It decides whether ComfyUI's /ws clients get binary
 * step previews, and how previews are made (nodes/sampling/step-preview.ts: latent2rgb, or TAESD's decoder).
 * The editor's own socket.io stream always carries previews: a run with `none` still shows latent2rgb ones there.
 *
 * @example
 *   comfyPreviews({ preview_method: 'auto' }, 'none');   // true
 *   comfyPreviews({}, 'none');                            // false
 */
import { PREVIEW_METHODS, type PreviewMethod } from '../../nodes/sampling/step-preview.ts';

export { PREVIEW_METHODS, type PreviewMethod };

export function isPreviewMethod(value: unknown): value is PreviewMethod {
  return typeof value === 'string' && (PREVIEW_METHODS as readonly string[]).includes(value);
}

/** The run's method: its extra_data's when that names one (ComfyUI also takes "default"), else the server's. */
export function previewMethodOf(extra: Record<string, unknown> | undefined, serverDefault: PreviewMethod): PreviewMethod {
  const chosen = extra?.preview_method;
  return isPreviewMethod(chosen) ? chosen : serverDefault;
}

/** How the run's nodes make previews: its method, with `none` (no /ws previews) still latent2rgb for the editor. */
export function renderedPreviewMethod(extra: Record<string, unknown> | undefined, serverDefault: PreviewMethod): PreviewMethod {
  const method = previewMethodOf(extra, serverDefault);
  return method === 'none' ? 'latent2rgb' : method;
}

/** Whether /ws sends binary previews for a run with this extra_data. */
export function comfyPreviews(extra: Record<string, unknown> | undefined, serverDefault: PreviewMethod): boolean {
  return previewMethodOf(extra, serverDefault) !== 'none';
}
