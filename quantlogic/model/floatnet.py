"""The framework-free float network: a list of layers read from a checkpoint, folded to dense layers.

A checkpoint reader produces a list of `Layer` records in execution order. `fold` turns that list into
a `FloatNetwork`: Linear layers with BatchNorm folded in, each hidden layer followed by a monotone
clipping activation clip(z, lo, hi), and a last Linear layer whose outputs are the class logits.
"""
from dataclasses import dataclass, field

import numpy as np

from ..errors import QuantlogicError

ACTIVATIONS = {  # name -> (lo, hi) of clip(z, lo, hi)
    "relu": (0.0, np.inf),
    "relu6": (0.0, 6.0),
    "hardtanh": (-1.0, 1.0),
    "identity": (-np.inf, np.inf),
}
NO_OPS = ("flatten", "dropout", "identity")


@dataclass
class Layer:
    """One layer as read from a checkpoint: kind is linear, batchnorm, act or a no-op."""

    kind: str
    params: dict = field(default_factory=dict)
    name: str = ""


@dataclass
class Dense:
    """z = W @ x + b, then clip(z, lo, hi) for hidden layers."""

    W: np.ndarray
    b: np.ndarray
    lo: float = -np.inf
    hi: float = np.inf


@dataclass
class FloatNetwork:
    hidden: list  # of Dense
    output: Dense

    @property
    def n_inputs(self):
        return (self.hidden[0] if self.hidden else self.output).W.shape[1]

    @property
    def n_classes(self):
        return self.output.W.shape[0]

    def forward(self, X):
        """Return (pre-activations of every layer, logits) for float inputs X of shape (N, F)."""
        pre = []
        h = np.asarray(X, dtype=np.float64)
        for layer in self.hidden:
            z = h @ layer.W.T + layer.b
            pre.append(z)
            h = np.clip(z, layer.lo, layer.hi)
        logits = h @ self.output.W.T + self.output.b
        return pre, logits


def activation(name, lo=None, hi=None):
    """A Layer for a named activation; hardtanh takes its own bounds."""
    name = name.lower()
    if name not in ACTIVATIONS:
        raise QuantlogicError(f"unknown activation {name!r} (choose from {', '.join(ACTIVATIONS)})")
    default_lo, default_hi = ACTIVATIONS[name]
    lo = default_lo if lo is None else float(lo)
    hi = default_hi if hi is None else float(hi)
    if not lo < hi:
        raise QuantlogicError(f"activation {name}: lower bound {lo} is not below upper bound {hi}")
    return Layer("act", {"lo": lo, "hi": hi}, name)


def fold(layers):
    """Fold a list of Layer records into a FloatNetwork (BatchNorm into the adjacent Linear)."""
    dense = []  # list of [W, b, lo, hi, has_act]
    pending = None  # affine (scale, shift) on the input of the next Linear
    for position, layer in enumerate(layers):
        if layer.kind in NO_OPS:
            continue
        _check_finite(position, layer)
        if layer.kind == "linear":
            W = np.asarray(layer.params["weight"], dtype=np.float64)
            b = np.asarray(layer.params.get("bias", np.zeros(W.shape[0])), dtype=np.float64)
            if dense and not dense[-1][4]:
                raise QuantlogicError(
                    f"layer {position} ({layer.name or 'Linear'}): two Linear layers with no activation between; "
                    "pass --act identity to quantize the values between them")
            if pending is not None:
                scale, shift = pending
                _check_width(position, layer, W.shape[1], len(scale))
                b = b + W @ shift
                W = W * scale[None, :]
                pending = None
            if dense:
                _check_width(position, layer, W.shape[1], dense[-1][0].shape[0])
            dense.append([W, b, -np.inf, np.inf, False])
        elif layer.kind == "batchnorm":
            scale, shift = _batchnorm_affine(layer.params)
            if dense and not dense[-1][4] and pending is None:
                W, b = dense[-1][0], dense[-1][1]
                _check_width(position, layer, len(scale), W.shape[0])
                dense[-1][0] = W * scale[:, None]
                dense[-1][1] = b * scale + shift
            elif pending is None:
                pending = (scale, shift)
            else:
                _check_width(position, layer, len(scale), len(pending[0]))
                pending = (pending[0] * scale, pending[1] * scale + shift)
        elif layer.kind == "act":
            if not dense or dense[-1][4] or pending is not None:
                raise QuantlogicError(f"layer {position}: activation {layer.name} must directly follow a Linear layer "
                                      "(or its BatchNorm)")
            dense[-1][2], dense[-1][3], dense[-1][4] = layer.params["lo"], layer.params["hi"], True
        else:
            raise QuantlogicError(f"layer {position}: unsupported layer type {layer.name or layer.kind}")
    if not dense:
        raise QuantlogicError("the checkpoint has no Linear layer")
    if dense[-1][4] or pending is not None:
        raise QuantlogicError("the network must end with a Linear layer giving the class logits "
                              "(an activation or BatchNorm after it is not supported)")
    if dense[-1][0].shape[0] < 2:
        raise QuantlogicError("the last Linear layer must have at least 2 outputs (one logit per class)")
    hidden = [Dense(W, b, lo, hi) for W, b, lo, hi, _ in dense[:-1]]
    return FloatNetwork(hidden, Dense(dense[-1][0], dense[-1][1]))


def _check_finite(position, layer):
    """Refuse non-finite weights, biases or statistics, and a negative running variance."""
    if layer.kind not in ("linear", "batchnorm"):
        return
    for key, value in layer.params.items():
        array = np.asarray(value)
        if array.dtype.kind in "fc" and not np.all(np.isfinite(array)):
            raise QuantlogicError(f"layer {position} ({layer.name or layer.kind}): tensor {key!r} has "
                                  "non-finite values (NaN or infinity)")
    if layer.kind == "batchnorm" and np.any(np.asarray(layer.params["running_var"], dtype=np.float64) < 0):
        raise QuantlogicError(f"layer {position} ({layer.name or layer.kind}): tensor 'running_var' is negative")


def _batchnorm_affine(params):
    mean = np.asarray(params["running_mean"], dtype=np.float64)
    var = np.asarray(params["running_var"], dtype=np.float64)
    gamma = np.asarray(params.get("weight", np.ones_like(mean)), dtype=np.float64)
    beta = np.asarray(params.get("bias", np.zeros_like(mean)), dtype=np.float64)
    scale = gamma / np.sqrt(var + float(params.get("eps", 1e-5)))
    return scale, beta - mean * scale


def _check_width(position, layer, got, want):
    if got != want:
        raise QuantlogicError(f"layer {position} ({layer.name or layer.kind}): shape mismatch, "
                              f"expects {got} inputs but the previous layer gives {want}")
