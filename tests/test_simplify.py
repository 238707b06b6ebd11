"""Every pass preserves the function; re-verification catches a pass that does not; the ABC backend."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantlogic.formats.depth import depth_of
from conftest import load_test_split, model_path, node_tables, random_aigs, truth_table
from quantlogic.errors import QuantlogicError
from quantlogic.kernels.simulate import Simulator
from quantlogic.passes import registry as simplify_pipeline
from quantlogic.passes.registry import EFFORT, PASSES
from quantlogic.app.simplify import simplify_bundle
from quantlogic.verify.cec import equivalent
from quantlogic.verify.network import verify_bundle


@settings(max_examples=40, deadline=None)
@given(random_aigs(max_inputs=7, max_ands=60))
def test_every_pass_preserves_the_function(aig):
    """... and every entry of the source map it leaves (node -> literal claimed equal) is true."""
    want = truth_table(aig)
    nodes = node_tables(aig)
    for name, run in PASSES.items():
        new, stats = run(aig)
        assert np.array_equal(truth_table(new), want), name
        assert new.input_names == aig.input_names and new.output_names == aig.output_names
        assert new.n_ands <= aig.n_ands, name
        if new is not aig:
            new_nodes = node_tables(new)
            for node, lit in enumerate(new.source_map.tolist()):
                if lit < 0:
                    continue
                assert np.array_equal(nodes[:, node], new_nodes[:, lit >> 1] ^ bool(lit & 1)), (name, node)


@settings(max_examples=40, deadline=None)
@given(random_aigs(max_inputs=7, max_ands=60), st.booleans())
def test_rewriting_that_keeps_levels_never_deepens(aig, zero_gain):
    from quantlogic.passes.rewrite import RewriteParams, rewrite

    new, _ = rewrite(aig, RewriteParams(keep_levels=True, zero_gain=zero_gain))
    assert np.array_equal(truth_table(new), truth_table(aig)) and depth_of(new) <= depth_of(aig)


@settings(max_examples=40, deadline=None)
@given(random_aigs(max_inputs=7, max_ands=60), st.integers(0, 10 ** 6), st.integers(0, 10 ** 6))
def test_pair_proofs_agree_with_the_truth_table(aig, i, j):
    """prove_equal by exhaustive simulation and by SAT: the verdict is the truth, a witness really differs."""
    from quantlogic.kernels.cones import Cones
    from quantlogic.prove.pairs import PairLimits, prove_equal

    n = aig.n_inputs
    values = node_tables(aig)
    a, b = 2 * (i % aig.n_nodes) + (i & 1), 2 * (j % aig.n_nodes)
    column = lambda lit: values[:, lit >> 1] ^ bool(lit & 1)  # noqa: E731
    cones = Cones(n, aig.n_ands)
    cones.extend(aig.fanin0, aig.fanin1)
    for support in (0, 14):
        verdict, witness = prove_equal(cones, a, b, PairLimits(exhaustive_support=support))
        assert verdict == bool(np.array_equal(column(a), column(b)))
        if not verdict:
            row = sum(1 << (node - 1) for node, value in witness.items() if value)
            assert column(a)[row] != column(b)[row]


@settings(max_examples=40, deadline=None)
@given(random_aigs(max_inputs=7, max_ands=60), st.integers(0, 10 ** 6))
def test_cec_agrees_with_exhaustive_comparison(a, choice):
    """a against a copy with one AND input flipped (which may or may not change the function)."""
    b = a.copy()
    if b.n_ands:
        b.fanin1[choice % b.n_ands] ^= 1
    verdict = equivalent(a, b)
    assert verdict.ok == np.array_equal(truth_table(a), truth_table(b))
    if not verdict.ok:
        bits = np.array([verdict.counterexample])
        assert not np.array_equal(Simulator(a).bits(bits), Simulator(b).bits(bits))


class _Bundles:
    def __init__(self, converted):
        self.converted = converted

    def __getitem__(self, key):
        return self.converted[key][0]


@pytest.fixture(scope="module")
def lowered(converted):
    return _Bundles(converted)


@pytest.mark.parametrize("key", [("iris", 3), ("adder3", 2), ("wine_bn", 2), ("digits", 2)])
def test_default_pipeline_on_models(lowered, key):
    bundle = lowered[key]
    small = simplify_bundle(bundle, EFFORT["default"])
    assert small.aig.n_ands < bundle.aig.n_ands and small.lowering is None
    assert small.meta["verdict"]["ok"]
    X, _ = load_test_split(key[0])
    from quantlogic.app.artifacts import CircuitArtifact

    assert np.array_equal(CircuitArtifact(small).predict(X), bundle.net.predict(X))
    if bundle.aig.n_inputs <= 22:
        assert verify_bundle(small).text == "proved (exhaustive)"
    else:  # verify replays the recorded passes and proves each step; without the record, the miter
        verdict = verify_bundle(small)
        assert verdict.text == "proved (per-neuron + composition + equivalence)"
        assert verdict.details[-1].startswith("equivalence: each of the")
        small.meta["simplify"] = []
        assert verify_bundle(small).details[-1].startswith("equivalence: FRAIG")


def test_a_pass_that_changes_the_function_is_caught(lowered, monkeypatch):
    def broken(aig, params=None):
        new = aig.copy()
        live = new.cone(new.output_lits)
        for node in live[len(live) // 2:]:  # flip until the function really changes
            k = node - 1 - new.n_inputs
            new.fanin1[k] ^= 1
            if not np.array_equal(truth_table(new), truth_table(aig)):
                break
            new.fanin1[k] ^= 1
        return new, {"pass": "broken", "ands_before": aig.n_ands, "ands_after": new.n_ands}

    monkeypatch.setitem(simplify_pipeline.PASSES, "sweep", broken)
    with pytest.raises(QuantlogicError, match="simplified circuit is disproved"):
        simplify_bundle(lowered["iris", 3], ["sweep"])


def test_equivalence_hints_are_proved_not_trusted(lowered):
    """Passes leave hints (which node became which); the check proves each one, so lying hints neither
    prove a changed circuit nor fail an equal one."""
    from quantlogic.passes.registry import run_passes

    a = lowered["digits", 2].aig
    good, _ = run_passes(a, ["rewrite"])
    assert equivalent(a, good, hints=good.source_map).text.startswith("proved")
    flipped = np.where(good.source_map >= 0, good.source_map ^ 1, -1)
    assert equivalent(a, good, hints=flipped).ok
    rng = np.random.default_rng(0)
    X = rng.random((256, a.n_inputs)) < 0.5
    for node in good.cone(good.output_lits)[::-97]:
        bad = good.copy()
        bad.fanin1[node - 1 - bad.n_inputs] ^= 1
        if not np.array_equal(Simulator(bad).bits(X), Simulator(a).bits(X)):
            break
    verdict = equivalent(a, bad, hints=good.source_map)
    assert verdict.status == "disproved" and verdict.text.startswith("disproved")
    bits = np.array([verdict.counterexample])
    assert not np.array_equal(Simulator(bad).bits(bits), Simulator(a).bits(bits))


def test_a_run_of_passes_falls_back_to_step_by_step_proofs(lowered, monkeypatch):
    """When the composed node map of a run of rewriting passes does not prove, each pass is proved alone."""
    from quantlogic.passes.registry import run_passes
    from quantlogic.verify import cec

    a = lowered["digits", 2].aig
    steps = []
    b, _ = run_passes(a, ["rewrite", "rewrite-z"], steps=steps)
    assert len(steps) == 2 and all(step[3] for step in steps)
    monkeypatch.setattr(cec, "_composed", lambda run: np.where(run[-1][2] >= 0, run[-1][2] ^ 1, -1))
    verdict = cec.equivalent_through(a, b, steps)
    assert verdict.text == "proved (equivalence)"
    assert verdict.details[0].startswith("each of the 2 passes") and "FRAIG" not in verdict.details[0]


def test_abc_backend(lowered, monkeypatch):
    """ABC's restructured circuits are proved too: exhaustively (iris) and by FRAIG of the miter (digits)."""
    from quantlogic import external

    try:
        external.find("abc")
    except QuantlogicError:
        pytest.skip("ABC is not installed (.ci/run installs it)")
    for key in [("iris", 3), ("digits", 2)]:
        bundle = lowered[key]
        small = simplify_bundle(bundle, [], "dc2")
        assert small.aig.n_ands < bundle.aig.n_ands and small.meta["verdict"]["text"].startswith("proved (")
        assert small.meta["verdict"]["text"].endswith("+ equivalence)")
        assert small.aig.input_names == bundle.aig.input_names and small.aig.output_names == bundle.aig.output_names
    monkeypatch.setattr(external.shutil, "which", lambda name: None)
    with pytest.raises(QuantlogicError, match="abc is not installed"):
        simplify_bundle(bundle, [], "dc2")


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2 ** 32), st.integers(1, 5), st.integers(1, 3), st.integers(1, 3), st.sampled_from([7, 10 ** 6]))
def test_truth_table_kernel_equals_numpy_oracle(seed, n, bits, abits, scale):
    """Small weights exercise the cached blocks, huge ones the uncached path."""
    from quantlogic.kernels.truth_table import neuron_truth_table

    rng = np.random.default_rng(seed)
    weights = rng.integers(-scale, scale + 1, size=n)
    values = np.sort(rng.integers(0, 9, size=(n, 1 << bits)), axis=1)
    thresholds = np.sort(rng.integers(-6 * scale, 6 * scale, size=2 ** abits - 1))
    rows = np.arange(1 << (n * bits))
    codes = (rows[:, None] >> (np.arange(n) * bits)) & ((1 << bits) - 1)
    acc = (values[np.arange(n), codes] * weights).sum(axis=1)
    want = (acc[:, None] >= thresholds[None, :]).sum(axis=1)
    assert np.array_equal(neuron_truth_table(weights, values, bits, thresholds), want)


