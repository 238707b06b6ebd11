"""Simplification layer by layer (passes/windows.py) on generated networks: the stitched circuit is proved
equal to the lowered one along its node map, and is never larger than the lowered circuit."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from conftest import random_intnet
from quantlogic.kernels.strash import HashedCopy, cone_above
from quantlogic.lower.network import lower_network
from quantlogic.passes.registry import EFFORT
from quantlogic.passes.windows import simplify_in_windows
from quantlogic.ir.aig import AIG
from quantlogic.verify.cec import equivalent, equivalent_through, window_equal


def _stages(low):
    return [low.outputs(k) for k in range(len(low.neurons))] + [[list(low.aig.output_lits)]]


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), bits=st.integers(1, 3), depth=st.integers(1, 3),
       n_features=st.integers(2, 14))
def test_layer_by_layer_simplification_is_proved_equal(seed, bits, depth, n_features):
    rng = np.random.default_rng(seed)
    widths = [int(w) for w in rng.integers(1, 7, size=depth)]
    net = random_intnet(rng, n_features, bits, widths, bits, wbits=bits + 1)
    low = lower_network(net, table_bits=0)
    result, stats = simplify_in_windows(low.aig, EFFORT["default"], _stages(low), check=window_equal)
    assert result.input_names == low.aig.input_names and result.output_names == low.aig.output_names
    assert result.n_ands <= low.aig.n_ands
    assert stats[-1]["pass"] == "stitch" and stats[-1]["windows"] == depth + 1
    assert result.proof.ok and result.proof.method == "equivalence, window by window"
    assert equivalent(low.aig, result, hints=result.source_map).ok
    assert equivalent(low.aig, result).ok  # without the hints as well


def _flip_first_output(aig):
    """A wrong pass: the same gates with the first output complemented, claiming every node unchanged."""
    new = AIG.from_arrays(aig.input_names, *aig.arrays()[:2], aig.output_names,
                          [aig.output_lits[0] ^ 1] + list(aig.output_lits[1:]))
    new.source_map = 2 * np.arange(aig.n_nodes, dtype=np.int64)
    return new, {"pass": "flip", "ands_before": aig.n_ands, "ands_after": new.n_ands}


def test_each_window_is_proved_where_it_ran_and_a_wrong_pass_is_caught_there(monkeypatch):
    from quantlogic.passes import registry

    monkeypatch.setitem(registry.PASSES, "flip", _flip_first_output)
    net = random_intnet(np.random.default_rng(4), 12, 2, [5, 4], 2)
    low = lower_network(net, table_bits=0)
    good, _ = simplify_in_windows(low.aig, EFFORT["default"], _stages(low), check=window_equal)
    verdict = equivalent_through(low.aig, good, [(low.aig, good, good.source_map, False)])
    assert verdict.ok and verdict.method == "equivalence, window by window" and verdict.vectors == 4096
    good.output_lits[-1] ^= 1  # a stitching gone wrong: the windows' proofs still hold, the random vectors do not
    assert equivalent_through(low.aig, good, [(low.aig, good, good.source_map, False)]).status == "disproved"
    bad, _ = simplify_in_windows(low.aig, ["sweep", "flip"], _stages(low), check=window_equal)
    assert bad.proof.status == "disproved" and bad.proof.reason.startswith("layer window 0:")
    whole = equivalent_through(low.aig, bad, [(low.aig, bad, bad.source_map, False)])
    assert whole.status == "disproved"  # the whole circuit is compared instead, and the difference found


def test_a_wrong_window_is_caught_by_the_equivalence_check():
    net = random_intnet(np.random.default_rng(3), 12, 2, [5, 4], 2)
    low = lower_network(net, table_bits=0)
    result, _ = simplify_in_windows(low.aig, EFFORT["default"], _stages(low))
    result.output_lits[0] ^= 1
    assert equivalent(low.aig, result, hints=result.source_map).status == "disproved"


def test_cone_above_stops_at_the_cut_and_copy_nodes_needs_every_leaf():
    from quantlogic.ir.aig import AIG

    aig = AIG()
    a, b, c = (aig.add_input(n) for n in "abc")
    ab = aig.and_(a, b)
    top = aig.and_(ab, c)
    f0, f1, _ = aig.arrays()
    stop = np.zeros(aig.n_nodes, dtype=bool)
    assert cone_above(f0, f1, 3, [top], stop).tolist() == [ab >> 1, top >> 1]
    stop[ab >> 1] = True
    assert cone_above(f0, f1, 3, [top], stop).tolist() == [top >> 1]
    copy = HashedCopy(2, 4)
    mapping = np.full(aig.n_nodes, -1, dtype=np.int64)
    mapping[c >> 1] = 2
    with pytest.raises(ValueError, match="no literal"):
        copy.copy_nodes(f0, f1, 3, np.array([top >> 1]), mapping)
    mapping[ab >> 1] = 4
    copy.copy_nodes(f0, f1, 3, np.array([top >> 1]), mapping)
    assert copy.n_ands == 1 and mapping[top >> 1] == 6


def test_a_bundle_simplified_layer_by_layer_is_reproved_by_replaying_it(monkeypatch):
    from quantlogic.app.simplify import simplify_bundle
    from quantlogic.formats.bundle import Bundle
    from quantlogic.passes import windows
    from quantlogic.verify.network import _recorded_passes, _replayed_steps, proved_reference, verify_bundle

    monkeypatch.setattr(windows, "MIN_ANDS", 0)
    net = random_intnet(np.random.default_rng(5), 16, 2, [6, 5], 2)
    low = lower_network(net)
    simplified = simplify_bundle(Bundle(net, low.aig, low, {}), EFFORT["default"])
    assert [st["pass"] for st in simplified.meta["simplify"]][-2:] == ["stitch", "equivalence check"]
    names = _recorded_passes(simplified)
    assert _replayed_steps(proved_reference(net)[0], simplified, names) is not None  # the replay ends at this circuit
    assert verify_bundle(simplified).ok


class Elsewhere:
    """Workers whose tasks and results cross a process boundary as pickles."""

    def map(self, fn, tasks, *shared):
        import pickle

        tasks, shared = pickle.loads(pickle.dumps((tasks, shared)))
        return (pickle.loads(pickle.dumps(fn(*shared, *task))) for task in tasks)


def test_windows_started_while_the_network_is_lowered_give_the_same_circuit(monkeypatch):
    from quantlogic.passes import windows

    monkeypatch.setattr(windows, "MIN_ANDS", 0)
    net = random_intnet(np.random.default_rng(9), 14, 2, [6, 5, 4], 2)
    ahead = windows.WindowsAhead(EFFORT["default"], Elsewhere(), window_equal, n_layers=4)
    low = lower_network(net, table_bits=0, layer_done=ahead.layer_done)
    assert len(ahead.windows) == 3  # one per hidden layer, each started as soon as its layer was lowered
    early, _ = windows.stitch_windows(ahead.finish(low))
    whole, _ = simplify_in_windows(low.aig, EFFORT["default"], _stages(low), check=window_equal)
    assert early.arrays()[0].tolist() == whole.arrays()[0].tolist()
    assert early.arrays()[1].tolist() == whole.arrays()[1].tolist() and early.output_lits == whole.output_lits
    assert early.proof.ok and early.proof.details == whole.proof.details


def test_workers_that_runs_the_windows_elsewhere_gives_the_same_circuit():
    net = random_intnet(np.random.default_rng(8), 14, 2, [6, 6], 2)
    low = lower_network(net, table_bits=0)
    here, _ = simplify_in_windows(low.aig, EFFORT["default"], _stages(low))
    there, _ = simplify_in_windows(low.aig, EFFORT["default"], _stages(low), workers=Elsewhere())
    assert here.arrays()[0].tolist() == there.arrays()[0].tolist()
    assert here.arrays()[1].tolist() == there.arrays()[1].tolist() and here.output_lits == there.output_lits
