/**
 * Run by attention.test.ts in a child process with LATENTFLOW_ISA set (read once per process), so the
 * flash kernel of every path below the CPU's best is checked through the binding on this machine too.
 * Prints one JSON line: { isa, cases: [{ name, error }] } with error = relative error of flash vs naive.
 */
import { attention, native, type AttentionShape } from '../../../native/index.ts';
import { randomQKV, relativeError } from '../../helpers/attention.ts';
import { f32Tensor, readSafetensors } from '../../helpers/safetensors.ts';

const cases: { name: string; shape: AttentionShape; layout: 'bhtd' | 'bthd' }[] = [
  { name: 'self 77 x 40', shape: { B: 2, H: 3, Tq: 77, Tk: 77, D: 40 }, layout: 'bthd' },
  { name: 'cross 300 x 77, D 80', shape: { B: 1, H: 2, Tq: 300, Tk: 77, D: 80 }, layout: 'bhtd' },
  { name: 'one token, D 7', shape: { B: 1, H: 1, Tq: 1, Tk: 1, D: 7 }, layout: 'bhtd' },
  { name: 'tiles 129 x 257, D 8', shape: { B: 1, H: 2, Tq: 129, Tk: 257, D: 8 }, layout: 'bthd' },
];

const results: { name: string; error: number }[] = [];
for (const [i, c] of cases.entries()) {
  const { q, k, v } = randomQKV(c.shape, 100 + i);
  const naive = await attention('naive', q, k, v, c.shape, c.layout);
  const flash = await attention('flash', q, k, v, c.shape, c.layout);
  results.push({ name: c.name, error: relativeError(flash.out, naive.out) });
}
const fixture = readSafetensors(new URL('../../fixtures/expected/attention.safetensors', import.meta.url).pathname);
const shape = { B: 1, H: 2, Tq: 1024, Tk: 1024, D: 40 };
const flash = await attention('flash', f32Tensor(fixture, 'q'), f32Tensor(fixture, 'k'), f32Tensor(fixture, 'v'), shape);
results.push({ name: 'fixture', error: relativeError(flash.out, f32Tensor(fixture, 'out')) });

console.log(JSON.stringify({ isa: native.cpuFeatures().isa, cases: results }));
