"""Every circuit proves: a differential test over random IntNetworks, single-gate mutations judged by
what they do to the function, pins read by name, recorded verdicts tied to the file's digest."""
import os
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, int_networks, model_path
from quantlogic.quant.codes import circuit_classes
from quantlogic.verify.network import sample_codes, verify_lowering

EXAMPLES = int(os.environ.get("QL_DIFFERENTIAL_EXAMPLES", "150"))


def all_codes(net):
    n = net.n_features * net.ibits
    patterns = np.arange(1 << n, dtype=np.int64)
    return (patterns[:, None] >> (np.arange(net.n_features) * net.ibits)) & ((1 << net.ibits) - 1)


def assert_circuit_is_network(net, aig):
    """Exhaustively when the circuit has at most 16 inputs, else on random codes."""
    codes = all_codes(net) if net.n_features * net.ibits <= 16 else sample_codes(net, n_random=4096, seed=11)
    assert np.array_equal(circuit_classes(aig, codes, net.ibits, net.n_classes), net.predict_codes(codes))


def prove_and_simplify(net):
    from quantlogic.formats.bundle import Bundle
    from quantlogic.lower.network import lower_network
    from quantlogic.passes.registry import EFFORT
    from quantlogic.app.simplify import simplify_bundle

    low = lower_network(net)
    verdict = verify_lowering(net, low)
    assert verdict.status == "proved", verdict.text
    assert_circuit_is_network(net, low.aig)
    bundle = Bundle(net, low.aig, low, {})
    bundle.record_verdict(verdict)
    small = simplify_bundle(bundle, EFFORT["default"])
    assert small.recorded_verdict()[0].status == "proved"
    assert_circuit_is_network(net, small.aig)


DIFFERENTIAL = settings(max_examples=EXAMPLES // 2, deadline=None, suppress_health_check=list(HealthCheck),
                        derandomize=True)
