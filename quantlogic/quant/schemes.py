"""Quantizers for inputs, weights and activations; each returns integers plus the float scale."""
import numpy as np

from .codes import encode_column

CLIP_FRACTIONS = (0.0, 0.001, 0.005, 0.01, 0.02, 0.05)
SCALE_GRID = np.linspace(1.0, 0.2, 81)  # candidate scales as a fraction of the max-abs scale


def check_bits(name, bits):
    from ..errors import QuantlogicError

    if not isinstance(bits, (int, np.integer)) or not 1 <= bits <= 8:
        raise QuantlogicError(f"--{name} must be an integer from 1 to 8, got {bits}")


def input_encoding(x, ibits, search=True):
    """One feature's encoding: (thresholds (K,), levels (K+1,) int, scale, offset) with
    value(code) = offset + scale * levels[code] and code = #{k : x >= thresholds[k]}."""
    candidates = [_uniform_encoding(x, ibits, p) for p in (CLIP_FRACTIONS if search else (0.0,))]
    if search:
        quantile = _quantile_encoding(x, ibits)
        if quantile is not None:
            candidates.append(quantile)
    errors = [_encoding_mse(x, *enc) for enc in candidates]
    thresholds, levels, scale, offset = candidates[int(np.argmin(errors))]
    return off_the_values(x, thresholds), levels, scale, offset


def off_the_values(x, thresholds):
    """thresholds with each one that lies within float32 rounding of a value of x moved to the middle of the gap
    it decides (between the largest value below it and the least at or above it, past the ends by the end gap),
    kept between its neighbours: every code of x stays, and a reader that rounds the threshold (a float32
    encoder, a printed table) no longer decides those values differently. Integer-valued features put uniform
    thresholds right on their values (digits at 3 bits: 34 of 448)."""
    values = np.unique(x)
    t = np.array(thresholds, dtype=np.float64)
    if len(values) < 2:
        return t
    tol = 1e-6 * (np.abs(t) + (values[-1] - values[0]))
    padded = np.concatenate([[2 * values[0] - values[1]], values, [2 * values[-1] - values[-2]]])
    first_above = np.searchsorted(values, t, side="left") + 1  # in padded: the least value with value >= t
    for k, i in enumerate(first_above):
        below, above = padded[i - 1], padded[i]
        if min(above - t[k], t[k] - below) < tol[k]:
            low = max(below, t[k - 1] if k > 0 else -np.inf)
            high = min(above, t[k + 1] if k + 1 < len(t) else np.inf)
            t[k] = (low + high) / 2
    return t


def encode(x, thresholds):
    """Codes #{k : x >= thresholds[k]} of a feature column."""
    return encode_column(x, thresholds)


def _uniform_encoding(x, ibits, clip):
    K = 2 ** ibits - 1
    lo, hi = np.quantile(x, clip), np.quantile(x, 1.0 - clip)
    step = (hi - lo) / K if hi > lo else 1.0
    thresholds = lo + (np.arange(1, K + 1) - 0.5) * step
    return thresholds, np.arange(K + 1, dtype=np.int64), step, lo


def _quantile_encoding(x, ibits):
    """Bins at the data's quantiles, levels at the bin means on an integer grid of 2^(ibits+1) steps, then
    thresholds moved to the midpoints between levels (each value goes to its nearest level). None when
    bins or levels would coincide."""
    K = 2 ** ibits - 1
    thresholds = np.quantile(x, np.arange(1, K + 1) / (K + 1))
    if np.any(np.diff(thresholds) <= 0) or thresholds[0] <= x.min():
        return None
    codes = encode(x, thresholds)
    if np.any(np.bincount(codes, minlength=K + 1) == 0):
        return None
    reps = np.array([x[codes == c].mean() for c in range(K + 1)])
    scale = (reps[-1] - reps[0]) / (2 ** (ibits + 1) - 1)
    levels = np.round((reps - reps[0]) / scale).astype(np.int64)
    if np.any(np.diff(levels) <= 0):
        return None
    values = reps[0] + scale * levels
    return (values[:-1] + values[1:]) / 2, levels, scale, reps[0]


