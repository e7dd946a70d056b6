import { describe, expect, it } from 'vitest';

import { fmaF32 } from '../../../nodes/sampling/float32.ts';
import { rand, randn, TorchGenerator } from '../../../nodes/sampling/rng.ts';
import { readSafetensors } from '../../helpers/safetensors.ts';

const fixtures = readSafetensors(new URL('../../fixtures/expected/rng.safetensors', import.meta.url).pathname);

function expected(name: string): Float32Array {
  const tensor = fixtures.get(name);
  if (!tensor || tensor.dtype !== 'F32') throw new Error(`rng.safetensors has no F32 tensor "${name}"`);
  return tensor.data as Float32Array;
}

/** Number of positions whose float32 bit patterns differ. */
function bitMismatches(actual: Float32Array, wanted: Float32Array): number {
  expect(actual.length).toBe(wanted.length);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const b = new Uint32Array(wanted.buffer, wanted.byteOffset, wanted.length);
  let count = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) count++;
  return count;
}

describe('rng: torch.randn on the CPU generator, bit for bit', () => {
  const cases: [string, number[], number][] = [
    ['randn_1x4x8x8_seed0', [1, 4, 8, 8], 0],
    ['randn_1x4x8x8_seed42', [1, 4, 8, 8], 42],
    ['randn_1x4x8x8_seed123456789', [1, 4, 8, 8], 123456789],
    ['randn_1x4x64x64_seed42', [1, 4, 64, 64], 42],
    ['randn_2x4x12x8_seed7', [2, 4, 12, 8], 7],
    ['randn_16_seed0', [16], 0],
    // fewer than 16 values: torch's scalar normal_distribution<double> path
    ['randn_15_seed0', [15], 0],
    ['randn_7_seed0', [7], 0],
  ];
  it.each(cases)('%s: 0 differing bits', (name, shape, seed) => {
    expect(bitMismatches(randn(shape, new TorchGenerator(seed)), expected(name))).toBe(0);
  });

  it('two consecutive draws from one generator continue the same stream', () => {
    const generator = new TorchGenerator(42);
    expect(bitMismatches(randn([1, 4, 8, 8], generator), expected('seq_seed42_draw0_1x4x8x8'))).toBe(0);
    expect(bitMismatches(randn([1, 4, 8, 8], generator), expected('seq_seed42_draw1_1x4x8x8'))).toBe(0);
  });

  it('torch.rand: uniform [0, 1) bit for bit', () => {
    expect(bitMismatches(rand([1, 4, 8, 8], new TorchGenerator(42)), expected('rand_1x4x8x8_seed42'))).toBe(0);
  });

  it('a bigint seed uses the low 32 bits for the engine, like torch', () => {
    const big = randn([1, 4, 8, 8], new TorchGenerator((1n << 40n) + 42n));
    expect(bitMismatches(big, expected('randn_1x4x8x8_seed42'))).toBe(0);
    expect(() => new TorchGenerator(-1)).toThrow(/outside \[0, 2\^64\)/);
    expect(() => new TorchGenerator(2 ** 60)).toThrow(/bigint/);
  });

  it('the small-size path keeps Box-Muller\'s second value for the next small draw', () => {
    // randn(15) = 8 pairs: values 0..14 and one cached; randn(7) from a fresh generator is its first 7 values.
    const generator = new TorchGenerator(0);
    const first = randn([7], generator);
    const second = randn([8], generator);
    const fifteen = expected('randn_15_seed0');
    expect(bitMismatches(first, fifteen.subarray(0, 7))).toBe(0);
    expect(bitMismatches(second, fifteen.subarray(7, 15))).toBe(0);
    // manual_seed clears the cache: the 16th value would otherwise be returned first.
    generator.manualSeed(0);
    expect(bitMismatches(randn([7], generator), expected('randn_7_seed0'))).toBe(0);
  });

  it('a size that is not a multiple of 16 redraws and overwrites the last 16 values', () => {
    // 20 values: 20 uniforms, block [0, 16) transformed, then 16 fresh uniforms transformed into [4, 20).
    const generator = new TorchGenerator(3);
    const out = randn([20], generator);
    const reference = new TorchGenerator(3);
    const head = randn([16], reference); // same first 16 uniforms and block transform
    expect(bitMismatches(out.subarray(0, 4), head.subarray(0, 4))).toBe(0);
    for (let i = 0; i < 4; i++) reference.random(); // uniforms 16..19 of the first pass
    const tail = randn([16], reference);
    expect(bitMismatches(out.subarray(4, 20), tail)).toBe(0);
  });

  it('fmaF32 rounds once, also when the float64 sum lands exactly on a float32 midpoint', () => {
    // (1 + 2^-12)^2 = 1 + 2^-11 + 2^-24: the midpoint between 1 + 2^-11 (even) and 1 + 2^-11 + 2^-23.
    // + 2^-60 is lost in the float64 sum; two roundings give the even neighbour, one rounding goes up.
    const a = 1 + 2 ** -12;
    expect(Math.fround(a * a + 2 ** -60)).toBe(1 + 2 ** -11);
    expect(fmaF32(a, a, 2 ** -60)).toBe(1 + 2 ** -11 + 2 ** -23);
    // 3 * (1 + 2^-23) = 3 + 2^-22 + 2^-23: midpoint between 3 + 2^-22 (odd) and 3 + 2^-21 (even); - 2^-60 goes down.
    expect(Math.fround(3 * (1 + 2 ** -23) - 2 ** -60)).toBe(3 + 2 ** -21);
    expect(fmaF32(3, 1 + 2 ** -23, -(2 ** -60))).toBe(3 + 2 ** -22);
    expect(fmaF32(2, 3, 1)).toBe(7);
  });
});
