// Float32 arithmetic as PyTorch's x86 CPU build performs it, for bit-exact emulation in JS (numbers rounded
// with Math.fround after every operation torch rounds):
// * fmaF32: one fused multiply-add (GCC contracts a * b + c into vfmadd in the AVX2 kernels);
// * expF32: torch.exp on float32, which runs SLEEF's Sleef_expf8_u10 (error <= 1 ulp, not correctly rounded:
//   about 10% of results differ by 1 ulp from the correctly rounded value, and the fixtures show torch's).
// torch.log (SLEEF logf_u10) is nearly always correctly rounded; Math.fround(Math.log(x)) stands in for it.

const f = Math.fround;

/**
 * Single-rounding a * b + c for float32 operands (the result of one vfmadd lane). a * b is exact in float64
 * (48 significant bits); the float64 sum's own rounding error `err` (TwoSum) only matters when that sum falls
 * exactly halfway between two float32 values, where it decides the direction.
 */
export function fmaF32(a: number, b: number, c: number): number {
  const product = a * b;
  const sum = product + c;
  const bPart = sum - product;
  const err = product - (sum - bPart) + (c - bPart);
  const rounded = f(sum);
  if (err === 0 || rounded === sum) return rounded;
  const other = f(rounded + (sum - rounded) * 2); // the float32 neighbour on sum's side when sum is a midpoint
  if ((rounded + other) / 2 !== sum) return rounded;
  return err > 0 === other > rounded ? other : rounded;
}


const LN2_INVERSE = f(1.442695040888963407359924681001892137426645954152985934135449406931);
const LN2_UPPER = f(0.693145751953125);
const LN2_LOWER = f(1.428606765330187045e-6);
const EXP_POLY = [
  0.000198527617612853646278381, 0.00139304355252534151077271, 0.00833336077630519866943359,
  0.0416664853692054748535156, 0.166666671633720397949219, 0.5,
].map(f);

/**
 * SLEEF xexpf (the AVX2 build, FMA for every multiply-add): q = rint(d / ln 2), s = d - q ln2 in two parts,
 * exp(s) = 1 + s + s^2 * P(s), scaled by 2^q.
 */
export function expF32(d: number): number {
  if (Number.isNaN(d)) return NaN;
  if (d > 100) return Infinity;
  if (d < -104) return 0;
  const q = roundHalfEvenInt(f(d * LN2_INVERSE));
  let s = fmaF32(q, -LN2_UPPER, d);
  s = fmaF32(q, -LN2_LOWER, s);
  let u = EXP_POLY[0];
  for (let k = 1; k < EXP_POLY.length; k++) u = fmaF32(u, s, EXP_POLY[k]);
  u = f(1 + fmaF32(f(s * s), u, s));
  return f(u * 2 ** q);
}

function roundHalfEvenInt(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff !== 0.5) return Math.round(x);
  return floor % 2 === 0 ? floor : floor + 1;
}
