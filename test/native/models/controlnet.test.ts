// ControlNet (native/src/models/controlnet) against the PyTorch reference of scripts/reference/make_controlnet.py
// (test/fixtures/controlnet: random weights for the tiny-sd UNet, f16 in the files), in lllyasviel's LDM layout
// (under "control_model." and bare) and diffusers' layout; the UNet with one and two stacked ControlNets; the
// memory estimate of UNet + ControlNets against the arena's measured peak (byte for byte); diff ControlNets; bad input.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  controlNetForward,
  type ControlNetHandle,
  estimateUnetMemory,
  isNativeError,
  loadControlNet,
  loadModel,
  type ModelHandle,
  native,
  type Shape4,
  unetForward,
} from '../../../native/index.ts';
import { maxAbs, maxAbsDiff, relativeMaxError } from '../../helpers/compare.ts';
import { f32, readSafetensors, writeSafetensors } from '../../helpers/safetensors.ts';

const dir = 'test/fixtures/controlnet';
const ldmFile = path.join(dir, 'controlnet_ldm.safetensors');
const diffusersFile = path.join(dir, 'controlnet_diffusers.safetensors');
const ref = readSafetensors(path.join(dir, 'reference.safetensors'));
const x = f32(ref, 'x');
const t = f32(ref, 't');
const context = f32(ref, 'context');
const hint = f32(ref, 'hint');
const hint1 = f32(ref, 'hint1'); // [1, 3, 128, 128]
const x16 = f32(ref, 'x16'); // [2, 4, 16, 16]: the broadcast and UNet cases (the script says why not 8x8)
const hint16 = f32(ref, 'hint16');
const shape: Shape4 = [2, 4, 8, 8];
const shape16: Shape4 = [2, 4, 16, 16];
const RESIDUALS = 12; // 1 + 4 levels x 2 layers + 3 down-samplers
// The fixtures' model tolerance (test/fixtures/README: ~1e-4 for f32 re-implementations), relative to max|ref|.
const BOUND = 1e-4;

