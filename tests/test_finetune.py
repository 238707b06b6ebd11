"""Fine-tuning into the integer semantics: exact agreement with the fake-quantized model, never worse than
PTQ on the held-out slice, fan-in limits, determinism, and bad input refused before training."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import assert_clean_failure, model_path, run_cli
from test_quant_search import random_float_network
from quantlogic.app.convert import load_float_network, quantize_rows
from quantlogic.formats.qnet import to_bytes

FAST = dict(epochs=25, patience=25, augment=1)


def options(**kw):
    from quantlogic.train.finetune import FinetuneOptions

    return FinetuneOptions(**{**FAST, **kw})


def calib(name):
    return np.load(model_path(name, "calib.npy")).astype(np.float64)


@pytest.mark.parametrize("name,bits,n_rows", [("iris", 2, None), ("wine_bn", 2, None), ("digits", 2, None),
                                            ("digits_fanin", 3, 400)])
def test_finetune_is_exact_and_never_below_ptq_on_the_held_out_slice(name, bits, n_rows):
    X = calib(name)[:n_rows]  # (the integer search after training costs time in the rows)
    net, s = quantize_rows(model_path(name), X, wbits=bits, abits=bits, ibits=bits, finetune=options())
    ft = s["finetune"]
    assert ft["holdout_score"] >= ft["ptq_holdout_score"]
    assert s["fake_quant_disagreements"] == round((1 - s["fake_quant_agreement"]) * s["calib_rows"])
    assert s["fake_quant_agreement"] >= 0.99  # the rest are rounding ties, and they are counted
    from quantlogic.train.finetune import split_rows, with_noisy_copies

    assert ft["holdout"] == 0.0  # no labels: every calibration row and its noisy copies score the epochs
    scored = with_noisy_copies(X, options())
    assert ft["noisy_rows"] == len(X) and len(scored) == 2 * len(X)
    assert np.array_equal(scored[:len(X)], X) and not np.array_equal(scored[len(X):], X)
    rows = split_rows(len(scored), ft["holdout"], 0)[1]
    target = np.argmax(load_float_network(model_path(name)).forward(scored)[1], axis=1)
    # the score is the written network's own, recomputed here
    assert np.mean(net.predict(scored[rows]) == target[rows]) == pytest.approx(ft["holdout_score"])


def test_finetune_improves_a_network_trained_here_at_two_bits():
    """A checkpoint trained in the test itself (not a bundled one): the held-out agreement with the float
    model goes up from PTQ's at 2 bits."""
    import torch

    rng = np.random.default_rng(3)
    X = rng.normal(size=(600, 12))
    y = (X[:, :4].sum(1) > X[:, 4:8].sum(1)).astype(np.int64) + 2 * (X[:, 8] > 0.3)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(12, 24), torch.nn.ReLU(), torch.nn.Linear(24, 4))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(300):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(torch.tensor(X, dtype=torch.float32)), torch.tensor(y)).backward()
        opt.step()
    import tempfile, pathlib

    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "m.pt"
        torch.save(model.state_dict(), path)
        _, s = quantize_rows(path, X, wbits=2, abits=2, ibits=2, finetune=options(epochs=60, patience=60))
    ft = s["finetune"]
    assert ft["holdout_score"] > ft["ptq_holdout_score"], ft


def test_a_ptq_network_that_fine_tuning_does_not_beat_is_kept_as_it_is():
    """wine_bn at 3/3/3: PTQ already agrees with the float model on every calibration row and noisy copy, so
    no epoch can score better: the PTQ network is written, its arrays byte for byte, and the summary says so."""
    from quantlogic.report.summaries import quantize_summary

    ptq, _ = quantize_rows(model_path("wine_bn"), calib("wine_bn"), wbits=3, abits=3, ibits=3)
    tuned, s = quantize_rows(model_path("wine_bn"), calib("wine_bn"), wbits=3, abits=3, ibits=3,
                             finetune=options())
    ft = s["finetune"]
    assert ft["ptq_holdout_score"] == 1.0 and ft.get("kept_ptq") is True and ft["holdout_score"] == 1.0
    assert len(_arrays(ptq)) >= 4 and _arrays(tuned) == _arrays(ptq)  # meta.json differs: it records the fine-tuning asked for
    assert "kept the PTQ network" in quantize_summary(s)


