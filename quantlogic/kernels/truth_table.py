"""Truth tables of integer neurons, enumerated in Gray-code order so each row costs one update."""
import numba
import numpy as np

from ..errors import QuantlogicError
from .config import NJIT

MAX_TABLE_BITS = 24


@numba.njit(**NJIT)
def _enumerate(weights, values, bits, thresholds):
    n = len(weights)
    total_bits = n * bits
    rows = 1 << total_bits
    out = np.empty(rows, dtype=np.uint8)
    codes = np.zeros(n, dtype=np.int64)
    acc = 0
    for i in range(n):
        acc += weights[i] * values[i, 0]
    mask = (1 << bits) - 1
    for r in range(rows):
        if r:
            t = 0  # the bit that flips between gray(r - 1) and gray(r): the lowest set bit of r
            while not (r >> t) & 1:
                t += 1
            i = t // bits
            old = codes[i]
            new = old ^ (1 << (t % bits))
            codes[i] = new
            acc += weights[i] * (values[i, new & mask] - values[i, old])
        g = r ^ (r >> 1)
        count = 0
        for k in range(len(thresholds)):
            if acc >= thresholds[k]:
                count += 1
        out[g] = count
    return out


def neuron_truth_table(weights, values, bits, thresholds, max_bits=MAX_TABLE_BITS):
    """Output code of #{k : sum_i weights[i] * values[i][code_i] >= thresholds[k]} for every input row;
    row index = sum_i code_i << (i * bits). values: (n, 2^bits) integer table per input."""
    weights = np.ascontiguousarray(weights, dtype=np.int64)
    values = np.ascontiguousarray(values, dtype=np.int64)
    thresholds = np.ascontiguousarray(thresholds, dtype=np.int64)
    if values.shape != (len(weights), 1 << bits):
        raise ValueError(f"values must have shape ({len(weights)}, {1 << bits}), got {values.shape}")
    if len(weights) * bits > max_bits:
        raise QuantlogicError(f"a truth table of {len(weights) * bits} input bits is over the limit of {max_bits}")
    return _enumerate(weights, values, bits, thresholds)
