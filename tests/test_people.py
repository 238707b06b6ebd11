"""The people-facing commands: diff, inspect --json, predict of a circuit by pin name."""
import json
import re
import sys

import numpy as np
import pytest

from quantlogic.formats.depth import depth_of
from conftest import assert_clean_failure, model_path, run_cli
from quantlogic.app.convert import convert


def test_diff_of_equal_and_of_different_circuits(converted, tmp_path):
    """Equivalent bundles prove so (exit 0); different ones give an input where they differ, confirmed by
    both integer networks (exit 1); bundles of other input bits are compared on a float row; bundles of other
    features are a clean error (exit 2)."""
    lowered = converted["iris", 3][0]
    lowered.save(tmp_path / "low.qlc")
    code, out, err = run_cli("simplify", tmp_path / "low.qlc", "-o", tmp_path / "small.qlc")
    assert code == 0, err
    code, out, err = run_cli("diff", tmp_path / "low.qlc", tmp_path / "small.qlc")
    assert code == 0 and out.startswith("equivalent (proved"), out + err

    other = convert(model_path("iris"), model_path("iris", "calib.npy"), wbits=2, abits=2, ibits=3)[0]
    other.save(tmp_path / "other.qlc")
    code, out, err = run_cli("diff", tmp_path / "low.qlc", tmp_path / "other.qlc")
    found = re.search(r"at input codes (\[[0-9, ]+\]) the first circuit gives class (\d+), the second (\d+)", out)
    assert code == 1 and found, out + err
    codes = np.array([json.loads(found.group(1))])
    assert int(found.group(2)) == lowered.net.predict_codes(codes)[0]
    assert int(found.group(3)) == other.net.predict_codes(codes)[0] != int(found.group(2))

    two = converted["iris", 2][0]
    two.save(tmp_path / "two.qlc")
    code, out, err = run_cli("diff", tmp_path / "low.qlc", tmp_path / "two.qlc")
    found = re.search(r"at the float input row (\[[-0-9., e]+\]) the first circuit gives class (\d+), the second (\d+)",
                      out)
    assert code == 1 and found and "union of their thresholds" in out, out + err
    row = np.array([json.loads(found.group(1))])
    assert lowered.net.predict(row)[0] == int(found.group(2)) != int(found.group(3)) == two.net.predict(row)[0]
    converted["wine_bn", 2][0].save(tmp_path / "wine.qlc")
    assert_clean_failure(*run_cli("diff", tmp_path / "low.qlc", tmp_path / "wine.qlc"), "same inputs")


def test_inspect_json_of_each_kind_of_file(converted, tmp_path):
    from quantlogic.formats.qnet import save

    bundle = converted["iris", 2][0]
    bundle.save(tmp_path / "m.qlc")
    save(bundle.net, tmp_path / "m.qnet")
    code, out, err = run_cli("inspect", tmp_path / "m.qlc", "--json")
    data = json.loads(out)
    assert code == 0 and data["kind"] == "circuit" and data["circuit"]["ands"] == bundle.aig.n_ands
    assert data["verification"]["text"].startswith("proved") and data["widths"] == bundle.net.widths
    code, out, err = run_cli("inspect", tmp_path / "m.qnet", "--json")
    data = json.loads(out)
    assert data["widths"] == bundle.net.widths and len(data["features"]) == bundle.net.n_features


def test_predict_reads_a_circuit_by_pin_name(converted, tmp_path):
    """Output pins stored in another order (same names, same function) give the same predictions."""
    from quantlogic.app.artifacts import CircuitArtifact
    from quantlogic.formats.bundle import Bundle
    from quantlogic.ir.aig import AIG

    bundle = converted["wine_bn", 2][0]
    aig = bundle.aig
    reordered = AIG.from_arrays(aig.input_names, aig.fanin0, aig.fanin1, aig.output_names[::-1],
                                aig.output_lits[::-1])
    X = np.load(model_path("wine_bn", "calib.npy"))
    got = CircuitArtifact(Bundle(bundle.net, reordered, None, {})).predict(X)
    assert np.array_equal(got, bundle.net.predict(X))


