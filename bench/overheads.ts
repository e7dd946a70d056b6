/**
 * Fixed costs that must stay small whatever the model: the runner on a 10,000-node chain (validate,
 * order, find loops, execute, a rerun served from the cache), the result cache holding far more pinned
 * entries than its limit, and loading the CLIP tokenizer. The unit tests check what these do; this
 * measures how long they take (medians), next to the bound the unit tests once asserted.
 *
 *   npm run bench:overheads
 *   npm run bench:overheads -- --samples 9 --nodes 20000
 */
import os from 'node:os';

import { CLIPTokenizer } from '../nodes/text/clip-tokenizer.ts';
import { executeGraph, findCycles, NodeCache, orderGraph, validateGraph } from '../server/runner/index.ts';
import { chain, chainRegistry } from '../test/helpers/chain.ts';
import { option } from './args.ts';
import { median, timeMs } from './stats.ts';

const SAMPLES = Number(option('samples', '5'));
const NODES = Number(option('nodes', '10000'));

const registry = chainRegistry();
const graph = chain(NODES);
const loop = chain(NODES);
loop['0'].inputs.a = [String(NODES - 1), 0];
const warmCache = new NodeCache({ maxEntries: 2 * NODES });
await executeGraph(graph, registry, { cache: warmCache });

const rows: Array<{ what: string; ms: number[]; bound?: number }> = [
  { what: `validateGraph, ${NODES}-node chain`, ms: await timeMs(() => validateGraph(graph, registry), SAMPLES), bound: 2000 },
  { what: `orderGraph, ${NODES}-node chain`, ms: await timeMs(() => orderGraph(graph, [String(NODES - 1)]), SAMPLES) },
  { what: `findCycles, ${NODES}-node loop`, ms: await timeMs(() => findCycles(loop), SAMPLES) },
  { what: `executeGraph, ${NODES}-node chain, nothing cached`, ms: await timeMs(() => executeGraph(graph, registry, { cache: new NodeCache({ maxEntries: 2 * NODES }) }), SAMPLES) },
  { what: `executeGraph, ${NODES}-node chain, all cached`, ms: await timeMs(() => executeGraph(graph, registry, { cache: warmCache }), SAMPLES) },
  {
    what: 'NodeCache: pin 20,000 entries over a limit of 4, unpin, enforce the limit',
    ms: await timeMs(() => {
      const cache = new NodeCache({ maxEntries: 4 });
      for (let i = 0; i < 20_000; i++) cache.set(String(i), { nodeType: 'S', outputs: { v: i }, sizeBytes: 8 }, { pin: true });
      for (let i = 0; i < 20_000; i++) cache.unpin(String(i));
      cache.enforceLimits();
    }, SAMPLES),
    bound: 1000,
  },
  { what: 'CLIPTokenizer.load() (the shipped vocabulary and merges)', ms: await timeMs(() => CLIPTokenizer.load(), SAMPLES), bound: 2000 },
];

console.log(`\nOverheads: median of ${SAMPLES} runs after one warm-up (npm run bench:overheads -- --samples ${SAMPLES} --nodes ${NODES})`);
console.log(`machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown CPU'}; 1-minute load average ${os.loadavg()[0].toFixed(1)}`);
console.log('| what | median ms | min | max | bound a unit test used to assert |');
console.log('|---|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.what} | ${median(r.ms).toFixed(1)} | ${Math.min(...r.ms).toFixed(1)} | ${Math.max(...r.ms).toFixed(1)} | ${r.bound ?? '—'} |`);
