/**
 * OpenBLAS sgemm as a GEMM baseline (bench/baseline/sgemm_openblas.c, compiled with cc against Debian's
 * libopenblas-dev; never linked into the addon). Debian's OpenBLAS 0.3.21 picks its Cooperlake
 * (AVX-512) kernels on these AMD VMs and has run at half its Haswell (AVX2) speed there, so each shape is
 * measured with both core types and each is reported.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface BlasTiming {
  median: number; // seconds
  min: number;
  max: number;
}

const ROOT = path.resolve(import.meta.dirname, '../..');
let binary: string | null | undefined;

function compile(log: (line: string) => void): string | null {
  if (binary !== undefined) return binary;
  const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'lf-openblas-')), 'sgemm_openblas');
  try {
    execFileSync('cc', ['-O2', path.join(ROOT, 'bench/baseline/sgemm_openblas.c'), '-o', out, '-lopenblas'], { stdio: 'pipe' });
    binary = out;
  } catch (error) {
    log(`OpenBLAS baseline unavailable (apt-get install libopenblas-dev): ${(error as Error).message.split('\n')[0]}`);
    binary = null;
  }
  return binary;
}

/**
 * Times each shape (M, K, N: C = A B^T, B the [N, K] weight) with OpenBLAS's own kernel choice and with
 * OPENBLAS_CORETYPE=Haswell; returns, per "MxKxN", { own, haswell, best } (best = the faster median).
 */
export function openblas(shapes: Array<[number, number, number]>, threads: number, runs: number, log: (line: string) => void = () => {}):
  Map<string, { own?: BlasTiming; haswell?: BlasTiming; best: BlasTiming }> {
  const result = new Map<string, { own?: BlasTiming; haswell?: BlasTiming; best: BlasTiming }>();
  const bin = compile(log);
  if (!bin) return result;
  for (const coretype of [undefined, 'Haswell']) {
    const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), ...(coretype ? { OPENBLAS_CORETYPE: coretype } : {}) };
    const text = execFileSync(bin, [String(runs), ...shapes.map(([M, K, N]) => `${M}x${K}x${N}`)], { env, encoding: 'utf8' });
    for (const line of text.trim().split('\n')) {
      const r = JSON.parse(line) as { M: number; K: number; N: number; median_ms: number; min_ms: number; max_ms: number };
      const key = `${r.M}x${r.K}x${r.N}`;
      const t = { median: r.median_ms / 1000, min: r.min_ms / 1000, max: r.max_ms / 1000 };
      const entry = result.get(key) ?? { best: t };
      if (coretype) entry.haswell = t;
      else entry.own = t;
      if (t.median < entry.best.median) entry.best = t;
      result.set(key, entry);
    }
  }
  return result;
}
