/**
 * Thread scaling of a UNet forward: 1 vs N threads, alternating call by call so both see the same
 * machine (other jobs come and go on a shared one), with wall time, the process's CPU seconds and
 * the op profile's cores per op family (CPU / wall: 2.0 = both threads busy) and GFLOP per CPU-second
 * of every call, and the call's system time and page faults (the activation arena reuses its pages
 * from call to call).
 *
 *   npm run bench:threads                                    # /tmp/sd15.safetensors, latent 64, batch 2, 2 rounds
 *   npm run bench:threads -- --latent 32 --rounds 3 --threads 2 --weights f16 --checkpoint PATH
 *
 * Prints one line per call and the scaling (median 1-thread wall / median N-thread wall) with the
 * load average: read it as "what the engine does" only when the load is near 0 (uptime).
 */
import os from 'node:os';

import { loadModel, native, unetForward, type WeightsDType } from '../native/index.ts';
import { option } from './args.ts';

const LATENT = Number(option('latent', '64'));
const ROUNDS = Number(option('rounds', '2'));
const THREADS = Number(option('threads', '2'));
const WEIGHTS = option('weights', 'f32') as WeightsDType;
const CHECKPOINT = option('checkpoint', '/tmp/sd15.safetensors');

function pseudoRandom(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 2;
  }
  return out;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

const model = await loadModel(CHECKPOINT, { weights: WEIGHTS });
const shape = [2, model.info.unet.in_channels, LATENT, LATENT] as const;
const latent = pseudoRandom(2 * model.info.unet.in_channels * LATENT * LATENT, 5);
const context = pseudoRandom(2 * 77 * model.info.unet.cross_attention_dim, 7); // [2, 77, cross-attention dim]
const timesteps = new Float32Array([999, 999]);
const forward = () => unetForward(model, latent, shape, timesteps, context, { attention: 'flash' });

console.log(`bench:threads  UNet ${LATENT}x${LATENT} batch 2, ${WEIGHTS} weights, flash; 1 vs ${THREADS} threads; load average ${load()}`);
native.profileCollect(true);
native.threadsSet(THREADS);
await forward(); // warm-up: weights paged in, arena blocks allocated

const walls = new Map<number, number[]>([[1, []], [THREADS, []]]);
for (let round = 0; round < ROUNDS; round++)
  for (const threads of [THREADS, 1]) {
    native.threadsSet(threads);
    const faults0 = process.resourceUsage().minorPageFault;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await forward();
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    walls.get(threads)!.push(wall);
    const ops = native.profileLast().ops.map((o) =>
      `${o.op} ${o.seconds.toFixed(3)} s x${(o.cpuSeconds / o.seconds).toFixed(2)}` + (o.flops > 0 ? ` ${(o.flops / 1e9 / o.cpuSeconds).toFixed(0)} GFLOP/CPU-s` : ''));
    const faults = process.resourceUsage().minorPageFault - faults0;
    console.log(`threads ${threads}: wall ${wall.toFixed(3)} s, CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s (system ${(cpu.system / 1e6).toFixed(2)} s, ` +
      `${faults} page faults), load ${load()}`);
    console.log(`  ${ops.join(', ')}`);
  }
native.profileCollect(false);
native.threadsSet(THREADS);
const one = median(walls.get(1)!), many = median(walls.get(THREADS)!);
console.log(`median wall: 1 thread ${one.toFixed(3)} s, ${THREADS} threads ${many.toFixed(3)} s; scaling ${(one / many).toFixed(2)}x; load average ${load()}`);
