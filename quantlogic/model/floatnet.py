"""The framework-free float network: a list of layers read from a checkpoint, folded to dense layers.

A checkpoint reader produces a list of `Layer` records in execution order. `fold` turns that list into
a `FloatNetwork`: Linear layers (a convolution becomes one, with its weights shared along positions) with
BatchNorm and average pools folded in, each hidden layer followed by a monotone activation
clip(curve(z), lo, hi) (model/activations.py) and optionally a max-pool, and a last Linear layer whose outputs are
the class logits (one logit z of a binary classifier becomes the two logits 0 and z).
"""
from dataclasses import dataclass, field

import numpy as np

from ..errors import QuantlogicError
from .activations import LINEAR, Curve
from .conv import adaptive_avg_matrix, adaptive_max_windows, avgpool_matrix, conv_taps, pool_windows, unroll

ACTIVATIONS = {  # name -> (lo, hi, curve) of f(z) = clip(curve(z), lo, hi)
    "relu": (0.0, np.inf, LINEAR),
    "relu6": (0.0, 6.0, LINEAR),
    "hardtanh": (-1.0, 1.0, LINEAR),
    "identity": (-np.inf, np.inf, LINEAR),
    "hardsigmoid": (0.0, 1.0, LINEAR),  # of z / 6 + 1 / 2 (PRE_MAPS)
    "sigmoid": (-np.inf, np.inf, Curve("sigmoid")),
    "tanh": (-np.inf, np.inf, Curve("tanh")),
    "softsign": (-np.inf, np.inf, Curve("softsign")),
    "leaky_relu": (-np.inf, np.inf, Curve("leaky_relu", 0.01)),
    "elu": (-np.inf, np.inf, Curve("elu")),
    "selu": (-np.inf, np.inf, Curve("elu", 1.6732632423543772, 1.0507009873554805)),
    "softplus": (-np.inf, np.inf, Curve("softplus")),
}
PRE_MAPS = {"hardsigmoid": (1 / 6, 0.5)}  # (a, c): the activation reads a * z + c
NO_OPS = ("flatten", "dropout", "identity", "reshape")


@dataclass
class Layer:
    """One layer as read from a checkpoint: kind is linear, batchnorm, act or a no-op."""

    kind: str
    params: dict = field(default_factory=dict)
    name: str = ""


@dataclass
class Dense:
    """z = W @ x + b, then clip(curve(z), lo, hi) for hidden layers, then out_r = max_k f[pool[r, k]] when pooled.
    A convolution's rows are its channels times its output positions: groups[r] is row r's channel."""

    W: np.ndarray
    b: np.ndarray
    lo: float = -np.inf
    hi: float = np.inf
    curve: Curve = LINEAR
    act: str = "identity"  # the activation's name
    groups: np.ndarray = None
    taps: np.ndarray = None  # (out, in): which kernel entry W[r, c] is (-1: none), while W is a shared kernel
    pool: np.ndarray = None  # (outputs, window) row indices
    shape: tuple = None  # a convolution's rows as (C, L) or (C, H, W) (before a max-pool)

    @property
    def n_out(self):
        return self.W.shape[0] if self.pool is None else self.pool.shape[0]

    def activate(self, z):
        """f(z) = clip(curve(z), lo, hi)."""
        return np.clip(self.curve(z), self.lo, self.hi)

    def connected(self):
        """(out, in) bool: which weights exist (a convolution's taps; the non-zero weights otherwise)."""
        return self.taps >= 0 if self.taps is not None else self.W != 0

    def check_shared(self):
        """Forget the taps once folding made the weights differ between positions of one kernel entry."""
        if self.taps is None:
            return
        on = self.taps >= 0
        entries, values = self.taps[on], self.W[on]
        lo = np.full(entries.max() + 1, np.inf)
        hi = np.full(entries.max() + 1, -np.inf)
        np.minimum.at(lo, entries, values)
        np.maximum.at(hi, entries, values)
        if not np.allclose(lo[entries], hi[entries], rtol=1e-12, atol=0):
            self.taps = None


