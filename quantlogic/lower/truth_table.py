"""The truth-table path for neurons with few input bits: enumerate, minimize each output bit with
espresso, and build the sums of products as AND/OR gates. Minimized covers and sizes are kept per
neuron function (used weights, their value tables, thresholds), so a convolution's positions that share
one are minimized once and instantiated on their own inputs."""
import functools

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
    pins = [lit for i in used for lit in words[i]]
    return [factored(aig, cubes, pins) for cubes in _covers(*_function(words, weights, values, thresholds, abits))]


def _function(words, weights, values, thresholds, abits):
    """The key of a neuron's function over its used inputs (hashable)."""
    used = table_inputs(words, weights)
    return (tuple(int(weights[i]) for i in used), tuple(tuple(int(v) for v in values[i]) for i in used),
            len(words[used[0]]), tuple(int(t) for t in thresholds), abits)


@functools.lru_cache(maxsize=4096)
def _covers(weights, values, bits, thresholds, abits):
    """Espresso's cover of each output bit of the neuron function (see _function)."""
    table = neuron_truth_table(list(weights), np.array(values), bits, list(thresholds))
    return tuple(tuple(espresso_cover((table >> j) & 1, len(weights) * bits)) for j in range(abits))


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
    if not table_inputs(words, weights):
        return 0
    return _table_size(*_function(words, weights, values, thresholds, abits))


@functools.lru_cache(maxsize=4096)
def _table_size(weights, values, bits, thresholds, abits):
    scratch = AIG()
    pins = [scratch.add_input(f"i{k}") for k in range(len(weights) * bits)]
    return len(scratch.cone([factored(scratch, cubes, pins) for cubes in _covers(weights, values, bits, thresholds,
                                                                                  abits)]))


def value_table(values, bits):
    """(n, 2^bits) array of per-code values, padding unused codes with the last value."""
    table = np.zeros((len(values), 1 << bits), dtype=np.int64)
    for i, v in enumerate(values):
        table[i, :len(v)] = v
        table[i, len(v):] = v[-1]
    return table
