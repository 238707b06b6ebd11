"""Work on a Dask cluster (quantlogic/workers.py): the per-neuron proofs and the layer-by-layer simplification
give the same verdicts and byte-identical bundles whether they run here, on a LocalCluster of two worker
processes, or through the command line's --workers; bad scheduler addresses get one clear line."""
from dataclasses import replace

import numpy as np
import pytest

from conftest import assert_clean_failure, model_path, random_intnet, run_cli
from quantlogic.errors import QuantlogicError
from quantlogic.lower.network import lower_network
from quantlogic.passes import windows
from quantlogic.verify.parts import prove_by_parts
from quantlogic.workers import Cluster, Here, WorkerOptions, open_workers


@pytest.fixture(scope="module")
def cluster():
    """One LocalCluster with two worker processes for the tests of this module."""
    with open_workers(WorkerOptions(workers=2)) as place:
        assert isinstance(place, Cluster) and place.count == 2
        yield place


def _square_plus(offset, x):
    return x * x + offset


def test_results_come_back_in_task_order_with_the_shared_arguments_first(cluster):
    tasks = [(x,) for x in range(40, 0, -1)]
    assert list(cluster.map(_square_plus, tasks, 7)) == list(Here().map(_square_plus, tasks, 7)) \
        == [x * x + 7 for x in range(40, 0, -1)]
    assert list(cluster.map(_square_plus, [], 7)) == []
    shared = ({"act": "relu", "x": (1, 2)}, ("name", b"bytes"), [3, 4])  # sent whole, not item by item
    assert list(cluster.map(_echo, [(0,), (1,)], *shared)) == [shared, shared]
    other = ({"act": "tanh", "x": (5,)}, ("other", b""), [6])  # the same dict keys: no stale values come back
    assert list(cluster.map(_echo, [(0,)], *other)) == [other]


def _echo(*args):
    return args[:-1]


def _dask_settings():
    import dask

    return [dask.config.get(key) for key in ("distributed.worker.profile.enabled", "distributed.admin.tick.interval")]


def test_local_workers_run_without_dask_profiler_and_with_slow_ticks(cluster):
    """Each worker process got the settings that keep Dask's own activity off the cores, and a task's nested
    list arguments arrive as they were sent."""
    assert list(cluster.client.run(_dask_settings).values()) == [[False, "1s"]] * 2
    nested = ([[1, [2, (3, 4)]], {"k": [5]}],)
    assert list(cluster.map(_echo_all, [nested, nested])) == [nested, nested]


def _echo_all(*args):
    return args


def _die(x):
    import os

    os._exit(3)


def test_a_worker_that_dies_is_one_clear_error_and_the_cluster_goes_on(cluster):
    with pytest.raises(QuantlogicError, match="a Dask worker died while running"):
        list(cluster.map(_die, [(1,)]))
    assert list(cluster.map(_square_plus, [(2,)], 1)) == [5]  # the nanny restarted the workers


def _mutated(aig, rng):
    """A copy of aig with one fan-in of a gate in the output cones complemented."""
    bad = aig.copy()
    node = int(rng.choice(bad.cone(bad.output_lits)))
    bad.fanin0[node - 1 - bad.n_inputs] ^= 1
    return bad


@pytest.mark.parametrize("seed", [3, 11])
def test_proofs_by_parts_on_the_cluster_find_what_they_find_here(cluster, monkeypatch, seed):
    """Same verdict on a correct lowering, and the same first gap (text and part) on mutated ones, with blocks
    small enough that every layer spans several tasks."""
    from quantlogic.verify import parts

    monkeypatch.setattr(parts, "NEURONS_PER_TASK", 3)
    rng = np.random.default_rng(seed)
    net = random_intnet(rng, 12, 2, [9, 7], 2, n_classes=4)
    low = lower_network(net)
    assert prove_by_parts(net, low) is None and prove_by_parts(net, low, workers=cluster) is None
    disproved = 0
    for _ in range(6):
        bad = replace(low, aig=_mutated(low.aig, rng))
        here, there = prove_by_parts(net, bad), prove_by_parts(net, bad, workers=cluster)
        assert (here is None) == (there is None)
        if here is not None:
            disproved += 1
            assert (here.text, here.part, here.undecided) == (there.text, there.part, there.undecided)
    assert disproved >= 3