def test_the_python_api(tmp_path):
    """import quantlogic loads neither torch nor numba; the documented calls work end to end."""
    import subprocess
    import sys

    script = """
import sys, numpy as np, quantlogic
assert 'torch' not in sys.modules and 'numba' not in sys.modules
b, v, s = quantlogic.convert(sys.argv[1], sys.argv[2], wbits=2, abits=2, ibits=2)
small = quantlogic.simplify(b)
assert v.ok and quantlogic.check(small).ok and quantlogic.diff(b, small).status == 'proved'
from quantlogic.verify.limits import effort
with quantlogic.proof_effort(3):
    assert effort() == 3 and quantlogic.check(small).ok
assert effort() == 1
assert 'module quantlogic' in quantlogic.export(small, 'reference')
small.save(sys.argv[3])
X = np.load(sys.argv[2])
assert (quantlogic.predict(sys.argv[3], X) == b.net.predict(X)).all()
assert quantlogic.load(sys.argv[3]).aig.n_ands == small.aig.n_ands
try:
    quantlogic.export(small, 'nope')
except quantlogic.QuantlogicError:
    print('ok')
"""
    proc = subprocess.run([sys.executable, "-c", script, str(model_path("iris")), str(model_path("iris", "calib.npy")),
                           str(tmp_path / "m.qlc")], capture_output=True, text=True)
    assert proc.stdout.strip() == "ok", proc.stderr


def test_long_commands_end_with_their_total_time(converted, tmp_path):
    converted["iris", 2][0].save(tmp_path / "m.qlc")
    code, out, err = run_cli("verify", tmp_path / "m.qlc")
    assert code == 0 and re.fullmatch(r"total time \d+\.\d s", err.strip().splitlines()[-1]), err
    code, out, err = run_cli("inspect", tmp_path / "m.qlc")
    assert code == 0 and "total time" not in err


@pytest.mark.parametrize("name, bits", [("iris", 1), ("digits", 2), ("wine_bn", 2)])
def test_constant_and_unused_neurons_are_what_inspect_says(converted, name, bits, tmp_path):
    """Every neuron called constant gives its code on random inputs; every unused one has no reader."""
    from quantlogic.report.summaries import idle_neurons

    net = (converted[name, bits][0] if bits > 1 else
           convert(model_path(name), model_path(name, "calib.npy"), wbits=1, abits=1, ibits=1)[0]).net
    constant, unused = idle_neurons(net)
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 2 ** net.ibits, size=(4000, net.n_features))
    hidden, _ = net.forward_codes(codes)
    for neuron, code in constant:
        layer, j = map(int, neuron.split("."))
        assert np.all(hidden[layer][:, j] == code), neuron
    for neuron in unused:
        layer, j = map(int, neuron.split("."))
        readers = net.hidden[layer + 1][0] if layer + 1 < len(net.hidden) else net.out_W
        assert not np.any(readers[:, j])
    assert name != "iris" or constant  # at 1 bit most of iris' neurons are constant


def test_regression_helpers_pass_and_fail(converted, tmp_path):
    from quantlogic.testing import (assert_equivalent, assert_equivalent_to_golden, assert_max_ands,
                                    assert_min_accuracy, assert_proved)

    bundle, other = converted["iris", 3][0], convert(model_path("iris"), model_path("iris", "calib.npy"),
                                                     wbits=2, abits=2, ibits=3)[0]
    X, y = np.load(model_path("iris", "test.npz"))["X"], np.load(model_path("iris", "test.npz"))["y"]
    bundle.save(tmp_path / "golden.qlc")
    assert_proved(bundle)
    assert_equivalent_to_golden(bundle, tmp_path / "golden.qlc")
    assert_min_accuracy(bundle, X, y, 0.8)
    assert_max_ands(bundle, bundle.ands)
    assert bundle.accuracy(X, y) == float(np.mean(bundle.net.predict(X) == y))
    with pytest.raises(AssertionError, match="different: at input codes"):
        assert_equivalent(other, bundle)
    with pytest.raises(AssertionError, match="is below"):
        assert_min_accuracy(bundle.net, X, y, 1.01)
    with pytest.raises(AssertionError, match="more than"):
        assert_max_ands(bundle, bundle.ands - 1)


