"""The Brownian-tree noise of ComfyUI's SDE samplers (dpmpp_sde, dpmpp_2m_sde, dpmpp_3m_sde).

ComfyUI's BrownianTreeNoiseSampler wraps torchsde.BrownianTree (torchsde 0.2.6), which is a BrownianInterval with
halfway_tree=True, tol=1e-6, pool_size=24 and no Levy area. torchsde cannot be installed here, so this module
re-creates that algorithm from its published source, using numpy's own SeedSequence and torch's own generator:

* times are rounded to 6 decimals (tol 1e-6); the tree covers [t0, t1] = [sigma_min, sigma_max];
* the whole-interval increment is W = randn(seed_W) * sqrt(t1 - t0), with seed_W, seed_H, seed_A =
  SeedSequence(entropy=seed, pool_size=24).generate_state(3);
* an interval is split at its (rounded) midpoint; its four child seeds are
  SeedSequence(entropy=seed, spawn_key=(key, depth), pool_size=24).generate_state(4) (W, H, left A, right A), where
  the root has key 0, depth 0 and a child key = 2 * parent key + (0 left, 1 right), depth = parent depth + 1;
* a child's increment is a Brownian bridge draw from its parent's: left = l/h * W + sqrt(l * r / h) * randn(parent's
  W seed), right = W - left, with l, r the left and right lengths and h = l + r;
* a query (ta, tb) splits the tree at halving points until ta and tb are interval ends and sums the increments of
  the intervals between them.
"""

import math

import numpy as np
import torch

TOL_DIGITS = 6
POOL_SIZE = 24


def _round(x):
    return round(x, TOL_DIGITS)


def _randn(size, seed):
    generator = torch.Generator().manual_seed(int(seed))
    return torch.randn(size, dtype=torch.float32, generator=generator)


class _Node:
    def __init__(self, tree, start, end, parent, is_left):
        self.tree = tree
        self.start = _round(start)
        self.end = _round(end)
        self.parent = parent
        self.is_left = is_left
        self.midway = None
        self.left = None
        self.right = None
        if parent is None:
            self.key, self.depth = 0, 0
        self._w = None

    def split_exact(self, midway):
        self.midway = _round(midway)
        if self.parent is not None:
            self.key = 2 * self.parent.key + (0 if self.is_left else 1)
            self.depth = self.parent.depth + 1
        seq = np.random.SeedSequence(entropy=self.tree.entropy, spawn_key=(self.key, self.depth), pool_size=POOL_SIZE)
        self.w_seed = seq.generate_state(4)[0]
        self.left = _Node(self.tree, self.start, midway, self, True)
        self.right = _Node(self.tree, midway, self.end, self, False)

    def split(self, point):
        """Halving splits until `point` is a split point."""
        self.split_exact(0.5 * (self.end + self.start))
        if point > self.midway:
            self.right.split(point)
        elif point < self.midway:
            self.left.split(point)

    def locate(self, ta, tb, out):
        if ta < self.start or tb > self.end:
            return self.parent.locate(ta, tb, out)
        if ta == self.start and tb == self.end:
            out.append(self)
            return
        if self.midway is None:
            if ta == self.start:
                self.split(tb)
                return self.left.locate(ta, tb, out)
            self.split(ta)
            return self.right.locate(ta, tb, out)
        if tb <= self.midway:
            return self.left.locate(ta, tb, out)
        if ta >= self.midway:
            return self.right.locate(ta, tb, out)
        self.left.locate(ta, self.midway, out)
        return self.right.locate(self.midway, tb, out)

    def increment(self):
        if self._w is None:
            parent = self.parent
            w = parent.increment()
            h_reciprocal = 1 / (parent.end - parent.start)
            left_diff = parent.midway - parent.start
            right_diff = parent.end - parent.midway
            mean = left_diff * w * h_reciprocal
            var = left_diff * right_diff * h_reciprocal
            left_w = mean + math.sqrt(var) * _randn(self.tree.size, parent.w_seed)
            self._w = left_w if self.is_left else w - left_w
        return self._w


class BrownianTree:
    """torchsde.BrownianTree(t0, w0=zeros(size), t1, entropy=seed): increments W(tb) - W(ta)."""

    def __init__(self, t0, t1, size, entropy):
        t0, t1 = float(t0), float(t1)
        self.size = tuple(size)
        self.entropy = entropy
        self.root = _Node(self, t0, t1, None, None)
        seed_w = np.random.SeedSequence(entropy=entropy, pool_size=POOL_SIZE).generate_state(3)[0]
        self.root._w = _randn(self.size, seed_w) * math.sqrt(t1 - t0)

    def __call__(self, ta, tb):
        ta, tb = float(ta), float(tb)
        ta = min(max(ta, self.root.start), self.root.end)
        tb = min(max(tb, self.root.start), self.root.end)
        if ta == tb:
            return torch.zeros(self.size)
        out = []
        self.root.locate(_round(ta), _round(tb), out)
        w = out[0].increment()
        for node in out[1:]:
            w = w + node.increment()
        return w


class BrownianTreeNoiseSampler:
    """ComfyUI's BrownianTreeNoiseSampler(x, sigma_min, sigma_max, seed): unit-variance noise for (sigma, sigma_next)."""

    def __init__(self, x, sigma_min, sigma_max, seed):
        t0, t1 = torch.as_tensor(sigma_min), torch.as_tensor(sigma_max)
        self.sign = 1 if t0 < t1 else -1
        lo, hi = (t0, t1) if t0 < t1 else (t1, t0)
        self.tree = BrownianTree(lo, hi, x.shape, seed)

    def __call__(self, sigma, sigma_next):
        t0, t1 = torch.as_tensor(sigma), torch.as_tensor(sigma_next)
        a, b, sign = (t0, t1, 1) if t0 < t1 else (t1, t0, -1)
        w = self.tree(a.float(), b.float()) * (self.sign * sign)
        return w / (t1 - t0).abs().sqrt()
