/**
 * Runs sdn_ops_bench (bench/native/ops_bench.cc: the kernels timed from C++, built next to the addon)
 * and parses its JSON lines, for bench/gemm.ts, bench/conv-winograd.ts and bench/speed.ts.
 *
 * @example
 *   const rows = opsBench(['gemm', '--isa', 'avx512', '--threads', '2', '4096x320x320']);
 */
import { execFileSync } from 'node:child_process';

import { nativeProgram } from '../test/helpers/native-programs.ts';

export type Isa = 'portable' | 'avx2' | 'avx512';

/** One measurement: a gemm (M, K, N) or a conv (spec, algo), with its median / best wall time and CPU seconds per call. */
export interface OpsBenchRow {
  op: 'gemm' | 'conv';
  M?: number;
  K?: number;
  N?: number;
  spec?: string;
  algo?: 'direct' | 'winograd';
  isa: Isa;
  threads: number;
  dtype: 'f32' | 'f16' | 'bf16';
  precision: 'fp32' | 'bf16';
  gflop: number;
  median_ms: number;
  min_ms: number;
  cpu_s: number;
  workspace_bytes?: number;
  rel_diff_vs_direct?: number;
}

export function opsBench<T = OpsBenchRow>(args: string[]): T[] {
  const text = execFileSync(nativeProgram('sdn_ops_bench'), args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  return text.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as T);
}

/** The core clock while busy, in GHz (turbo included), measured by a chain of dependent adds. */
export function clockGHz(): number {
  return opsBench<{ clock_ghz: number }>(['clock'])[0].clock_ghz;
}

/**
 * GFLOP/s of register-only loops on `threads` threads: FMA on 256-bit vectors (fma256), on 512-bit
 * vectors (fma512) and AVX512_BF16 dot products (dpbf16), each where the CPU has it: the ceilings the
 * kernels are measured against.
 */
export function registerPeaks(threads: number): Partial<Record<'fma256' | 'fma512' | 'dpbf16', number>> {
  const out: Partial<Record<'fma256' | 'fma512' | 'dpbf16', number>> = {};
  for (const r of opsBench<{ loop: 'fma256' | 'fma512' | 'dpbf16'; gflops: number }>(['peak', '--threads', String(threads)])) out[r.loop] = r.gflops;
  return out;
}

/** The register peak a path's kernels can reach: fma256 (portable counts as that too), fma512, or dpbf16 for bf16 compute. */
export function peakOf(peaks: ReturnType<typeof registerPeaks>, isa: Isa, precision: 'fp32' | 'bf16'): number {
  if (precision === 'bf16') return peaks.dpbf16 ?? NaN;
  return (isa === 'avx512' ? peaks.fma512 : peaks.fma256) ?? NaN;
}
