"""Classes of float rows straight from a circuit: encode each row's features into codes, pack the pins 64
rows a word, simulate, and read the class index, fused in numba over chunks of rows."""
import numba
import numpy as np

from ._checks import fanins, literals
from .config import BLOCK_WORDS, LEAF, NJIT
from .simulate import _assign_slots, _simulate


@numba.njit(parallel=True, **NJIT)
def _encode_pack(X, thresholds, pin_feature, pin_bit, n_bits, out):
    """out[p, w] bit r = bit pin_bit[p] (< n_bits) of the code of feature pin_feature[p] in row 64 w + r, where a
    code is #{k : x >= thresholds[f, k]} (NaN above every threshold, as numpy's searchsorted puts it). 64 rows at
    a time, a feature at a time: with few thresholds, one word of rows at or above each threshold, whose
    differences are the rows of each code."""
    n_rows, n_features = X.shape
    K = thresholds.shape[1]
    for w in numba.prange(out.shape[1]):
        lo = w * 64
        n = min(64, n_rows - lo)
        column = np.empty(64, dtype=X.dtype)
        bits = np.zeros((n_features, n_bits), dtype=np.uint64)  # bit b of each feature's codes, a word
        for f in range(n_features):
            for r in range(n):
                column[r] = X[lo + r, f]
            if K <= 16:
                _thermometer_bits(column, n, thresholds[f], bits[f])
            else:
                _searched_bits(column, n, thresholds[f], bits[f])
        for p in range(len(pin_feature)):
            out[p, w] = bits[pin_feature[p], pin_bit[p]]


@numba.njit(**LEAF)
def _thermometer_bits(column, n, thresholds, bits):
    """bits[b] |= the rows (of column[:n]) whose code has bit b, from one word per threshold."""
    above = ~np.uint64(0)  # rows whose code is at least k
    for k in range(len(thresholds) + 1):
        at_next = np.uint64(0)
        if k < len(thresholds):
            t = thresholds[k]
            for r in range(n):
                at_next |= np.uint64(not (column[r] < t)) << np.uint64(r)
        exact = above & ~at_next  # rows whose code is k
        for b in range(len(bits)):
            if (k >> b) & 1:
                bits[b] |= exact
        above = at_next


@numba.njit(**LEAF)
def _searched_bits(column, n, thresholds, bits):
    """bits[b] |= the rows (of column[:n]) whose code has bit b, each row's code by binary search."""
    K = len(thresholds)
    for r in range(n):
        x = column[r]
        lo, hi = 0, K
        if x != x:
            lo = K
        while lo < hi:
            mid = (lo + hi) // 2
            if thresholds[mid] <= x:
                lo = mid + 1
            else:
                hi = mid
        for b in range(len(bits)):
            bits[b] |= np.uint64((lo >> b) & 1) << np.uint64(r)


@numba.njit(**NJIT)
def _decode(words, n_rows, classes, start):
    """classes[start + row] = sum_j bit row of words[j] << j."""
    for row in range(n_rows):
        w, r = row // 64, np.uint64(row % 64)
        value = 0
        for j in range(words.shape[0]):
            value |= int((words[j, w] >> r) & np.uint64(1)) << j
        classes[start + row] = value


class RowClassifier:
    """A circuit ready to classify float rows: pin p of the circuit reads bit pin_bit[p] of feature
    pin_feature[p]'s code, and output_lits are the class index bits, least significant first."""

    def __init__(self, fanin0, fanin1, n_inputs, output_lits, thresholds, pin_feature, pin_bit, chunk=1 << 16):
        self.fanin0, self.fanin1 = fanins(fanin0, fanin1, n_inputs)
        self.outputs = literals(output_lits, 1 + n_inputs + len(self.fanin0), "class output")
        self.thresholds = np.ascontiguousarray(thresholds, dtype=np.float64)
        self.pin_feature = np.ascontiguousarray(pin_feature, dtype=np.int64)
        self.pin_bit = np.ascontiguousarray(pin_bit, dtype=np.int64)
        if self.thresholds.ndim != 2 or not len(self.pin_feature) == n_inputs == len(self.pin_bit):
            raise ValueError("thresholds (features, K) and one feature and bit per input pin are needed")
        if n_inputs and (self.pin_feature.min() < 0 or self.pin_feature.max() >= len(self.thresholds)
                         or self.pin_bit.min() < 0 or self.pin_bit.max() > 62):
            raise ValueError("every pin must read a bit of an existing feature's code")
        if len(self.outputs) > 62:
            raise ValueError("at most 62 class index bits")
        self.n_inputs, self.chunk = n_inputs, int(chunk) // 64 * 64 or 64
        self.n_bits = max(int(self.thresholds.shape[1]).bit_length(), int(self.pin_bit.max(initial=0)) + 1)
        self.slot, self.n_slots = _assign_slots(self.fanin0, self.fanin1, n_inputs, self.outputs)

    def classes(self, X, out=None, start=0):
        """Class indices (N,) int64 of float rows X (N, F), computed a chunk of rows at a time; written
        into out[start:start + N] when out is given."""
        X = np.asarray(X)
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.thresholds):
            raise ValueError(f"rows of {len(self.thresholds)} features are needed, got shape {X.shape}")
        if out is None:
            out, start = np.empty(len(X), dtype=np.int64), 0
        for lo in range(0, len(X), self.chunk):
            rows = np.ascontiguousarray(X[lo:lo + self.chunk])
            words = np.zeros((self.n_inputs, -(-len(rows) // 64)), dtype=np.uint64)
            _encode_pack(rows, self.thresholds, self.pin_feature, self.pin_bit, self.n_bits, words)
            result = _simulate(self.fanin0, self.fanin1, self.n_inputs, self.outputs, self.slot, self.n_slots,
                               words, BLOCK_WORDS)
            _decode(result, len(rows), out, start + lo)
        return out