def _encoding_mse(x, thresholds, levels, scale, offset):
    return float(np.mean((x - (offset + scale * levels[encode(x, thresholds)])) ** 2))


def quantize_grouped(W, wbits, groups, connected, search=True, moments=None):
    """quantize_rows for a convolution's rows: one scale and one orientation per group (channel), chosen on the
    group's row with the most connections, so equal weights at every position become equal integers; an
    unconnected entry stays 0 (also at 1 bit)."""
    W = np.asarray(W, dtype=np.float64)
    n_groups = int(groups.max()) + 1
    counts = connected.sum(axis=1)
    reps = np.array([np.flatnonzero(groups == g)[np.argmax(counts[groups == g])] for g in range(n_groups)])
    rep_q, rep_scale = quantize_rows(np.where(connected[reps], W[reps], 0.0), wbits, search, moments,
                                     connected[reps])
    scale = rep_scale[groups]
    if wbits == 1:
        return np.where(connected, np.where(W >= 0, 1, -1), 0).astype(np.int64), scale
    lo, hi = row_bounds(rep_q, wbits)
    return np.clip(np.round(W / scale[:, None]), lo[groups, None], hi[groups, None]).astype(np.int64), scale


def weight_bounds(wbits):
    """(short, long): a row's integers lie in [-long, short] (a two's-complement integer of wbits bits) or in
    its mirror image [-short, long] (the same levels for a neuron whose scale is negated); 1 bit is -1 or 1."""
    return (1, 1) if wbits == 1 else (2 ** (wbits - 1) - 1, 2 ** (wbits - 1))


def orientations(wbits):
    """The two integer ranges a row may use: (-long, short), the normal one, then its mirror (-short, long)."""
    short, long = weight_bounds(wbits)
    return (-long, short), (-short, long)


def row_bounds(Wq, wbits, groups=None):
    """(lo, hi) per row of integer rows Wq: the mirror image where a row (with groups, a row of its group: a
    convolution's channel) reaches +long, else [-long, short]."""
    short, long = weight_bounds(wbits)
    mirrored = np.asarray(Wq).max(axis=1) > short
    if groups is not None:
        mirrored = (np.bincount(groups, mirrored) > 0)[groups]
    return np.where(mirrored, -short, -long), np.where(mirrored, long, short)


def fits(row, wbits):
    """Whether one integer row lies in one of the two orientations of weight_bounds."""
    short, long = weight_bounds(wbits)
    row = np.asarray(row)
    return row.min() >= -long and row.max() <= long and not (row.min() < -short and row.max() > short)