@dataclass
class FloatNetwork:
    hidden: list  # of Dense
    output: Dense
    in_shape: tuple = None  # (C, H, W) of an input row that a convolution reads
    source: tuple = None  # (name, sha256) of what it was read from, set by its reader
    single_logit: bool = False  # the checkpoint gives one logit z; output row 0 is all zeros (class 1: z > 0)
    final: object = None  # what the checkpoint applies to its logits and we drop (it keeps their order):
    # "softmax", "log_softmax" or an increasing Curve

    def original_outputs(self, logits):
        """What the checkpoint's model outputs for these logits."""
        z = logits[:, 1:] if self.single_logit else logits
        if isinstance(self.final, Curve):
            return self.final(z)
        if self.final in ("softmax", "log_softmax"):
            shifted = z - z.max(axis=1, keepdims=True)
            log = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            return log if self.final == "log_softmax" else np.exp(log)
        return z

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
            h = layer.activate(z)
            if layer.pool is not None:
                h = h[:, layer.pool].max(axis=2)
        logits = h @ self.output.W.T + self.output.b
        return pre, logits

    def logits_after_first(self, z):
        """Logits from the first layer's weighted sums z = X @ W.T (bias not yet added)."""
        layers = self.hidden + [self.output]
        h = z + layers[0].b
        for layer, after in zip(layers[:-1], layers[1:]):
            h = layer.activate(h)
            if layer.pool is not None:
                h = h[:, layer.pool].max(axis=2)
            h = h @ after.W.T + after.b
        return h


def activation(name, lo=None, hi=None, alpha=None, scale=None):
    """A Layer for a named activation; hardtanh takes its own bounds, leaky_relu its slope, elu its alpha and
    scale, softplus its beta (as alpha)."""
    name = name.lower()
    if name not in ACTIVATIONS:
        raise QuantlogicError(f"unknown activation {name!r} (choose from {', '.join(ACTIVATIONS)})")
    default_lo, default_hi, curve = ACTIVATIONS[name]
    lo = default_lo if lo is None else float(lo)
    hi = default_hi if hi is None else float(hi)
    if not lo < hi:
        raise QuantlogicError(f"activation {name}: lower bound {lo} is not below upper bound {hi}")
    if name == "leaky_relu" and alpha is not None and float(alpha) == 0.0:
        return activation("relu")
    if alpha is not None or scale is not None:
        curve = Curve(curve.kind, curve.alpha if alpha is None else float(alpha),
                      curve.scale if scale is None else float(scale))
    return Layer("act", {"lo": lo, "hi": hi, "curve": curve, "pre": PRE_MAPS.get(name)}, name)


def fold(layers, n_inputs=None):
    """Fold a list of Layer records into a FloatNetwork: BatchNorm into the adjacent Linear or convolution,
    average pools into the layer before or after them, max-pools onto the layer whose outputs they pool.
    n_inputs: the row width when known (a reshape of the input must keep it)."""
    folder = _Folder()
    folder.width = n_inputs
    for position, layer in enumerate(layers):
        if layer.kind not in NO_OPS:
            _check_finite(position, layer)
        folder.add(position, layer)
    return folder.network()


