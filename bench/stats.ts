/** Summaries of repeated measurements for the bench scripts. */

/** The median (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Milliseconds `work` takes, `samples` times (after one warm-up call). */
export async function timeMs(work: () => unknown, samples: number): Promise<number[]> {
  await work();
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    await work();
    out.push(performance.now() - started);
  }
  return out;
}