def test_a_tie_after_training_keeps_the_ptq_network():
    """wine_bn at 2/2/2, five short epochs: PTQ agrees on 99.6 % of the picking rows, a trained epoch only ties
    (it is picked by its lower loss), so it is not written: the PTQ network is."""
    ptq, _ = quantize_rows(model_path("wine_bn"), calib("wine_bn"), wbits=2, abits=2, ibits=2)
    tuned, s = quantize_rows(model_path("wine_bn"), calib("wine_bn"), wbits=2, abits=2, ibits=2,
                             finetune=options(epochs=5, lr=1e-3))
    ft = s["finetune"]
    assert ft["best_epoch"] > 0 and ft["ptq_holdout_score"] < 1.0 and ft.get("kept_ptq") is True
    assert ft["holdout_score"] == ft["ptq_holdout_score"] and _arrays(tuned) == _arrays(ptq)


def _arrays(net):
    """{member: bytes} of a .qnet's arrays (every member but meta.json)."""
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(to_bytes(net))) as z:
        return {name: z.read(name) for name in z.namelist() if name != "meta.json"}


def test_labels_hold_out_a_fifth_of_the_rows_by_default_and_holdout_is_checked(tmp_path):
    X = calib("iris")
    y = np.argmax(load_float_network(model_path("iris")).forward(X)[1], axis=1)
    _, s = quantize_rows(model_path("iris"), X, y, wbits=2, abits=2, ibits=2, finetune=options(epochs=3))
    assert s["finetune"]["holdout"] == 0.2 and s["finetune"]["holdout_rows"] == round(0.2 * len(X))
    assert s["finetune"]["noisy_rows"] == 0  # labelled rows are not copied with noise
    code, out, err = run_cli("quantize", model_path("iris"), "--calib", model_path("iris", "calib.npy"), "-o",
                             tmp_path / "m.qnet", "--finetune", "--holdout", "1.5")
    assert_clean_failure(code, out, err, "--holdout")
    code, out, err = run_cli("quantize", model_path("iris"), "--calib", model_path("iris", "calib.npy"), "-o",
                             tmp_path / "m.qnet", "--holdout", "0.3")
    assert_clean_failure(code, out, err, "--holdout needs --finetune")
    assert not (tmp_path / "m.qnet").exists()


def test_fanin_limits_every_hidden_neuron():
    net, s = quantize_rows(model_path("digits"), calib("digits"), wbits=2, abits=2, ibits=2,
                           finetune=options(fanin=6, epochs=5, patience=5))
    for W, _ in net.hidden:
        assert (np.count_nonzero(W, axis=1) <= 6).all()
    assert s["finetune"]["fanin"] == 6


@settings(max_examples=10, deadline=None)
@given(st.tuples(st.integers(0, 10 ** 6), st.integers(3, 7), st.lists(st.integers(3, 9), min_size=1, max_size=3),
                 st.integers(2, 5)), st.integers(1, 3), st.integers(1, 12), st.integers(1, 2))
def test_fanin_holds_on_generated_networks_for_any_schedule(shape, bits, epochs, fanin):
    """Every hidden neuron of a generated network keeps at most --fanin inputs, whatever the depth, widths,
    bits and number of epochs (the gradual pruning reaches the fan-in even in one epoch)."""
    from quantlogic.quant.quantize import build, ptq_params
    from quantlogic.train.finetune import FinetuneOptions, finetune

    seed, n_in, widths, n_out = shape
    net, rng = random_float_network(seed, n_in, widths, n_out)
    X = rng.normal(size=(40, n_in))
    params = ptq_params(net, X, bits, bits, bits, "mse")
    tuned, report = finetune(net, params, X, options=FinetuneOptions(epochs=epochs, fanin=fanin, augment=1))
    hidden = build(tuned)[0].hidden
    assert len(hidden) == len(widths)
    for W, _ in hidden:
        assert (np.count_nonzero(W, axis=1) <= fanin).all()
    assert report["epochs_run"] == epochs


@settings(max_examples=8, deadline=None, derandomize=True)
@given(st.integers(0, 10 ** 6), st.integers(2, 7), st.lists(st.integers(3, 9), min_size=1, max_size=2),
       st.floats(1, 3000), st.floats(0, 5000))
