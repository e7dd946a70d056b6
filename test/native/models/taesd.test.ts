// TAESD (native/src/models/taesd) against the PyTorch reference of scripts/reference/make_taesd.py on
// random weights (test/fixtures/taesd, SD's layout at 16 channels), its memory estimate against the
// arena's measured peak (byte for byte), ComfyUI's prefixed names, and bad files.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { estimateTaesdMemory, isNativeError, loadTaesd, native, taesdDecode, taesdEncode, type TaesdHandle } from '../../../native/index.ts';
import { relativeMaxError } from '../../helpers/compare.ts';
import { f32, readSafetensors, writeSafetensors } from '../../helpers/safetensors.ts';

const dir = 'test/fixtures/taesd';
const encoderFile = path.join(dir, 'taesd_encoder.safetensors');
const decoderFile = path.join(dir, 'taesd_decoder.safetensors');
const reference = readSafetensors(path.join(dir, 'reference.safetensors'));
const config = { encoder_block_out_channels: [16, 16, 16, 16], decoder_block_out_channels: [16, 16, 16, 16] };

describe.each([
  { weights: 'f32' as const, bound: 1e-4 },
  { weights: 'f16' as const, bound: 2e-2 },
])('TAESD, $weights weights', ({ weights, bound }) => {
  let taesd: TaesdHandle;
  beforeAll(async () => {
    taesd = await loadTaesd({ encoder: encoderFile, decoder: decoderFile, weights, config });
  });
  afterAll(() => taesd.dispose());

  it(`decodes latent [1, 4, 8, 8] to [1, 3, 64, 64] within ${bound} x max|ref|`, async () => {
    const out = await taesdDecode(taesd, f32(reference, 'latent'), [1, 4, 8, 8]);
    const err = relativeMaxError(out, f32(reference, 'decoded'));
    console.log(`TAESD (${weights}) decode: max abs error = ${err.toExponential(2)} x max|ref|`);
    expect(err).toBeLessThanOrEqual(bound);
  });

  it(`encodes image [1, 3, 64, 64] to [1, 4, 8, 8] within ${bound} x max|ref|`, async () => {
    const out = await taesdEncode(taesd, f32(reference, 'image'), [1, 3, 64, 64]);
    const err = relativeMaxError(out, f32(reference, 'encoded'));
    console.log(`TAESD (${weights}) encode: max abs error = ${err.toExponential(2)} x max|ref|`);
    expect(err).toBeLessThanOrEqual(bound);
  });
});

describe('TAESD memory estimate', () => {
  let taesd: TaesdHandle;
  beforeAll(async () => {
    taesd = await loadTaesd({ encoder: encoderFile, decoder: decoderFile, config });
  });
  afterAll(() => taesd.dispose());

  async function peakOf(run: () => Promise<unknown>) {
    native.memoryPeakReset();
    const base = native.memoryStats().activationsCurrent;
    await run();
    return native.memoryStats().activationsPeak - base;
  }

  it.each([
    [1, 8, 8],
    [2, 9, 5],
  ])('batch %i, %ix%i latent: decode and encode equal the measured arena peak', async (batch, h, w) => {
    const latent = new Float32Array(batch * 4 * h * w).map((_, i) => Math.sin(i * 0.37));
    const decode = estimateTaesdMemory(taesd, 'decode', { batch, height: h, width: w });
    expect(decode.peakBytes).toBe(await peakOf(() => taesdDecode(taesd, latent, [batch, 4, h, w])));
    const image = new Float32Array(batch * 3 * 8 * h * 8 * w).map((_, i) => 0.5 + 0.5 * Math.sin(i * 0.11));
    const encode = estimateTaesdMemory(taesd, 'encode', { batch, height: 8 * h, width: 8 * w });
    expect(encode.peakBytes).toBe(await peakOf(() => taesdEncode(taesd, image, [batch, 3, 8 * h, 8 * w])));
    // the configuration alone gives the same figure as the loaded network
    expect(estimateTaesdMemory(config, 'decode', { batch, height: h, width: w }).peakBytes).toBe(decode.peakBytes);
  });

  it.each([
    [1, 34, 20], // 272 rows: strips of 96, the last one shorter
    [2, 33, 9],
  ])('batch %i, %ix%i latent (the last level in strips): decode and encode equal the measured arena peak', async (batch, h, w) => {
    const latent = new Float32Array(batch * 4 * h * w).map((_, i) => Math.sin(i * 0.37));
    const decode = estimateTaesdMemory(taesd, 'decode', { batch, height: h, width: w });
    expect(decode.peakBytes).toBe(await peakOf(() => taesdDecode(taesd, latent, [batch, 4, h, w])));
  });

  it('refuses a decode over the memory limit before allocating, naming the estimate', async () => {
    const estimate = estimateTaesdMemory(taesd, 'decode', { batch: 1, height: 8, width: 8 });
    const error = await taesdDecode(taesd, new Float32Array(256), [1, 4, 8, 8], { memoryLimitBytes: estimate.peakBytes - 1 }).catch((e: unknown) => e);
    expect(isNativeError(error) && error.code).toBe('SDN_STATUS_OUT_OF_MEMORY');
    expect((error as Error).message).toMatch(/^TAESD decode: a 8x8 latent, batch 1, needs ~/);
  });

  it('SD 1.x TAESD at 512x512 (64 channels) needs ~120 MiB: the last level runs in strips of rows', () => {
    const e = estimateTaesdMemory({}, 'decode', { batch: 1, height: 64, width: 64 });
    // The last level's input (a 64-channel 512x512 map, 64 MiB) stays whole; its Block's three maps are
    // held for a 96-row strip (and its halo) at a time, not for the whole picture (3 x 64 MiB).
    expect(e.peakBytes).toBeGreaterThanOrEqual(64 * 2 ** 20);
    expect(e.peakBytes).toBeLessThan(3 * 64 * 2 ** 20);
    console.log(`SD 1.x TAESD decode at 512x512: ${(e.peakBytes / 2 ** 20).toFixed(1)} MiB, peak at step ${e.breakdown.at}`);
  });
});

