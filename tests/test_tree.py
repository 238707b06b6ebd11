"""Decision diagrams: exact against the IntNetwork, golden text, exports, refusals."""
import itertools
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import assert_clean_failure, load_test_split, model_path, random_intnet, run_cli
from quantlogic.errors import QuantlogicError
from quantlogic.formats.diagram import from_json, to_json, to_python, to_text
from quantlogic.formats.qnet import save as qnet_save
from quantlogic.ir.tree import Diagram
from quantlogic.lower.to_tree import network_diagram, neuron_diagram, threshold_diagram
from quantlogic.quant.intnet import IntNetwork


def tiny_net():
    """class 1 exactly when a >= 0.5 and b >= 2.5 (one AND neuron), else class 0 (a tie)."""
    return IntNetwork(1, 1, 3, np.array([[0.5], [2.5]]), np.array([[0, 1], [0, 1]]),
                      [(np.array([[1, 1]]), np.array([[2]]))], np.array([[-1], [1]]), np.array([0, 0]), ["a", "b"])


GOLDEN = """\
|--- a < 0.5
|   |--- class: 0
|--- a >= 0.5
|   |--- b < 2.5
|   |   |--- class: 0
|   |--- b >= 2.5
|   |   |--- class: 1
"""


def test_golden_text_of_a_tiny_network():
    assert to_text(network_diagram(tiny_net())) == GOLDEN
    assert to_json(network_diagram(tiny_net())) == to_json(network_diagram(tiny_net()))


def all_codes(n_features, ibits):
    return np.array(list(itertools.product(range(2 ** ibits), repeat=n_features)))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2 ** 32), st.integers(1, 4), st.integers(1, 3), st.integers(1, 2),
       st.lists(st.integers(1, 4), min_size=0, max_size=2), st.integers(2, 4))
def test_network_diagram_equals_random_networks_exhaustively(seed, n_features, ibits, abits, widths, classes):
    net = random_intnet(np.random.default_rng(seed), n_features, ibits, widths, abits, n_classes=classes)
    codes = all_codes(n_features, ibits)
    assert np.array_equal(network_diagram(net).evaluate(codes), net.predict_codes(codes))


@pytest.mark.parametrize("name", ["iris", "adder3"])
def test_network_diagram_of_bundled_models_exhaustively(name):
    from quantlogic.quant.quantize import quantize
    from quantlogic.app.convert import load_float_network

    X = np.load(model_path(name, "calib.npy")).astype(np.float64)
    net, _ = quantize(load_float_network(model_path(name)), X, 2, 2, 2)
    codes = all_codes(net.n_features, 2)
    assert np.array_equal(network_diagram(net).evaluate(codes), net.predict_codes(codes))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2 ** 32), st.integers(1, 10), st.integers(1, 2), st.integers(1, 3))
def test_neuron_diagram_equals_threshold_function(seed, fan_in, in_bits, abits):
    """Random neurons with up to 20 input bits, checked on every input."""
    rng = np.random.default_rng(seed)
    weights = rng.integers(-3, 4, size=fan_in)
    values = [list(range(2 ** in_bits))] * fan_in
    vmax = 2 ** in_bits - 1
    lo, hi = np.minimum(weights * vmax, 0).sum(), np.maximum(weights * vmax, 0).sum()
    thresholds = np.sort(rng.integers(lo - 1, hi + 2, size=2 ** abits - 1))
    d = threshold_diagram(weights, values, thresholds, Diagram("neuron", [f"i{k}" for k in range(fan_in)],
                                                               [None] * fan_in, [2 ** in_bits] * fan_in))
    codes = all_codes(fan_in, in_bits) if fan_in * in_bits <= 16 else rng.integers(0, 2 ** in_bits, (1 << 16, fan_in))
    want = ((codes @ weights)[:, None] >= thresholds[None, :]).sum(axis=1)
    assert np.array_equal(d.evaluate(codes), want)


def test_neuron_diagram_of_a_model(quantized_models):
    net, _ = quantized_models["wine_bn"]
    d = neuron_diagram(net, "0.2")
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 8, size=(5000, net.n_features))
    h = np.take_along_axis(net.levels.T, codes, axis=0)
    W, T = net.hidden[0]
    assert np.array_equal(d.evaluate(codes), ((h @ W[2])[:, None] >= T[2][None, :]).sum(axis=1))
    with pytest.raises(QuantlogicError, match="no hidden neuron 5.0"):
        neuron_diagram(net, "5.0")


def test_python_export_runs_on_its_own(quantized_models, tmp_path):
    net, _ = quantized_models["iris"]
    d = network_diagram(net)
    (tmp_path / "tree.py").write_text(to_python(d))
    X, _ = load_test_split("iris")
    np.save(tmp_path / "X.npy", X)
    script = "import numpy as np, tree; X = np.load('X.npy'); print(' '.join(str(tree.predict(r)) for r in X.tolist()))"
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert [int(v) for v in out.stdout.split()] == net.predict(X).tolist()


def test_json_roundtrip_and_cli(quantized_models, tmp_path):
    net, _ = quantized_models["iris"]
    qnet_save(net, tmp_path / "iris.qnet")
    d = network_diagram(net)
    back = from_json(to_json(d))
    assert (back.feature, back.cut, back.lo, back.hi, back.value, back.root) == \
        (d.feature, d.cut, d.lo, d.hi, d.value, d.root)
    code, out, err = run_cli("tree", tmp_path / "iris.qnet", "-o", tmp_path / "t.json")
    assert code == 0 and "proved (exhaustive)" in out, err
    code, out, err = run_cli("predict", tmp_path / "t.json", model_path("iris", "test.npz"))
    X, _ = load_test_split("iris")
    assert code == 0 and [int(v) for v in out.split()] == net.predict(X).tolist()
    code, out, err = run_cli("tree", tmp_path / "iris.qnet", "-o", tmp_path / "t.qlc")
    assert code == 0, err
    code, out, err = run_cli("verify", tmp_path / "t.qlc")
    assert code == 0 and out.startswith("proved (exhaustive)")
    code, out, err = run_cli("tree", tmp_path / "iris.qnet")
    assert code == 0 and out.startswith("|--- ") and "class:" in out


def test_refusals_are_clear(quantized_models, tmp_path):
    net, _ = quantized_models["digits"]
    qnet_save(net, tmp_path / "digits.qnet")
    code, out, err = run_cli("tree", tmp_path / "digits.qnet")
    assert_clean_failure(code, out, err, "limited to 28 input bits", "192")
    small, _ = quantized_models["iris"]
    with pytest.raises(QuantlogicError, match="budget of 10 nodes"):
        network_diagram(small, max_nodes=10)
    with pytest.raises(QuantlogicError, match="budget of 3 nodes"):
        neuron_diagram(net, "0.5", max_nodes=3)
