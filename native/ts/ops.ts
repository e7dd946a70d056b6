/**
 * The ops family of the native engine (see native/src/binding/binding_ops.cc): every kernel,
 * callable as `impl: 'fast'` (the dispatched path: AVX2/FMA when the CPU has it), `'portable'` (the
 * plain C++ fast path, forced for the call; process-wide, so keep it to tests) or `'naive'` (the
 * specification). Used by tests and benchmarks; models call the kernels from C++.
 *
 * @example
 *   import { ops } from '../native/index.ts';
 *   const c = ops.gemm({ M: 2, N: 3, K: 4, a, b: weight, transB: true, bias });
 */
import { addon } from './core.ts';

export type OpsImpl = 'fast' | 'portable' | 'naive';
/** Storage type of a weight: f32 data in a Float32Array, f16/bf16 raw bits in a Uint16Array. */
export type WeightDtype = 'f32' | 'f16' | 'bf16';
export type Weights = Float32Array | Uint16Array;
export type ActivationKind = 'silu' | 'gelu' | 'gelu_tanh' | 'quick_gelu';
export type MathFn = 'exp' | 'erf' | 'erfc';
/** Which convolution conv2d runs for stride-1 3x3 kernels (see ops.convAlgoSet). */
export type ConvAlgoMode = 'auto' | 'direct' | 'winograd';

type F32 = Float32Array;
/** An opaque weight packed once by the engine (ops.packLinear / ops.packConv); freed by the GC. */
export type PackedWeightHandle = { readonly __packedWeight: unique symbol };
type Opt<T> = T | null;

/** Raw addon functions of this family (positional; outputs written into caller arrays). */
export interface OpsAddon {
  opsGemm(impl: OpsImpl, M: number, N: number, K: number, a: F32, lda: number, b: Weights, bDtype: WeightDtype,
    transB: boolean, ldb: number, c: F32, ldc: number, bias: Opt<F32>, accumulate: boolean): void;
  opsGemmAsync(impl: OpsImpl, M: number, N: number, K: number, a: F32, lda: number, b: Weights, bDtype: WeightDtype,
    transB: boolean, ldb: number, c: F32, ldc: number, bias: Opt<F32>, accumulate: boolean): Promise<void>;
  opsConv2d(impl: OpsImpl, x: F32, xShape: readonly number[], w: Weights, wDtype: WeightDtype, wShape: readonly number[], stride: number,
    pad: number, bias: Opt<F32>, residual: Opt<F32>, y: F32, upsample?: number): void;
  opsConv2dAsync(impl: OpsImpl, x: F32, xShape: readonly number[], w: Weights, wDtype: WeightDtype, wShape: readonly number[], stride: number,
    pad: number, bias: Opt<F32>, residual: Opt<F32>, y: F32, upsample?: number): Promise<void>;
  opsGroupNorm(impl: OpsImpl, x: F32, y: F32, B: number, C: number, S: number, groups: number, gamma: F32, beta: F32,
    eps: number, silu: boolean): void;
  opsRegionGather(impl: OpsImpl, x: F32, B: number, C: number, H: number, W: number, batchStride: number, y0: number, x0: number,
    rh: number, rw: number, upsample: number, groups: number, gamma: Opt<F32>, beta: Opt<F32>, eps: number, silu: boolean, out: F32): void;
  opsRegionScatter(tile: F32, dst: F32, B: number, C: number, H: number, W: number, batchStride: number, y0: number, x0: number,
    rh: number, rw: number, residual: Opt<F32>, groups: number): Float64Array | undefined;
  opsLayerNorm(impl: OpsImpl, x: F32, y: F32, M: number, D: number, gamma: F32, beta: F32, eps: number): void;
  opsActivation(impl: OpsImpl, kind: ActivationKind, x: F32, y: F32): void;
  opsGeglu(impl: OpsImpl, x: F32, y: F32, M: number, D: number): void;
  opsMath(fn: MathFn, x: F32, y: F32): void;
  opsSoftmaxRows(impl: OpsImpl, x: F32, M: number, N: number, scale: number): void;
  opsUpsampleNearest(impl: OpsImpl, x: F32, y: F32, B: number, C: number, H: number, W: number, Ho: number, Wo: number): void;
  opsConcatChannels(impl: OpsImpl, a: F32, Ca: number, b: F32, Cb: number, y: F32, B: number, S: number): void;
  opsBinary(impl: OpsImpl, op: 'add' | 'mul', a: F32, aShape: number[], b: F32, bShape: number[], y: F32): void;
  opsAdd(impl: OpsImpl, a: F32, b: F32, y: F32): void;
  opsAddPerChannel(impl: OpsImpl, x: F32, v: F32, B: number, C: number, S: number): void;
  opsScale(impl: OpsImpl, a: F32, s: number, y: F32): void;
  opsPackedCapSet(floats: number): number;
  opsConvAlgoSet(mode: ConvAlgoMode): ConvAlgoMode;
  opsConvPlan(xShape: readonly number[], wShape: readonly number[], stride: number, pad: number, upsample: number):
    { algo: 'direct' | 'winograd'; workspaceBytes: number };
  opsWinogradCapsSet(uFloats: number, vFloats: number, mFloats: number): [number, number, number];
  opsClockGHz(): number;
  opsPackLinear(N: number, K: number, b: Weights, bDtype: WeightDtype, transB: boolean, ldb: number): PackedWeightHandle;
  opsPackConv(w: Weights, wDtype: WeightDtype, wShape: readonly number[]): PackedWeightHandle;
  opsPackedInfo(packed: PackedWeightHandle): { rows: number; K: number; bytes: number };
  opsGemmPacked(M: number, a: F32, lda: number, packed: PackedWeightHandle, c: F32, ldc: number, bias: Opt<F32>,
    accumulate: boolean): void;
  opsConv2dPacked(x: F32, xShape: readonly number[], packed: PackedWeightHandle, KH: number, KW: number, stride: number,
    pad: number, bias: Opt<F32>, residual: Opt<F32>, y: F32): void;
}