def test_truth_table_size_guard():
    from quantlogic.kernels.truth_table import neuron_truth_table

    with pytest.raises(QuantlogicError, match="over the limit"):
        neuron_truth_table(np.ones(13), np.tile(np.arange(4), (13, 1)), 2, [1], max_bits=24)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2 ** 32), st.integers(2, 4), st.integers(1, 2))
def test_table_and_arithmetic_lowering_agree(seed, n_features, bits):
    """Random small networks lowered with and without the truth-table path equal the IntNetwork."""
    from conftest import random_intnet
    from quantlogic.quant.codes import bits_to_ints, codes_to_bits
    from quantlogic.lower.network import lower_network

    net = random_intnet(np.random.default_rng(seed), n_features, bits, [3], 2)
    rows = np.arange(1 << (n_features * bits))
    codes = (rows[:, None] >> (np.arange(n_features) * bits)) & ((1 << bits) - 1)
    for limit in (0, 12):
        low = lower_network(net, table_bits=limit)
        got = bits_to_ints(Simulator(low.aig).bits(codes_to_bits(codes, bits)))
        assert np.array_equal(got, net.predict_codes(codes))


def test_convert_keeps_the_proved_circuit_when_simplification_cannot_be_proved(tmp_path, monkeypatch):
    """A simplification whose equivalence proof fails is skipped with a warning; the written bundle is
    the proved lowered circuit."""
    from click.testing import CliRunner

    from quantlogic.formats.bundle import load
    from quantlogic.cli import main
    from quantlogic.verify import cec
    from quantlogic.verdict import undecided

    monkeypatch.setattr(cec, "equivalent", lambda a, b, seed=0, hints=None: undecided("equivalence", "planted"))
    result = CliRunner().invoke(main, ["convert", str(model_path("iris")), "--calib", str(model_path("iris", "calib.npy")),
                                       "-o", str(tmp_path / "m.qlc"), "--wbits", "2", "--abits", "2", "--ibits", "2"])
    assert result.exit_code == 0, result.output
    assert "simplification skipped" in result.stderr
    bundle = load(tmp_path / "m.qlc")
    assert bundle.lowering is not None and bundle.meta["verdict"]["ok"]


