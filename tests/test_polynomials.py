"""The output layer proved in two parts by ABC (verify/polynomials.py, peers._output_layer_in_parts): the logit
words' polynomials by ABC's &polyn, the argmax by cec against Yosys. Checked against simulation on generated
networks, mutated words included, not only on the bundled models."""
import shutil

import numpy as np
import pytest

from conftest import random_intnet
from quantlogic.verify.polynomials import parse_polynomial, table_polynomial, weighted_sum_polynomial, word_polynomial

ABC = shutil.which("berkeley-abc") or shutil.which("yosys-abc")
YOSYS = shutil.which("yosys")
need_tools = pytest.mark.skipif(ABC is None or YOSYS is None, reason="ABC and Yosys are not installed (.ci/run "
                                "installs them)")


def test_parse_polynomial_reads_abc_terms():
    text = """Out 0 : Positive   Value = 0
Polynomial with 4 monomials:
| -2^1-2^0 * i0
  +2^2 * i3 * i1
| +2^3+2^1 * i2
| +2^7-2^6
"""
    assert parse_polynomial(text) == {(0,): -3, (1, 3): 4, (2,): 10, (): 64}
    assert parse_polynomial("no polynomial here") is None
    assert parse_polynomial(text.replace("i3 * i1", "i-1")) is None  # a variable ABC did not resolve
    assert parse_polynomial(text.replace("4 monomials", "5 monomials")) is None  # fewer terms than announced


def test_weighted_sum_polynomial_evaluates_to_the_sum():
    """Ports, complemented ports, constants and a port shared by two bits: the polynomial's value is the sum on
    every assignment of the ports."""
    wiring = [["a", "~b", "1'b1"], ["b", "1'b0"], ["~a"]]
    weights, constant = [3, -2, 5], 7
    poly = weighted_sum_polynomial(weights, constant, [word_polynomial(word) for word in wiring])
    for a in (0, 1):
        for b in (0, 1):
            value = {"a": a, "b": b, "~a": 1 - a, "~b": 1 - b, "1'b1": 1, "1'b0": 0}
            want = constant + sum(w * sum(value[e] << k for k, e in enumerate(word))
                                  for w, word in zip(weights, wiring))
            got = sum(c * np.prod([{"a": a, "b": b}[name] for name in monomial]) for monomial, c in poly.items())
            assert got == want


def test_table_polynomial_takes_each_value():
    rng = np.random.default_rng(3)
    for n in range(4):
        values = rng.integers(-9, 9, size=1 << n)
        pins = [f"p{k}" for k in range(n)]
        poly = table_polynomial(values, pins)
        for code in range(1 << n):
            bit = {f"p{k}": code >> k & 1 for k in range(n)}
            assert sum(c * np.prod([bit[p] for p in m]) for m, c in poly.items()) == values[code]


def _word_values(aig, rows):
    from quantlogic.kernels.simulate import Simulator

    bits = Simulator(aig).bits(rows).astype(np.int64)
    return (bits << np.arange(bits.shape[1])).sum(axis=1)


def _polynomial_values(poly, names, rows):
    column = {name: k for k, name in enumerate(names)}
    return sum(c * np.prod([rows[:, column[n]] for n in monomial], axis=0) if monomial else
               np.full(len(rows), c) for monomial, c in poly.items())


