"""Whole networks: circuit == IntNetwork, bundle round trip, planted bugs, bad bundles."""
import json
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from conftest import (MODEL_NAMES, assert_clean_failure, int_networks, load_test_split, model_path, run_cli,
                      run_cli_process)
from quantlogic.formats.bundle import load
from quantlogic.app.convert import convert
from quantlogic.verify.network import verify_bundle, verify_lowering


@pytest.fixture(scope="module")
def bundles(converted):
    return converted


@pytest.mark.parametrize("name", MODEL_NAMES)
@pytest.mark.parametrize("bits", [2, 3])
def test_circuit_proved_and_predicts_like_intnet(bundles, tmp_path, name, bits):
    bundle, verdict, _ = bundles[name, bits]
    assert verdict.ok and verdict.text.startswith("proved")
    if bundle.aig.n_inputs <= 22:
        assert verdict.method == "exhaustive"
    bundle.save(tmp_path / "m.qlc")
    from quantlogic.app.artifacts import open_artifact

    X, _ = load_test_split(name)
    assert np.array_equal(open_artifact(tmp_path / "m.qlc").predict(X), bundle.net.predict(X))


def test_bundle_roundtrip_is_lossless(bundles, tmp_path):
    bundle = bundles["digits", 2][0]
    bundle.save(tmp_path / "a.qlc")
    again = load(tmp_path / "a.qlc")
    again.save(tmp_path / "b.qlc")
    assert (tmp_path / "a.qlc").read_bytes() == (tmp_path / "b.qlc").read_bytes()
    assert verify_bundle(again).ok


def _round_trip(net):
    """(lowering, bundle read back) of a lowered bundle of net, written and read twice: the same bytes."""
    import tempfile

    from quantlogic.formats.bundle import Bundle
    from quantlogic.lower.network import lower_network

    low = lower_network(net)
    with tempfile.TemporaryDirectory() as folder:
        Bundle(net, low.aig, low, {}).save(f"{folder}/a.qlc")
        again = load(f"{folder}/a.qlc")
        again.save(f"{folder}/b.qlc")
        assert open(f"{folder}/a.qlc", "rb").read() == open(f"{folder}/b.qlc", "rb").read()
    return low, again


def _steps(pools):
    return [None if p is None else [[list(map(list, step)) for step in c.steps] for c in p] for p in pools]


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(int_networks(max_input_bits=14, max_width=8))
def test_lowered_bundles_of_generated_networks_round_trip(net):
    """Any lowered bundle (max-pools of one-neuron windows, whose tournaments have no steps, included) is
    written, read back with the same records, and proved again from the file."""
    low, again = _round_trip(net)
    assert _steps(again.lowering.pools) == _steps(low.pools)
    assert verify_bundle(again).ok


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(int_networks(max_input_bits=12, max_width=6))
def test_generated_networks_through_the_command_line(net):
    """Every command a user runs on a network, on random ones (every bit width, max-pools, degenerate neurons):
    each exits 0 without a traceback, and the written circuits predict what the network does."""
    import tempfile
    from pathlib import Path

    from quantlogic.formats.qnet import save

    with tempfile.TemporaryDirectory() as folder:
        d = Path(folder)
        save(net, d / "n.qnet")
        X = np.random.default_rng(0).normal(size=(40, net.n_features)) * 2
        np.save(d / "x.npy", X)
        np.savez(d / "t.npz", X=X, y=net.predict(X))
        commands = [["convert", d / "n.qnet", "-o", d / "a.qlc", "--no-simplify"], ["convert", d / "n.qnet", "-o",
                    d / "b.qlc"], ["inspect", d / "a.qlc"], ["verify", d / "a.qlc"], ["verify", d / "b.qlc"],
                    ["diff", d / "a.qlc", d / "b.qlc"], ["predict", d / "b.qlc", d / "x.npy", "-o", d / "p.npy"],
                    ["tree", d / "n.qnet", "-o", d / "t.json"], ["predict", d / "t.json", d / "x.npy", "-o",
                    d / "q.npy"], ["report", d / "a.qlc", "-o", d / "r.html", "--test", d / "t.npz"]]
        commands += [["export", d / "b.qlc", "-o", d / f"e.{fmt}"] for fmt in ("aig", "blif", "v", "json", "c")]
        for command in commands:
            code, out, err = run_cli("--quiet", *command)
            assert code == 0 and "Traceback" not in err, (command[0], err)
        want = net.predict(X)
        assert np.array_equal(np.load(d / "p.npy"), want) and np.array_equal(np.load(d / "q.npy"), want)