def test_the_readme_example_test_runs(monkeypatch):
    import pathlib

    root = pathlib.Path(__file__).resolve().parent.parent
    text = (root / "README.md").read_text()
    block = text.split("<!-- example test -->", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(root)
    namespace = {}
    exec(compile(block, "README.md example", "exec"), namespace)
    namespace["test_iris_circuit"]()


def test_sweep_table_and_plot(converted, tmp_path):
    """Each row's figures are those of converting at its widths; the Pareto plot is an SVG that does not
    change between runs."""
    import csv

    from quantlogic.app.convert import simplify_converted

    args = ["sweep", model_path("iris"), "--calib", model_path("iris", "calib.npy"), "--test",
            model_path("iris", "test.npz"), "--bits", "2/2/2,3/3/3", "-o"]
    code, out, err = run_cli(*args, tmp_path / "a.csv", "--plot", tmp_path / "a.svg")
    assert code == 0, err
    rows = list(csv.DictReader((tmp_path / "a.csv").open()))
    X, y = np.load(model_path("iris", "test.npz"))["X"], np.load(model_path("iris", "test.npz"))["y"]
    for row, bits in zip(rows, (2, 3)):
        small, _ = simplify_converted(converted["iris", bits][0])
        assert int(row["ands"]) == small.ands and int(row["levels"]) == small.levels
        assert float(row["circuit_accuracy"]) == small.accuracy(X, y) == float(row["intnet_accuracy"])
        assert row["verdict"].startswith("proved")
    svg = (tmp_path / "a.svg").read_text()
    assert svg.startswith("<?xml") and "Pareto front" in svg and "3/3/3" in svg
    code, out, err = run_cli(*args, tmp_path / "b.csv", "--plot", tmp_path / "b.svg", "--workers", 2)
    assert code == 0, err  # a conversion per worker process: the same rows and plot
    assert (tmp_path / "b.svg").read_text() == svg
    again = list(csv.DictReader((tmp_path / "b.csv").open()))
    assert [{k: v for k, v in row.items() if k != "seconds"} for row in again] == \
        [{k: v for k, v in row.items() if k != "seconds"} for row in rows]


def test_report_in_a_real_browser(converted, tmp_path):
    """The HTML report renders in headless Chromium: title, verdict, accuracy and its plots are in the
    DOM, the screenshot is not blank; the gate counts are those of the lowered neurons."""
    import shutil
    import subprocess

    from quantlogic.report.html import gates_per_neuron

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "chromium is not installed (.ci/run installs it with apt-get)"
    bundle = converted["iris", 3][0]
    bundle.save(tmp_path / "m.qlc")
    code, out, err = run_cli("report", tmp_path / "m.qlc", "-o", tmp_path / "r.html", "--test",
                             model_path("iris", "test.npz"))
    assert code == 0, err
    page = f"file://{tmp_path / 'r.html'}"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1200,900"]
    dom = subprocess.run([browser, *flags, "--dump-dom", page], capture_output=True, text=True, timeout=120).stdout
    X, y = np.load(model_path("iris", "test.npz"))["X"], np.load(model_path("iris", "test.npz"))["y"]
    assert "<title>quantlogic report: model.pt</title>" in dom
    assert re.search(r"id=\"verdict\">proved \(exhaustive\)<", dom), dom[:2000]
    assert f"circuit accuracy {100 * bundle.accuracy(X, y):.2f}%" in dom
    assert dom.count("<svg") == 2 and "confusion matrix" in dom
    source = (tmp_path / "r.html").read_text()
    assert "src=" not in source and "<link" not in source and "@import" not in source  # nothing to fetch
    subprocess.run([browser, *flags, f"--screenshot={tmp_path / 'shot.png'}", page], capture_output=True, timeout=120)
    import matplotlib.image

    pixels = matplotlib.image.imread(tmp_path / "shot.png").reshape(-1, 4)
    assert len(np.unique(pixels, axis=0)) > 10
    counts = gates_per_neuron(bundle)
    assert len(counts) == 16 and 0 < max(counts.values()) <= bundle.meta["layer_ands"]["layer 0"]


def test_diff_proves_effort_high_and_finds_a_planted_gate(converted, tmp_path):
    from quantlogic.app.diff import diff_bundles
    from quantlogic.app.simplify import simplify_bundle
    from quantlogic.formats.bundle import Bundle
    from quantlogic.passes.registry import EFFORT

    bundle = converted["wine_bn", 2][0]
    high = simplify_bundle(bundle, EFFORT["high"])
    assert diff_bundles(bundle, high).status == "proved"
    X = np.load(model_path("wine_bn", "calib.npy"))
    for node in high.aig.cone(high.aig.output_lits)[::-5]:
        broken = high.aig.copy()
        broken.fanin0[node - 1 - broken.n_inputs] ^= 1
        planted = Bundle(high.net, broken, None, {})
        if not np.array_equal(planted.predict(X), high.predict(X)):  # this gate matters on real rows
            break
    verdict = diff_bundles(high, planted)
    assert verdict.status == "disproved"
    codes = np.array([verdict.witness["codes"]])
    from quantlogic.quant.codes import circuit_classes

    assert verdict.witness["first"] == circuit_classes(high.aig, codes, high.net.ibits, high.net.n_classes)[0]
    assert verdict.witness["second"] == circuit_classes(broken, codes, high.net.ibits, high.net.n_classes)[0]
    assert verdict.witness["first"] != verdict.witness["second"]


def test_verify_tells_how_far_each_layers_proof_has_got(converted):
    """Re-proving a lowered bundle reports, within each layer's step, parts done of the layer's parts (the
    bar's share and time left), ending at the whole layer."""
    from quantlogic.verify.network import verify_bundle

    bundle = converted["digits", 2][0]
    events = []

    def progress(stage):
        events.append(stage)
    progress.within = lambda done, total: events.append((done, total))
    assert verify_bundle(bundle, progress=progress).ok
    layers = [e for e in events if isinstance(e, str)]
    assert layers == ["layer 0", "output"]
    within = [e for e in events if isinstance(e, tuple)]
    assert within == [(k, 32) for k in range(1, 33)] + [(k, 10) for k in range(1, 11)]
    assert events.index("output") == events.index((32, 32)) + 1


def test_progress_lines_in_logs_and_quiet(tmp_path, monkeypatch):
    """Off a terminal, convert logs one line per stage with its step and elapsed time; --quiet silences
    progress and the total time."""
    from quantlogic.verify import network

    monkeypatch.setattr(network, "_REFERENCES", {})  # verify proves its reference here, whatever ran before
    args = ["convert", model_path("digits"), "--calib", model_path("digits", "calib.npy"), "--wbits", "2",
            "--abits", "2", "--ibits", "2"]
    code, out, err = run_cli(*args, "-o", tmp_path / "a.qlc")
    lines = err.strip().splitlines()
    assert code == 0 and lines[0].startswith("lower layer 0 (step 1/4, ") and lines[-1].startswith("total time")
    assert any(line.startswith("prove layer 0 (step 3/4") for line in lines), err
    summary = [line for line in lines if line.startswith("time by stage: read and quantize")]
    assert summary and " lower " in summary[0] and "peak memory" in summary[0], err
    assert any(line.startswith("simplify fraig (step 2/5") for line in lines), err
    code, out, err = run_cli("--quiet", *args, "-o", tmp_path / "b.qlc")
    assert code == 0 and err.strip() == "" and "wrote" in out
    code, out, err = run_cli("verify", tmp_path / "a.qlc")  # a simplified bundle: 2 layers and the equivalence
    assert code == 0 and [line.split(" (step")[0] for line in err.splitlines()[:3]] == [
        "verify layer 0", "verify output", "verify equivalence with the stored circuit"], err
    code, out, err = run_cli("simplify", tmp_path / "a.qlc", "-o", tmp_path / "c.qlc", "--passes", "sweep,fraig")
    assert code == 0 and "simplify fraig (step 2/3" in err and "simplify equivalence check (step 3/3" in err, err
    code, out, err = run_cli("tree", tmp_path / "a.qlc", "--neuron", "0.3", "-o", tmp_path / "t.json")
    assert code == 0 and "tree check it against the network (step 1/1" in err, err


def test_a_cold_numba_cache_is_announced(tmp_path, monkeypatch):
    """With no compiled kernels on disk, a command says it is compiling them as its long work starts (after
    its input checks, so bad input stays one line); --quiet and commands without kernels say nothing."""
    from click.testing import CliRunner

    from conftest import model_path
    from quantlogic.cli import main
    from quantlogic.kernels import config

    monkeypatch.setattr(config, "kernels_cached", lambda: False)
    data = str(model_path("iris", "calib.npy"))
    result = CliRunner().invoke(main, ["predict", str(tmp_path / "missing.qlc"), data])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "compiling" not in result.stderr
    convert = ["convert", str(model_path("iris")), "--calib", data, "--wbits", "1", "--abits", "1", "--ibits", "1"]
    result = CliRunner().invoke(main, convert + ["-o", str(tmp_path / "a.qlc")])
    assert result.exit_code == 0 and result.stderr.startswith("compiling the numba kernels"), result.stderr
    result = CliRunner().invoke(main, ["--quiet"] + convert + ["-o", str(tmp_path / "b.qlc")])
    assert result.exit_code == 0 and "compiling" not in result.stderr
    result = CliRunner().invoke(main, ["inspect", str(tmp_path / "a.qlc")])
    assert result.exit_code == 0 and "compiling" not in result.stderr
    monkeypatch.undo()  # the real check: numba's cache index files under $NUMBA_CACHE_DIR
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "cache" / "quantlogic_kernels").mkdir(parents=True)
    assert config.kernels_cached() is False
    (tmp_path / "cache" / "quantlogic_kernels" / "simulate._simulate-43.py311.nbi").write_bytes(b"")
    assert config.kernels_cached() is True