@need_tools
def test_abc_polynomials_of_logit_words_on_generated_networks(tmp_path):
    """Every logit word of generated networks (1-3 bits, 1-2 hidden layers) has the polynomial of its weighted
    sum; words with one gate's fan-in complemented get a polynomial equal to the word on random inputs (or none
    within the time), the weighted sum's only when the word is unchanged there."""
    from quantlogic import external
    from quantlogic.lower.network import lower_network
    from quantlogic.verify.peers import sum_slice
    from quantlogic.verify.polynomials import abc_polynomial

    abc = external.find("abc")
    mutants, words = 0, []
    for seed in range(4):
        rng = np.random.default_rng(seed)
        bits = 1 + seed % 3
        widths = [int(w) for w in rng.integers(2, 6, size=1 + seed % 2)]
        net = random_intnet(rng, int(rng.integers(2, 5)), bits, widths, bits, bits, n_classes=int(rng.integers(2, 5)))
        low = lower_network(net)
        for c in range(net.n_classes):
            cut = sum_slice(net, low, len(net.hidden), low.logits[c].sum_word)
            words.append(cut is not None)
            if cut is None:  # a constant bit below the word's top: the proof leaves it to the layer's cec
                continue
            sliced, inputs = cut
            want = weighted_sum_polynomial(net.out_W[c], int(net.out_B[c]) - low.logit_offset, inputs)
            assert abc_polynomial(sliced, tmp_path / "w.aig", abc, 20) == want
            rows = rng.integers(0, 2, size=(500, sliced.n_inputs))
            for node in sliced.cone(sliced.output_lits)[::-4][:2]:
                broken = sliced.copy()
                broken.fanin0[node - 1 - broken.n_inputs] ^= 1
                got = abc_polynomial(broken, tmp_path / "b.aig", abc, 2)
                if got is None or len(got) > 2000:  # none within the time, or too long to evaluate here
                    continue
                values = _word_values(broken, rows)
                assert np.array_equal(_polynomial_values(got, broken.input_names, rows), values)
                same = np.array_equal(values, _word_values(sliced, rows))
                assert same or got != want  # equal polynomials: the same word on every input
                mutants += 1
    assert mutants >= 10  # mutated words ABC gave a polynomial of, each checked against simulation
    assert sum(words) >= 0.75 * len(words)  # most words are proved this way


def _network_with_levels(seed):
    """A generated network (1-3 bits, 1-2 hidden layers) whose features' levels are random increasing integers,
    lowered with arithmetic neurons only."""
    from quantlogic.lower.network import lower_network

    rng = np.random.default_rng(seed)
    bits = 1 + seed % 3
    widths = [int(w) for w in rng.integers(2, 6, size=1 + seed % 2)]
    net = random_intnet(rng, int(rng.integers(2, 5)), bits, widths, bits, bits, n_classes=int(rng.integers(2, 5)))
    steps = rng.integers(0, 4, size=net.levels.shape)
    steps[:, 0] = 0
    net.levels = np.cumsum(steps, axis=1)
    return net, lower_network(net, table_bits=0)


@need_tools
def test_layers_in_parts_on_generated_networks(tmp_path):
    """Hidden and output layers of generated networks with uneven input levels: every layer is proved by ABC,
    most of them in parts (a sum word with a constant bit below its top goes to the layer's cec)."""
    from quantlogic import external
    from quantlogic.verify.peers import _layer_in_parts

    tools = external.find("yosys"), external.find("abc")
    results = []
    for seed in range(4):
        net, low = _network_with_levels(seed)
        results += [_layer_in_parts(net, low, layer, tmp_path, tools, 20) for layer in range(len(net.hidden) + 1)]
    assert sum(results) >= 0.75 * len(results)


@need_tools
@pytest.mark.parametrize("layer", [0, 1])
def test_a_layer_in_parts_refuses_a_planted_bug(tmp_path, layer):
    """A gate of a sum word's adder tree (first hidden layer, or a logit) changed so that the network's class
    changes somewhere: that layer is not proved in parts, and the verdict by ABC is not proved."""
    import copy

    from quantlogic import external
    from quantlogic.formats.bundle import Bundle
    from quantlogic.quant.codes import circuit_classes
    from quantlogic.verify.peers import _layer_in_parts, prove_with_abc

    tools = external.find("yosys"), external.find("abc")
    net, low = _network_with_levels(2)
    assert len(net.hidden) == 1 and _layer_in_parts(net, low, layer, tmp_path, tools, 20)
    codes = np.array(np.meshgrid(*[np.arange(2 ** net.ibits)] * net.n_features, indexing="ij"))
    codes = codes.reshape(net.n_features, -1).T
    word = low.neurons[0][0].sum_word if layer == 0 else low.logits[1].sum_word
    for node in low.aig.cone(word)[::-1]:
        broken = copy.deepcopy(low)
        broken.aig.fanin1[node - 1 - broken.aig.n_inputs] ^= 1
        if (circuit_classes(broken.aig, codes, net.ibits, net.n_classes) != net.predict_codes(codes)).any():
            break
    assert not _layer_in_parts(net, broken, layer, tmp_path, tools, 20)
    assert prove_with_abc(Bundle(net, broken.aig, broken, {}), timeout=20).status != "proved"