export const opsAddon = addon as unknown as OpsAddon;

/** C[M, N] (+)= A[M, K] * op(B) + bias; op(B)[k][n] = transB ? B[n * ldb + k] : B[k * ldb + n]. */
export interface GemmArgs {
  M: number;
  N: number;
  K: number;
  a: F32;
  b: Weights;
  bDtype?: WeightDtype; // default: 'f32' for a Float32Array, else required
  transB?: boolean; // default false; a PyTorch Linear weight [N, K] is transB = true
  lda?: number; // defaults: K, (transB ? K : N), N
  ldb?: number;
  ldc?: number;
  c?: F32; // output (and input when accumulate); allocated when absent
  bias?: Opt<F32>;
  accumulate?: boolean;
  impl?: OpsImpl;
}

function gemmArgs(g: GemmArgs) {
  const trans = g.transB ?? false;
  const ldc = g.ldc ?? g.N;
  const c = g.c ?? new Float32Array(g.M === 0 ? 0 : (g.M - 1) * ldc + g.N);
  const dtype = g.bDtype ?? (g.b instanceof Float32Array ? 'f32' : undefined);
  if (!dtype) throw new TypeError('gemm: bDtype is required for Uint16Array weights ("f16" or "bf16")');
  return [g.impl ?? 'fast', g.M, g.N, g.K, g.a, g.lda ?? g.K, g.b, dtype, trans, g.ldb ?? (trans ? g.K : g.N), c, ldc,
    g.bias ?? null, g.accumulate ?? false] as const;
}

/** NCHW convolution (groups 1, dilation 1): x [B, Cin, H, W], w [Cout, Cin, KH, KW]. */
export interface Conv2dArgs {
  x: F32;
  xShape: [number, number, number, number];
  w: Weights;
  wDtype?: WeightDtype;
  wShape: [number, number, number, number];
  stride?: number; // default 1
  pad?: number; // default 0
  bias?: Opt<F32>;
  residual?: Opt<F32>; // same shape as y, added
  y?: F32;
  impl?: OpsImpl;
  /** Convolve the nearest-neighbour `upsample`x up-sampling of x (x as stored in xShape); default 1. */
  upsample?: number;
}

/** Output shape [B, Cout, Ho, Wo] of a convolution. */
export function conv2dOutShape(a: Pick<Conv2dArgs, 'xShape' | 'wShape' | 'stride' | 'pad' | 'upsample'>): [number, number, number, number] {
  const stride = a.stride ?? 1, pad = a.pad ?? 0, up = a.upsample ?? 1;
  const [B, , h, w] = a.xShape;
  const H = h * up, W = w * up;
  const [Cout, , KH, KW] = a.wShape;
  return [B, Cout, Math.floor((H + 2 * pad - KH) / stride) + 1, Math.floor((W + 2 * pad - KW) / stride) + 1];
}