def test_a_bundle_whose_pools_have_no_steps_is_written():
    from quantlogic.quant.intnet import IntNetwork

    net = IntNetwork(2, 2, 2, np.tile([-1.0, 0.0, 1.0], (3, 1)), np.tile(np.arange(4), (3, 1)),
                     [(np.array([[1, -1, 0], [0, 1, 1]]), np.array([[-1, 0, 2], [0, 1, 3]]))],
                     np.array([[1, 0], [0, 1]]), np.array([0, 0]), pools=[np.array([[1], [0]])])
    low, again = _round_trip(net)
    assert all(not p.steps for p in low.pools[0]) and _steps(again.lowering.pools) == _steps(low.pools)
    assert verify_bundle(again).ok


@pytest.mark.parametrize("name,bits", [("digits", 2), ("wine_bn", 3), ("iris", 3)])
def test_planted_bug_is_disproved_with_a_confirmed_counterexample(bundles, name, bits):
    """Flipping one AND input in the output cone: a verdict that is not proved is a disproof whose input
    codes make the circuit differ from the IntNetwork; a proved one agrees with it on random codes."""
    from quantlogic.quant.codes import circuit_classes
    from quantlogic.verify.network import sample_codes

    bundle = bundles[name, bits][0]
    net, low = bundle.net, bundle.lowering
    live = low.aig.cone(low.aig.output_lits)
    rng = np.random.default_rng(7)
    codes = sample_codes(net, n_random=4096, seed=3)
    disproofs = 0
    for node in rng.choice(live, size=6, replace=False):
        k = node - 1 - low.aig.n_inputs
        low.aig.fanin1[k] ^= 1
        try:
            verdict = verify_lowering(net, low)
            assert verdict.status in ("proved", "disproved"), verdict.text
            if verdict.status == "disproved":
                disproofs += 1
                assert verdict.text.startswith("disproved")
                cex = np.array([verdict.counterexample])
                assert circuit_classes(low.aig, cex, net.ibits, net.n_classes)[0] != net.predict_codes(cex)[0]
                assert verdict.witness["circuit"] != verdict.witness["network"]
            else:
                assert np.array_equal(circuit_classes(low.aig, codes, net.ibits, net.n_classes),
                                      net.predict_codes(codes))
        finally:
            low.aig.fanin1[k] ^= 1
    assert disproofs >= 1


def test_cli_convert_inspect_verify_predict_export(tmp_path):
    """The real command line (a subprocess) where it converts and refuses; the rest in-process."""
    qlc = tmp_path / "iris.qlc"
    code, out, err = run_cli_process("convert", model_path("iris"), "--calib", model_path("iris", "calib.npy"), "-o", qlc,
                             "--wbits", 3, "--abits", 2, "--ibits", 2, "--no-simplify")
    assert code == 0, err
    assert "proved (exhaustive)" in out and "AND gates" in out
    code, out, _ = run_cli("inspect", qlc)
    assert code == 0 and "AND gates:" in out and "verification: proved" in out
    code, out, _ = run_cli("inspect", qlc, "--neuron", "0.1")
    assert code == 0 and "sum of products" in out and "AND gates from its inputs" in out and "out[1] =" in out
    assert max(map(len, out.splitlines())) < 2000  # large covers are counted, not printed
    code, out, err = run_cli("inspect", qlc, "--neuron", "9.9")
    assert_clean_failure(code, out, err, "no hidden neuron 9.9")
    code, out, _ = run_cli("verify", qlc, "--proof-effort", 2)
    assert code == 0 and out.startswith("proved (exhaustive)")
    code, out, err = run_cli("verify", qlc, "--proof-effort", 0)
    assert code == 2 and "--proof-effort" in err
    code, out, _ = run_cli("predict", qlc, model_path("iris", "test.npz"))
    X, _ = load_test_split("iris")
    assert [int(v) for v in out.split()] == load(qlc).net.predict(X).tolist()
    for fmt in ("aig", "aag", "blif", "v", "json"):
        code, _, err = run_cli("export", qlc, "-o", tmp_path / f"iris.{fmt}")
        assert code == 0, err
    meta = json.loads((tmp_path / "iris.json").read_text())
    assert meta["output"]["tie_break"] == "smallest index" and meta["features"][2]["name"] == "petal_length"
    assert meta["verification"]["text"].startswith("proved")
    code, out, err = run_cli_process("export", qlc, "-o", tmp_path / "iris.xyz")
    assert_clean_failure(code, out, err, "unknown export format")
    assert not (tmp_path / "iris.xyz").exists()


