"""IntNetwork: the exact integer network that every circuit and tree is checked against.

- Feature i: code_i = #{k : x_i >= thresholds[i, k]} in [0, K], K = 2^ibits - 1; the first layer sees
  the integer level levels[i, code_i] (levels[i, c] = c on a uniform grid).
- Hidden neuron j of a layer: acc_j = sum_i W[j, i] * in_i; out_j = #{k : acc_j >= T[j, k]}.
- A max-pooled layer outputs p_r = max_k out[pool[r, k]] instead (the maximum of activation codes).
- Output layer: logits L_c = sum_i W[c, i] * h_i + B[c]; prediction = argmax, ties to the smallest index.
"""
from dataclasses import dataclass, field

import numpy as np

from ..errors import QuantlogicError
from .codes import encode_column


@dataclass
class IntNetwork:
    ibits: int
    abits: int
    wbits: int
    thresholds: np.ndarray  # (F, K) float64, ascending per row
    levels: np.ndarray  # (F, K + 1) int64, levels[:, 0] == 0, non-decreasing
    hidden: list  # of (W (out, in) int64, T (out, 2^abits - 1) int64 ascending)
    out_W: np.ndarray  # (C, in) int64
    out_B: np.ndarray  # (C,) int64
    feature_names: list = field(default_factory=list)
    meta: dict = field(default_factory=dict)  # source sha256, quantization summary
    pools: list = field(default_factory=list)  # per hidden layer: None or (outputs, window) int64 row indices
    shapes: list = field(default_factory=list)  # per hidden layer: None or its neurons as (C, L) / (C, H, W)
    in_shape: tuple = None  # the input row as (C, L) / (C, H, W) when the first layer is a convolution

    def __post_init__(self):
        self.pools = list(self.pools) or [None] * len(self.hidden)
        self.shapes = list(self.shapes) or [None] * len(self.hidden)

    def layer_width(self, k):
        """Outputs of hidden layer k (its pooled outputs when pooled)."""
        pool = self.pools[k]
        return self.hidden[k][0].shape[0] if pool is None else pool.shape[0]

    @property
    def pooled(self):
        return any(p is not None for p in self.pools)

    @property
    def n_features(self):
        return self.thresholds.shape[0]

    @property
    def n_classes(self):
        return self.out_W.shape[0]

    @property
    def widths(self):
        """Neurons per layer, inputs first, classes last."""
        return [self.n_features] + [self.layer_width(k) for k in range(len(self.hidden))] + [self.n_classes]

    def names(self):
        return self.feature_names or [f"x{i}" for i in range(self.n_features)]

    def encode(self, X):
        """Integer codes (N, F) of float features X (N, F)."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise QuantlogicError(f"the network takes {self.n_features} features, the data has shape {X.shape}")
        codes = np.empty(X.shape, dtype=np.int64)
        for i in range(self.n_features):
            codes[:, i] = encode_column(X[:, i], self.thresholds[i])
        return codes

    def forward_codes(self, codes):
        """(hidden codes per layer, integer logits) for input codes (N, F)."""
        codes = np.asarray(codes, dtype=np.int64)
        h = np.take_along_axis(self.levels.T, codes, axis=0) if len(codes) else codes
        hidden = []
        for (W, T), pool in zip(self.hidden, self.pools):
            h = threshold_codes(int_matmul(h, W.T), T)
            if pool is not None:
                h = h[:, pool].max(axis=2)
            hidden.append(h)
        return hidden, int_matmul(h, self.out_W.T) + self.out_B

    def logits_after_first(self, acc):
        """Integer logits from the first layer's weighted sums acc = levels @ W.T."""
        Ws = [W for W, _ in self.hidden] + [self.out_W]
        h = acc
        for (W, T), pool, after in zip(self.hidden, self.pools, Ws[1:]):
            h = threshold_codes(h, T)
            if pool is not None:
                h = h[:, pool].max(axis=2)
            h = int_matmul(h, after.T)
        return h + self.out_B

    def predict_codes(self, codes):
        return np.argmax(self.forward_codes(codes)[1], axis=1).astype(np.int64)

    def predict(self, X):
        return self.predict_codes(self.encode(X))

    def parts(self):
        """(meta, arrays) describing the network, for a container."""
        arrays = {"thresholds": self.thresholds, "levels": self.levels, "out_W": self.out_W, "out_B": self.out_B}
        for k, (W, T) in enumerate(self.hidden):
            arrays[f"hidden{k}_W"], arrays[f"hidden{k}_T"] = W, T
            if self.pools[k] is not None:
                arrays[f"hidden{k}_pool"] = self.pools[k]
        meta = {"ibits": self.ibits, "abits": self.abits, "wbits": self.wbits, "n_hidden": len(self.hidden),
                "feature_names": list(self.feature_names), "info": self.meta}
        if self.in_shape is not None or any(self.shapes):
            meta["shapes"] = {"input": self.in_shape and list(self.in_shape),
                              "hidden": [s and list(s) for s in self.shapes]}
        return meta, arrays


