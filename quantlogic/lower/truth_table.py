"""The truth-table path for neurons with few input bits: enumerate, minimize each output bit with
espresso, and build the sums of products as AND/OR gates."""
import numpy as np

from ..ir.aig import AIG, neg
from ..kernels.truth_table import neuron_truth_table
from ..pyeda_bridge import espresso_cover

DEFAULT_TABLE_BITS = 12


def table_inputs(words, weights):
    """Indices of the inputs that matter (non-zero weight)."""
    return [i for i, w in enumerate(weights) if int(w) != 0]


def table_bits(words, weights):
    return sum(len(words[i]) for i in table_inputs(words, weights))


def lower_neuron_table(aig, words, weights, values, thresholds, abits):
    """Output word of a neuron built from its minimized truth table over the used inputs' bits.
    values[i]: integer value of each code of input i; all used inputs have equal word widths."""
    used = table_inputs(words, weights)
    if not used:
        count = int(sum(0 >= int(t) for t in thresholds))
        return [int((count >> j) & 1) for j in range(abits)]
    bits = len(words[used[0]])
    table = neuron_truth_table([weights[i] for i in used], [values[i] for i in used], bits, thresholds)
    pins = [lit for i in used for lit in words[i]]
    out = []
    for j in range(abits):
        cubes = espresso_cover((table >> j) & 1, len(pins))
        terms = [aig.and_all(pins[k] if positive else neg(pins[k]) for k, positive in cube) for cube in cubes]
        out.append(aig.or_all(terms))
    return out


def table_size(words, weights, values, thresholds, abits):
    """AND gates the truth-table path would build for this neuron (in a scratch AIG)."""
    scratch = AIG()
    fresh = [[scratch.add_input(f"i{i}_{j}") for j in range(len(w))] for i, w in enumerate(words)]
    return len(scratch.cone(lower_neuron_table(scratch, fresh, weights, values, thresholds, abits)))


def value_table(values, bits):
    """(n, 2^bits) array of per-code values, padding unused codes with the last value."""
    table = np.zeros((len(values), 1 << bits), dtype=np.int64)
    for i, v in enumerate(values):
        table[i, :len(v)] = v
        table[i, len(v):] = v[-1]
    return table