function conv2dArgs(a: Conv2dArgs) {
  const [B, Cout, Ho, Wo] = conv2dOutShape(a);
  const y = a.y ?? new Float32Array(B * Cout * Ho * Wo);
  const dtype = a.wDtype ?? (a.w instanceof Float32Array ? 'f32' : undefined);
  if (!dtype) throw new TypeError('conv2d: wDtype is required for Uint16Array weights ("f16" or "bf16")');
  return [a.impl ?? 'fast', a.x, [...a.xShape], a.w, dtype, [...a.wShape], a.stride ?? 1, a.pad ?? 0, a.bias ?? null,
    a.residual ?? null, y, a.upsample ?? 1] as const;
}

/** Typed wrappers: each returns its output array (allocated unless given). */
export const ops = {
  gemm(args: GemmArgs): F32 {
    const a = gemmArgs(args);
    opsAddon.opsGemm(...a);
    return a[10];
  },
  /** The same on a worker thread (large shapes, benchmarks). */
  async gemmAsync(args: GemmArgs): Promise<F32> {
    const a = gemmArgs(args);
    await opsAddon.opsGemmAsync(...a);
    return a[10];
  },
  conv2d(args: Conv2dArgs): F32 {
    const a = conv2dArgs(args);
    opsAddon.opsConv2d(...a);
    return a[10];
  },
  async conv2dAsync(args: Conv2dArgs): Promise<F32> {
    const a = conv2dArgs(args);
    await opsAddon.opsConv2dAsync(...a);
    return a[10];
  },
  /** x, y: [B, C, S]; C % groups == 0; SiLU fused when `silu`. */
  groupNorm(x: F32, shape: { B: number; C: number; S: number }, groups: number, gamma: F32, beta: F32,
    opts: { eps?: number; silu?: boolean; y?: F32; impl?: OpsImpl } = {}): F32 {
    const y = opts.y ?? new Float32Array(x.length);
    opsAddon.opsGroupNorm(opts.impl ?? 'fast', x, y, shape.B, shape.C, shape.S, groups, gamma, beta, opts.eps ?? 1e-5,
      opts.silu ?? false);
    return y;
  },
  /**
   * The tiled decode's gather (native/src/ops/norm_stats.h): region [y0, y0 + rh) x [x0, x0 + rw) of
   * map x [B, C, H, W] (batch stride `batchStride`, default C*H*W) up-sampled `upsample` times, 0
   * outside; with `norm`, group-normalised by x's whole-image statistics. Returns [B, C, rh, rw].
   */
  regionGather(x: F32, map: { B: number; C: number; H: number; W: number; batchStride?: number },
    region: { y0: number; x0: number; rh: number; rw: number; upsample?: number },
    opts: { norm?: { groups: number; gamma: F32; beta: F32; eps: number; silu: boolean }; impl?: OpsImpl } = {}): F32 {
    const out = new Float32Array(map.B * map.C * region.rh * region.rw);
    const n = opts.norm;
    opsAddon.opsRegionGather(opts.impl ?? 'fast', x, map.B, map.C, map.H, map.W, map.batchStride ?? map.C * map.H * map.W,
      region.y0, region.x0, region.rh, region.rw, region.upsample ?? 1, n?.groups ?? 0, n?.gamma ?? null, n?.beta ?? null,
      n?.eps ?? 0, n?.silu ?? false, out);
    return out;
  },
  /**
   * The tiled decode's scatter: dst region := tile (+ residual, same layout as dst); returns the
   * written values' per-(batch, group) sums [sum | sum of squares] when groups > 0.
   */
  regionScatter(tile: F32, dst: F32, map: { B: number; C: number; H: number; W: number; batchStride?: number },
    region: { y0: number; x0: number; rh: number; rw: number }, opts: { residual?: F32; groups?: number } = {}): Float64Array | undefined {
    return opsAddon.opsRegionScatter(tile, dst, map.B, map.C, map.H, map.W, map.batchStride ?? map.C * map.H * map.W,
      region.y0, region.x0, region.rh, region.rw, opts.residual ?? null, opts.groups ?? 0);
  },
  /** x, y: [M, D], each row normalised. */
  layerNorm(x: F32, M: number, D: number, gamma: F32, beta: F32, opts: { eps?: number; y?: F32; impl?: OpsImpl } = {}): F32 {
    const y = opts.y ?? new Float32Array(M * D);
    opsAddon.opsLayerNorm(opts.impl ?? 'fast', x, y, M, D, gamma, beta, opts.eps ?? 1e-5);
    return y;
  },
  activation(kind: ActivationKind, x: F32, impl: OpsImpl = 'fast'): F32 {
    const y = new Float32Array(x.length);
    opsAddon.opsActivation(impl, kind, x, y);
    return y;
  },
  /** x: [M, 2D] rows [value | gate] -> [M, D] = value * gelu(gate). */
  geglu(x: F32, M: number, D: number, impl: OpsImpl = 'fast'): F32 {
    const y = new Float32Array(M * D);
    opsAddon.opsGeglu(impl, x, y, M, D);
    return y;
  },
  /** The vectorised element functions (accuracy tests). */
  math(fn: MathFn, x: F32): F32 {
    const y = new Float32Array(x.length);
    opsAddon.opsMath(fn, x, y);
    return y;
  },
  /** Returns a softmaxed copy of x: [M, N] (scale applied before the exp). */
  softmaxRows(x: F32, M: number, N: number, scale = 1, impl: OpsImpl = 'fast'): F32 {
    const y = Float32Array.from(x);
    opsAddon.opsSoftmaxRows(impl, y, M, N, scale);
    return y;
  },
  upsampleNearest(x: F32, shape: { B: number; C: number; H: number; W: number }, Ho: number, Wo: number,
    impl: OpsImpl = 'fast'): F32 {
    const y = new Float32Array(shape.B * shape.C * Ho * Wo);
    opsAddon.opsUpsampleNearest(impl, x, y, shape.B, shape.C, shape.H, shape.W, Ho, Wo);
    return y;
  },
  /** a: [B, Ca, S], b: [B, Cb, S] -> [B, Ca + Cb, S]. */
  concatChannels(a: F32, Ca: number, b: F32, Cb: number, B: number, S: number, impl: OpsImpl = 'fast'): F32 {
    const y = new Float32Array(B * (Ca + Cb) * S);
    opsAddon.opsConcatChannels(impl, a, Ca, b, Cb, y, B, S);
    return y;
  },
  /** NumPy-broadcasting add / mul; returns y of the broadcast shape. */
  binary(op: 'add' | 'mul', a: F32, aShape: number[], b: F32, bShape: number[], impl: OpsImpl = 'fast'): F32 {
    const rank = Math.max(aShape.length, bShape.length);
    let n = 1;
    for (let i = 0; i < rank; i++) {
      const da = aShape[i - (rank - aShape.length)] ?? 1, db = bShape[i - (rank - bShape.length)] ?? 1;
      n *= da === 1 ? db : da;
    }
    const y = new Float32Array(n);
    opsAddon.opsBinary(impl, op, a, aShape, b, bShape, y);
    return y;
  },
  add(a: F32, b: F32, impl: OpsImpl = 'fast'): F32 {
    const y = new Float32Array(a.length);
    opsAddon.opsAdd(impl, a, b, y);
    return y;
  },
  /** Returns x + v broadcast over S (x: [B, C, S], v: [B, C]); x is not modified. */
  addPerChannel(x: F32, v: F32, B: number, C: number, S: number, impl: OpsImpl = 'fast'): F32 {
    const y = Float32Array.from(x);
    opsAddon.opsAddPerChannel(impl, y, v, B, C, S);
    return y;
  },
  /**
   * Test hook: caps a pre-packed weight slice at `floats` (default 4 Mi = 16 MiB); a smaller cap makes
   * gemm and conv2d walk K in more slices. Returns the previous cap.
   */
  packedCapSet(floats: number): number {
    return opsAddon.opsPackedCapSet(floats);
  },
  /**
   * Test/benchmark hook: which convolution conv2d runs for stride-1 3x3 kernels ('auto' picks per
   * shape; LATENTFLOW_CONV=direct|winograd|auto sets the initial mode). Process-wide; returns the
   * previous mode. `ops.convAlgoSet('winograd')` forces Winograd wherever it applies.
   */
  convAlgoSet(mode: ConvAlgoMode): ConvAlgoMode {
    return opsAddon.opsConvAlgoSet(mode);
  },
  /**
   * The convolution conv2d picks for a shape and the activation-arena bytes it holds meanwhile
   * (what the memory estimates count), e.g. `ops.convPlan({ xShape: [1, 512, 64, 64], wShape: [512, 512, 3, 3] })`.
   */
  convPlan(a: Pick<Conv2dArgs, 'xShape' | 'wShape' | 'stride' | 'pad' | 'upsample'>): { algo: 'direct' | 'winograd'; workspaceBytes: number } {
    return opsAddon.opsConvPlan([...a.xShape], [...a.wShape], a.stride ?? 1, a.pad ?? 0, a.upsample ?? 1);
  },
  /**
   * Test hook: caps (in floats) of Winograd's transformed weight, input and product blocks; small caps
   * make it walk several output-channel blocks and tile chunks. Returns the previous caps.
   */
  winogradCapsSet(uFloats: number, vFloats: number, mFloats: number): [number, number, number] {
    return opsAddon.opsWinogradCapsSet(uFloats, vFloats, mFloats);
  },
  /**
   * Packs a linear's weight once (op(B) [K, N]; a PyTorch Linear weight [N, K] is transB = true) for
   * gemmPacked: f32 panels, 4 bytes per element, counted in memoryStats().weightsCurrent.
   */
  packLinear(N: number, K: number, b: Weights, opts: { bDtype?: WeightDtype; transB?: boolean; ldb?: number } = {}): PackedWeightHandle {
    const trans = opts.transB ?? false;
    const dtype = opts.bDtype ?? (b instanceof Float32Array ? 'f32' : undefined);
    if (!dtype) throw new TypeError('packLinear: bDtype is required for Uint16Array weights ("f16" or "bf16")');
    return opsAddon.opsPackLinear(N, K, b, dtype, trans, opts.ldb ?? (trans ? K : N));
  },
  /** Packs a convolution weight [Cout, Cin, KH, KW] once for conv2dPacked. */
  packConv(w: Weights, wShape: [number, number, number, number], wDtype?: WeightDtype): PackedWeightHandle {
    const dtype = wDtype ?? (w instanceof Float32Array ? 'f32' : undefined);
    if (!dtype) throw new TypeError('packConv: wDtype is required for Uint16Array weights ("f16" or "bf16")');
    return opsAddon.opsPackConv(w, dtype, wShape);
  },
  /** rows (N of a linear, Cout of a conv), K, and the bytes it holds. */
  packedInfo(packed: PackedWeightHandle): { rows: number; K: number; bytes: number } {
    return opsAddon.opsPackedInfo(packed);
  },
  /** C[M, N] (+)= A[M, K] * B + bias with a packed B (N, K from the packing). */
  gemmPacked(M: number, a: F32, packed: PackedWeightHandle,
    opts: { c?: F32; bias?: Opt<F32>; accumulate?: boolean; lda?: number; ldc?: number } = {}): F32 {
    const { rows: N, K } = opsAddon.opsPackedInfo(packed);
    const ldc = opts.ldc ?? N;
    const c = opts.c ?? new Float32Array(M === 0 ? 0 : (M - 1) * ldc + N);
    opsAddon.opsGemmPacked(M, a, opts.lda ?? K, packed, c, ldc, opts.bias ?? null, opts.accumulate ?? false);
    return c;
  },
  conv2dPacked(args: Omit<Conv2dArgs, 'w' | 'wDtype' | 'impl'> & { packed: PackedWeightHandle }): F32 {
    const [B, Cout, Ho, Wo] = conv2dOutShape(args);
    const y = args.y ?? new Float32Array(B * Cout * Ho * Wo);
    opsAddon.opsConv2dPacked(args.x, [...args.xShape], args.packed, args.wShape[2], args.wShape[3], args.stride ?? 1,
      args.pad ?? 0, args.bias ?? null, args.residual ?? null, y);
    return y;
  },
  /** The core clock while busy (GHz, turbo included), measured; 0 where not measurable. Takes ~40 ms. */
  clockGHz(): number {
    return opsAddon.opsClockGHz();
  },
  scale(a: F32, s: number, impl: OpsImpl = 'fast'): F32 {
    const y = new Float32Array(a.length);
    opsAddon.opsScale(impl, a, s, y);
    return y;
  },
};