@pytest.mark.parametrize("bits", [1, 2, 3])
def test_generated_networks_give_the_same_windows_and_proofs_on_the_cluster(cluster, bits):
    """Random shapes at every bit width (not the bundled models): the layer windows simplified on the cluster
    stitch to the very circuit simplified here, and the proofs by parts agree."""
    from quantlogic.passes.registry import EFFORT
    from quantlogic.passes.windows import simplify_in_windows

    rng = np.random.default_rng(40 + bits)
    for _ in range(2):
        widths = [int(w) for w in rng.integers(1, 9, size=int(rng.integers(1, 4)))]
        net = random_intnet(rng, int(rng.integers(2, 12)), bits, widths, bits, wbits=bits + 1,
                            n_classes=int(rng.integers(2, 6)))
        low = lower_network(net)
        stages = [low.outputs(k) for k in range(len(low.neurons))] + [[list(low.aig.output_lits)]]
        here, _ = simplify_in_windows(low.aig, EFFORT["default"], stages)
        there, _ = simplify_in_windows(low.aig, EFFORT["default"], stages, workers=cluster)
        assert here.arrays()[0].tolist() == there.arrays()[0].tolist()
        assert here.arrays()[1].tolist() == there.arrays()[1].tolist() and here.output_lits == there.output_lits
        assert prove_by_parts(net, low) is None and prove_by_parts(net, low, workers=cluster) is None


def test_a_convolution_with_max_pools_is_proved_alike_on_the_cluster(cluster, converted):
    """digits_cnn at 2 bits: conv neurons per position and max-pool tournaments (checked in this process
    after each layer's blocks) give the same verdicts and gaps whether the blocks run here or on the cluster."""
    bundle = converted["digits_cnn", 2][0]
    net, low = bundle.net, bundle.lowering
    assert net.pools[0] is not None
    assert prove_by_parts(net, low, workers=cluster) is None
    rng, gaps = np.random.default_rng(1), 0
    pool_gates = sorted({lit >> 1 for circuit in low.pools[0] for lit in circuit.out_word} - {0})
    for node in rng.choice(pool_gates, 2, replace=False).tolist() + [None, None]:
        broken = low.aig.copy()
        if node is None:
            broken = _mutated(low.aig, rng)
        elif node > broken.n_inputs:
            broken.fanin0[node - 1 - broken.n_inputs] ^= 1
        bad = replace(low, aig=broken)
        here, there = prove_by_parts(net, bad), prove_by_parts(net, bad, workers=cluster)
        assert (here is None) == (there is None)
        if here is not None:
            gaps += 1
            assert (here.text, here.part) == (there.text, there.part)
    assert gaps >= 2


def test_the_proof_effort_goes_with_the_parts_to_wherever_they_run(monkeypatch):
    """--proof-effort is a setting of the command's process: the per-part checks get it as an argument and
    run under it, so a worker proves with the same budgets as this process."""
    from quantlogic.verify import parts
    from quantlogic.verify.limits import effort, proof_effort

    seen = []

    class Recording(Here):
        def map(self, fn, tasks, *shared):
            seen.append(shared[1:])
            return super().map(fn, tasks, *shared)

    real = parts.check_neuron
    monkeypatch.setattr(parts, "check_neuron", lambda *args: seen.append(effort()) or real(*args))
    net = random_intnet(np.random.default_rng(2), 6, 2, [3], 2)
    low = lower_network(net, table_bits=0)
    with proof_effort(3):
        assert prove_by_parts(net, low, workers=Recording()) is None
    assert seen[0] == (3,) and seen[1:] == [3, 3, 3]
    assert parts.check_parts(low.aig, 5, []) == [] and effort() == 1


