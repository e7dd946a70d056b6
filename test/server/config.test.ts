// server/config.ts: --preview-method (ComfyUI's values) and LATENTFLOW_PREVIEW_METHOD, with the flag over the variable.
import { describe, expect, it } from 'vitest';

import { parseServeArgs } from '../../server/config.ts';

describe('--preview-method', () => {
  it("defaults to 'none' as ComfyUI does and takes ComfyUI's values from the flag or LATENTFLOW_PREVIEW_METHOD", () => {
    expect(parseServeArgs([], {}).previewMethod).toBe('none');
    expect(parseServeArgs([], { LATENTFLOW_PREVIEW_METHOD: 'auto' }).previewMethod).toBe('auto');
    expect(parseServeArgs(['--preview-method', 'taesd'], {}).previewMethod).toBe('taesd');
    expect(parseServeArgs([], { LATENTFLOW_PREVIEW_METHOD: 'none' }).previewMethod).toBe('none');
    expect(parseServeArgs(['--preview-method=latent2rgb'], { LATENTFLOW_PREVIEW_METHOD: 'none' }).previewMethod).toBe('latent2rgb');
  });

  it('refuses other values, naming the choices', () => {
    expect(() => parseServeArgs(['--preview-method', 'vae'], {})).toThrow(/--preview-method must be one of none, auto, latent2rgb, taesd, got "vae"/);
    expect(() => parseServeArgs([], { LATENTFLOW_PREVIEW_METHOD: 'x' })).toThrow(/LATENTFLOW_PREVIEW_METHOD must be one of/);
  });
});
