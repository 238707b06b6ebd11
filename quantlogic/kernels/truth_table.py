"""Truth tables of integer neurons, enumerated incrementally so each row costs O(1)."""
import numba
import numpy as np

from ..errors import QuantlogicError
from .config import NJIT

MAX_TABLE_BITS = 24


@numba.njit(**NJIT)
def _enumerate(weights, values, bits, thresholds):
    """Rows in odometer order: a block of the innermost inputs' partial sums is precomputed, each carry
    into an outer input updates the running outer partial sum once, and the block of output codes for each
    distinct outer sum is computed once (one lookup per row) and then copied (O(1) per row, amortized)."""
    n = len(weights)
    per = 1 << bits
    contrib = np.empty((n, per), dtype=np.int64)
    lo = 0
    hi = 0
    for i in range(n):
        for c in range(per):
            contrib[i, c] = weights[i] * values[i, c]
        lo += contrib[i].min()
        hi += contrib[i].max()
    lut = np.empty(hi - lo + 1, dtype=np.uint8)
    for a in range(lo, hi + 1):
        count = 0
        for k in range(len(thresholds)):
            if a >= thresholds[k]:
                count += 1
        lut[a - lo] = count
    inner_n = 1  # the innermost inputs form one block of partial sums, up to 1024 rows
    while inner_n < n and (1 << ((inner_n + 1) * bits)) <= 1024:
        inner_n += 1
    block = 1 << (inner_n * bits)
    inner = np.zeros(block, dtype=np.int64)
    for r in range(block):
        for i in range(inner_n):
            inner[r] += contrib[i, (r >> (i * bits)) & (per - 1)]
    rows = 1 << (n * bits)
    out = np.empty(rows, dtype=np.uint8)
    codes = np.zeros(n, dtype=np.int64)
    base = -lo
    outer_lo = 0
    outer_hi = 0
    for i in range(inner_n, n):
        base += contrib[i, 0]
        outer_lo += contrib[i].min()
        outer_hi += contrib[i].max()
    # a block depends only on the outer partial sum: cache each distinct block (at most 16 MiB)
    n_sums = outer_hi - outer_lo + 1
    cached = n_sums * block <= (1 << 24)
    cache = np.empty((n_sums if cached else 0, block), dtype=np.uint8)
    filled = np.zeros(n_sums if cached else 0, dtype=np.bool_)
    shift = outer_lo - lo
    row = 0
    while row < rows:
        if cached:
            k = base - shift
            if not filled[k]:
                for r in range(block):
                    cache[k, r] = lut[base + inner[r]]
                filled[k] = True
            out[row:row + block] = cache[k]
        else:
            for r in range(block):
                out[row + r] = lut[base + inner[r]]
        row += block
        i = inner_n
        while i < n:
            old = codes[i]
            if old + 1 < per:
                codes[i] = old + 1
                base += contrib[i, old + 1] - contrib[i, old]
                break
            codes[i] = 0
            base += contrib[i, 0] - contrib[i, old]
            i += 1
    return out


def neuron_truth_table(weights, values, bits, thresholds, max_bits=MAX_TABLE_BITS):
    """Output code of #{k : sum_i weights[i] * values[i][code_i] >= thresholds[k]} for every input row;
    row index = sum_i code_i << (i * bits). values: (n, 2^bits) integer table per input."""
    weights = np.ascontiguousarray(weights, dtype=np.int64)
    values = np.ascontiguousarray(values, dtype=np.int64)
    thresholds = np.ascontiguousarray(thresholds, dtype=np.int64)
    if values.shape != (len(weights), 1 << bits):
        raise ValueError(f"values must have shape ({len(weights)}, {1 << bits}), got {values.shape}")
    if len(weights) == 0:
        return np.array([int(np.sum(0 >= thresholds))], dtype=np.uint8)
    if len(weights) * bits > max_bits:
        raise QuantlogicError(f"a truth table of {len(weights) * bits} input bits is over the limit of {max_bits}")
    return _enumerate(weights, values, bits, thresholds)