def test_the_python_api_takes_workers(cluster, converted):
    import quantlogic

    with quantlogic.open_workers() as here:
        assert isinstance(here, Here)
    bundle = converted["digits", 2][0]
    small = quantlogic.simplify(bundle, workers=cluster)
    assert quantlogic.check(small, workers=cluster).text == quantlogic.check(small).text
    assert quantlogic.check(small).status == "proved"


@pytest.fixture(scope="module")
def small_checkpoint():
    """digits_fanin at 2 bits: (checkpoint, calibration rows)."""
    return model_path("digits_fanin"), model_path("digits_fanin", "calib.npy")


def test_convert_with_two_workers_writes_the_same_bundle(tmp_path, monkeypatch, small_checkpoint):
    """Through the command line, with the layer-by-layer simplification switched on for this small circuit
    so that its windows run on the workers too; verify and simplify take --workers as well."""
    monkeypatch.setattr(windows, "MIN_ANDS", 0)
    ckpt, calib = small_checkpoint
    outputs = {}
    for n in (1, 2):
        out = tmp_path / f"w{n}.qlc"
        code, stdout, err = run_cli("convert", ckpt, "--calib", calib, "-o", out, "--wbits", 2, "--abits", 2,
                                    "--ibits", 2, "--workers", n)
        assert code == 0, err
        assert "stitch" in err or "layer by layer" in err, err
        outputs[n] = out.read_bytes()
    assert outputs[1] == outputs[2]
    code, stdout, err = run_cli("verify", tmp_path / "w2.qlc", "--workers", 2)
    assert code == 0 and stdout.startswith("proved"), (stdout, err)
    code, _, err = run_cli("simplify", tmp_path / "w2.qlc", "-o", tmp_path / "again.qlc", "--workers", 2)
    assert code == 0, err


@pytest.mark.parametrize("address,words", [("nonsense://x", ["unknown address scheme"]),
                                           ("tcp://host", ["tcp://HOST:PORT"]),
                                           ("foo bar", ["HOST:PORT"]),
                                           ("inproc://x", ["tcp://HOST:PORT"]),  # only within one process
                                           ("tcp://h:70000", ["port 1-65535"]),
                                           ("tcp://a..b:1", ["HOST:PORT"]),
                                           ("a" * 5000 + ":1", ["a" * 70 + "...", "HOST:PORT"])])
def test_a_bad_scheduler_address_is_one_line_and_writes_nothing(tmp_path, address, words):
    out = tmp_path / "net.qlc"
    code, out_text, err = run_cli("convert", model_path("iris"), "--calib", model_path("iris", "calib.npy"),
                                  "-o", out, "--scheduler", address)
    assert code == 2 and not out.exists()
    named = [address] if len(address) <= 80 else []  # a long address is shown cut short
    assert_clean_failure(code, out_text, err, *named, *words)


def test_more_local_workers_than_cores_are_refused(tmp_path):
    import os

    code, out, err = run_cli("verify", tmp_path / "x.qlc", "--workers", (os.cpu_count() or 1) + 1)
    assert_clean_failure(code, out, err, "cores", "--scheduler")


def test_workers_and_scheduler_together_are_refused(tmp_path):
    code, out, err = run_cli("verify", tmp_path / "x.qlc", "--workers", 2, "--scheduler", "tcp://127.0.0.1:8786")
    assert_clean_failure(code, out, err, "--workers or --scheduler")


def test_an_unreachable_scheduler_or_one_without_workers_is_an_error_naming_it():
    from distributed import LocalCluster

    from quantlogic.workers import NO_DASHBOARD

    with pytest.raises(QuantlogicError, match="127.0.0.1:9"):
        with open_workers(WorkerOptions(scheduler="tcp://127.0.0.1:9", timeout=0.5)):
            pass
    with LocalCluster(n_workers=0, processes=True, host="127.0.0.1", scheduler_kwargs=NO_DASHBOARD) as empty:
        with pytest.raises(QuantlogicError, match="has no workers"):
            with open_workers(WorkerOptions(scheduler=empty.scheduler_address)):
                pass