def quantize_rows(W, wbits, search=True, moments=None, connected=None):
    """Per-row weight quantization: (integers, positive scale per row); each row's integers lie in one
    orientation of weight_bounds (symmetric [-short, short] with search off). 1 bit is sign times scale (the
    mean magnitude over the connected entries, all when None). The scale and orientation minimize the squared
    error of the row's output e @ moments @ e (moments = E[v v^T] of the layer's inputs; identity when None)."""
    W = np.atleast_2d(np.asarray(W, dtype=np.float64))
    if wbits == 1:
        Wq = np.where(W >= 0, 1, -1).astype(np.int64)
        scale = np.abs(W).mean(axis=1) if connected is None else \
            np.abs(W).sum(axis=1) / np.maximum(connected.sum(axis=1), 1)
        return Wq, np.where(scale > 0, scale, 1.0)
    short, long = weight_bounds(wbits)
    if search:
        fractions, ranges = _scale_fractions(wbits), orientations(wbits)
    else:
        fractions, ranges = SCALE_GRID[:1] / short, ((-short, short),)
    block = max(1, BLOCK_ENTRIES // (len(fractions) * W.shape[1]))
    parts = [_best_rows(W[r:r + block], fractions, ranges, moments) for r in range(0, len(W), block)]
    return np.concatenate([q for q, _ in parts]), np.concatenate([s for _, s in parts])


def quantize_shared(W, wbits, search=True, moments=None):
    """(integers, scale) of a matrix on one positive scale (the output layer: integer logits compare exactly),
    each row in the orientation of weight_bounds that fits it better; the scale minimizes the summed squared
    error of the rows' outputs, e @ moments @ e (moments = E[v v^T] of the layer's inputs; identity when None)."""
    W = np.atleast_2d(np.asarray(W, dtype=np.float64))
    if wbits == 1 or not search:
        Wq, scale = quantize_rows(W.reshape(1, -1), wbits, search)
        return Wq.reshape(W.shape), float(scale[0])
    best = None
    for scale in (np.abs(W).max() or 1.0) * _scale_fractions(wbits):
        normal, mirror = (np.clip(np.round(W / scale), lo, hi) for lo, hi in orientations(wbits))
        errors = [output_errors(W - q * scale, moments) for q in (normal, mirror)]
        mirrored = errors[1] < errors[0]
        error = float(np.where(mirrored, errors[1], errors[0]).sum())
        if best is None or error < best[0]:
            best = (error, np.where(mirrored[:, None], mirror, normal), float(scale))
    return best[1].astype(np.int64), best[2]


def output_errors(e, moments):
    """e @ moments @ e over the last axis of weight errors e (moments = E[v v^T] of the inputs; identity when
    None): the squared error each candidate adds to its row's output. One matrix product, not a loop."""
    if moments is None:
        return (e * e).sum(axis=-1)
    flat = e.reshape(-1, e.shape[-1])
    return ((flat @ moments) * flat).sum(axis=1).reshape(e.shape[:-1])


BLOCK_ENTRIES = 2 ** 21  # candidate weights held at once by quantize_rows (16 MB an array)


def _scale_fractions(wbits):
    """Candidate scales as fractions of a row's largest |w|: that weight on either end of the grid, shrunk."""
    short, long = weight_bounds(wbits)
    return np.concatenate([SCALE_GRID / short, SCALE_GRID / long])


def _best_rows(W, fractions, ranges, moments):
    """(integers, scale) of each row of W: the candidate scale (a fraction of the row's largest |w|) and range
    with the least output error; the first among equals (the normal orientation, then the larger scale)."""
    maxabs = np.abs(W).max(axis=1)
    scales = np.where(maxabs > 0, maxabs, 1.0)[:, None] * fractions[None, :]  # (rows, candidates)
    rows = np.arange(len(W))
    best_q, best_scale, best_error = np.zeros(W.shape), np.ones(len(W)), np.full(len(W), np.inf)
    for lo, hi in ranges:
        q = np.clip(np.round(W[:, None, :] / scales[:, :, None]), lo, hi)
        errors = output_errors(W[:, None, :] - q * scales[:, :, None], moments)
        pick = np.argmin(errors, axis=1)
        better = errors[rows, pick] < best_error
        best_q[better] = q[rows, pick][better]
        best_scale[better] = scales[rows, pick][better]
        best_error[better] = errors[rows, pick][better]
    return best_q.astype(np.int64), best_scale


def activation_range(f, lo_f, abits, search=True):
    """(lo, scale) of the unsigned activation code round((f - lo) / scale) in [0, 2^abits - 1], shared by a
    layer, where f = clip(z, lo_f, hi_f) over calibration rows; the top is clipped to minimize squared error."""
    M = 2 ** abits - 1
    lo = float(lo_f) if np.isfinite(lo_f) else float(f.min())
    span = float(f.max()) - lo
    if span <= 0:
        return lo, 1.0
    best = None
    for scale in span * (SCALE_GRID if search else SCALE_GRID[:1]) / M:
        error = float(((f - (lo + np.clip(np.round((f - lo) / scale), 0, M) * scale)) ** 2).sum())
        if best is None or error < best[0]:
            best = (error, scale)
    return lo, best[1]