describe('TAESD files', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'taesd-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("reads ComfyUI's prefixed names (taesd_decoder.*) as madebyollin's", async () => {
    const plain = readSafetensors(decoderFile);
    const prefixed = new Map([...plain.keys()].map((name) => [`taesd_decoder.${name}`, { shape: [...plain.get(name)!.shape], data: f32(plain, name) }]));
    const file = path.join(tmp, 'prefixed.safetensors');
    writeSafetensors(file, prefixed);
    const taesd = await loadTaesd({ decoder: file, config });
    const out = await taesdDecode(taesd, f32(reference, 'latent'), [1, 4, 8, 8]);
    expect(relativeMaxError(out, f32(reference, 'decoded'))).toBeLessThanOrEqual(1e-4);
    expect(taesd.info.encoder).toBeNull();
    // a decoder alone cannot encode, and says what is missing
    await expect(taesdEncode(taesd, new Float32Array(3 * 64 * 64), [1, 3, 64, 64])).rejects.toThrow(/no encoder was loaded/);
    taesd.dispose();
  });

  it('refuses a file that is not a TAESD, naming the missing tensor', async () => {
    const file = path.join(tmp, 'other.safetensors');
    writeSafetensors(file, new Map([['decoder.conv_in.weight', { shape: [64, 4, 3, 3], data: new Float32Array(64 * 4 * 9) }]]));
    const error = await loadTaesd({ decoder: file }).catch((e: unknown) => e);
    expect(isNativeError(error) && error.code).toBe('SDN_STATUS_MISSING_TENSOR');
    expect((error as Error).message).toMatch(/1\.weight/);
  });

  it('refuses a shape other than the configuration says, naming the tensor', async () => {
    const error = await loadTaesd({ decoder: decoderFile }).catch((e: unknown) => e); // 16-channel file, SD's 64-channel default
    expect(isNativeError(error) && error.code).toBe('SDN_STATUS_BAD_SHAPE');
    expect((error as Error).message).toMatch(/1\.weight/);
  });
});

// The last level in strips of rows (taesd.cc, decode_last_level) against the whole level in one piece
// (LATENTFLOW_TAESD_STRIP_ROWS=0, read once: a child process), on the shipped SD 1.x TAESD (64 channels:
// its fp32 3x3 convolutions take Winograd's 4x4 tiles, which the strips keep aligned).
describe('TAESD decode in strips', () => {
  const shipped = 'models/vae_approx/taesd_decoder.safetensors';
  const [h, w] = [34, 20];
  const latent = new Float32Array(4 * h * w).map((_, i) => 2 * Math.sin(i * 0.13));

  it.each(native.cpuFeatures().bf16 ? (['fp32', 'bf16'] as const) : (['fp32'] as const))(
    'gives the bits of the whole-picture decode (%s)', async (precision) => {
      const taesd = await loadTaesd({ decoder: shipped });
      const strips = await taesdDecode(taesd, latent, [1, 4, h, w], { precision });
      taesd.dispose();
      const dir = mkdtempSync(path.join(tmpdir(), 'taesd-strips-'));
      try {
        writeFileSync(path.join(dir, 'latent.bin'), Buffer.from(latent.buffer));
        const script = `import('./native/index.ts').then(async (m) => {
          const fs = await import('node:fs');
          const latent = new Float32Array(fs.readFileSync(${JSON.stringify(path.join(dir, 'latent.bin'))}).buffer.slice(0));
          const t = await m.loadTaesd({ decoder: ${JSON.stringify(shipped)} });
          const out = await m.taesdDecode(t, latent, [1, 4, ${h}, ${w}], { precision: ${JSON.stringify(precision)} });
          fs.writeFileSync(${JSON.stringify(path.join(dir, 'whole.bin'))}, Buffer.from(out.buffer));
          t.dispose();
        })`;
        execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { env: { ...process.env, LATENTFLOW_TAESD_STRIP_ROWS: '0' } });
        const whole = new Float32Array(readFileSync(path.join(dir, 'whole.bin')).buffer.slice(0));
        expect(whole.length).toBe(3 * 8 * h * 8 * w);
        expect(Buffer.from(strips.buffer).equals(Buffer.from(whole.buffer))).toBe(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
});
