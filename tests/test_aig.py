"""The AIG core, the simulator, neuron lowering and the file formats, against plain oracles."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import random_aigs
from quantlogic.quant.codes import bits_to_ints
from quantlogic.formats import aiger, netlist
from quantlogic.ir.aig import AIG, FALSE, TRUE, neg
from quantlogic.kernels.simulate import Simulator, pack_bits, unpack_words
from quantlogic.lower.arith import argmax, at_least, compress, dot_diagram, thermometer_to_binary


def test_and_folds_constants_and_hashes():
    aig = AIG()
    a, b = aig.add_input("a"), aig.add_input("b")
    assert aig.and_(a, FALSE) == FALSE and aig.and_(a, TRUE) == a and aig.and_(a, a) == a
    assert aig.and_(a, neg(a)) == FALSE
    ab = aig.and_(a, b)
    assert aig.and_(b, a) == ab and aig.n_ands == 1


def naive_eval(aig, bits):
    """Node by node in plain Python: the oracle for the simulator."""
    values = [False] + [bool(b) for b in bits]
    lit = lambda x: values[x >> 1] ^ bool(x & 1)  # noqa: E731
    for a, b in zip(aig.fanin0, aig.fanin1):
        values.append(lit(a) and lit(b))
    return [lit(o) for o in aig.output_lits]


@settings(max_examples=40, deadline=None)
@given(random_aigs(), st.integers(0, 2 ** 32))
def test_simulator_equals_naive_evaluation(aig, seed):
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, size=(150, aig.n_inputs)).astype(bool)
    got = Simulator(aig).bits(bits)
    want = np.array([naive_eval(aig, row) for row in bits])
    assert np.array_equal(got, want)


def naive_depth(aig, lits):
    """The longest chain of ANDs below each literal, by recursion over the fan-ins: the oracle for levels_of."""
    base = 1 + aig.n_inputs

    def depth(node):
        if node < base:
            return 0
        return 1 + max(depth(aig.fanin0[node - base] >> 1), depth(aig.fanin1[node - base] >> 1))
    return [depth(lit >> 1) for lit in lits]


@settings(max_examples=40, deadline=None)
@given(random_aigs())
def test_levels_of_equals_the_longest_chain_of_ands(aig):
    from quantlogic.formats.depth import depth_of, levels_of

    nodes = list(range(aig.n_nodes))
    assert levels_of(aig).tolist() == naive_depth(aig, [2 * n for n in nodes])
    assert depth_of(aig) == max(naive_depth(aig, aig.output_lits), default=0)


def test_pack_unpack_roundtrip():
    bits = np.random.default_rng(0).integers(0, 2, size=(200, 5)).astype(bool)
    assert np.array_equal(unpack_words(pack_bits(bits), 200), bits)


@settings(max_examples=40, deadline=None)
@given(random_aigs())
def test_formats_read_back_identical(aig):
    for write, read in ((aiger.to_aag, aiger.from_aag), (aiger.to_aig, aiger.from_aig),
                        (netlist.to_blif, netlist.from_blif)):
        back = read(write(aig))
        assert back.input_names == aig.input_names and back.output_names == aig.output_names
        assert back.fanin0 == aig.fanin0 and back.fanin1 == aig.fanin1 and back.output_lits == aig.output_lits


@st.composite
def neurons(draw):
    fan_in = draw(st.integers(1, 5))
    in_bits = draw(st.integers(1, 3))
    abits = draw(st.integers(1, 3))
    weights = draw(st.lists(st.integers(-7, 7), min_size=fan_in, max_size=fan_in))
    vmax = (1 << in_bits) - 1
    lo = sum(min(w * vmax, 0) for w in weights)
    hi = sum(max(w * vmax, 0) for w in weights)
    thresholds = sorted(draw(st.lists(st.integers(lo - 2, hi + 2), min_size=2 ** abits - 1, max_size=2 ** abits - 1)))
    return weights, in_bits, abits, thresholds


@settings(max_examples=60, deadline=None)
@given(neurons())
def test_lowered_neuron_equals_its_threshold_function(neuron):
    weights, in_bits, abits, thresholds = neuron
    aig = AIG()
    words = [[aig.add_input(f"x{i}_{j}") for j in range(in_bits)] for i in range(len(weights))]
    columns, offset = dot_diagram(words, weights)
    total = compress(aig, columns)
    out = thermometer_to_binary(aig, [at_least(aig, total, t - offset) for t in thresholds], abits)
    for j, lit in enumerate(out):
        aig.add_output(f"y{j}", lit)
    n = aig.n_inputs
    patterns = np.arange(1 << n)
    bits = ((patterns[:, None] >> np.arange(n)) & 1).astype(bool)
    codes = (patterns[:, None] >> (np.arange(len(weights)) * in_bits)) & ((1 << in_bits) - 1)
    acc = codes @ np.array(weights)
    want = (acc[:, None] >= np.array(thresholds)[None, :]).sum(axis=1)
    assert np.array_equal(bits_to_ints(Simulator(aig).bits(bits)), want)


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 5), st.integers(1, 3))
def test_argmax_ties_to_smallest_index(n_words, width):
    aig = AIG()
    words = [[aig.add_input(f"w{c}_{k}") for k in range(width)] for c in range(n_words)]
    index, _ = argmax(aig, words)
    for j, lit in enumerate(index):
        aig.add_output(f"y{j}", lit)
    patterns = np.arange(1 << aig.n_inputs)
    bits = ((patterns[:, None] >> np.arange(aig.n_inputs)) & 1).astype(bool)
    values = (patterns[:, None] >> (np.arange(n_words) * width)) & ((1 << width) - 1)
    assert np.array_equal(bits_to_ints(Simulator(aig).bits(bits)), np.argmax(values, axis=1))


def test_dot_export_and_its_size_limit():
    import pytest

    from quantlogic.errors import QuantlogicError

    aig = AIG()
    lits = [aig.add_input(f"i{k}") for k in range(8)]
    for k in range(40):
        lits.append(aig.and_(lits[-1], neg(lits[k % 8])) if k % 3 else aig.and_(lits[k % 8], lits[-2]))
    aig.add_output("o", lits[-1])
    text = netlist.to_dot(aig)
    assert text.startswith("digraph aig {") and text.count("->") == 2 * aig.n_ands + 1
    with pytest.raises(QuantlogicError, match="DOT output is limited"):
        netlist.to_dot(aig, max_nodes=10)
