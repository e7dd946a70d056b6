// server/jobs/preview-method.ts: a run's preview method (its extra_data's, else the server's) decides /ws
// previews and how the nodes make them; `none` still gives the editor's stream latent2rgb previews.
import { describe, expect, it } from 'vitest';

import { comfyPreviews, previewMethodOf, renderedPreviewMethod } from '../../../server/jobs/preview-method.ts';

describe('a run\'s preview method', () => {
  it('is the prompt\'s extra_data.preview_method when it names one, else the server\'s', () => {
    expect(previewMethodOf({ preview_method: 'taesd' }, 'none')).toBe('taesd');
    expect(previewMethodOf({ preview_method: 'default' }, 'latent2rgb')).toBe('latent2rgb');
    expect(previewMethodOf({}, 'auto')).toBe('auto');
    expect(previewMethodOf(undefined, 'none')).toBe('none');
  });

  it('sends /ws previews unless it is none', () => {
    expect(comfyPreviews({}, 'none')).toBe(false);
    expect(comfyPreviews({ preview_method: 'auto' }, 'none')).toBe(true);
    expect(comfyPreviews({ preview_method: 'none' }, 'taesd')).toBe(false);
  });

  it('renders latent2rgb previews for the editor when /ws gets none, and TAESD ones when asked', () => {
    expect(renderedPreviewMethod({}, 'none')).toBe('latent2rgb');
    expect(renderedPreviewMethod({ preview_method: 'taesd' }, 'none')).toBe('taesd');
    expect(renderedPreviewMethod({}, 'auto')).toBe('auto');
  });
});
