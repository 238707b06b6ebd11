"""Interval bounds of an IntNetwork's logits over a box of input codes (numba)."""
import numba
import numpy as np

from .config import NJIT


@numba.njit(**NJIT)
def _layer_bounds(lo, hi, W, T):
    """Output code bounds of a hidden layer for input value bounds lo <= v <= hi."""
    n_out = W.shape[0]
    out_lo = np.empty(n_out, dtype=np.int64)
    out_hi = np.empty(n_out, dtype=np.int64)
    for j in range(n_out):
        acc_lo = 0
        acc_hi = 0
        for i in range(W.shape[1]):
            w = W[j, i]
            if w > 0:
                acc_lo += w * lo[i]
                acc_hi += w * hi[i]
            elif w < 0:
                acc_lo += w * hi[i]
                acc_hi += w * lo[i]
        c_lo = 0
        c_hi = 0
        for k in range(T.shape[1]):
            if acc_lo >= T[j, k]:
                c_lo += 1
            if acc_hi >= T[j, k]:
                c_hi += 1
        out_lo[j] = c_lo
        out_hi[j] = c_hi
    return out_lo, out_hi


@numba.njit(**NJIT)
def _logit_bounds(lo, hi, W, B):
    n = W.shape[0]
    L_lo = B.copy()
    L_hi = B.copy()
    for c in range(n):
        for i in range(W.shape[1]):
            w = W[c, i]
            if w > 0:
                L_lo[c] += w * lo[i]
                L_hi[c] += w * hi[i]
            elif w < 0:
                L_lo[c] += w * hi[i]
                L_hi[c] += w * lo[i]
    return L_lo, L_hi


@numba.njit(**NJIT)
def _sure_class(L_lo, L_hi):
    """The class that wins for every point of the box (ties to the smallest index), or -1."""
    n = len(L_lo)
    for c in range(n):
        sure = True
        for d in range(n):
            if d < c and not L_lo[c] > L_hi[d]:
                sure = False
                break
            if d > c and not L_lo[c] >= L_hi[d]:
                sure = False
                break
        if sure:
            return c
    return -1


class BoxBounds:
    """Decides, for a box of input codes, whether one class wins everywhere in it."""

    def __init__(self, net):
        self.levels = np.ascontiguousarray(net.levels, dtype=np.int64)
        self.hidden = [(np.ascontiguousarray(W, dtype=np.int64), np.ascontiguousarray(T, dtype=np.int64))
                       for W, T in net.hidden]
        self.pools = [None if p is None else np.asarray(p, dtype=np.int64) for p in net.pools]
        self.out_W = np.ascontiguousarray(net.out_W, dtype=np.int64)
        self.out_B = np.ascontiguousarray(net.out_B, dtype=np.int64)
        self.features = np.arange(net.n_features)

    def sure_class(self, code_lo, code_hi):
        lo = self.levels[self.features, code_lo]
        hi = self.levels[self.features, code_hi]
        for (W, T), pool in zip(self.hidden, self.pools):
            lo, hi = _layer_bounds(lo, hi, W, T)
            if pool is not None:  # the maximum is monotone in each code
                lo, hi = lo[pool].max(axis=1), hi[pool].max(axis=1)
        return int(_sure_class(*_logit_bounds(lo, hi, self.out_W, self.out_B)))