def test_bad_bundles_are_one_clear_error(bundles, tmp_path):
    bundle = bundles["iris", 2][0]
    bundle.save(tmp_path / "good.qlc")
    data = (tmp_path / "good.qlc").read_bytes()
    (tmp_path / "trunc.qlc").write_bytes(data[: len(data) // 3])
    with zipfile.ZipFile(tmp_path / "good.qlc") as zin, zipfile.ZipFile(tmp_path / "v9.qlc", "w") as zout:
        for item in zin.namelist():
            content = zin.read(item)
            if item == "meta.json":
                meta = json.loads(content)
                meta["version"] = 9
                content = json.dumps(meta).encode()
            zout.writestr(item, content)
    for path, words in ((tmp_path / "trunc.qlc", "trunc.qlc"), (tmp_path / "v9.qlc", "version 9")):
        for args in (("verify", path), ("export", path, "-o", tmp_path / "out.aig")):
            code, out, err = run_cli(*args)
            assert_clean_failure(code, out, err, words)
    assert not (tmp_path / "out.aig").exists()


def test_failed_proof_writes_nothing(tmp_path, monkeypatch):
    """convert refuses to write a bundle whose check fails."""
    import quantlogic.verify.network as verify_module
    from quantlogic.errors import QuantlogicError

    from quantlogic.verdict import disproved

    monkeypatch.setattr(verify_module, "check_exhaustive", lambda net, aig: disproved("exhaustive", "planted"))
    with pytest.raises(QuantlogicError, match="disproved .exhaustive.: planted; nothing written"):
        convert(model_path("iris"), model_path("iris", "calib.npy"), wbits=2, abits=2, ibits=2)


def test_planted_bug_in_a_truth_table_neuron_is_caught(bundles):
    """The part check names the neuron; the verdict is a confirmed disproof, or proved when the flip kept
    the network's function (then the circuit equals a fresh lowering)."""
    from quantlogic.verify.parts import prove_by_parts

    bundle = bundles["digits_fanin", 2][0]
    low = bundle.lowering

    def gates_of(neuron):
        inputs = low.code_words if neuron.layer == 0 else [n.out_word for n in low.neurons[neuron.layer - 1]]
        return low.aig.cone(neuron.out_word, stop={lit >> 1 for word in inputs for lit in word})

    neuron = next(n for layer in low.neurons for n in layer if n.method == "table" and gates_of(n))
    k = gates_of(neuron)[-1] - 1 - low.aig.n_inputs
    low.aig.fanin1[k] ^= 1
    try:
        gap = prove_by_parts(bundle.net, low)
        verdict = verify_lowering(bundle.net, low)
    finally:
        low.aig.fanin1[k] ^= 1
    assert gap is not None and f"neuron {neuron.layer}.{neuron.index}" in gap.text
    assert verdict.status in ("proved", "disproved")
    if verdict.status == "disproved":
        assert verdict.witness["circuit"] != verdict.witness["network"]


def test_convert_reports_test_accuracy_and_warns_of_a_constant_classifier(tmp_path):
    """--test gives float, IntNetwork and simulated circuit accuracy; at 1 bit iris collapses to one class
    and the summary says so."""
    args = ["convert", model_path("iris"), "--calib", model_path("iris", "calib.npy"), "--test",
            model_path("iris", "test.npz")]
    code, out, err = run_cli(*args, "-o", tmp_path / "a.qlc", "--wbits", "3", "--abits", "3", "--ibits", "3")
    assert code == 0, err
    X, y = load_test_split("iris")
    net = load(tmp_path / "a.qlc").net
    want = f"test accuracy of the circuit (simulated): {100 * np.mean(net.predict(X) == y):.2f}%"
    assert want in out and "test accuracy: float" in out and "constant classifier" not in out
    code, out, err = run_cli(*args, "-o", tmp_path / "b.qlc", "--wbits", "1", "--abits", "1", "--ibits", "1")
    assert code == 0 and "constant classifier" in out