class _Folder:
    """The layers folded so far: dense layers (the last one open to BatchNorm, pools and its activation), an
    affine map pending for the next layer's input, and the shape of the current activation."""

    def __init__(self):
        self.dense = []  # of Dense; has_act[i] says whether layer i got its activation
        self.has_act = []
        self.pending = None  # (A, shift): the next layer sees A @ h + shift; A a vector (diagonal) or a matrix
        self.shape = None  # (C, H, W) of the current activation, None for a flat row
        self.in_shape = None
        self.width = None
        self._1d = False  # the current (C, 1, L) shape is a 1-D activation (C, L)
        self.final = None  # a softmax after the last layer

    def add(self, position, layer):
        where = f"layer {position} ({layer.name or layer.kind})"
        kind = layer.kind
        if self.final and kind not in NO_OPS:
            raise QuantlogicError(f"{where}: only the last layer may be a softmax")
        if kind in ("dropout", "identity"):
            pass
        elif kind == "flatten":
            self._flatten(layer.params.get("start_dim", 1), layer.params.get("end_dim", -1), where)
        elif kind == "reshape":
            self._reshape(layer.params["shape"], where)
        elif kind == "unsqueeze":  # a channel dimension for a 1-D convolution: (N, F) -> (N, 1, F)
            if self.shape is not None or layer.params["dim"] != 1:
                raise QuantlogicError(f"{where}: only unsqueeze(1) of a flat row is supported")
            self._reshape((1, -1), where)
        elif kind in ("linear", "conv"):
            self._linear(layer, where)
        elif kind == "batchnorm":
            self._batchnorm(layer.params, where)
        elif kind == "elementwise":
            self._elementwise(layer.params, where)
        elif kind == "act":
            self._activation(layer, position)
        elif kind == "softmax":
            self._softmax(layer.params, where)
        elif kind == "maxpool":
            self._maxpool(layer.params, where)
        elif kind == "mean":
            self._spatial_mean(layer.params, where)
        elif kind == "avgpool":
            self._avgpool(layer.params, where)
        else:
            raise QuantlogicError(f"layer {position}: unsupported layer type {layer.name or layer.kind}")

    def _activation(self, layer, position):
        """The open layer's activation; a plain clip right after an activation narrows it (clip(clip(g(z))) is
        one clip of g(z))."""
        last = self.dense[-1] if self.dense else None
        params = layer.params
        if (last is not None and self.has_act[-1] and self.pending is None and last.pool is None
                and params.get("curve", LINEAR).kind == "linear" and not params.get("pre")):
            last.lo, last.hi = max(last.lo, params["lo"]), min(last.hi, params["hi"])
            if not last.lo < last.hi:
                raise QuantlogicError(f"layer {position}: two clips in a row leave a constant")
            return
        if last is None or self.has_act[-1] or self.pending is not None:
            raise QuantlogicError(f"layer {position}: activation {layer.name} must directly follow a Linear "
                                  "or convolution (or its BatchNorm)")
        last.lo, last.hi, last.curve, last.act = params["lo"], params["hi"], params.get("curve", LINEAR), layer.name
        if params.get("pre"):
            a, c = params["pre"]
            last.W, last.b = last.W * a, last.b * a + c
        self.has_act[-1] = True

    def _softmax(self, params, where):
        if not self.dense or self.has_act[-1] or self.pending is not None or self.shape is not None:
            raise QuantlogicError(f"{where}: a softmax is supported only on the logits of the last Linear layer")
        if params.get("dim") not in (None, 1, -1):
            raise QuantlogicError(f"{where}: a softmax over dimension {params['dim']} (only over the classes, "
                                  "dimension 1)")
        self.final = "log_softmax" if params.get("log") else "softmax"

    def _flatten(self, start, end, where):
        if self.shape is None:
            return
        dims = [self.shape[0]] + ([self.shape[2]] if self.shape[1] == 1 and self._1d else list(self.shape[1:]))
        start, end = (d - 1 if d > 0 else len(dims) + d for d in (start, end))  # row dimensions (no batch)
        if not 0 <= start <= end < len(dims):
            raise QuantlogicError(f"{where}: a flatten that merges the batch with the row is not supported")
        self._reshape(dims[:start] + [int(np.prod(dims[start:end + 1]))] + dims[end + 1:], where)

    def _reshape(self, shape, where):
        shape = [int(n) for n in shape]
        if shape == [-1]:  # a flat view of the row
            self.shape = None
            return
        if shape.count(-1) == 1 and self.width is not None and self.width % max(1, -int(np.prod(shape))) == 0:
            shape[shape.index(-1)] = self.width // -int(np.prod(shape))
        shape = tuple(shape)
        size = int(np.prod(shape))
        if any(n <= 0 for n in shape) or (self.width is not None and size != self.width):
            raise QuantlogicError(f"{where}: a reshape to {shape} is not a view of the "
                                  f"{self.width if self.width is not None else '?'} values of a row")
        if len(shape) > 3:
            raise QuantlogicError(f"{where}: a reshape to {shape} has more than 3 dimensions per row")
        if self.width is None:
            self.width = size
        self.shape = None if len(shape) == 1 else (shape if len(shape) == 3 else (shape[0], 1, shape[1]))
        self._1d = len(shape) == 2
        if not self.dense and self.in_shape is None:
            self.in_shape = self._display()

    def _linear(self, layer, where):
        if self.dense and not self.has_act[-1]:
            raise QuantlogicError(f"{where}: two Linear layers with no activation between; pass --act identity "
                                  "to quantize the values between them")
        taps = None
        if layer.kind == "conv":
            W, b, groups, taps, out_shape = self._conv(layer.params, where)
            self._1d = layer.params["dims"] == 1
        else:
            W = np.asarray(layer.params["weight"], dtype=np.float64)
            b = np.asarray(layer.params.get("bias", np.zeros(W.shape[0])), dtype=np.float64)
            groups, out_shape = None, None
            if self.shape is not None and W.shape[1] != int(np.prod(self.shape)):
                raise QuantlogicError(f"{where}: a Linear of {W.shape[1]} inputs after an activation of shape "
                                      f"{self.shape}; flatten it first")
        if self.pending is not None:
            A, shift = self.pending
            _check_width(where, W.shape[1], len(shift))
            b = b + W @ shift
            W = W * A[None, :] if A.ndim == 1 else W @ A
            self.pending = None
        elif self.width is not None:
            _check_width(where, W.shape[1], self.width)
        self.width = W.shape[0]
        self.shape = out_shape
        self.dense.append(Dense(W, b, groups=groups, taps=taps, shape=self._display()))
        self.dense[-1].check_shared()
        self.has_act.append(False)

    def _conv(self, params, where):
        if self.shape is None:
            raise QuantlogicError(f"{where}: a convolution needs the row's shape; reshape the input row in forward "
                                  "(x.view(-1, C, H, W) or x.view(-1, C, L))")
        kernel = np.asarray(params["weight"], dtype=np.float64)
        if kernel.shape[1] * params["groups"] != self.shape[0]:
            raise QuantlogicError(f"{where}: expects {kernel.shape[1] * params['groups']} input channels, the "
                                  f"activation has shape {self.shape}")
        taps, out_shape = conv_taps(self.shape, kernel.shape[0], params["groups"], params["geometry"], where)
        b = np.asarray(params.get("bias", np.zeros(kernel.shape[0])), dtype=np.float64)
        positions = out_shape[1] * out_shape[2]
        groups = np.repeat(np.arange(kernel.shape[0]), positions)
        return unroll(kernel, taps), np.repeat(b, positions), groups, taps, out_shape

    def _per_feature(self, vector, where):
        """A per-channel BatchNorm vector repeated over each channel's positions."""
        if self.shape is None:
            return vector
        _check_width(where, len(vector), self.shape[0])
        return np.repeat(vector, self.shape[1] * self.shape[2])

    def _batchnorm(self, params, where):
        self._affine(*(self._per_feature(v, where) for v in _batchnorm_affine(params)), where)

    def _elementwise(self, params, where):
        """h -> scale * h + shift with a scalar, per-channel or per-value scale and shift (arithmetic in forward)."""
        width = self.width if self.shape is None else int(np.prod(self.shape))
        vectors = []
        for value in (params["scale"], params["shift"]):
            v = np.asarray(value, dtype=np.float64).ravel()
            if len(v) == 1:
                if width is None:
                    raise QuantlogicError(f"{where}: arithmetic on the input needs the row's width (give rows)")
                v = np.full(width, v[0])
            elif self.shape is not None and len(v) == self.shape[0]:
                v = self._per_feature(v, where)
            if width is not None and len(v) != width:
                raise QuantlogicError(f"{where}: an operand of {len(v)} values on a row of {width}")
            vectors.append(v)
        if not np.all(np.isfinite(vectors[0])) or not np.all(np.isfinite(vectors[1])):
            raise QuantlogicError(f"{where}: a scale or shift that is not finite")
        self._affine(*vectors, where)

    def _affine(self, scale, shift, where):
        """h -> scale * h + shift: into the open layer before its activation, else pending for the next."""
        last = self.dense[-1] if self.dense else None
        if last is not None and not self.has_act[-1] and self.pending is None:
            if last.pool is not None:
                raise QuantlogicError(f"{where}: a BatchNorm or arithmetic after a max-pool and before the "
                                      "activation is not supported (put the pool after the activation)")
            _check_width(where, len(scale), last.W.shape[0])
            last.W, last.b = last.W * scale[:, None], last.b * scale + shift
            last.check_shared()
        else:
            self._compose(scale, shift, where)

    def _compose(self, A, shift, where):
        """Put the affine map h -> A @ h + shift after the pending one (or as the pending one)."""
        if self.pending is None:
            self.pending = (A, shift)
            return
        A0, shift0 = self.pending
        _check_width(where, A.shape[-1], len(shift0))
        matrix = lambda M: M if M.ndim == 2 else np.diag(M)  # noqa: E731
        combined = A * A0 if A.ndim == A0.ndim == 1 else matrix(A) @ matrix(A0)
        self.pending = (combined, matrix(A) @ shift0 + shift)

    def _maxpool(self, params, where):
        last = self.dense[-1] if self.dense else None
        if last is None or self.pending is not None or self.shape is None:
            raise QuantlogicError(f"{where}: a max-pool must follow a convolution (or its BatchNorm and "
                                  "activation)")
        if "adaptive" in params:
            windows, self.shape = adaptive_max_windows(self.shape, params["adaptive"])
        else:
            windows, self.shape = pool_windows(self.shape, params["geometry"], where)
        last.pool = windows if last.pool is None else last.pool[windows].reshape(len(windows), -1)
        self.width = len(windows)

    def _spatial_mean(self, params, where):
        """x.mean over every position of a convolution's output (global average pooling), flat unless keepdim."""
        dims = {int(d) for d in np.atleast_1d(params["dims"])}
        spatial = ({2, -1} if self._1d else {2, 3, -2, -1}) if self.shape is not None else set()
        if not dims or not dims <= spatial or len(dims) != (1 if self._1d else 2):
            raise QuantlogicError(f"{where}: only a mean over every position of a convolution's output is supported")
        self._avgpool({"adaptive": (1, 1)}, where)
        if not params["keepdim"]:
            self._reshape([-1], where)

    def _avgpool(self, params, where):
        if self.shape is None:
            raise QuantlogicError(f"{where}: an average pool needs the activation's shape")
        if "adaptive" in params:
            P, self.shape = adaptive_avg_matrix(self.shape, params["adaptive"])
        else:
            P, self.shape = avgpool_matrix(self.shape, params["geometry"], params["count_include_pad"],
                                           params["divisor"], where)
        last = self.dense[-1] if self.dense else None
        self.width = P.shape[0]
        if last is not None and not self.has_act[-1] and self.pending is None and last.pool is None:
            last.W, last.b, last.taps = P @ last.W, P @ last.b, None
            last.groups = None if last.groups is None else last.groups[np.argmax(P, axis=1)]
            last.shape = self._display()
        else:
            self._compose(P, np.zeros(P.shape[0]), where)

    def _display(self):
        """The current shape as the user wrote it: (C, L) for 1-D, (C, H, W) for 2-D, None for a flat row."""
        if self.shape is None:
            return None
        return (self.shape[0], self.shape[2]) if self._1d else tuple(self.shape)

    def network(self):
        if not self.dense:
            raise QuantlogicError("the checkpoint has no Linear layer")
        output = self.dense[-1]
        final = self.final
        if self.has_act[-1] and output.curve.kind != "linear" and output.lo == -np.inf and output.hi == np.inf:
            final = output.curve  # increasing everywhere: the logits' order stays
        elif self.has_act[-1] or self.pending is not None or output.pool is not None:
            raise QuantlogicError("the network must end with a Linear layer giving the class logits (an activation "
                                  "that makes logits equal, such as ReLU, or a pool or BatchNorm after it is not "
                                  "supported; a softmax or an increasing activation is)")
        if output.W.shape[0] == 1 and final in ("softmax", "log_softmax"):
            raise QuantlogicError("a softmax over one logit is constant; the network predicts nothing")
        if output.W.shape[0] == 1:  # a binary classifier's one logit z: the logits (0, z), class 1 when z > 0
            return FloatNetwork(self.dense[:-1], Dense(np.vstack([np.zeros_like(output.W), output.W]),
                                                       np.concatenate([[0.0], output.b])), self.in_shape,
                                single_logit=True, final=final)
        return FloatNetwork(self.dense[:-1], Dense(output.W, output.b), self.in_shape, final=final)


def _check_finite(position, layer):
    """Refuse non-finite weights, biases or statistics, and a negative running variance."""
    if layer.kind not in ("linear", "conv", "batchnorm"):
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


def _check_width(where, got, want):
    if got != want:
        raise QuantlogicError(f"{where}: shape mismatch, expects {got} inputs but the previous layer gives {want}")
