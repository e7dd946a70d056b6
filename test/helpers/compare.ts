/** Error figures for comparing engine outputs with reference tensors. */

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** max |a - ref| / max |ref|: the figure the model tolerances are stated in. */
export function relativeMaxError(actual: ArrayLike<number>, reference: ArrayLike<number>): number {
  return maxAbsDiff(actual, reference) / maxAbs(reference);
}