@pytest.mark.parametrize("accuracy, warned", [(0.2, True), (0.34, False)])
def test_below_chance_is_warned(accuracy, warned):
    from quantlogic.report.summaries import quantize_summary

    summary = {"widths": [4, 16, 3], "wbits": 1, "abits": 1, "ibits": 1, "method": "mse", "calib_rows": 10,
               "fake_quant_agreement": 1.0, "fake_quant_disagreements": 0, "classes_predicted": 2, "classes": 3,
               "float_accuracy": 1.0, "quantized_accuracy": 0.9, "test_float_accuracy": 1.0,
               "test_quantized_accuracy": accuracy}
    text = quantize_summary(summary)
    assert ("below chance on the test rows" in text) == warned and "below chance on the calibration" not in text


def test_constant_neurons_of_generated_networks():
    """On random IntNetworks of every bit width, each neuron reported constant keeps its code on random
    input codes, and each reported unused one has no reader."""
    from hypothesis import HealthCheck, given, settings

    from conftest import int_networks
    from quantlogic.quant.intnet import threshold_codes
    from quantlogic.report.summaries import idle_neurons

    @settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(int_networks())
    def check(net):
        constant, unused = idle_neurons(net)
        codes = np.random.default_rng(1).integers(0, 2 ** net.ibits, size=(2000, net.n_features))
        hidden, _ = net.forward_codes(codes)
        inputs = [np.take_along_axis(net.levels.T, codes, axis=0)] + hidden[:-1]
        for neuron, code in constant:  # a neuron's own code, before any max-pool
            layer, j = map(int, neuron.split("."))
            W, T = net.hidden[layer]
            assert np.all(threshold_codes(inputs[layer] @ W[j:j + 1].T, T[j:j + 1])[:, 0] == code), neuron
        for neuron in unused:
            layer, j = map(int, neuron.split("."))
            readers = net.hidden[layer + 1][0] if layer + 1 < len(net.hidden) else net.out_W
            pool = net.pools[layer]
            outputs = [j] if pool is None else np.flatnonzero(np.any(pool == j, axis=1))
            assert not np.any(readers[:, outputs])

    check()


