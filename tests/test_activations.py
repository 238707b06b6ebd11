"""Monotone activations besides ReLU (sigmoid, tanh, leaky ReLU, ELU, ...), one-logit binary classifiers and a
softmax or increasing activation after the logits: read as torch computes them in every format, quantized into
thresholds that count the activation's steps exactly, fine-tuned and proved; activations that go down somewhere
are refused by name."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_cli
from torch_models import MODULES, assert_refused, read, saved, torch_logits, trained
from quantlogic.app.convert import load_float_network, quantize_rows
from quantlogic.cli_options import ACTIVATION_NAMES
from quantlogic.model.activations import CURVES, Curve
from quantlogic.model.floatnet import ACTIVATIONS
from quantlogic.quant.quantize import integer_thresholds
from quantlogic.train.finetune import FinetuneOptions

nn = torch.nn


@pytest.mark.parametrize("act", sorted(MODULES))
def test_every_monotone_activation_reads_as_torch_computes_it(act, tmp_path):
    model, X = trained(act)
    for form in ("trace", "script") + (("export",) if act == "elu" else ()):
        net = read(model, X, form, tmp_path)
        np.testing.assert_allclose(net.forward(X)[1], torch_logits(model, X), atol=1e-4, err_msg=form)


def test_functional_activations_in_a_scripted_forward_read_with_their_settings(tmp_path):
    class Functional(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b, self.c, self.d = nn.Linear(5, 8), nn.Linear(8, 6), nn.Linear(6, 6), nn.Linear(6, 3)

        def forward(self, x):
            x = nn.functional.leaky_relu(self.a(x), 0.3)
            x = nn.functional.elu(self.b(x), 0.5)
            return self.d(torch.sigmoid(self.c(x)))

    torch.manual_seed(0)
    model = Functional().eval()
    X = np.random.default_rng(0).normal(size=(100, 5)) * 3
    net = read(model, X, "script", tmp_path)
    assert [layer.curve for layer in net.hidden] == [Curve("leaky_relu", 0.3), Curve("elu", 0.5), Curve("sigmoid")]
    np.testing.assert_allclose(net.forward(X)[1], torch_logits(model, X), atol=1e-4)


@settings(max_examples=80, deadline=None)
@given(kind=st.sampled_from(CURVES), alpha=st.floats(0.05, 3), scale=st.floats(0.2, 2), abits=st.integers(1, 4),
       seed=st.integers(0, 2 ** 31), clip=st.sampled_from([(-np.inf, np.inf), (0.0, np.inf), (-0.3, 0.6)]))
def test_integer_thresholds_count_the_steps_of_any_curve(kind, alpha, scale, abits, seed, clip):
    """A neuron's code from its integer thresholds equals round((clip(curve(s * acc + b)) - lo) / step) for every
    sum acc it can reach, but where curve(z) lies within rounding of a step."""
    rng = np.random.default_rng(seed)
    curve, M = Curve(kind, alpha, scale), 2 ** abits - 1
    Wq = rng.integers(-4, 4, size=(3, 4))
    vmax = np.full(4, 3)
    s, b = rng.uniform(0.05, 1.0, size=3), rng.normal(size=3)
    lo, step = rng.normal(size=3) * 0.5, rng.uniform(0.05, 0.8, size=3)
    T = integer_thresholds(Wq, s, b, *clip, lo, step, abits, vmax, curve)
    for j in range(3):
        acc = np.arange(np.minimum(Wq[j] * 3, 0).sum(), np.maximum(Wq[j] * 3, 0).sum() + 1)
        f = np.clip(curve(s[j] * acc + b[j]), *clip)
        x = (f - lo[j]) / step[j]
        want = np.clip(np.floor(x + 0.5), 0, M)
        got = (acc[:, None] >= T[j][None, :]).sum(axis=1)
        near = np.abs(x + 0.5 - np.round(x + 0.5)) < 1e-9
        assert np.all((got == want) | near), (acc[got != want], T[j])


@pytest.mark.parametrize("act", ["tanh", "elu"])
def test_curved_networks_fine_tune_and_agree_with_their_fake_quantized_model(act, tmp_path):
    model, X = trained(act, seed=1)
    path = saved(model, X, "trace", tmp_path)
    y = np.argmax(torch_logits(model, X), axis=1)
    _, ptq = quantize_rows(path, X, wbits=2, abits=2, ibits=2, test=(X, y))
    _, tuned = quantize_rows(path, X, wbits=2, abits=2, ibits=2, test=(X, y), finetune=FinetuneOptions(epochs=30))
    assert tuned["fake_quant_agreement"] >= 0.99
    assert tuned["finetune"]["holdout_score"] >= tuned["finetune"]["ptq_holdout_score"]
    assert tuned["test_quantized_accuracy"] >= ptq["test_quantized_accuracy"] - 0.02
    assert tuned["test_quantized_accuracy"] >= 0.8


def test_a_state_dict_takes_its_activation_from_act_and_converts_proved(tmp_path):
    model, X = trained("tanh")
    torch.save(model.state_dict(), tmp_path / "m.pt")
    np.save(tmp_path / "x.npy", X)
    error = lambda act: np.max(np.abs(load_float_network(tmp_path / "m.pt", act=act).forward(X)[1]  # noqa: E731
                                      - torch_logits(model, X)))
    assert error("tanh") < 1e-4 and error("relu") > 0.1
    code, out, err = run_cli("convert", tmp_path / "m.pt", "--act", "tanh", "--calib", tmp_path / "x.npy",
                             "-o", tmp_path / "m.qlc", "--wbits", "2", "--abits", "2", "--ibits", "2")
    assert code == 0, err
    assert "verification: proved" in out and "agree on 100.00%" in out and "(activations: tanh)" in out
    code, out, err = run_cli("inspect", tmp_path / "m.qlc")
    assert code == 0 and "the source's activations: tanh" in out, err


def test_a_one_logit_binary_classifier_predicts_class_one_where_its_logit_is_positive(tmp_path):
    model, X = trained("sigmoid", n_out=1)
    path = saved(model, X, "trace", tmp_path)
    net = load_float_network(path, X=X)
    assert net.single_logit and net.n_classes == 2
    np.testing.assert_array_equal(np.argmax(net.forward(X)[1], axis=1), torch_logits(model, X)[:, 0] > 0)
    np.save(tmp_path / "x.npy", X)
    code, out, err = run_cli("convert", path, "--calib", tmp_path / "x.npy", "-o", tmp_path / "m.qlc")
    assert code == 0, err
    assert "verification: proved" in out
    code, out, err = run_cli("predict", tmp_path / "m.qlc", tmp_path / "x.npy")
    predicted = np.array([int(line) for line in out.split()])
    assert code == 0 and set(predicted) == {0, 1}
    assert np.mean(predicted == (torch_logits(model, X)[:, 0] > 0)) > 0.9


@pytest.mark.parametrize("bad, words", [
    (nn.GELU, ("GELU", "not monotone")), (nn.SiLU, ("SiLU", "not monotone")),
    (lambda: nn.LeakyReLU(-0.5), ("leaky_relu", "not increasing")),
    (lambda: nn.PReLU(num_parameters=12), ("PReLU", "per channel")),
])
def test_activations_that_are_not_increasing_are_refused_by_name(bad, words, tmp_path):
    model = nn.Sequential(nn.Linear(5, 12), bad(), nn.Linear(12, 3)).eval()
    assert_refused(model, np.random.default_rng(0).normal(size=(50, 5)), "trace", tmp_path, "convert", *words)


def test_a_non_monotone_function_in_a_scripted_forward_is_refused_by_name(tmp_path):
    class Gelu(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(5, 8), nn.Linear(8, 3)

        def forward(self, x):
            return self.b(nn.functional.gelu(self.a(x)))

    X = np.random.default_rng(0).normal(size=(50, 5))
    assert_refused(Gelu().eval(), X, "script", tmp_path, "quantize", "gelu", "not monotone")


def test_the_command_line_offers_every_activation():
    assert set(ACTIVATION_NAMES) == set(ACTIVATIONS)


@pytest.mark.parametrize("last, final", [(nn.Sigmoid, Curve("sigmoid")), (lambda: nn.Softmax(dim=1), "softmax"),
                                         (lambda: nn.LogSoftmax(dim=-1), "log_softmax")])
def test_a_final_softmax_or_increasing_activation_is_dropped_keeping_the_class(last, final, tmp_path):
    model, X = trained("tanh", n_out=1 if isinstance(final, Curve) else 3)
    model = nn.Sequential(*model, last()).eval()
    net = read(model, X, "trace", tmp_path)
    assert net.final == final
    want = torch_logits(model, X)
    want = want[:, 0] > (0.5 if final == Curve("sigmoid") else 0.0) if want.shape[1] == 1 else np.argmax(want, axis=1)
    np.testing.assert_array_equal(np.argmax(net.forward(X)[1], axis=1), want)


def test_a_relu_after_the_logits_is_refused(tmp_path):
    model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3), nn.ReLU()).eval()
    X = np.random.default_rng(0).normal(size=(50, 5))
    assert_refused(model, X, "trace", tmp_path, "convert", "must end with a Linear", "ReLU")


@st.composite
def sequential_models(draw):
    """Random nn.Sequential MLPs: BatchNorm (affine or not) before or after the activation or none, Dropout, any
    monotone activation, Linear layers with and without bias, one or several logits, a final softmax or
    sigmoid."""
    torch.manual_seed(draw(st.integers(0, 2 ** 16)))
    width, layers = 5, []
    if draw(st.booleans()):
        layers.append(nn.BatchNorm1d(width))
    for _ in range(draw(st.integers(1, 3))):
        out = draw(st.integers(1, 9))
        layers.append(nn.Linear(width, out, bias=draw(st.booleans())))
        order = draw(st.sampled_from(["bn-act", "act-bn", "act"]))
        act = MODULES[draw(st.sampled_from(sorted(MODULES)))]()
        norm = nn.BatchNorm1d(out, affine=draw(st.booleans()))
        layers += {"bn-act": [norm, act], "act-bn": [act, norm], "act": [act]}[order]
        if draw(st.booleans()):
            layers.append(nn.Dropout(0.3))
        width = out
    n_out = draw(st.sampled_from([1, 2, 4]))
    layers.append(nn.Linear(width, n_out))
    final = draw(st.sampled_from([None, "softmax", "sigmoid"] if n_out > 1 else [None, "sigmoid"]))
    layers += {None: [], "softmax": [nn.Softmax(dim=1)], "sigmoid": [nn.Sigmoid()]}[final]
    model = nn.Sequential(*layers)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d):
            m.running_mean.normal_()
            m.running_var.uniform_(0.3, 3)
            if m.affine:
                m.weight.data.normal_()
    return model.eval()


@settings(max_examples=15, deadline=None)
@given(model=sequential_models(), form=st.sampled_from(["trace", "script", "module"]))
def test_random_sequential_models_read_as_torch_computes_them(model, form):
    import tempfile

    X = np.random.default_rng(0).normal(size=(64, 5)) * 2
    with tempfile.TemporaryDirectory() as folder:
        net = read(model, X, form, folder)
    want = torch_logits(model, X)
    got = net.original_outputs(net.forward(X)[1])
    np.testing.assert_allclose(got, want, atol=1e-4 * (1 + np.abs(want).max()))