const tmp = mkdtempSync(path.join(tmpdir(), 'lf-controlnet-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The same file with every tensor renamed (the data bytes as they are). */
function renamed(file: string, out: string, rename: (name: string) => string | null, extra?: Record<string, unknown>): string {
  const bytes = readFileSync(file);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown>;
  const next: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(header)) {
    const name = k === '__metadata__' ? k : rename(k);
    if (name) next[name] = v;
  }
  Object.assign(next, extra ?? {});
  let json = JSON.stringify(next);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  writeFileSync(out, Buffer.concat([head, Buffer.from(json), bytes.subarray(8 + n)]));
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1, exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function expectResiduals(out: { down: Float32Array[]; mid: Float32Array }, prefix: string, label: string) {
  expect(out.down.length).toBe(RESIDUALS);
  let worst = 0;
  out.down.forEach((r, k) => (worst = Math.max(worst, relativeMaxError(r, f32(ref, `${prefix}.${k}`)))));
  worst = Math.max(worst, relativeMaxError(out.mid, f32(ref, prefix === 'down' ? 'mid' : prefix.replace('down', 'mid'))));
  console.log(`ControlNet ${label}: worst residual max abs error = ${worst.toExponential(2)} x max|ref|`);
  expect(worst).toBeLessThanOrEqual(BOUND);
}

describe.each([
  { layout: 'LDM under "control_model."', file: () => ldmFile, expected: 'ldm' },
  { layout: 'LDM, bare names', file: () => renamed(ldmFile, path.join(tmp, 'bare.safetensors'), (k) => k.replace(/^control_model\./, '')), expected: 'ldm' },
  { layout: 'diffusers', file: () => diffusersFile, expected: 'diffusers' },
])('ControlNet, $layout', ({ file, expected }) => {
  let cn: ControlNetHandle;
  beforeAll(async () => {
    cn = await loadControlNet(file());
  });
  afterAll(() => cn.dispose());

  it('infers the configuration from the shapes', () => {
    expect(cn.info.layout).toBe(expected);
    const { info } = cn;
    if (info.kind !== 'controlnet') throw new Error(`expected a ControlNet, got a ${info.kind}`);
    expect(info.config.block_out_channels).toEqual([32, 64, 64, 64]);
    expect(info.config.cross_attention_dim).toBe(32);
    expect(info.config.conditioning_embedding_out_channels).toEqual([8, 16, 16, 32]);
    expect(cn.info.hintFactor).toBe(8);
    expect(cn.info.residuals).toBe(RESIDUALS + 1);
  });

  it(`residuals of a [2, 4, 8, 8] latent with a [2, 3, 64, 64] hint within ${BOUND} x max|ref|`, async () => {
    expectResiduals(await controlNetForward(cn, x, shape, t, context, hint, [2, 3, 64, 64]), 'down', 'hint per latent');
  });
});

describe('ControlNet behaviour', () => {
  let cn: ControlNetHandle;
  beforeAll(async () => {
    cn = await loadControlNet(ldmFile);
  });
  afterAll(() => cn.dispose());

  it('one hint for the whole batch broadcasts (ComfyUI passes a batch-1 hint as it is)', async () => {
    expectResiduals(await controlNetForward(cn, x16, shape16, t, context, hint1, [1, 3, 128, 128]), 'down1', 'one hint');
  });

  it('a 5x7 latent (a 40x56 hint; the down path rounds up as the UNet does)', async () => {
    const out = await controlNetForward(cn, f32(ref, 'x_odd'), [1, 4, 5, 7], Float32Array.of(250), f32(ref, 'context_odd'), f32(ref, 'hint_odd'), [1, 3, 40, 56]);
    expectResiduals(out, 'down_odd', '5x7');
  });

  it('every attention mode gives the naive result within 1e-5 x max|ref|', async () => {
    const naive = await controlNetForward(cn, x, shape, t, context, hint, [2, 3, 64, 64]);
    for (const attention of ['sliced', 'flash'] as const) {
      const out = await controlNetForward(cn, x, shape, t, context, hint, [2, 3, 64, 64], { attention });
      expect(maxAbsDiff(out.mid, naive.mid) / maxAbs(naive.mid)).toBeLessThanOrEqual(1e-5);
      out.down.forEach((r, k) => expect(maxAbsDiff(r, naive.down[k]) / maxAbs(naive.down[k])).toBeLessThanOrEqual(1e-5));
    }
  });

  it('refuses a hint that is not 8x the latent, naming both sizes', async () => {
    const error = await controlNetForward(cn, x, shape, t, context, new Float32Array(2 * 3 * 32 * 32), [2, 3, 32, 32]).catch((e: unknown) => e);
    expect(isNativeError(error) && error.code).toBe('SDN_STATUS_BAD_SHAPE');
    expect((error as Error).message).toMatch(/hint has shape \[2, 3, 32, 32\], expected \[1 or 2, 3, 64, 64\]/);
  });
});

describe('UNet with ControlNets', () => {
  let model: ModelHandle;
  let cn: ControlNetHandle;
  beforeAll(async () => {
    model = await loadModel('test/fixtures/tiny-sd');
    cn = await loadControlNet(diffusersFile);
  });
  afterAll(() => {
    cn.dispose();
    model.dispose();
  });

  const one = () => [{ controlnet: cn, hint: hint16, hintShape: [2, 3, 128, 128] as Shape4, strength: 0.8 }];
  const two = () => [...one(), { controlnet: cn, hint: hint1, hintShape: [1, 3, 128, 128] as Shape4, strength: 0.5, globalAveragePooling: true }];

  it(`without controls the UNet is unchanged; with one (strength 0.8) within ${BOUND} x max|ref|`, async () => {
    const plain = await unetForward(model, x16, shape16, t, context);
    expect(relativeMaxError(plain, f32(ref, 'eps_plain'))).toBeLessThanOrEqual(BOUND);
    const out = await unetForward(model, x16, shape16, t, context, { controls: one() });
    const err = relativeMaxError(out, f32(ref, 'eps_one'));
    console.log(`UNet + 1 ControlNet: max abs error = ${err.toExponential(2)} x max|ref|`);
    expect(err).toBeLessThanOrEqual(BOUND);
    expect(maxAbsDiff(out, plain)).toBeGreaterThan(100 * BOUND * maxAbs(plain)); // the control changed the prediction
  });

  it(`two stacked (0.8, and 0.5 with global average pooling on a shared hint) within ${BOUND} x max|ref|, in every attention mode`, async () => {
    for (const attention of ['naive', 'sliced', 'flash'] as const) {
      const out = await unetForward(model, x16, shape16, t, context, { controls: two(), attention });
      const err = relativeMaxError(out, f32(ref, 'eps_two'));
      console.log(`UNet + 2 ControlNets (${attention}): max abs error = ${err.toExponential(2)} x max|ref|`);
      expect(err).toBeLessThanOrEqual(BOUND);
    }
  });

  async function peakOf(run: () => Promise<unknown>) {
    native.memoryPeakReset();
    const base = native.memoryStats().activationsCurrent;
    await run();
    return native.memoryStats().activationsPeak - base;
  }

  it.each(['naive', 'flash'] as const)('the %s estimate of UNet + ControlNets equals the measured arena peak, and covers the ControlNets', async (attention) => {
    const query = { batch: 2, latentHeight: 16, latentWidth: 16, attention };
    const alone = estimateUnetMemory(model, query).peakBytes;
    const withOne = estimateUnetMemory(model, { ...query, controls: [{ controlnet: cn, hintBatch: 2 }] }).peakBytes;
    const withTwo = estimateUnetMemory(model, { ...query, controls: [{ controlnet: cn, hintBatch: 2 }, { controlnet: cn, hintBatch: 1 }] }).peakBytes;
    expect(withOne).toBeGreaterThan(alone);
    // the second ControlNet runs beside the first one's scaled residuals (the running sum), freed before the UNet
    expect(withTwo).toBeGreaterThanOrEqual(withOne);
    expect(withOne).toBe(await peakOf(() => unetForward(model, x16, shape16, t, context, { controls: one(), attention })));
    expect(withTwo).toBe(await peakOf(() => unetForward(model, x16, shape16, t, context, { controls: two(), attention })));
  });

  it('refuses a run over the memory limit up front, naming the ControlNets', async () => {
    const need = estimateUnetMemory(model, { batch: 2, latentHeight: 16, latentWidth: 16, attention: 'naive', controls: [{ controlnet: cn, hintBatch: 2 }, { controlnet: cn, hintBatch: 1 }] });
    const error = await unetForward(model, x16, shape16, t, context, { controls: two(), memoryLimitBytes: need.peakBytes - 1 }).catch((e: unknown) => e);
    expect(isNativeError(error) && error.code).toBe('SDN_STATUS_OUT_OF_MEMORY');
    expect((error as Error).message).toMatch(/^UNet with 2 ControlNets: naive attention at a 16x16 latent, batch 2, needs ~/);
  });
});

describe('ControlNet files', () => {
  it('a diff ControlNet (stored minus its UNet) loads with its model and gives the full one\'s residuals', async () => {
    // diff = ControlNet - tiny-sd UNet for every encoder weight the UNet has (LDM names), plus the "difference" marker
    const cnet = readSafetensors(ldmFile);
    const unet = readSafetensors('test/fixtures/tiny-sd/tiny-sd.safetensors');
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    let subtracted = 0;
    for (const [name, e] of cnet) {
      const values = Float32Array.from(e.data as Uint16Array, halfToFloat);
      const base = unet.get(name.replace(/^control_model\./, 'model.diffusion_model.'));
      if (base) {
        const b = base.data as Uint16Array;
        for (let i = 0; i < values.length; i++) values[i] -= halfToFloat(b[i]);
        subtracted++;
      }
      out.set(name, { shape: e.shape, data: values });
    }
    expect(subtracted).toBeGreaterThan(100);
    out.set('difference', { shape: [1], data: Float32Array.of(0) });
    const file = path.join(tmp, 'diff.safetensors');
    writeSafetensors(file, out);
    const refused = await loadControlNet(file).catch((e: unknown) => e);
    expect((refused as Error).message).toMatch(/diff ControlNet .* DiffControlNetLoader/);
    const model = await loadModel('test/fixtures/tiny-sd/tiny-sd.safetensors');
    const cn = await loadControlNet(file, { diffBase: model });
    try {
      expect(cn.info.difference).toBe(true);
      expectResiduals(await controlNetForward(cn, x, shape, t, context, hint, [2, 3, 64, 64]), 'down', 'diff');
    } finally {
      cn.dispose();
      model.dispose();
    }
  });

  it('refuses a whole checkpoint and a file with a missing tensor, naming them', async () => {
    const whole = await loadControlNet('test/fixtures/tiny-sd/tiny-sd.safetensors').catch((e: unknown) => e);
    expect(isNativeError(whole) && whole.code).toBe('SDN_STATUS_BAD_FORMAT');
    expect((whole as Error).message).toMatch(/whole checkpoint .* CheckpointLoaderSimple/);
    const partial = renamed(ldmFile, path.join(tmp, 'partial.safetensors'), (k) => (k === 'control_model.zero_convs.3.0.bias' ? `${k}_renamed` : k));
    const missing = await loadControlNet(partial).catch((e: unknown) => e);
    expect(isNativeError(missing) && missing.code).toBe('SDN_STATUS_MISSING_TENSOR');
    expect((missing as Error).message).toContain('"control_model.zero_convs.3.0.bias"');
  });
});
