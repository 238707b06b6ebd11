"""Monotone activations. A hidden neuron computes f(z) = clip(g(z), lo, hi) with g a non-decreasing curve; its
quantized code counts the steps of f that z passes, so any such f becomes integer thresholds on the neuron's sum
(at g's inverse). Activations that go down somewhere (GELU, SiLU) have no such thresholds and are refused."""
from dataclasses import dataclass

import numpy as np

from ..errors import QuantlogicError

CURVES = ("linear", "sigmoid", "tanh", "softsign", "leaky_relu", "elu", "softplus")
NOT_MONOTONE = ("GELU", "SiLU", "Mish", "Hardswish", "gelu", "silu", "mish", "hardswish")


@dataclass(frozen=True)
class Curve:
    """g(z): linear (z), sigmoid, tanh, softsign (z / (1 + |z|)), leaky_relu (alpha * z below 0), elu
    (scale * (z above 0, alpha * (e^z - 1) below)) or softplus (log(1 + e^(alpha * z)) / alpha)."""

    kind: str = "linear"
    alpha: float = 1.0
    scale: float = 1.0

    def __post_init__(self):
        if self.kind not in CURVES:
            raise QuantlogicError(f"unknown activation curve {self.kind!r}")
        if not (np.isfinite(self.alpha) and np.isfinite(self.scale) and self.alpha > 0 and self.scale > 0):
            raise QuantlogicError(f"activation {self.kind} with alpha {self.alpha} and scale {self.scale} is not "
                                  "increasing (a quantized neuron compares its sum with thresholds, so its "
                                  "activation must never go down)")

    def __call__(self, z):
        z = np.asarray(z, dtype=np.float64)
        kind, a = self.kind, self.alpha
        if kind == "linear":
            return z
        if kind == "sigmoid":
            return 0.5 * (1.0 + np.tanh(z / 2))
        if kind == "tanh":
            return np.tanh(z)
        if kind == "softsign":
            return z / (1.0 + np.abs(z))
        if kind == "leaky_relu":
            return np.where(z >= 0, z, a * z)
        if kind == "elu":
            return self.scale * np.where(z > 0, z, a * np.expm1(np.minimum(z, 0.0)))
        return np.logaddexp(0.0, a * z) / a

    def torch(self, torch, z):
        """g on a torch tensor (differentiable)."""
        F = torch.nn.functional
        kind, a = self.kind, self.alpha
        if kind == "linear":
            return z
        if kind == "sigmoid":
            return torch.sigmoid(z)
        if kind == "tanh":
            return torch.tanh(z)
        if kind == "softsign":
            return F.softsign(z)
        if kind == "leaky_relu":
            return F.leaky_relu(z, a)
        if kind == "elu":
            return self.scale * F.elu(z, a)
        return F.softplus(z, a, threshold=1e9)

    def inverse(self, t):
        """The least z with g(z) >= t, elementwise: -inf where every z has it, +inf where none does."""
        t = np.asarray(t, dtype=np.float64)
        low, high = self.range()
        inside = (t > low) & (t < high)
        u = np.where(inside, t, 0.5 * (max(low, -1.0) + min(high, 1.0)))  # a point where the formulas are defined
        kind, a = self.kind, self.alpha
        with np.errstate(divide="ignore", invalid="ignore"):
            if kind == "linear":
                z = u
            elif kind == "sigmoid":
                z = np.log(u) - np.log1p(-u)
            elif kind == "tanh":
                z = np.arctanh(u)
            elif kind == "softsign":
                z = u / (1.0 - np.abs(u))
            elif kind == "leaky_relu":
                z = np.where(u >= 0, u, u / a)
            elif kind == "elu":
                v = u / self.scale
                z = np.where(v > 0, v, np.log1p(np.maximum(v / a, -1.0)))
            else:
                z = np.log(np.expm1(a * u)) / a
        return np.where(inside, z, np.where(t <= low, -np.inf, np.inf))

    def range(self):
        """(infimum, supremum) of g, neither reached except by the linear curves."""
        return {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "softsign": (-1.0, 1.0),
                "elu": (-self.scale * self.alpha, np.inf), "softplus": (0.0, np.inf)}.get(self.kind, (-np.inf, np.inf))


LINEAR = Curve()
