/**
 * Writes a ControlNet with the exact SD 1.5 ControlNet architecture (lllyasviel's control_v11p_sd15_*: the
 * UNet's encoder and mid block, the hint encoder 3 -> 16, 32, 96, 256 -> 320, 12 zero convolutions and the mid
 * block's), LDM names under "control_model." as ComfyUI saves them, f16, seeded random values (the
 * distributions of make-sd15-random.ts): for benchmarks without downloading one.
 *
 *   node --import tsx scripts/make-controlnet-random.ts OUT.safetensors [--seed N]
 */
import { pathToFileURL } from 'node:url';

import { SD15, sdTensorSpecs, type SdArchitecture, type TensorSpec, writeRandomTensors } from './make-sd15-random.ts';

const HINT_CHANNELS = [16, 32, 96, 256];

/** Every tensor of a ControlNet for the UNet of `arch` (LDM names, "control_model." prefix). */
export function controlnetTensorSpecs(arch: SdArchitecture): TensorSpec[] {
  const p = 'control_model.';
  const out: TensorSpec[] = [];
  for (const t of sdTensorSpecs(arch).unet) {
    const name = t.name.replace(/^model\.diffusion_model\./, '');
    if (/^(time_embed|input_blocks|middle_block)\./.test(name)) out.push({ ...t, name: p + name });
  }
  const affine = (name: string, shape: number[]) => {
    out.push({ name: `${p}${name}.weight`, shape, kind: 'weight' });
    out.push({ name: `${p}${name}.bias`, shape: [shape[0]], kind: 'bias' });
  };
  const u = arch.unet;
  const mc = u.modelChannels;
  const convs: Array<[number, number]> = [[3, HINT_CHANNELS[0]]];
  for (let i = 0; i + 1 < HINT_CHANNELS.length; i++) convs.push([HINT_CHANNELS[i], HINT_CHANNELS[i]], [HINT_CHANNELS[i], HINT_CHANNELS[i + 1]]);
  convs.push([HINT_CHANNELS.at(-1)!, mc]);
  convs.forEach(([cin, cout], j) => affine(`input_hint_block.${2 * j}`, [cout, cin, 3, 3]));
  const ch = u.channelMult.map((m) => m * mc);
  const widths = [mc];
  ch.forEach((c, level) => {
    for (let j = 0; j < u.numResBlocks; j++) widths.push(c);
    if (level < ch.length - 1) widths.push(c);
  });
  widths.forEach((c, k) => affine(`zero_convs.${k}.0`, [c, c, 1, 1]));
  affine('middle_block_out.0', [ch.at(-1)!, ch.at(-1)!, 1, 1]);
  return out;
}

/** Writes the SD 1.5-shaped random ControlNet; returns its size in bytes. */
export function writeRandomControlNet(file: string, seed = 0, arch: SdArchitecture = SD15, fill: 'random' | 'sparse' = 'random'): number {
  return writeRandomTensors(file, controlnetTensorSpecs(arch), `random weights with the SD 1.5 ControlNet structure, seed ${seed} (scripts/make-controlnet-random.ts)`, { seed, fill });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const out = args.find((a, i) => !a.startsWith('--') && (i === 0 || args[i - 1] !== '--seed'));
  const seedAt = args.indexOf('--seed');
  if (!out) {
    console.error('usage: node --import tsx scripts/make-controlnet-random.ts OUT.safetensors [--seed N]');
    process.exit(2);
  }
  const bytes = writeRandomControlNet(out, seedAt >= 0 ? Number(args[seedAt + 1]) : 0);
  console.log(`wrote ${out} (${(bytes / 2 ** 20).toFixed(0)} MiB)`);
}