@pytest.mark.parametrize("name, bits", [("digits_fanin", 2), ("wine_bn", 3)])
def test_per_layer_sizes_after_simplification_add_up(converted, name, bits):
    """Each layer's gates after simplification, followed along the passes' node maps, partition the circuit,
    and the output's depth is the circuit's."""
    from quantlogic.app.simplify import simplify_bundle
    from quantlogic.passes.registry import EFFORT
    from quantlogic.report.summaries import describe_circuit

    small = simplify_bundle(converted[name, bits][0], EFFORT["default"])
    layers = small.meta["simplified_layers"]
    assert list(layers) == [f"layer {k}" for k in range(len(small.net.hidden))] + ["output"]
    assert sum(st["ands"] for st in layers.values()) == small.aig.n_ands
    assert layers["output"]["levels"] == depth_of(small.aig)
    assert all(layers[f"layer {k}"]["levels"] <= layers["output"]["levels"] for k in range(len(small.net.hidden)))
    assert "layer 0 after simplification" in describe_circuit(small)


def test_per_layer_sizes_after_simplification_add_up_on_generated_networks():
    """The same partition on random IntNetworks (every bit width, max-pools, degenerate neurons)."""
    from hypothesis import HealthCheck, given, settings

    from conftest import int_networks
    from quantlogic.app.simplify import simplify_bundle
    from quantlogic.formats.bundle import Bundle
    from quantlogic.lower.network import lower_network
    from quantlogic.passes.registry import EFFORT
    from quantlogic.verify.network import verify_lowering

    @settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(int_networks(max_features=5, max_width=8, max_input_bits=24))
    def check(net):
        low = lower_network(net)
        bundle = Bundle(net, low.aig, low, {"layer_ands": low.layer_ands})
        bundle.record_verdict(verify_lowering(net, low))
        small = simplify_bundle(bundle, EFFORT["default"])
        layers = small.meta["simplified_layers"]
        assert sum(st["ands"] for st in layers.values()) == small.aig.n_ands
        assert layers["output"]["levels"] == depth_of(small.aig)

    check()


def test_convert_bar_counts_neurons_on_a_terminal(tmp_path):
    """On a terminal, convert's bar counts neurons lowered and proved (so its ETA moves within a layer):
    digits (64-32-10) has 2 x (32 + 10) of them; a simplification pass shows how far it has got."""
    import fcntl
    import os
    import pty
    import struct
    import subprocess
    import termios

    main, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # a new pty has no columns
    proc = subprocess.Popen([sys.executable, "-m", "quantlogic", "convert", str(model_path("digits")), "--calib",
                             str(model_path("digits", "calib.npy")), "-o", str(tmp_path / "w.qlc"), "--wbits", "2",
                             "--abits", "2", "--ibits", "2"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=secondary)
    os.close(secondary)
    seen = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        seen += chunk
    os.close(main)
    assert proc.wait() == 0
    text = seen.decode(errors="replace")
    assert "/84 [" in text and "prove layer 0" in text, text[-2000:]
    assert re.search(r"simplify rewrite-resub.*\d+% of this step, ~\d+ s left", text), text[-2000:]
