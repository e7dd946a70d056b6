/** Widget value rules, pure: numbers snapped to step and clamped to [min, max]; seed controls. */
import { type NumberInput } from '../../../protocol/index.ts';
import type { SeedControl } from './types.ts';

/** Largest seed the editor generates (JavaScript numbers are exact integers up to 2^53). */
export const SEED_MAX = Number.MAX_SAFE_INTEGER;

function decimals(x: number): number {
  const s = String(x);
  const e = s.indexOf('e-');
  if (e >= 0) return Number(s.slice(e + 2));
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

/**
 * A valid value for a number widget: integers rounded, snapped to `step` counted from `min` (or 0),
 * clamped to [min, max]; floats rounded to the precision of step/round so 0.1 + 0.2 shows as 0.3.
 * Not-a-number input gives the fallback (the previous value).
 *
 * @example
 *   clampNumber({ kind: 'int', min: 64, max: 2048, step: 8 }, 100, 512); // 96 (64 + 4 * 8)
 */
export function clampNumber(spec: Pick<NumberInput, 'kind' | 'min' | 'max' | 'step' | 'round'>, value: number, fallback: number): number {
  if (!Number.isFinite(value)) return fallback;
  let v = value;
  const origin = spec.min ?? 0;
  if (spec.step !== undefined && spec.step > 0 && (spec.kind === 'float' || Number.isInteger(spec.step))) {
    v = origin + Math.round((v - origin) / spec.step) * spec.step;
  }
  if (spec.kind === 'int') v = Math.round(v);
  if (spec.max !== undefined && v > spec.max) v = spec.max;
  if (spec.min !== undefined && v < spec.min) v = spec.min;
  if (spec.kind === 'float') {
    const places = Math.max(decimals(spec.step ?? 0), decimals(spec.round ?? 0), decimals(origin));
    v = Number(v.toFixed(Math.min(Math.max(places, 0), 10)));
  } else if (spec.kind === 'int' && spec.max === undefined && v > SEED_MAX) v = SEED_MAX;
  return v;
}

/** One step up or down (the widget's arrows), clamped. */
export function stepNumber(spec: Pick<NumberInput, 'kind' | 'min' | 'max' | 'step' | 'round'>, value: number, direction: 1 | -1): number {
  const step = spec.step ?? (spec.kind === 'int' ? 1 : 0.1);
  return clampNumber(spec, value + direction * step, value);
}

/**
 * The seed to use for the next run under `control` (applied before queueing, so the widget always
 * shows the seed the last run used). `random` returns a number in [0, 1).
 */
export function nextSeed(control: SeedControl, value: number, spec: Pick<NumberInput, 'min' | 'max'>, random: () => number = Math.random): number {
  const min = spec.min ?? 0;
  const max = Math.min(spec.max ?? SEED_MAX, SEED_MAX);
  switch (control) {
    case 'fixed':
      return value;
    case 'increment':
      return value + 1 > max ? min : value + 1;
    case 'decrement':
      return value - 1 < min ? max : value - 1;
    case 'randomize': {
      // Seeds below 2^48: plenty of variety, and short enough to read and type back.
      const top = Math.min(max, 2 ** 48 - 1);
      return min + Math.floor(random() * (top - min + 1));
    }
  }
}