def test_convert_writes_the_proved_lowered_circuit_when_simplification_runs_out_of_memory(tmp_path, monkeypatch):
    """A MemoryError in a simplification pass (as on a very wide network) costs the simplification only: the
    proved lowered circuit is written, with a warning, and it still predicts like its network."""
    from click.testing import CliRunner

    from quantlogic.cli import main
    from quantlogic.formats.bundle import load
    from quantlogic.passes import registry

    def out_of_memory(aig):
        raise MemoryError

    monkeypatch.setitem(registry.PASSES, "fraig", out_of_memory)
    result = CliRunner().invoke(main, ["convert", str(model_path("wine_bn")), "--calib",
                                       str(model_path("wine_bn", "calib.npy")), "-o", str(tmp_path / "m.qlc"),
                                       "--wbits", "2", "--abits", "2", "--ibits", "2"])
    assert result.exit_code == 0, result.output
    assert "simplification ran out of memory, writing the circuit as lowered" in result.stderr
    bundle = load(tmp_path / "m.qlc")
    assert bundle.lowering is not None and bundle.recorded_verdict()[0].status == "proved"
    assert bundle.recorded_verdict()[1]
    X = np.load(model_path("wine_bn", "calib.npy"))
    assert np.array_equal(bundle.predict(X), bundle.net.predict(X))


