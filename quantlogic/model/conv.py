"""Convolution and pooling geometry on flat rows: every activation is a row-major (C, H, W) array
(H = 1 for 1-D layers), so a convolution is a dense layer with shared weights and a pool an index table.
"""
from dataclasses import dataclass

import numpy as np

from ..errors import QuantlogicError


@dataclass(frozen=True)
class Geometry:
    """A sliding window over a (C, H, W) input: kernel, stride, dilation and padding (before, after)."""
    kernel: tuple
    stride: tuple
    dilation: tuple
    padding: tuple  # ((top, bottom), (left, right))

    def out_size(self, in_shape, where):
        """(H_out, W_out) of an input (C, H, W)."""
        sizes = []
        for n, k, s, d, (p0, p1) in zip(in_shape[1:], self.kernel, self.stride, self.dilation, self.padding):
            span = n + p0 + p1 - d * (k - 1)
            if span < 1:
                raise QuantlogicError(f"{where}: the window ({k} taps, dilation {d}) is larger than its padded "
                                      f"input ({n} + {p0 + p1})")
            sizes.append((span - 1) // s + 1)
        return tuple(sizes)

    def positions(self, in_shape, where):
        """(rows (Ho*Wo, kh*kw), valid mask) of input pixel indices y*W + x for each output position and tap;
        taps that fall in the padding are marked invalid."""
        (ho, wo), (_, h, w) = self.out_size(in_shape, where), in_shape
        oy, ox = np.meshgrid(np.arange(ho), np.arange(wo), indexing="ij")
        ky, kx = np.meshgrid(np.arange(self.kernel[0]), np.arange(self.kernel[1]), indexing="ij")
        iy = oy.reshape(-1, 1) * self.stride[0] - self.padding[0][0] + ky.reshape(1, -1) * self.dilation[0]
        ix = ox.reshape(-1, 1) * self.stride[1] - self.padding[1][0] + kx.reshape(1, -1) * self.dilation[1]
        valid = (iy >= 0) & (iy < h) & (ix >= 0) & (ix < w)
        return np.where(valid, iy * w + ix, 0), valid


def pair(value, dims, name, where):
    """A per-dimension setting as a (H, W) pair: 1-D layers get 1 for H."""
    values = tuple(int(v) for v in (value if isinstance(value, (tuple, list)) else [value] * dims))
    if len(values) != dims:
        raise QuantlogicError(f"{where}: {name} {value!r} does not fit a {dims}-D layer")
    return values if dims == 2 else (1,) + values


def padding_pairs(padding, kernel, dilation, dims, where):
    """((top, bottom), (left, right)) of torch's padding (an int, a tuple, 'valid' or 'same')."""
    if padding == "valid":
        return ((0, 0), (0, 0))
    if padding == "same":  # torch puts the odd pixel after
        return tuple((d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(kernel, dilation))
    if isinstance(padding, str):
        raise QuantlogicError(f"{where}: padding {padding!r} is not supported")
    values = pair(padding, dims, "padding", where)
    if dims == 1:
        values = (0,) + values[1:]
    if min(values) < 0:
        raise QuantlogicError(f"{where}: negative padding {padding!r}")
    return tuple((p, p) for p in values)


def conv_taps(in_shape, out_channels, groups, geometry, where):
    """(taps (out, in) int64, out_shape): taps[r, c] is the index of the kernel entry (a flat index into
    weight (C_out, C_in / groups, kh, kw)) that output r applies to input c, -1 where none does."""
    c_in = in_shape[0]
    if c_in % groups or out_channels % groups:
        raise QuantlogicError(f"{where}: {c_in} input and {out_channels} output channels do not split into "
                              f"{groups} groups")
    pixels, valid = geometry.positions(in_shape, where)
    ho, wo = geometry.out_size(in_shape, where)
    n_pos, n_k = pixels.shape
    per_group_in, per_group_out = c_in // groups, out_channels // groups
    plane = in_shape[1] * in_shape[2]
    taps = np.full((out_channels * n_pos, c_in * plane), -1, dtype=np.int64)
    rows = np.arange(n_pos)
    for co in range(out_channels):
        first_in = (co // per_group_out) * per_group_in
        for ci in range(per_group_in):
            for k in range(n_k):
                keep = valid[:, k]
                cols = (first_in + ci) * plane + pixels[keep, k]
                taps[co * n_pos + rows[keep], cols] = (co * per_group_in + ci) * n_k + k
    return taps, (out_channels, ho, wo)


def unroll(kernel, taps):
    """The dense weight matrix (out, in) of a convolution kernel and its taps."""
    flat = np.asarray(kernel, dtype=np.float64).ravel()
    return np.where(taps >= 0, flat[np.maximum(taps, 0)], 0.0)


def pool_windows(in_shape, geometry, where):
    """(windows (C*Ho*Wo, kh*kw) int64 of input indices, out_shape) of a max-pool; a tap in the padding
    repeats the window's first real input (max-pool pads with -inf, which never wins)."""
    pixels, valid = geometry.positions(in_shape, where)
    if not valid.any(axis=1).all():
        raise QuantlogicError(f"{where}: a pooling window lies entirely in the padding")
    first = pixels[np.arange(len(pixels)), valid.argmax(axis=1)]
    pixels = np.where(valid, pixels, first[:, None])
    plane = in_shape[1] * in_shape[2]
    windows = np.concatenate([c * plane + pixels for c in range(in_shape[0])])
    return windows.astype(np.int64), (in_shape[0],) + geometry.out_size(in_shape, where)


def adaptive_windows(in_shape, out_size):
    """(windows: for each output (C*Ho*Wo) the input indices it covers, out_shape) of torch's adaptive pooling
    to out_size (Ho, Wo; None keeps that side): output i of n over a side of length L covers
    [floor(i L / n), ceil((i + 1) L / n))."""
    C, H, W = in_shape
    oh, ow = (H if out_size[0] is None else int(out_size[0])), (W if out_size[1] is None else int(out_size[1]))

    def spans(length, n):
        return [range(i * length // n, -(-(i + 1) * length // n)) for i in range(n)]

    windows = [[c * H * W + r * W + q for r in rows for q in cols]
               for c in range(C) for rows in spans(H, oh) for cols in spans(W, ow)]
    return windows, (C, oh, ow)


def adaptive_max_windows(in_shape, out_size):
    """adaptive_windows as a max-pool table (windows padded with their first input: a max takes it once)."""
    windows, shape = adaptive_windows(in_shape, out_size)
    size = max(len(w) for w in windows)
    return np.array([w + [w[0]] * (size - len(w)) for w in windows], dtype=np.int64), shape


def adaptive_avg_matrix(in_shape, out_size):
    """(P, out_shape) with adaptive average pooling = P @ x."""
    windows, shape = adaptive_windows(in_shape, out_size)
    P = np.zeros((len(windows), int(np.prod(in_shape))))
    for row, window in enumerate(windows):
        P[row, window] = 1.0 / len(window)
    return P, shape


def adaptive_params(where, dims, output_size):
    """The params of a Layer("maxpool" / "avgpool") of torch's adaptive pooling to output_size."""
    size = list(output_size) if isinstance(output_size, (list, tuple)) else [output_size] * dims
    if len(size) != dims or any(n is not None and int(n) < 1 for n in size):
        raise QuantlogicError(f"{where}: adaptive pooling to {output_size} is not a {dims}-D size")
    return {"adaptive": tuple([1] + size if dims == 1 else size)}


def avgpool_matrix(in_shape, geometry, count_include_pad, divisor, where):
    """(P (C*Ho*Wo, C*H*W), out_shape) with avgpool(x) = P @ x (torch's divisor rules)."""
    pixels, valid = geometry.positions(in_shape, where)
    n_pos, n_k = pixels.shape
    plane = in_shape[1] * in_shape[2]
    if divisor:
        counts = np.full(n_pos, float(divisor))
    elif count_include_pad:  # the window clipped to the padded input counts (torch's rule)
        counts = np.full(n_pos, float(n_k))
    else:
        counts = valid.sum(axis=1).astype(np.float64)
    P = np.zeros((in_shape[0] * n_pos, in_shape[0] * plane))
    rows = np.arange(n_pos)
    for c in range(in_shape[0]):
        for k in range(n_k):
            keep = valid[:, k]
            np.add.at(P, (c * n_pos + rows[keep], c * plane + pixels[keep, k]), 1.0 / counts[keep])
    return P, (in_shape[0],) + geometry.out_size(in_shape, where)


def conv_params(where, weight, bias, stride, padding, dilation, groups, padding_mode="zeros"):
    """The params of a Layer("conv") from torch's Conv1d/Conv2d settings (weight (C_out, C_in/g, [kh,] kw))."""
    dims = weight.ndim - 2
    if dims not in (1, 2):
        raise QuantlogicError(f"{where}: a {dims}-D convolution is not supported (Conv1d and Conv2d are)")
    if padding_mode != "zeros":
        raise QuantlogicError(f"{where}: padding mode {padding_mode!r} is not supported (only zeros)")
    kernel = weight.shape[2:] if dims == 2 else (1,) + weight.shape[2:]
    dilation = pair(dilation, dims, "dilation", where)
    geometry = Geometry(tuple(kernel), pair(stride, dims, "stride", where), dilation,
                        padding_pairs(padding, kernel, dilation, dims, where))
    if min(geometry.stride + geometry.dilation) < 1 or int(groups) < 1:
        raise QuantlogicError(f"{where}: stride, dilation and groups must be positive")
    params = {"weight": weight.reshape(weight.shape[:2] + tuple(kernel)), "groups": int(groups),
              "geometry": geometry, "dims": dims}
    if bias is not None:
        params["bias"] = bias
    return params


def pool_params(where, dims, kernel, stride=None, padding=0, dilation=1, ceil_mode=False, count_include_pad=True,
                divisor=None):
    """The params of a Layer("maxpool" / "avgpool") from torch's pooling settings."""
    if ceil_mode:
        raise QuantlogicError(f"{where}: ceil_mode=True is not supported (partial windows)")
    kernel = pair(kernel, dims, "kernel_size", where)
    stride = kernel if stride is None or stride == [] or stride == () else pair(stride, dims, "stride", where)
    padding = pair(padding, dims, "padding", where)
    if dims == 1:
        padding = (0,) + padding[1:]
    geometry = Geometry(kernel, stride, pair(dilation, dims, "dilation", where), tuple((p, p) for p in padding))
    if min(kernel + stride + geometry.dilation) < 1 or min(padding) < 0:
        raise QuantlogicError(f"{where}: kernel, stride and dilation must be positive, padding not negative")
    return {"geometry": geometry, "dims": dims, "count_include_pad": bool(count_include_pad),
            "divisor": int(divisor) if divisor else None}
