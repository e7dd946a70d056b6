/**
 * What a real-size upscale model needs, and the tiles ImageUpscaleWithModel plans for it: an ESRGAN x4
 * (RRDBNet, 64 features, 32 growth channels, 23 RRDBs: RealESRGAN_x4plus's shape; zero weights, written to
 * a temporary file, since the estimate does not read them) on square pictures of 256, 512 and 1024 pixels,
 * batch 1: the one-piece working memory (a measure pass of the run itself, equal to the arena's peak) and
 * the plan under budgets of 4, 2 and 1 GiB (tile, margin, exact or not, estimate, time to plan).
 *
 *   LATENTFLOW_THREADS=2 npm run bench:upscale-memory
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { estimateUpscalerMemory, loadUpscaler } from '../native/index.ts';
import { planUpscaleTile } from '../nodes/models/upscale-plan.ts';
import { writeSafetensors } from '../test/helpers/safetensors.ts';

const nf = 64, gc = 32, nb = 23;
const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
const conv = (name: string, cin: number, cout: number) => {
  tensors.set(`${name}.weight`, { shape: [cout, cin, 3, 3], data: new Float32Array(cout * cin * 9) });
  tensors.set(`${name}.bias`, { shape: [cout], data: new Float32Array(cout) });
};
conv('conv_first', 3, nf);
for (let i = 0; i < nb; i++) for (let r = 1; r <= 3; r++) for (let k = 1; k <= 5; k++) conv(`body.${i}.rdb${r}.conv${k}`, nf + (k - 1) * gc, k === 5 ? nf : gc);
for (const name of ['conv_body', 'conv_up1', 'conv_up2', 'conv_hr']) conv(name, nf, nf);
conv('conv_last', nf, 3);
const dir = mkdtempSync(path.join(os.tmpdir(), 'upscale-memory-'));
const file = path.join(dir, 'esrgan-x4.safetensors');
writeSafetensors(file, tensors);
const up = await loadUpscaler(file, { weights: 'f16' });
const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
console.log(`ESRGAN x4 (nf ${nf}, gc ${gc}, ${nb} RRDBs): halo ${up.info.halo} pixels; load average ${os.loadavg()[0].toFixed(2)}`);
for (const side of [256, 512, 1024]) {
  const whole = estimateUpscalerMemory(up, { batch: 1, height: side, width: side, tile: 0 });
  console.log(`${side}x${side}: one piece ${mib(whole.peakBytes)} (peak at ${whole.breakdown.at})`);
  for (const gib of [4, 2, 1]) {
    const t = performance.now();
    try {
      const plan = planUpscaleTile(up, { batch: 1, height: side, width: side }, gib * 2 ** 30);
      const how = plan.tile === 0 ? 'one piece' : `tiles of ${plan.tile}, ${plan.exact ? `exact margin ${up.info.halo}` : `margin ${plan.margin}`}`;
      console.log(`  budget ${gib} GiB: ${how}, ${mib(plan.estimate.peakBytes)} (planned in ${(performance.now() - t).toFixed(0)} ms)`);
    } catch (e) {
      console.log(`  budget ${gib} GiB: refused: ${(e as Error).message}`);
    }
  }
}
up.dispose();
rmSync(dir, { recursive: true, force: true });
