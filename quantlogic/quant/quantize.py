"""Post-training quantization of a FloatNetwork into an IntNetwork.

Layer by layer, on calibration data: the float scale of each layer's inputs is folded into its weights,
the weights are quantized per output row (the last layer with one shared scale), the bias is corrected
so that the mean pre-activation matches the float network's, and each hidden neuron's activation
range is searched; the rounding steps of the activation become integer thresholds on the accumulator.
The returned FakeQuant holds the same model in float form, for the torch comparison.
"""
from dataclasses import dataclass

import numpy as np

from ..errors import QuantlogicError
from ..model.activations import LINEAR, Curve
from .codes import encode_column
from .intnet import IntNetwork, threshold_codes, validate
from .schemes import activation_range, check_bits, input_encoding, quantize_grouped, quantize_rows, quantize_shared


@dataclass
class FakeQuantLayer:
    W: np.ndarray  # dequantized float weights on the float (dequantized) inputs
    b: np.ndarray
    clip_lo: float
    clip_hi: float
    act_lo: np.ndarray  # per neuron: value(code) = act_lo + act_scale * code
    act_scale: np.ndarray
    pool: np.ndarray = None  # max-pool table, see IntNetwork
    curve: Curve = LINEAR  # f = clip(curve(z), clip_lo, clip_hi)


@dataclass
class FakeQuant:
    """The quantized network in float form: what a fake-quantized torch model computes."""
    thresholds: np.ndarray
    input_values: np.ndarray  # (F, K + 1) float value of each input code
    hidden: list  # of FakeQuantLayer
    out_W: np.ndarray
    out_b: np.ndarray
    abits: int
    out_scale: float


@dataclass
class HiddenParams:
    """One hidden layer on integer inputs: z = scale * (inputs @ Wq.T) + bias, f = clip(curve(z), clip_lo, clip_hi),
    code = round((f - act_lo) / act_scale) in [0, 2^abits - 1]."""
    Wq: np.ndarray  # (out, in) integers
    scale: np.ndarray  # (out,) positive
    bias: np.ndarray  # (out,)
    clip_lo: float
    clip_hi: float
    act_lo: np.ndarray  # (out,)
    act_scale: np.ndarray  # (out,)
    pool: np.ndarray = None  # max-pool table (outputs, window), see IntNetwork
    groups: np.ndarray = None  # a convolution's channel of each row
    taps: np.ndarray = None  # a convolution's kernel entry of each weight (-1: none), see model.floatnet.Dense
    shape: tuple = None  # a convolution's neurons as (C, L) / (C, H, W)
    curve: Curve = LINEAR  # the activation's monotone curve (model/activations.py)

    @property
    def n_out(self):
        return len(self.Wq) if self.pool is None else len(self.pool)

    def pooled(self, per_row):
        """A per-row vector taken at each pooled output (every row of a window is one channel)."""
        return per_row if self.pool is None else per_row[self.pool[:, 0]]


@dataclass
class QuantParams:
    """Everything an IntNetwork is made from: the input encoding, each hidden layer, and the output layer
    (logits = out_scale * (inputs @ out_Wq.T) + out_bias, integer bias round(out_bias / out_scale))."""
    wbits: int
    abits: int
    ibits: int
    thresholds: np.ndarray  # (F, K)
    levels: np.ndarray  # (F, K + 1) integers
    in_scale: np.ndarray  # (F,) float value of a level step
    in_offset: np.ndarray  # (F,) float value of level 0
    hidden: list  # of HiddenParams
    out_Wq: np.ndarray
    out_scale: float
    out_bias: np.ndarray
    in_shape: tuple = None


def quantize(net, X, wbits=3, abits=3, ibits=3, method="mse"):
    """Return (IntNetwork, FakeQuant) for FloatNetwork net and calibration rows X (N, F).
    method "mse" searches scales and ranges and corrects biases; "naive" is max-abs/max-range PTQ."""
    return build(ptq_params(net, X, wbits, abits, ibits, method))


