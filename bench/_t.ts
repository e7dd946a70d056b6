import { estimateUnetMemory, estimateVaeDecodeMemory, estimateVaeDecodeTiledMemory } from '../native/index.ts';
import { SD15_UNET, SD15_VAE } from '../test/helpers/sd15-configs.ts';
const time = (name: string, fn: () => unknown) => { fn(); const ts: number[] = []; for (let i = 0; i < 5; i++) { const t = performance.now(); fn(); ts.push(performance.now() - t); } ts.sort((a, b) => a - b); console.log(name, ts[2].toFixed(2), 'ms'); };
time('unet 128 naive', () => estimateUnetMemory(SD15_UNET, { batch: 2, latentHeight: 128, latentWidth: 128, attention: 'naive' }));
time('unet 128 flash', () => estimateUnetMemory(SD15_UNET, { batch: 2, latentHeight: 128, latentWidth: 128, attention: 'flash' }));
time('vae 128', () => estimateVaeDecodeMemory(SD15_VAE, { batch: 1, latentHeight: 128, latentWidth: 128, attention: 'flash' }));
for (const tile of [64, 32, 8, 4, 1]) time(`tiled 128 tile ${tile}`, () => estimateVaeDecodeTiledMemory(SD15_VAE, { batch: 1, latentHeight: 128, latentWidth: 128, attention: 'flash', tile }));
