"""The fused predict path (encode, pack, simulate, decode in numba) and streamed .npy rows give exactly what
the IntNetwork and the unfused simulation give."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from conftest import assert_clean_failure, int_networks, run_cli
from quantlogic.errors import QuantlogicError
from quantlogic.formats.bundle import Bundle
from quantlogic.lower.network import lower_network
from quantlogic.model.data import load_dataset, row_chunks
from quantlogic.quant.codes import circuit_classes, row_classifier


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(int_networks(max_features=6, max_width=8, max_input_bits=24))
def test_fused_classes_equal_the_intnet_on_awkward_rows(net):
    """Rows at thresholds exactly, NaN, infinities, every bit width (the binary search above 16 thresholds),
    float64 and float32 rows."""
    low = lower_network(net)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(700, net.n_features)) * 2
    picks = rng.integers(0, net.thresholds.shape[1], size=(200, net.n_features))
    X[:200] = net.thresholds[np.arange(net.n_features), picks]  # values equal to a threshold reach it
    X[200:210, 0], X[210:220, -1], X[220:230, 0] = np.nan, np.inf, -np.inf
    classifier = row_classifier(low.aig, net.thresholds, net.ibits, net.n_classes)
    classifier.chunk = 128  # several chunks, one of them partial
    got = classifier.classes(X)
    assert np.array_equal(got, circuit_classes(low.aig, net.encode(X), net.ibits, net.n_classes))
    assert np.array_equal(got, net.predict(X))
    single = X.astype(np.float32)  # read as they are, not copied to float64: the same codes as numpy's
    assert np.array_equal(classifier.classes(single), net.predict(single))


def test_bundle_predict_reads_pins_by_name(converted):
    bundle = converted["wine_bn", 2][0]
    aig = bundle.aig.copy()
    order = list(range(aig.n_inputs))[::-1]  # the same circuit with its inputs listed in reverse
    from quantlogic.ir.aig import AIG, copy_cone

    new = AIG()
    cut = {0: 0}
    for k in order:
        cut[k + 1] = new.add_input(aig.input_names[k])
    mapped = copy_cone(aig, aig.output_lits, cut, new)
    for name, lit in reversed(list(zip(aig.output_names, aig.output_lits))):
        new.add_output(name, mapped[lit >> 1] ^ (lit & 1))
    X, _ = load_dataset(__import__("conftest").model_path("wine_bn", "calib.npy"))
    assert np.array_equal(Bundle(bundle.net, new).predict(X), bundle.net.predict(X))


@pytest.mark.parametrize("arrays, labelled", [
    ({"X": 0, "y": 1}, True), ({"x": 0, "y": 1}, True), ({"features": 0, "labels": 1}, True),
    ({"data": 0, "target": 1}, True), ({"inputs": 0}, False), ({"anything": 0}, False),
])
def test_an_npz_reads_its_rows_and_labels_under_the_usual_names(tmp_path, arrays, labelled):
    X, y = np.arange(12.0).reshape(4, 3), np.array([0, 1, 1, 0])
    np.savez(tmp_path / "d.npz", **{name: (X, y)[which] for name, which in arrays.items()})
    got_X, got_y = load_dataset(tmp_path / "d.npz")
    assert np.array_equal(got_X, X) and (np.array_equal(got_y, y) if labelled else got_y is None)


def test_samples_of_several_dimensions_are_flattened_row_major_unless_kept(tmp_path):
    images = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5)
    np.save(tmp_path / "i.npy", images)
    assert np.array_equal(load_dataset(tmp_path / "i.npy")[0], images.reshape(2, 60))
    assert np.array_equal(load_dataset(tmp_path / "i.npy", keep_shape=True)[0], images)
    assert np.array_equal(np.concatenate(list(row_chunks(tmp_path / "i.npy"))), images.reshape(2, 60))


def test_an_npz_without_rows_under_a_usual_name_is_refused_naming_its_arrays(tmp_path):
    np.savez(tmp_path / "d.npz", X_train=np.zeros((3, 2)), X_test=np.zeros((2, 2)))
    with pytest.raises(QuantlogicError, match=r"named X \(found \['X_test', 'X_train'\]\)"):
        load_dataset(tmp_path / "d.npz")


def test_npy_rows_stream_in_chunks_as_loaded_whole(tmp_path):
    X = np.random.default_rng(0).normal(size=(1000, 7)).astype(np.float32)
    np.save(tmp_path / "x.npy", X)
    chunks = list(row_chunks(tmp_path / "x.npy", rows=300))
    assert [len(c) for c in chunks] == [300, 300, 300, 100]
    assert np.array_equal(np.concatenate(chunks), load_dataset(tmp_path / "x.npy")[0])
    np.save(tmp_path / "f.npy", np.asfortranarray(X))
    assert np.array_equal(np.concatenate(list(row_chunks(tmp_path / "f.npy", rows=300))), X)
    np.save(tmp_path / "one.npy", X[0])
    assert np.array_equal(np.concatenate(list(row_chunks(tmp_path / "one.npy"))), X[:1])
    data = (tmp_path / "x.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(data[:len(data) // 2])
    with pytest.raises(QuantlogicError, match="declares shape"):
        list(row_chunks(tmp_path / "cut.npy"))
    bad = X.copy()
    bad[700, 3] = np.nan
    np.save(tmp_path / "nan.npy", bad)
    with pytest.raises(QuantlogicError, match="NaN"):
        list(row_chunks(tmp_path / "nan.npy", rows=300))


def test_predict_cli_streams_an_npy_and_refuses_bad_rows(converted, tmp_path):
    bundle = converted["digits_fanin", 2][0]
    bundle.save(tmp_path / "n.qlc")
    X = np.random.default_rng(1).normal(size=(70000, bundle.net.n_features)) * 4 + 8
    np.save(tmp_path / "x.npy", X)
    code, out, err = run_cli("predict", tmp_path / "n.qlc", tmp_path / "x.npy", "-o", tmp_path / "p.npy")
    assert code == 0, err
    assert np.array_equal(np.load(tmp_path / "p.npy"), bundle.net.predict(X))
    np.save(tmp_path / "narrow.npy", X[:, :5])
    assert_clean_failure(*run_cli("predict", tmp_path / "n.qlc", tmp_path / "narrow.npy"), "features")
    np.save(tmp_path / "empty.npy", np.zeros((0, bundle.net.n_features)))
    assert_clean_failure(*run_cli("predict", tmp_path / "n.qlc", tmp_path / "empty.npy"))
