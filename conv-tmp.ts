import { ops } from './native/index.ts';
const C = 128, S = 128;
const w = new Float32Array(C * C * 9).map((_, i) => Math.sin(i) * 0.05);
const x1 = new Float32Array(C * S * S).map((_, i) => Math.cos(i));
const x0 = new Float32Array(C * (S + 2) * (S + 2)).map((_, i) => Math.cos(i));
const t = (f: () => void) => { const t0 = performance.now(); f(); return performance.now() - t0; };
for (let r = 0; r < 4; r++) {
  const a = t(() => ops.conv2d({ x: x1, xShape: [1, C, S, S], w, wShape: [C, C, 3, 3], stride: 1, pad: 1 } as never));
  const b = t(() => ops.conv2d({ x: x0, xShape: [1, C, S + 2, S + 2], w, wShape: [C, C, 3, 3], stride: 1, pad: 0 } as never));
  console.log(`pad1 ${a.toFixed(0)} ms, pad0 ${b.toFixed(0)} ms`);
}
