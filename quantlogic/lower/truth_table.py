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
    return [factored(aig, espresso_cover((table >> j) & 1, len(pins)), pins) for j in range(abits)]


def factored(aig, cubes, pins):
    """A sum of products (cubes of (pin index, polarity)) built with literals factored out greedily:
    F = l & (F / l) | rest, taking the literal shared by the most cubes first (ties: the smallest)."""
    counts = {}
    for cube in cubes:
        for literal in cube:
            counts[literal] = counts.get(literal, 0) + 1
    best = max(sorted(counts), key=lambda literal: counts[literal], default=None)
    if best is None or counts[best] < 2:
        return aig.or_all(aig.and_all(_pin(pins, lit) for lit in cube) for cube in cubes)
    inside = [tuple(x for x in cube if x != best) for cube in cubes if best in cube]
    rest = [cube for cube in cubes if best not in cube]
    return aig.or_(aig.and_(_pin(pins, best), factored(aig, inside, pins)), factored(aig, rest, pins))


def _pin(pins, literal):
    k, positive = literal
    return pins[k] if positive else neg(pins[k])


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