def test_the_float_recovery_keeps_a_network_on_raw_features_in_the_thousands(seed, n_in, widths, spread, offset):
    """With a fan-in as wide as every layer (nothing to prune), the distilled float network of --fanin still
    predicts what it was given on inputs of any scale (features in the thousands, BatchNorm folded into the
    first layer's weights); unstandardized, Adam's steps broke such networks in the first epochs."""
    import torch
    from dataclasses import replace

    from quantlogic.train.finetune import FinetuneOptions, _pruned_float

    net, rng = random_float_network(seed, n_in, widths, 3)
    scale, shift = rng.uniform(1, spread + 1, size=n_in), rng.uniform(0, offset, size=n_in)
    first = net.hidden[0]
    W = first.W / scale
    net = replace(net, hidden=[replace(first, W=W, b=first.b - W @ shift)] + net.hidden[1:])
    X = rng.normal(size=(300, n_in)) * scale + shift
    teacher = net.forward(X)[1]
    pruned, masks = _pruned_float(torch, net, X, teacher, FinetuneOptions(epochs=30, fanin=max([n_in] + widths)))
    assert all(m.all() for m in masks)
    assert np.mean(np.argmax(pruned.forward(X)[1], axis=1) == np.argmax(teacher, axis=1)) >= 0.95


def test_finetune_is_deterministic_and_convert_proves_it(tmp_path):
    runs = [quantize_rows(model_path("iris"), calib("iris"), wbits=2, abits=2, ibits=2, finetune=options(epochs=10))
            for _ in range(2)]
    assert to_bytes(runs[0][0]) == to_bytes(runs[1][0])
    code, out, err = run_cli("convert", model_path("iris"), "-o", tmp_path / "m.qlc", "--calib",
                             model_path("iris", "calib.npy"), "--wbits", 2, "--abits", 2, "--ibits", 2, "--finetune",
                             "--epochs", 10)
    assert code == 0, err
    assert "verification: proved" in out and "fine-tuned:" in out


@pytest.mark.parametrize("extra,words", [
    (("--fanin", 0), "--fanin must be at least 1"),
    (("--fanin", 99), "above the width"),
    (("--labels", "BADLEN"), "labels for"),
    (("--labels", "BADCLASS"), "class indices"),
    (("--augment", -1), "--augment must be 0 or more"),
])
def test_bad_finetune_input_is_one_clear_line_and_no_file(tmp_path, extra, words):
    n = len(np.load(model_path("iris", "calib.npy")))
    np.save(tmp_path / "badlen.npy", np.zeros(n - 1, dtype=np.int64))
    np.save(tmp_path / "badclass.npy", np.full(n, 7, dtype=np.int64))
    extra = [tmp_path / "badlen.npy" if e == "BADLEN" else tmp_path / "badclass.npy" if e == "BADCLASS" else e
             for e in extra]
    code, out, err = run_cli("quantize", model_path("iris"), "--calib", model_path("iris", "calib.npy"), "-o",
                             tmp_path / "x.qnet", "--finetune", "--epochs", 2, *extra)
    assert_clean_failure(code, out, err, words)
    assert not (tmp_path / "x.qnet").exists()


def test_finetune_needs_float_weights_and_fanin_needs_finetune(tmp_path):
    code, out, err = run_cli("quantize", model_path("iris"), "--calib", model_path("iris", "calib.npy"), "-o",
                             tmp_path / "a.qnet", "--wbits", 2, "--abits", 2, "--ibits", 2)
    assert code == 0, err
    code, out, err = run_cli("convert", tmp_path / "a.qnet", "-o", tmp_path / "b.qlc", "--finetune")
    assert_clean_failure(code, out, err, "--finetune apply only to a checkpoint with float weights")
    code, out, err = run_cli("quantize", model_path("iris"), "--calib", model_path("iris", "calib.npy"), "-o",
                             tmp_path / "c.qnet", "--fanin", 3)
    assert_clean_failure(code, out, err, "--fanin needs --finetune")
    code, out, err = run_cli("quantize", model_path("iris"), "--calib", model_path("iris", "calib.npy"), "-o",
                             tmp_path / "d.qnet", "--augment", 3)
    assert_clean_failure(code, out, err, "--augment needs --finetune")
    assert not (tmp_path / "b.qlc").exists() and not (tmp_path / "c.qnet").exists()
    assert not (tmp_path / "d.qnet").exists()


def test_augment_zero_trains_on_the_calibration_rows_alone():
    X = calib("iris")
    _, none = quantize_rows(model_path("iris"), X, wbits=2, abits=2, ibits=2, finetune=options(epochs=3, augment=0))
    _, two = quantize_rows(model_path("iris"), X, wbits=2, abits=2, ibits=2, finetune=options(epochs=3, augment=2))
    assert none["finetune"]["noisy_rows"] == 0 and none["finetune"]["holdout_rows"] == len(X)
    assert two["finetune"]["noisy_rows"] == 2 * len(X) and two["finetune"]["holdout_rows"] == 3 * len(X)