WIDE = settings(DIFFERENTIAL, max_examples=EXAMPLES // 4)  # 23-32 input bits: each example costs ~4x more


@DIFFERENTIAL
@given(int_networks(max_input_bits=20, max_width=12))
def test_random_small_networks_prove_exhaustively(net):
    prove_and_simplify(net)


@WIDE
@given(int_networks(min_input_bits=23, max_input_bits=32, max_width=12))
def test_random_networks_prove_part_by_part(net):
    prove_and_simplify(net)


def mutate(aig, rng):
    """A copy of aig with one random single-gate mutation: a fan-in's complement flipped or a fan-in swapped
    for another earlier literal (in the output cones, or in a quarter of the cases outside them), or an
    output literal changed."""
    bad = aig.copy()
    live = bad.cone(bad.output_lits)
    dead = sorted(set(range(1 + bad.n_inputs, bad.n_nodes)) - set(live))
    if dead and rng.random() < 0.25:
        live = dead  # a gate outside every output cone: the function stays
    kind = rng.integers(3) if live else 2
    if live is dead:
        kind = rng.integers(2)
    if kind == 2:
        j = int(rng.integers(len(bad.output_lits)))
        bad.output_lits[j] = int(rng.integers(2 * bad.n_nodes)) if rng.random() < 0.5 else bad.output_lits[j] ^ 1
        return bad
    node = int(rng.choice(live))
    k = node - 1 - bad.n_inputs
    side = bad.fanin0 if rng.random() < 0.5 else bad.fanin1
    side[k] = side[k] ^ 1 if kind == 0 else int(rng.integers(2 * node))
    return bad


@pytest.mark.parametrize("name,bits,simplified,count", [("wine_bn", 3, False, 70), ("digits_fanin", 2, False, 50),
                                                        ("adder3", 3, True, 40)])
def test_single_gate_mutations_are_judged_by_their_function(converted, name, bits, simplified, count):
    """A mutation that changes the function is disproved at input codes where the circuit is wrong; one that
    keeps it (as far as 4096 random codes tell) is proved; none is undecided."""
    from dataclasses import replace

    from quantlogic.formats.bundle import Bundle
    from quantlogic.passes.registry import EFFORT
    from quantlogic.app.simplify import simplify_bundle
    from quantlogic.verify.network import verify_bundle

    bundle = converted[name, bits][0]
    if simplified:
        bundle = simplify_bundle(bundle, EFFORT["low"])
    net = bundle.net
    codes = sample_codes(net, n_random=4096, seed=5)
    rng = np.random.default_rng(17)
    outcomes = {"proved": 0, "disproved": 0, "undecided": 0}
    for _ in range(count):
        bad = mutate(bundle.aig, rng)
        low = None if bundle.lowering is None else replace(bundle.lowering, aig=bad)
        verdict = verify_bundle(Bundle(net, bad, low, {}))
        assert verdict.status in outcomes, verdict.text
        outcomes[verdict.status] += 1
        if verdict.status == "disproved":
            cex = np.array([verdict.counterexample])
            assert circuit_classes(bad, cex, net.ibits, net.n_classes)[0] != net.predict_codes(cex)[0]
        elif verdict.status == "proved":
            assert np.array_equal(circuit_classes(bad, codes, net.ibits, net.n_classes), net.predict_codes(codes))
    has_dead = len(bundle.aig.cone(bundle.aig.output_lits)) < bundle.aig.n_ands
    assert outcomes["disproved"] > 0 and (outcomes["proved"] > 0 or not has_dead), outcomes
    assert outcomes["undecided"] == 0, outcomes


def test_outputs_are_read_by_pin_name(converted, tmp_path):
    """Swapping the output pin names in a bundle changes what the circuit means; verify disproves it."""
    from conftest import run_cli

    bundle = converted["wine_bn", 2][0]
    bundle.save(tmp_path / "good.qlc")
    names = bundle.aig.output_names
    try:
        bundle.aig.output_names = names[::-1]
        bundle.save(tmp_path / "swapped.qlc")
    finally:
        bundle.aig.output_names = names
    code, out, _ = run_cli("verify", tmp_path / "good.qlc")
    assert code == 0 and out.startswith("proved")
    code, out, _ = run_cli("verify", tmp_path / "swapped.qlc")
    assert code == 1 and out.startswith("disproved") and "counterexample: input codes" in out


def test_a_recorded_verdict_counts_only_for_the_circuit_it_was_reached_on(converted, tmp_path):
    from quantlogic.formats.bundle import load
    from quantlogic.errors import NotProvedError
    from quantlogic.formats.meta import metadata
    from quantlogic.passes.registry import EFFORT
    from quantlogic.app.simplify import simplify_bundle

    bundle = converted["digits", 2][0]
    bundle.save(tmp_path / "a.qlc")
    good = load(tmp_path / "a.qlc")
    assert good.recorded_verdict()[1] and good.verdict_line().startswith("proved")
    live = good.aig.cone(good.aig.output_lits)
    good.aig.fanin1[live[len(live) // 2] - 1 - good.aig.n_inputs] ^= 1  # altered after its proof
    assert not good.recorded_verdict()[1]
    assert good.verdict_line().startswith("not verified")
    assert metadata(good)["verification"]["status"] == "not verified"
    with pytest.raises(NotProvedError, match="circuit to simplify is disproved"):
        simplify_bundle(good, EFFORT["low"])
    twice = simplify_bundle(simplify_bundle(load(tmp_path / "a.qlc"), EFFORT["low"]), EFFORT["low"])
    assert twice.recorded_verdict()[0].text == "proved (per-neuron + composition + equivalence)"


def test_undecided_writes_nothing_unless_allowed(tmp_path, monkeypatch):
    """An undecided proof is never called proved or FAILED: convert exits 3 and writes nothing, or with
    --allow-unproved writes the bundle as tested; verify exits 3."""
    from click.testing import CliRunner

    import quantlogic.verify.network as network
    from quantlogic.formats.bundle import load
    from quantlogic.cli import main
    from quantlogic.verdict import undecided

    monkeypatch.setattr(network, "check_exhaustive", lambda net, aig: undecided("exhaustive", "planted budget"))
    args = ["convert", str(model_path("iris")), "--calib", str(model_path("iris", "calib.npy")), "--wbits", "2",
            "--abits", "2", "--ibits", "2", "-o"]
    result = CliRunner().invoke(main, args + [str(tmp_path / "a.qlc")])
    assert result.exit_code == 3 and "undecided (exhaustive): planted budget" in result.stderr
    assert "FAILED" not in result.output and not (tmp_path / "a.qlc").exists()
    result = CliRunner().invoke(main, args + [str(tmp_path / "b.qlc"), "--allow-unproved"])
    assert result.exit_code == 0, result.output
    assert load(tmp_path / "b.qlc").recorded_verdict()[0].text.startswith("tested on")
    result = CliRunner().invoke(main, ["verify", str(tmp_path / "b.qlc")])
    assert result.exit_code == 3 and result.output.startswith("undecided")


@pytest.mark.parametrize("tensor", ["weight", "bias", "running_var", "negative_var"])
def test_non_finite_tensors_are_refused(tmp_path, tensor):
    import torch

    from conftest import assert_clean_failure, run_cli

    state = torch.load(model_path("wine_bn"), weights_only=True)
    key = next(k for k in state if k.endswith(tensor.replace("negative_var", "running_var")))
    state[key] = state[key].clone()
    state[key][0] = -1.0 if tensor == "negative_var" else float("nan")
    torch.save(state, tmp_path / "bad.pt")
    code, out, err = run_cli("quantize", tmp_path / "bad.pt", "--calib", model_path("wine_bn", "calib.npy"), "-o",
                             tmp_path / "x.qnet")
    assert_clean_failure(code, out, err, "negative" if tensor == "negative_var" else "non-finite")
    assert not (tmp_path / "x.qnet").exists()


def test_the_quantile_level_neuron_of_the_report_proves():
    """The 13-input neuron with quantile input levels that used to get a false FAILED."""
    from quantlogic.lower.network import lower_network
    from quantlogic.quant.intnet import IntNetwork

    levels = np.array([[0, 2, 5, 7], [0, 1, 3, 7], [0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 2, 3], [0, 2, 5, 7], [0, 3, 5, 7],
                       [0, 2, 4, 7], [0, 1, 2, 3], [0, 2, 4, 7], [0, 3, 5, 7], [0, 3, 5, 7], [0, 1, 2, 3]])
    net = IntNetwork(2, 2, 3, np.tile([0.5, 1.5, 2.5], (13, 1)), levels,
                     [(np.array([[0, -1, -1, -1, 1, 2, 2, 0, 3, -2, 2, 3, 3]]), np.array([[0, 27, 54]]))],
                     np.array([[1], [-1]]), np.array([0, 0]))
    assert verify_lowering(net, lower_network(net)).text == "proved (per-neuron + composition)"


@pytest.mark.parametrize("case", ["undecided_tied_logits_8bit.qnet", "undecided_tied_logits_2.qnet",
                                  "undecided_tied_logits_3.qnet"])
def test_networks_the_long_differential_run_left_undecided_now_prove(case):
    """Three of the 10,000 random networks of `benchmarks/differential.py 10000` (tied logits over wide codes
    whose bits depend on each other): the algebra's leftover difference over those code bits is shown to
    vanish on every value they can take together (verify/reachable.py), so the logits prove."""
    from quantlogic.formats.qnet import load
    from quantlogic.lower.network import lower_network

    net = load(ROOT / "benchmarks" / "cases" / case)
    low = lower_network(net)
    verdict = verify_lowering(net, low)
    assert verdict.status == "proved", verdict.text
    assert_circuit_is_network(net, low.aig)


def test_a_max_pool_step_right_only_on_the_codes_that_occur_proves():
    """One of the random networks of the wide generator (23-32 input bits) whose lowered max-pool steps give the
    larger code only on the codes their neurons can produce together: proved over the layer's inputs; a step
    with a bit of its result flipped is still a gap."""
    from quantlogic.formats.qnet import load
    from quantlogic.lower.network import lower_network
    from quantlogic.verify.parts import check_pools, layer_bits

    net = load(ROOT / "benchmarks" / "cases" / "undecided_pool_step_on_codes_that_occur.qnet")
    low = lower_network(net)
    verdict = verify_lowering(net, low)
    assert verdict.status == "proved", verdict.text
    assert_circuit_is_network(net, low.aig)
    layer = next(k for k, pools in enumerate(low.pools) if pools)
    below = layer_bits(low, layer)
    args = (low.aig, net.pools[layer], low.neurons[layer])
    assert check_pools(*args, low.pools[layer]) is not None  # over the two words' bits alone
    assert check_pools(*args, low.pools[layer], below) is None
    pools = list(low.pools[layer])
    left, right, out = pools[0].steps[-1]
    flipped = [out[0] ^ 1] + list(out[1:])
    pools[0] = replace(pools[0], steps=pools[0].steps[:-1] + [(left, right, flipped)], out_word=flipped)
    assert "does not give the larger code" in check_pools(*args, pools, below).text


def test_an_argmax_match_right_only_on_the_logits_values_that_occur_proves():
    """A random network the differential test left undecided: its two logits share a bit and never both
    read 0, and the lowered compare-and-select takes the right entry there; it is proved over the output
    layer's inputs, not over free logit words, and a match wrong on a value that occurs is still a gap."""
    from quantlogic.lower.network import lower_network
    from quantlogic.quant.intnet import IntNetwork
    from quantlogic.verify.parts import check_argmax, layer_bits

    W = np.array([[-2, 0, 0, 0, 0, 1, 0, 0], [0, 3, 1, 3, 0, 0, 0, 4], [0, 0, -2, -2, 0, 0, 2, 1], [0] * 8,
                  [-2, -2, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, -1, 0, 0], [0, -4, 0, -2, -1, 3, 0, 0]])
    T = np.array([[-11, -4, 4], [14, 19, 33], [-5, -2, 13], [-1, -1, 0], [-25, 0, 1], [-6, -4, -2], [-24, -7, -4]])
    net = IntNetwork(3, 2, 3, np.tile(np.linspace(-1.5, 1.5, 7), (8, 1)), np.tile(np.arange(8), (8, 1)), [(W, T)],
                     np.array([[4], [-1]]), np.array([2, 1]), pools=[np.array([[2, 4, 4]])])
    low = lower_network(net)
    assert verify_lowering(net, low).text == "proved (per-neuron + composition)"
    assert_circuit_is_network(net, low.aig)
    words, below = [n.sum_word for n in low.logits], layer_bits(low, len(net.hidden))
    assert check_argmax(low.aig, words, low.class_word, low.matches) is not None  # over free logit words
    assert check_argmax(low.aig, words, low.class_word, low.matches, below) is None
    (left, right, (word, index)), = low.matches
    wrong = [(left, right, (word, [index[0] ^ 1]))]
    assert "compare-and-select" in check_argmax(low.aig, words, [low.class_word[0] ^ 1], wrong, below).text


def test_a_difference_over_dependent_nodes_vanishes_only_where_unreachable():
    from quantlogic.ir.aig import AIG
    from quantlogic.verify.reachable import vanishes_on_reachable_values

    g = AIG()
    a, b = g.add_input("a"), g.add_input("b")
    ab = g.and_(a, b)
    g.add_output("o", ab)
    x, y = -(ab >> 1), -(a >> 1)  # stop nodes as algebra writes them
    assert vanishes_on_reachable_values(g, {(x,): 1, (x, y): -1})  # ab (1 - a): ab implies a
    assert not vanishes_on_reachable_values(g, {(x,): 1, (y,): -1})  # ab - a: a = 1, b = 0


@pytest.mark.parametrize("mutation", [14, 31])
def test_mutations_random_vectors_miss_are_disproved_by_the_guided_search(converted, mutation):
    """Two single-gate mutations of digits 2-bit (seed 17 of the mutation test), each in the sum of a hidden
    neuron (1 and 20), that the sampled vectors do not expose and the equivalence check leaves undecided.
    Searching around the part that did not prove finds an input where the classes differ. (Found by scanning
    the first 120 mutations of seed 17 of the 2/2/2 network quantized on the two's-complement weight grid.)"""
    from dataclasses import replace

    from quantlogic.verify.network import _part
    from quantlogic.verify.parts import prove_by_parts
    from quantlogic.verify.search import search_counterexample

    bundle = converted["digits", 2][0]
    rng = np.random.default_rng(17)
    bad = [mutate(bundle.aig, rng) for _ in range(mutation + 1)][-1]
    net, low = bundle.net, replace(bundle.lowering, aig=bad)
    gap = prove_by_parts(net, low)
    assert gap is not None and gap.part is not None
    codes = sample_codes(net)
    assert np.array_equal(circuit_classes(bad, codes, net.ibits, net.n_classes), net.predict_codes(codes))
    found = search_counterexample(net, bad, codes, _part(net, low, gap.part))
    assert found is not None
    assert circuit_classes(bad, found[None], net.ibits, net.n_classes)[0] != net.predict_codes(found[None])[0]


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(int_networks(min_input_bits=6, max_input_bits=16, max_width=8), st.integers(0, 2 ** 32 - 1))
def test_the_guided_search_only_returns_real_differences(net, seed):
    """On a correct circuit it finds nothing; on a mutated one whatever it returns is an input where the
    circuit's class differs from the IntNetwork's."""
    from quantlogic.lower.network import lower_network
    from quantlogic.verify.search import Part, SearchLimits, search_counterexample

    low = lower_network(net)
    codes = sample_codes(net, n_random=256, seed=seed)
    word, limits = low.logits[0].sum_word, SearchLimits(starts=4, steps=10)
    assert search_counterexample(net, low.aig, codes, Part(len(net.hidden), 0, word, low.logit_offset),
                                 limits) is None
    bad = mutate(low.aig, np.random.default_rng(seed))
    found = search_counterexample(net, bad, codes, limits=limits)
    if found is not None:
        assert circuit_classes(bad, found[None], net.ibits, net.n_classes)[0] != net.predict_codes(found[None])[0]


def test_a_part_is_compared_with_the_reference_part_as_a_function_of_its_layer_inputs(converted):
    """Each first-layer neuron of the arithmetic lowering equals the truth-table lowering's as a function of
    the input pins, and each logit's sum word as a function of the hidden codes; a neuron with a gate changed
    is disproved where simulation shows its code differ."""
    from quantlogic.ir.aig import neg
    from quantlogic.kernels.simulate import Simulator
    from quantlogic.lower.network import lower_network
    from quantlogic.quant.codes import bits_to_ints
    from quantlogic.verify.reference import part_equals_reference

    net = converted["digits_fanin", 2][0].net
    arith, table = lower_network(net), lower_network(net, table_always=True)
    assert sum(a.method != t.method for a, t in zip(arith.neurons[0], table.neurons[0])) >= 8
    for a, t in zip(arith.neurons[0], table.neurons[0]):
        assert part_equals_reference(arith.aig, arith.code_words, a.out_word, table.aig, table.code_words,
                                     t.out_word).status == "proved"
    for a, t in zip(arith.logits, table.logits):
        assert part_equals_reference(arith.aig, arith.layer_inputs[-1], a.sum_word, table.aig,
                                     table.layer_inputs[-1], t.sum_word).status == "proved"
    bad = arith.aig.copy()
    k = next(j for j, n in enumerate(arith.neurons[0]) if n.method == "arith")
    bad = arith.aig.copy()
    node = max(bad.cone(arith.neurons[0][k].out_word))  # the gate nearest the neuron's outputs
    bad.fanin0[node - 1 - bad.n_inputs] = neg(bad.fanin0[node - 1 - bad.n_inputs])
    verdict = part_equals_reference(bad, arith.code_words, arith.neurons[0][k].out_word, table.aig,
                                    table.code_words, table.neurons[0][k].out_word)
    assert verdict.status == "disproved"
    bits = np.asarray(verdict.counterexample, dtype=bool)[None]  # the pins, feature by feature
    got, want = (bits_to_ints(Simulator(c, w).bits(bits)) for c, w in
                 ((bad, arith.neurons[0][k].out_word), (table.aig, table.neurons[0][k].out_word)))
    assert got[0] != want[0]


def test_proof_effort_scales_the_budgets_and_an_undecided_verdict_says_so(converted):
    """--proof-effort K multiplies the budgets (algebra terms, SAT decisions, the search); an undecided
    verdict names the option with the effort to try next."""
    from quantlogic.verdict import undecided
    from quantlogic.verify import algebra
    from quantlogic.verify.limits import effort, proof_effort
    from quantlogic.verify.network import _searched

    bundle = converted["wine_bn", 2][0]
    net, aig = bundle.net, bundle.aig
    default = algebra.budget_for([{(): 1}] * 3, [1, 2, 3])
    with proof_effort(3):
        assert effort() == 3 and algebra.budget_for([{(): 1}] * 3, [1, 2, 3]) == 3 * default
        verdict = _searched(net, aig, sample_codes(net, n_random=64), undecided("equivalence", "planted"))
    assert effort() == 1
    assert verdict.status == "undecided" and "--proof-effort 6 doubles every proof budget (now 3)" in verdict.reason
    with pytest.raises(ValueError):
        with proof_effort(0):
            pass


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(int_networks(min_input_bits=8, max_input_bits=16, max_width=8), st.integers(0, 2 ** 32 - 1))
def test_the_guided_search_finds_differences_it_does_not_start_on(net, seed):
    """On generated networks small enough to enumerate, a mutation that changes the class on some inputs (not
    all) is found by the search when it starts only from inputs where the classes agree."""
    from quantlogic.lower.network import lower_network
    from quantlogic.verify.search import search_counterexample

    bad = mutate(lower_network(net).aig, np.random.default_rng(seed))
    codes = all_codes(net)
    differ = circuit_classes(bad, codes, net.ibits, net.n_classes) != net.predict_codes(codes)
    if differ.all() or not differ.any():
        return  # nothing to search for away from the differences
    starts = codes[~differ][np.random.default_rng(seed).permutation(int((~differ).sum()))[:256]]
    found = search_counterexample(net, bad, starts)
    assert found is not None
    assert circuit_classes(bad, found[None], net.ibits, net.n_classes)[0] != net.predict_codes(found[None])[0]


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(int_networks(min_input_bits=4, max_input_bits=12, max_width=8))
def test_a_part_against_another_lowering_is_proved_only_where_it_is_equal(net):
    """On generated networks (pools, quantile levels, every bit width): each first-layer neuron of the
    arithmetic lowering is proved equal to the truth-table lowering's; a deeper neuron or a logit (of equal
    offsets) is proved, disproved or not compared, and where proved the two words agree on every input."""
    from quantlogic.kernels.simulate import Simulator
    from quantlogic.lower.network import lower_network
    from quantlogic.quant.codes import pin_bits, pin_layout
    from quantlogic.verify.reference import part_equals_reference

    arith, table = lower_network(net), lower_network(net, table_always=True)
    pins = pin_bits(all_codes(net), net.ibits, pin_layout(arith.aig, net.n_features, net.ibits, net.n_classes)[0])

    def agree(a_word, t_word):
        return np.array_equal(Simulator(arith.aig, a_word).bits(pins), Simulator(table.aig, t_word).bits(pins))

    parts = [(layer, a.out_word, t.out_word) for layer, (ours, theirs) in enumerate(zip(arith.neurons, table.neurons))
             for a, t in zip(ours, theirs)]
    if arith.logit_offset == table.logit_offset:
        parts += [(len(net.hidden), a.sum_word, t.sum_word) for a, t in zip(arith.logits, table.logits)]
    for layer, a_word, t_word in parts:
        inputs = (arith.code_words, table.code_words) if layer == 0 else \
            (arith.layer_inputs[layer], table.layer_inputs[layer])
        verdict = part_equals_reference(arith.aig, inputs[0], a_word, table.aig, inputs[1], t_word)
        if layer == 0:
            assert verdict is not None and verdict.status == "proved"
        if verdict is not None and verdict.status == "proved":
            assert agree(a_word, t_word)