def ptq_params(net, X, wbits=3, abits=3, ibits=3, method="mse", encoding=None):
    """The QuantParams of post-training quantization (see quantize); encoding, when given, is the input
    encoding to use (thresholds, levels, scale, offset as _input_encodings returns them)."""
    for name, bits in (("wbits", wbits), ("abits", abits), ("ibits", ibits)):
        check_bits(name, bits)
    if method not in ("mse", "naive"):
        raise QuantlogicError(f"unknown quantization method {method!r} (mse or naive)")
    if X.shape[1] != net.n_inputs:
        raise QuantlogicError(f"the calibration data has {X.shape[1]} features, the model takes {net.n_inputs}")
    search = method == "mse"
    float_pre, float_logits = net.forward(X)

    thresholds, levels, in_scale, in_offset = encoding or _input_encodings(net, X, ibits, search)
    first_scale, first_offset = in_scale, in_offset
    codes = np.stack([encode_column(X[:, i], thresholds[i]) for i in range(X.shape[1])], axis=1)
    V = np.take_along_axis(levels.T, codes, axis=0)  # integer inputs of the first layer
    vmax = levels[:, -1]

    hidden = []
    for layer, z_float in zip(net.hidden, float_pre):
        params = _hidden_params(layer, z_float, V, in_scale, in_offset, wbits, abits, search)
        hidden.append(params)
        V = threshold_codes(V @ params.Wq.T, layer_thresholds(params, abits, vmax))
        if params.pool is not None:
            V = V[:, params.pool].max(axis=2)
        in_scale, in_offset = params.pooled(params.act_scale), params.pooled(params.act_lo)
        vmax = np.full(params.n_out, 2 ** abits - 1)

    Wf = net.output.W * in_scale[None, :]
    bf = net.output.b + net.output.W @ in_offset
    Wq, s = quantize_shared(Wf, wbits, search, _moments(V) if search else None)
    if search:
        bf = bf + (float_logits - (V @ Wq.T * s + bf)).mean(axis=0)
    return QuantParams(wbits, abits, ibits, thresholds, levels, first_scale, first_offset, hidden, Wq, s, bf,
                       net.in_shape)


def encoding_groups(net, n_features):
    """The input columns that share one encoding: each feature alone, or every pixel of a channel when a
    convolution reads the input (so its weights stay shared)."""
    first = net.hidden[0] if net.hidden else net.output
    if net.in_shape is None or first.groups is None:
        return [np.array([i]) for i in range(n_features)]
    plane = n_features // net.in_shape[0]
    return [np.arange(c * plane, (c + 1) * plane) for c in range(net.in_shape[0])]


def _input_encodings(net, X, ibits, search):
    """(thresholds (F, K), levels (F, K + 1), scale (F,), offset (F,)) of the inputs, one encoding per
    group of encoding_groups."""
    encodings = [None] * X.shape[1]
    for cols in encoding_groups(net, X.shape[1]):
        encoding = input_encoding(X[:, cols].ravel(), ibits, search)
        for i in cols:
            encodings[i] = encoding
    return (np.array([e[0] for e in encodings]), np.array([e[1] for e in encodings]),
            np.array([e[2] for e in encodings], dtype=np.float64), np.array([e[3] for e in encodings],
                                                                              dtype=np.float64))


