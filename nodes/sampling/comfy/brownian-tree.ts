// The Brownian-tree noise of ComfyUI's SDE samplers (dpmpp_sde, dpmpp_2m_sde, dpmpp_3m_sde): ComfyUI's
// BrownianTreeNoiseSampler over torchsde 0.2.6's BrownianTree, which is a BrownianInterval with a halfway tree,
// tol 1e-6 and pool_size 24. Re-created from torchsde's published algorithm (see docs/SAMPLERS.md):
//
// * times are rounded to 6 decimals; the tree covers [sigma_min, sigma_max] of the schedule;
// * the whole-interval increment is W = randn(seed_W) * sqrt(t1 - t0), seed_W = the first word of
//   SeedSequence(seed, pool 24).generate_state(3);
// * a node split at its rounded midpoint draws its children from a Brownian bridge with the generator seeded by
//   the first word of SeedSequence(seed, spawn_key = (key, depth), pool 24).generate_state(4) (root key 0, depth 0;
//   child key = 2 key + 0 | 1): left = (l / h) W + sqrt(l r / h) randn, right = W - left;
// * a query (ta, tb) splits at halving points until ta and tb are node ends and sums those nodes' increments;
// * the sampler's noise for (sigma, sigma_next) is the increment between them over sqrt(|sigma_next - sigma|)
//   (sign flipped as ComfyUI's does for a decreasing pair), so it is N(0, 1) per element for any query.
// The tree depends only on the seed, not on the order of queries. Increments are cached (LRU), recomputed on a miss.

import { type Shape, TorchGenerator, randn } from '../rng.ts';
import { SeedSequence } from './seed-sequence.ts';

const f = Math.fround;
const POOL_SIZE = 24;
const CACHE_SIZE = 64;

/** Python's round(x, 6) (the tree's tol = 1e-6). */
function roundTime(x: number): number {
  return Number(x.toFixed(6));
}

class TreeNode {
  readonly start: number;
  readonly end: number;
  midway: number | null = null;
  key = 0;
  depth = 0;
  wSeed = 0;
  left: TreeNode | null = null;
  right: TreeNode | null = null;

  constructor(
    readonly tree: BrownianTree,
    start: number,
    end: number,
    readonly parent: TreeNode | null,
    readonly isLeft: boolean,
  ) {
    this.start = roundTime(start);
    this.end = roundTime(end);
  }

  private splitExact(midway: number): void {
    this.midway = roundTime(midway);
    if (this.parent) {
      this.key = 2 * this.parent.key + (this.isLeft ? 0 : 1);
      this.depth = this.parent.depth + 1;
    }
    this.wSeed = new SeedSequence(this.tree.entropy, [this.key, this.depth], POOL_SIZE).generateState(4)[0];
    this.left = new TreeNode(this.tree, this.start, midway, this, true);
    this.right = new TreeNode(this.tree, midway, this.end, this, false);
  }

  /** Halving splits until `point` is a split point. */
  split(point: number): void {
    let node: TreeNode = this;
    for (;;) {
      node.splitExact(0.5 * (node.end + node.start));
      if (point > node.midway!) node = node.right!;
      else if (point < node.midway!) node = node.left!;
      else return;
    }
  }

  /** The nodes whose intervals tile [ta, tb], in order. */
  locate(ta: number, tb: number, out: TreeNode[]): void {
    let node: TreeNode = this;
    for (;;) {
      if (ta < node.start || tb > node.end) {
        node = node.parent!;
        continue;
      }
      if (ta === node.start && tb === node.end) {
        out.push(node);
        return;
      }
      if (node.midway === null) {
        if (ta === node.start) {
          node.split(tb);
          node = node.left!;
        } else {
          node.split(ta);
          node = node.right!;
        }
        continue;
      }
      if (tb <= node.midway) node = node.left!;
      else if (ta >= node.midway) node = node.right!;
      else {
        node.left!.locate(ta, node.midway, out);
        node = node.right!;
        ta = node.start;
      }
    }
  }
}

/** torchsde.BrownianTree(t0, zeros(shape), t1, entropy=seed) as ComfyUI builds it: increments W(tb) - W(ta). */
export class BrownianTree {
  readonly root: TreeNode;
  private readonly cache = new Map<TreeNode, Float32Array>();
  private readonly rootIncrement: Float32Array;

  constructor(
    t0: number,
    t1: number,
    readonly shape: Shape,
    readonly entropy: bigint,
  ) {
    if (!(t0 < t1)) throw new RangeError(`Brownian tree: t0 (${t0}) must be below t1 (${t1}).`);
    this.root = new TreeNode(this, t0, t1, null, false);
    const seed = new SeedSequence(entropy, [], POOL_SIZE).generateState(3)[0];
    const scale = f(Math.sqrt(t1 - t0));
    this.rootIncrement = randn(shape, new TorchGenerator(seed)).map((v) => f(v * scale));
  }

  /** The increment over [ta, tb] (clamped into the tree's interval). */
  increment(ta: number, tb: number): Float32Array {
    ta = Math.min(Math.max(ta, this.root.start), this.root.end);
    tb = Math.min(Math.max(tb, this.root.start), this.root.end);
    if (ta > tb) throw new RangeError(`Brownian tree: query times must have ta <= tb, got ${ta} > ${tb}.`);
    if (ta === tb) return new Float32Array(this.rootIncrement.length);
    const nodes: TreeNode[] = [];
    this.root.locate(roundTime(ta), roundTime(tb), nodes);
    const w = this.nodeIncrement(nodes[0]).slice();
    for (const node of nodes.slice(1)) {
      const wi = this.nodeIncrement(node);
      for (let k = 0; k < w.length; k++) w[k] = f(w[k] + wi[k]);
    }
    return w;
  }

  private nodeIncrement(node: TreeNode): Float32Array {
    if (node === this.root) return this.rootIncrement;
    const cached = this.cache.get(node);
    if (cached) {
      this.cache.delete(node);
      this.cache.set(node, cached);
      return cached;
    }
    const parent = node.parent!;
    const w = this.nodeIncrement(parent);
    const hReciprocal = 1 / (parent.end - parent.start);
    const leftDiff = parent.midway! - parent.start;
    const rightDiff = parent.end - parent.midway!;
    const a = f(leftDiff);
    const b = f(hReciprocal);
    const c = f(Math.sqrt(leftDiff * rightDiff * hReciprocal));
    const noise = randn(this.shape, new TorchGenerator(parent.wSeed));
    const out = new Float32Array(w.length);
    for (let k = 0; k < out.length; k++) {
      const left = f(f(f(a * w[k]) * b) + f(c * noise[k]));
      out[k] = node.isLeft ? left : f(w[k] - left);
    }
    this.cache.set(node, out);
    if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    return out;
  }
}

/** ComfyUI's BrownianTreeNoiseSampler(x, sigma_min, sigma_max, seed): unit-variance noise for (sigma, sigma_next). */
export class BrownianTreeNoiseSampler {
  private readonly tree: BrownianTree;

  constructor(shape: Shape, sigmaMin: number, sigmaMax: number, seed: bigint | number) {
    this.tree = new BrownianTree(Math.min(sigmaMin, sigmaMax), Math.max(sigmaMin, sigmaMax), shape, BigInt(seed));
  }

  noise(sigma: number, sigmaNext: number): Float32Array {
    const descending = sigmaNext < sigma;
    const w = descending ? this.tree.increment(sigmaNext, sigma) : this.tree.increment(sigma, sigmaNext);
    const scale = f(Math.sqrt(Math.abs(f(sigmaNext - sigma))));
    return w.map((v) => f((descending ? -v : v) / scale));
  }
}
