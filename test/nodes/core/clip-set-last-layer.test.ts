// CLIPSetLastLayer: ComfyUI's stop_at_clip_layer (-1 the last layer, -2 the penultimate, ...) reaches the
// text encoder through CLIPTextEncode; beyond the encoder's layers it means the last layer, as in ComfyUI.
import { describe, expect, it } from 'vitest';

import { encodeText } from '../../../native/index.ts';
import clipSetLastLayer from '../../../nodes/core/clip-set-last-layer.ts';
import clipTextEncode from '../../../nodes/core/clip-text-encode.ts';
import { defaultClipTokenizer } from '../../../nodes/text/clip-tokenizer.ts';
import type { ClipValue } from '../../../nodes/socket-values.ts';
import { runNode, testContext } from '../../helpers/node-context.ts';
import { useTinyModel } from '../../helpers/tiny-model.ts';

describe('CLIPSetLastLayer', () => {
  const tiny = useTinyModel();
  const clip = (): ClipValue => ({ model: tiny.value.model, tokenizer: defaultClipTokenizer(), source: 'tiny-sd' });
  const encode = async (value: ClipValue) => (await clipTextEncode.run({ text: 'a red circle', clip: value }, testContext('CLIPTextEncode'))).CONDITIONING[0].embeddings;

  it('-2 encodes prompts from the penultimate layer (through the final norm); -1 is the default', async () => {
    const ids = Int32Array.from(defaultClipTokenizer().encode('a red circle').inputIds);
    const skip2 = await encode(runNode(clipSetLastLayer, { clip: clip(), stop_at_clip_layer: -2 }).CLIP);
    expect(Array.from(skip2)).toEqual(Array.from(await encodeText(tiny.value.model, ids, { clipSkip: 2 })));
    const last = await encode(runNode(clipSetLastLayer, { clip: clip(), stop_at_clip_layer: -1 }).CLIP);
    expect(Array.from(last)).toEqual(Array.from(await encode(clip())));
    expect(Array.from(skip2)).not.toEqual(Array.from(last));
  });

  it('a layer beyond the encoder (tiny-sd has 2) means the last layer, with a warning', async () => {
    const ctx = testContext('CLIPSetLastLayer');
    const beyond = runNode(clipSetLastLayer, { clip: clip(), stop_at_clip_layer: -12 }, ctx).CLIP;
    expect(beyond.clipSkip).toBe(1);
    expect(ctx.warnings[0]).toMatch(/-12 is beyond this text encoder's 2 layers; the last layer is used/);
  });
});