def _hidden_params(layer, z_float, V, in_scale, in_offset, wbits, abits, search):
    """The HiddenParams of one float layer on integer inputs V (in float units in_offset + in_scale * V)."""
    Wf = layer.W * in_scale[None, :]
    bf = layer.b + layer.W @ in_offset
    moments = _moments(V) if search else None
    if layer.groups is None:
        Wq, s = quantize_rows(Wf, wbits, search, moments)
    else:
        Wq, s = quantize_grouped(Wf, wbits, layer.groups, layer.connected(), search, moments)
    acc = V @ Wq.T
    if search:
        shift = (z_float - (acc * s + bf)).mean(axis=0)
        if layer.groups is not None:  # one correction per channel keeps the positions alike
            shift = (np.bincount(layer.groups, shift) / np.bincount(layer.groups))[layer.groups]
        bf = bf + shift
    z = acc * s + bf
    lo, scale = activation_range(layer.activate(z), layer.lo, abits, search)
    n = len(Wq)
    return HiddenParams(Wq, s, bf, layer.lo, layer.hi, np.full(n, lo), np.full(n, scale), layer.pool,
                        layer.groups, layer.taps, layer.shape, layer.curve)


def layer_thresholds(layer, abits, vmax):
    """Integer thresholds T (out, 2^abits - 1) of a hidden layer whose inputs go up to vmax."""
    return integer_thresholds(layer.Wq, layer.scale, layer.bias, layer.clip_lo, layer.clip_hi, layer.act_lo,
                               layer.act_scale, abits, vmax, layer.curve)


def build(p):
    """(IntNetwork, FakeQuant) of QuantParams p: the same model in exact integers and in float form."""
    vmax = p.levels[:, -1]
    in_scale, in_offset = p.in_scale, p.in_offset
    hidden_int, hidden_fq = [], []
    for layer in p.hidden:
        hidden_int.append((layer.Wq.astype(np.int64), layer_thresholds(layer, p.abits, vmax)))
        W_deq = layer.Wq * layer.scale[:, None] / in_scale[None, :]
        hidden_fq.append(FakeQuantLayer(W_deq, layer.bias - W_deq @ in_offset, layer.clip_lo, layer.clip_hi,
                                        layer.act_lo, layer.act_scale, layer.pool, layer.curve))
        in_scale, in_offset = layer.pooled(layer.act_scale), layer.pooled(layer.act_lo)
        vmax = np.full(layer.n_out, 2 ** p.abits - 1)
    B = np.round(p.out_bias / p.out_scale).astype(np.int64)
    out_W_deq = p.out_Wq * p.out_scale / in_scale[None, :]
    intnet = IntNetwork(p.ibits, p.abits, p.wbits, p.thresholds, p.levels, hidden_int, p.out_Wq.astype(np.int64), B,
                        pools=[layer.pool for layer in p.hidden], shapes=[layer.shape for layer in p.hidden],
                        in_shape=p.in_shape)
    validate(intnet, "quantized network")
    input_values = p.in_offset[:, None] + p.in_scale[:, None] * p.levels
    fq = FakeQuant(p.thresholds, input_values, hidden_fq, out_W_deq, B * p.out_scale - out_W_deq @ in_offset,
                   p.abits, p.out_scale)
    return intnet, fq


def _moments(V):
    V = V.astype(np.float64)
    return V.T @ V / len(V)


def integer_thresholds(Wq, s, b, clip_lo, clip_hi, act_lo, act_scale, abits, vmax, curve=LINEAR):
    """T[j, k] = least integer acc with code >= k + 1, where code = round((clip(curve(s*acc + b)) - lo) / scale),
    clamped to [acc_min, acc_max + 1] (always / never reached)."""
    M = 2 ** abits - 1
    tau = act_lo[:, None] + (np.arange(1, M + 1)[None, :] - 0.5) * act_scale[:, None]  # steps of f
    with np.errstate(invalid="ignore"):
        T = np.ceil((curve.inverse(tau) - b[:, None]) / s[:, None])
    acc_min = np.minimum(Wq * vmax[None, :], 0).sum(axis=1)
    acc_max = np.maximum(Wq * vmax[None, :], 0).sum(axis=1)
    T = np.where(tau <= clip_lo, acc_min[:, None], T)
    T = np.where(tau > clip_hi, acc_max[:, None] + 1, T)
    T = np.clip(T, acc_min[:, None], acc_max[:, None] + 1)
    return np.maximum.accumulate(T.astype(np.int64), axis=1)
