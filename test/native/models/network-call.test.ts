// Every network call's memory estimate is a measure pass of the call's own code
// (native/src/models/network_call.h), so the calls that never had a hand-written estimate get one that
// equals the measured arena peak too: the VAE encoder and the text encoder. Also: a refusal over the
// memory limit names the call, and estimates from a configuration equal those of the loaded model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  encodeText,
  estimateTextEncodeMemory,
  estimateUnetMemory,
  estimateVaeEncodeMemory,
  isNativeError,
  loadModel,
  native,
  vaeEncode,
  type ModelHandle,
} from '../../../native/index.ts';

async function measuredPeak(run: () => Promise<unknown>): Promise<number> {
  native.memoryPeakReset();
  const base = native.memoryStats().activationsCurrent;
  await run();
  return native.memoryStats().activationsPeak - base;
}

describe.each(['test/fixtures/tiny-sd', 'models/diffusers/shapes-sd'])('network calls of %s', (path) => {
  let model: ModelHandle;
  beforeAll(async () => {
    model = await loadModel(path);
  });
  afterAll(() => model.dispose());

  it.each([
    [1, 64, 64],
    [2, 40, 24],
  ])('VAE encode, batch %i, %ix%i image: the estimate equals the measured peak', async (batch, h, w) => {
    const image = new Float32Array(batch * 3 * h * w).map((_, i) => Math.sin(i * 0.05));
    for (const attention of ['naive', 'flash'] as const) {
      const estimate = estimateVaeEncodeMemory(model, { batch, imageHeight: h, imageWidth: w, attention });
      expect(estimate.peakBytes, attention).toBe(await measuredPeak(() => vaeEncode(model, image, [batch, 3, h, w], { attention })));
      expect(estimate.breakdown.outputBytes).toBe(2 * Math.ceil((batch * 4 * (h / 8) * (w / 8) * 4) / 64) * 64); // mean + logvar
    }
  });

  it.each([1, 2])('text encoder, %i prompts: the estimate equals the measured peak', async (batch) => {
    const tokens = model.info.clip!.max_position_embeddings;
    const ids = new Int32Array(batch * tokens).map((_, i) => (i * 7) % 1000);
    const estimate = estimateTextEncodeMemory(model, { batch, tokens });
    expect(estimate.peakBytes).toBe(await measuredPeak(() => encodeText(model, ids)));
    expect(estimateTextEncodeMemory(model.info.clip!, { batch, tokens })).toEqual(estimate);
  });

  it('from the configuration alone equals the estimate of the loaded model', () => {
    const query = { batch: 2, latentHeight: 24, latentWidth: 16, attention: 'sliced' as const };
    expect(estimateUnetMemory(model.info.unet, query)).toEqual(estimateUnetMemory(model, query));
  });

  it('a text encoder run over its memory limit is refused before it allocates, naming the call', async () => {
    const tokens = model.info.clip!.max_position_embeddings;
    const estimate = estimateTextEncodeMemory(model, { batch: 1, tokens });
    native.memoryPeakReset();
    const error = await encodeText(model, new Int32Array(tokens), { memoryLimitBytes: estimate.peakBytes - 1 }).catch((e: unknown) => e);
    expect(isNativeError(error) && error.code).toBe('SDN_STATUS_OUT_OF_MEMORY');
    expect((error as Error).message).toMatch(/^text encoder: 1 prompt of \d+ tokens, needs ~.* over the budget of .*: encode fewer prompts at once$/);
    expect(native.memoryStats().activationsPeak).toBe(native.memoryStats().activationsCurrent);
  });
});
