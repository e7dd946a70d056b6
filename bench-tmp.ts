import { loadModel, native, vaeDecode, vaeDecodeTiled } from './native/index.ts';
const model = await loadModel(process.argv[2], { weights: 'f32' });
const s = Number(process.argv[3]);
const latent = new Float32Array(4 * s * s).map((_, i) => Math.sin(i * 0.37));
const time = async (name: string, f: () => Promise<Float32Array>) => {
  native.memoryPeakReset(); const base = native.memoryStats().activationsCurrent;
  const t0 = performance.now(); const out = await f(); const ms = performance.now() - t0;
  console.log(`${name}: ${(ms / 1000).toFixed(2)} s, peak ${((native.memoryStats().activationsPeak - base) / 2 ** 20).toFixed(0)} MiB`);
  return out;
};
const plain = await time('plain', () => vaeDecode(model, latent, [1, 4, s, s], { attention: 'flash' }));
for (const tile of process.argv.slice(4).map(Number)) {
  const t = await time(`tiled ${tile}`, () => vaeDecodeTiled(model, latent, [1, 4, s, s], { tile, attention: 'flash' }));
  let m = 0, d = 0; for (let i = 0; i < t.length; i++) { m = Math.max(m, Math.abs(plain[i])); d = Math.max(d, Math.abs(plain[i] - t[i])); }
  console.log(`  max|diff|/max|plain| = ${(d / m).toExponential(2)}`);
}