def test_simplified_bundles_are_byte_for_byte_reproducible(lowered):
    first = simplify_bundle(lowered["iris", 3], EFFORT["high"]).to_bytes()
    assert simplify_bundle(lowered["iris", 3], EFFORT["high"]).to_bytes() == first


@settings(max_examples=40, deadline=None)
@given(random_aigs(max_inputs=7, max_ands=60))
def test_cut_truth_tables_equal_simulation(aig):
    """Every cut of every node: at most 4 sorted leaves, none contained in another cut of the node, and its
    truth table is the node's value as a function of the leaves' values on every input."""
    from quantlogic.kernels.cuts import all_cuts

    fanin0, fanin1, _ = aig.arrays()
    leaves, size, table, count = all_cuts(fanin0, fanin1, aig.n_inputs)
    nodes = node_tables(aig)
    for node in range(1 + aig.n_inputs, aig.n_nodes):
        sets = [tuple(leaves[node, c, :size[node, c]]) for c in range(count[node])]
        for c, cut in enumerate(sets):
            assert list(cut) == sorted(set(cut)) and 1 <= len(cut) <= 4
            assert not any(set(other) < set(cut) for other in sets)
            row = (nodes[:, list(cut)] << np.arange(len(cut))).sum(axis=1)
            assert np.array_equal((table[node, c] >> row) & 1, nodes[:, node])


@settings(max_examples=30, deadline=None)
@given(random_aigs(max_inputs=7, max_ands=60))
def test_rewrite_rounds_equal_the_passes_one_by_one(aig):
    """rewrite-rounds (kept in arrays between rounds) ends where rewrite, rewrite-z, ... run as separate
    passes end, with a source map that composes theirs; the stopping rule (min_saving) is off here."""
    from quantlogic.passes.structural import compose
    from quantlogic.passes.rewrite import RewriteParams, RoundsParams, rewrite, rewrite_rounds

    rounds, stats = rewrite_rounds(aig, RoundsParams(min_saving=0))
    step, hints = aig, None
    for zero_gain in [False, True, False, True, False]:
        new, _ = rewrite(step, RewriteParams(zero_gain=zero_gain))
        if new is not step:
            hints = new.source_map if hints is None else compose(hints, new.source_map)
        step = new
    assert len(stats["rounds"]) == 5 or stats["rounds"][-1] == 0  # stops early only when no AND is left
    assert len(rewrite_rounds(aig, RoundsParams(min_saving=1.0))[1]["rounds"]) in (3, len(stats["rounds"]))
    if rounds is aig:  # nothing smaller: the input comes back (the passes may only have restructured it)
        assert step.n_ands == aig.n_ands
    else:
        assert (rounds.fanin0, rounds.fanin1, rounds.output_lits) == (step.fanin0, step.fanin1, step.output_lits)
        assert np.array_equal(rounds.source_map, hints)


def test_rewriting_merges_readers_of_a_replaced_node_instead_of_copying_them():
    """c = AND(b, y) equals b = AND(x, y); once c is replaced, AND(a, c) is AND(a, b) and merges into it, and
    AND(that, z) is updated in place: zero-gain rewriting makes no copy of it (it once copied every reader
    of a replaced node)."""
    from quantlogic.kernels.rewrite import rewrite_in_place

    a, x, y, z = 2, 4, 6, 8  # inputs are nodes 1-4
    fanin0 = np.array([y, 10, 10, 12, 16])  # b = 5, c = 6, AND(a, b) = 7, AND(a, c) = 8, AND(8, z) = 9
    fanin1 = np.array([x, y, a, a, z])
    for zero_gain in (False, True):
        f0, f1, repl, outs, changes = rewrite_in_place(fanin0, fanin1, 4, [14, 18], zero_gain)
        assert len(f0) == 10 and repl[6] == 10 and repl[8] == 14 and changes == 2
        assert (f0[9], f1[9]) == (14, z) and repl[9] == -1 and outs.tolist() == [14, 18]