def int_matmul(a, b):
    """a @ b of integer arrays, exactly: in float64 (BLAS) when no partial sum can reach 2^53, where every
    product and sum of integers is exact in any order; else numpy's integer product."""
    a, b = np.asarray(a), np.asarray(b)
    if a.size and b.size and a.dtype.kind in "iu" and b.dtype.kind in "iu":
        fa, fb = a.astype(np.float64), b.astype(np.float64)  # |x| in float: no overflow at the int64 minimum
        if np.abs(fa).max() * np.abs(fb).max() * a.shape[-1] < 2.0 ** 53:
            return (fa @ fb).astype(np.result_type(a, b))
    return a @ b


def threshold_codes(acc, T):
    """out[:, j] = #{k : acc[:, j] >= T[j, k]} for accumulators (N, J) and ascending thresholds (J, M)."""
    if T.shape[1] <= 16:
        out = np.zeros(acc.shape, dtype=np.int64)
        for k in range(T.shape[1]):
            out += acc >= T[:, k]
        return out
    out = np.empty(acc.shape, dtype=np.int64)
    for j in range(T.shape[0]):
        out[:, j] = np.searchsorted(T[j], acc[:, j], side="right")
    return out


def validate(net, where="network"):
    """Raise QuantlogicError unless shapes, ranges and orderings are consistent."""
    problems = []
    for name, bits in (("ibits", net.ibits), ("abits", net.abits), ("wbits", net.wbits)):
        if not 1 <= bits <= 8:
            raise QuantlogicError(f"{where}: invalid integer network: {name}={bits} is not 1 to 8")
    arrays = [net.thresholds, net.levels, net.out_W, net.out_B] + [a for layer in net.hidden for a in layer]
    if any(a.ndim == 0 or a.size == 0 for a in arrays):
        raise QuantlogicError(f"{where}: invalid integer network: an array is empty or 0-dimensional")
    K = 2 ** net.ibits - 1
    M = 2 ** net.abits - 1
    if net.thresholds.ndim != 2 or net.thresholds.shape[1] != K:
        problems.append(f"thresholds shape {net.thresholds.shape} does not fit ibits={net.ibits}")
    elif np.any(np.diff(net.thresholds, axis=1) < 0) or not np.all(np.isfinite(net.thresholds)):
        problems.append("input thresholds are not finite and ascending")
    if net.levels.shape != (net.thresholds.shape[0], K + 1) or np.any(net.levels[:, :1] != 0) \
            or np.any(np.diff(net.levels, axis=1) < 0):
        problems.append("input levels must start at 0 and not decrease")
    width = net.thresholds.shape[0]
    if len(net.pools) != len(net.hidden) or len(net.shapes) != len(net.hidden):
        raise QuantlogicError(f"{where}: invalid integer network: pools or shapes do not match the hidden layers")
    for k, (W, T) in enumerate(net.hidden):
        if W.ndim != 2 or W.shape[1] != width or T.shape != (W.shape[0], M):
            problems.append(f"hidden layer {k}: weight {W.shape} / thresholds {T.shape} do not fit {width} inputs")
        elif np.any(np.diff(T, axis=1) < 0):
            problems.append(f"hidden layer {k}: thresholds not ascending")
        pool = net.pools[k]
        if pool is not None and (pool.ndim != 2 or pool.size == 0 or pool.dtype.kind not in "iu"
                                 or pool.min() < 0 or pool.max() >= W.shape[0]):
            problems.append(f"hidden layer {k}: the max-pool table does not index its {W.shape[0]} neurons")
        width = W.shape[0] if pool is None else len(pool)
        if net.shapes[k] is not None and int(np.prod(net.shapes[k])) != W.shape[0]:
            problems.append(f"hidden layer {k}: shape {tuple(net.shapes[k])} does not hold its {W.shape[0]} neurons")
    if net.in_shape is not None and int(np.prod(net.in_shape)) != net.thresholds.shape[0]:
        problems.append(f"input shape {tuple(net.in_shape)} does not hold the {net.thresholds.shape[0]} features")
    if net.out_W.ndim != 2 or net.out_W.shape[1] != width or net.out_B.shape != (net.out_W.shape[0],):
        problems.append(f"output layer: weight {net.out_W.shape} / bias {net.out_B.shape} do not fit {width} inputs")
    elif net.out_W.shape[0] < 2:
        problems.append("output layer needs at least 2 classes")
    if not problems:
        problems += _accumulator_overflows(net)
    if problems:
        raise QuantlogicError(f"{where}: invalid integer network: {'; '.join(problems)}")


MAX_ACCUMULATOR = 2.0 ** 62  # every weighted sum is computed in int64


def _accumulator_overflows(net):
    """The layers whose largest possible |weighted sum| (plus bias) does not fit int64 arithmetic."""
    problems = []
    largest_input = float(np.max(net.levels))
    layers = [(W, 0) for W, _ in net.hidden] + [(net.out_W, np.max(np.abs(net.out_B.astype(np.float64))))]
    for k, (W, bias) in enumerate(layers):
        bound = largest_input * np.max(np.abs(W.astype(np.float64)).sum(axis=1)) + bias
        if bound >= MAX_ACCUMULATOR:
            name = f"hidden layer {k}" if k < len(net.hidden) else "output layer"
            problems.append(f"{name}: weighted sums can reach {bound:.3g}, beyond 64-bit integers")
        largest_input = 2.0 ** net.abits - 1
    return problems