def test_stored_rewriting_library_equals_a_fresh_computation(tmp_path, monkeypatch):
    """The library read back from its stored copy equals the computed one; a damaged copy is recomputed."""
    from quantlogic.kernels import rewrite_library as library

    path = tmp_path / "__pycache__" / "rewrite_library.test.npz"
    monkeypatch.setattr(library, "_stored_path", lambda: path)
    fresh = library.compute_programs()
    library.library_programs.cache_clear()
    try:
        first = library.library_programs()  # computes and stores
        assert path.exists()
        library.library_programs.cache_clear()
        stored = library.library_programs()  # reads
        path.write_bytes(b"not an npz")
        library.library_programs.cache_clear()
        repaired = library.library_programs()
    finally:
        library.library_programs.cache_clear()
    for arrays in (first, stored, repaired):
        assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(arrays, fresh))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 60), st.integers(1, 4))
def test_class_ids_group_equal_rows_even_when_hashes_collide(seed, n, width):
    """FRAIG's classes (kernels/classes.class_ids) equal the partition into equal rows; two different rows
    built to share the 64-bit hash get different classes."""
    from quantlogic.kernels.classes import class_ids

    rng = np.random.default_rng(seed)
    pool = rng.integers(0, 2**64, size=(max(1, n // 3), width), dtype=np.uint64)
    keys = pool[rng.integers(0, len(pool), size=n)]
    if width == 2 and n >= 2:  # row 1 := a row with row 0's hash: equal digests after the second column
        def first(a):  # the digest after one column (array arithmetic wraps without a warning)
            d = np.array([a], dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
            return (d ^ (d >> np.uint64(29)))[0]
        keys[1, 0] = keys[0, 0] ^ np.uint64(1)
        keys[1, 1] = first(keys[0, 0]) ^ keys[0, 1] ^ first(keys[1, 0])
    ids = class_ids(keys)
    same_row = (keys[:, None, :] == keys[None, :, :]).all(axis=2)
    assert np.array_equal(ids[:, None] == ids[None, :], same_row)


def test_fraig_witness_pool_is_bounded_and_keeps_the_latest_witnesses():
    """Memory by design: past its capacity the pool overwrites its oldest word; what it holds is still the
    simulation of the witnesses it keeps."""
    from quantlogic.ir.aig import AIG
    from quantlogic.passes.fraig import Witnesses

    aig = AIG()
    xs = [aig.add_input(f"x{i}") for i in range(6)]
    aig.add_output("y", aig.and_all(xs[:3]) ^ 1)
    rng = np.random.default_rng(1)
    pool = Witnesses(aig, seed=0, capacity=8)
    kept = {}
    for k in range(40):
        witness = {t + 1: bool(b) for t, b in enumerate(rng.integers(0, 2, 6))}
        pool.add(witness)
        kept[k % 8] = witness
        assert pool.words.shape == (aig.n_nodes, min(16, 8)) and pool.used == min(k + 1, 8)
    for column, witness in kept.items():  # bit 0 of each word is the witness itself (63 neighbours follow)
        for t in range(6):
            assert int(pool.words[t + 1, column]) & 1 == int(witness[t + 1])


def test_balance_rebuilds_a_chain_as_a_tree_without_copies():
    """An AND of 8 inputs built as a chain becomes a tree of depth 3 with the same 7 ANDs: the chain's inner
    nodes, read only inside it, are not built again on their own."""
    from quantlogic.ir.aig import AIG
    from quantlogic.passes.structural import balance

    aig = AIG()
    pins = [aig.add_input(f"x{k}") for k in range(8)]
    chain = pins[0]
    for pin in pins[1:]:
        chain = aig.and_(chain, pin)
    aig.add_output("f", chain)
    new, stats = balance(aig)
    assert np.array_equal(truth_table(new), truth_table(aig))
    assert (new.n_ands, stats["levels_before"], stats["levels_after"]) == (7, 7, 3)
