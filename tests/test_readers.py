"""Monotone activations besides ReLU (sigmoid, tanh, leaky ReLU, ELU, ...), one-logit binary classifiers, a softmax
after the logits and arithmetic by constants in forward: read as torch computes them in every format, quantized
into thresholds that count the activation's steps exactly, fine-tuned and proved; activations that go down
somewhere and skip connections are refused by name."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import assert_clean_failure, run_cli
from quantlogic.app.convert import load_float_network, quantize_rows
from quantlogic.cli_options import ACTIVATION_NAMES
from quantlogic.model.activations import CURVES, Curve
from quantlogic.model.floatnet import ACTIVATIONS
from quantlogic.quant.quantize import integer_thresholds
from quantlogic.train.finetune import FinetuneOptions

nn = torch.nn
MODULES = {
    "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "softsign": nn.Softsign, "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "prelu": lambda: nn.PReLU(init=0.3), "elu": lambda: nn.ELU(0.7), "selu": nn.SELU,
    "softplus": lambda: nn.Softplus(beta=2.0), "hardsigmoid": nn.Hardsigmoid,
    "hardtanh": lambda: nn.Hardtanh(-0.5, 2.0),
}


def trained(act, n_out=3, seed=0):
    """A 5-12-n_out network with activation act trained on rows labelled by a rule (one logit: BCE); a PReLU keeps
    its slope."""
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(300, 5, generator=gen) * 2
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).long() + (n_out > 2) * (X[:, 3] > 1).long()
    model = nn.Sequential(nn.Linear(5, 12), MODULES[act](), nn.Linear(12, n_out))
    opt = torch.optim.Adam([p for name, p in model.named_parameters() if not name.startswith("1.")], 2e-2)
    for _ in range(80):
        out = model(X)
        loss = (nn.functional.binary_cross_entropy_with_logits(out[:, 0], y.float()) if n_out == 1 else
                nn.functional.cross_entropy(out, y))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval(), X.numpy().astype(np.float64)


def saved(model, X, form, path):
    if form == "trace":
        torch.jit.save(torch.jit.trace(model, torch.tensor(X[:2], dtype=torch.float32)), path)
    elif form == "script":
        torch.jit.save(torch.jit.script(model), path)
    else:
        torch.export.save(torch.export.export(model, (torch.tensor(X[:4], dtype=torch.float32),)), path)
    return path


def torch_logits(model, X):
    with torch.no_grad():
        return model(torch.tensor(X, dtype=torch.float32)).double().numpy()


@pytest.mark.parametrize("act", sorted(MODULES))
def test_every_monotone_activation_reads_as_torch_computes_it(act, tmp_path):
    model, X = trained(act)
    for form in ("trace", "script") + (("export",) if act == "elu" else ()):
        net = load_float_network(saved(model, X, form, tmp_path / f"{form}.pt{'2' * (form == 'export')}"), X=X)
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
    net = load_float_network(saved(model, X, "script", tmp_path / "f.pt"), X=X)
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
    path = saved(model, X, "trace", tmp_path / "m.pt")
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
    path = saved(model, X, "trace", tmp_path / "m.pt")
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
    X = np.random.default_rng(0).normal(size=(50, 5))
    np.save(tmp_path / "x.npy", X)
    saved(model, X, "trace", tmp_path / "m.pt")
    code, out, err = run_cli("convert", tmp_path / "m.pt", "--calib", tmp_path / "x.npy", "-o", tmp_path / "m.qlc")
    assert_clean_failure(code, out, err, *words)
    assert not (tmp_path / "m.qlc").exists()


def test_a_non_monotone_function_in_a_scripted_forward_is_refused_by_name(tmp_path):
    class Gelu(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(5, 8), nn.Linear(8, 3)

        def forward(self, x):
            return self.b(nn.functional.gelu(self.a(x)))

    X = np.random.default_rng(0).normal(size=(50, 5))
    np.save(tmp_path / "x.npy", X)
    saved(Gelu().eval(), X, "script", tmp_path / "m.pt")
    code, out, err = run_cli("quantize", tmp_path / "m.pt", "--calib", tmp_path / "x.npy", "-o", tmp_path / "m.qnet")
    assert_clean_failure(code, out, err, "gelu", "not monotone")


def test_the_command_line_offers_every_activation():
    assert set(ACTIVATION_NAMES) == set(ACTIVATIONS)


class MnistExample(nn.Module):
    """The PyTorch MNIST example's style on 8x8 rows: pixels scaled in forward, functional ReLU, max-pool and
    dropout, log-softmax at the end."""

    def __init__(self):
        super().__init__()
        self.conv, self.a, self.b = nn.Conv2d(1, 4, 3, padding=1), nn.Linear(64, 16), nn.Linear(16, 10)

    def forward(self, x):
        x = nn.functional.max_pool2d(nn.functional.relu(self.conv(x.view(-1, 1, 8, 8) / 16)), 2)
        x = nn.functional.dropout(nn.functional.relu(self.a(torch.flatten(x, 1))), 0.5, self.training)
        return nn.functional.log_softmax(self.b(x), dim=1)


@pytest.mark.parametrize("form", ["trace", "script", "export"])
def test_functional_pools_dropout_and_a_final_log_softmax_read_in_every_format(form, tmp_path):
    torch.manual_seed(0)
    model = MnistExample().eval()
    X = np.random.default_rng(0).uniform(0, 16, size=(100, 64))
    net = load_float_network(saved(model, X, form, tmp_path / f"m.pt{'2' * (form == 'export')}"), X=X)
    assert net.final == "log_softmax" and net.n_classes == 10 and net.hidden[0].pool is not None
    np.testing.assert_array_equal(np.argmax(net.forward(X)[1], axis=1), np.argmax(torch_logits(model, X), axis=1))


@pytest.mark.parametrize("last, final", [(nn.Sigmoid, Curve("sigmoid")), (lambda: nn.Softmax(dim=1), "softmax"),
                                         (lambda: nn.LogSoftmax(dim=-1), "log_softmax")])
def test_a_final_softmax_or_increasing_activation_is_dropped_keeping_the_class(last, final, tmp_path):
    model, X = trained("tanh", n_out=1 if isinstance(final, Curve) else 3)
    model = nn.Sequential(*model, last()).eval()
    net = load_float_network(saved(model, X, "trace", tmp_path / "m.pt"), X=X)
    assert net.final == final
    want = torch_logits(model, X)
    want = want[:, 0] > (0.5 if final == Curve("sigmoid") else 0.0) if want.shape[1] == 1 else np.argmax(want, axis=1)
    np.testing.assert_array_equal(np.argmax(net.forward(X)[1], axis=1), want)


def test_a_relu_after_the_logits_is_refused(tmp_path):
    model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3), nn.ReLU()).eval()
    X = np.random.default_rng(0).normal(size=(50, 5))
    np.save(tmp_path / "x.npy", X)
    saved(model, X, "trace", tmp_path / "m.pt")
    code, out, err = run_cli("convert", tmp_path / "m.pt", "--calib", tmp_path / "x.npy", "-o", tmp_path / "m.qlc")
    assert_clean_failure(code, out, err, "must end with a Linear", "ReLU")


class Normalized(nn.Module):
    """Arithmetic by constants in forward: the input standardized by buffers, a scaled layer, a temperature."""

    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.randn(5))
        self.register_buffer("std", torch.rand(5) + 0.5)
        self.a, self.b = nn.Linear(5, 8), nn.Linear(8, 3)

    def forward(self, x):
        x = (x - self.mean) / self.std
        x = torch.relu(self.a(x) * 2.0 + 1.0)
        return self.b(0.5 * x) / 3


class Skip(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(5, 5), nn.Linear(5, 3)

    def forward(self, x):
        return self.b(torch.relu(self.a(x)) + x)


@pytest.mark.parametrize("form", ["trace", "script", "export"])
def test_arithmetic_by_constants_in_forward_folds_and_a_skip_connection_is_refused(form, tmp_path):
    torch.manual_seed(0)
    X = np.random.default_rng(0).normal(size=(100, 5))
    suffix = ".pt2" if form == "export" else ".pt"
    model = Normalized().eval()
    net = load_float_network(saved(model, X, form, tmp_path / f"n{suffix}"), X=X)
    np.testing.assert_allclose(net.forward(X)[1], torch_logits(model, X), atol=1e-5)
    np.save(tmp_path / "x.npy", X)
    saved(Skip().eval(), X, form, tmp_path / f"s{suffix}")
    code, out, err = run_cli("quantize", tmp_path / f"s{suffix}", "--calib", tmp_path / "x.npy", "-o",
                             tmp_path / "s.qnet")
    assert_clean_failure(code, out, err, "of two tensors", "skip connection")


class Operations(nn.Module):
    """Tensor operations a hand-written forward uses: a float cast, negation, clamps as activations, and
    unsqueeze(1) to give a 1-D convolution its channel."""

    def __init__(self):
        super().__init__()
        self.conv, self.a, self.b = nn.Conv1d(1, 2, 3, padding=1), nn.Linear(10, 6), nn.Linear(6, 3)

    def forward(self, x):
        x = torch.relu(self.conv(x.float().unsqueeze(1)))
        x = torch.clamp(-self.a(torch.flatten(x, 1)), -1.0, 2.0)
        return self.b(x.clamp(min=0).to(torch.float64).float())


@pytest.mark.parametrize("form", ["trace", "script", "export"])
def test_casts_negation_clamps_and_unsqueeze_read_as_torch_computes_them(form, tmp_path):
    torch.manual_seed(0)
    X = np.random.default_rng(0).normal(size=(100, 5))
    model = Operations().eval()
    net = load_float_network(saved(model, X, form, tmp_path / f"m.pt{'2' * (form == 'export')}"), X=X)
    np.testing.assert_allclose(net.forward(X)[1], torch_logits(model, X), atol=1e-5)
    assert [layer.act for layer in net.hidden] == ["relu", "hardtanh"]  # the two clamps make one clip


def test_a_cast_to_integers_is_refused(tmp_path):
    class Rounded(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(5, 8), nn.Linear(8, 3)

        def forward(self, x):
            return self.b(torch.relu(self.a(x.long().float())))

    X = np.random.default_rng(0).normal(size=(50, 5))
    np.save(tmp_path / "x.npy", X)
    saved(Rounded().eval(), X, "trace", tmp_path / "m.pt")
    code, out, err = run_cli("quantize", tmp_path / "m.pt", "--calib", tmp_path / "x.npy", "-o", tmp_path / "m.qnet")
    assert_clean_failure(code, out, err, "integer", "not supported")


class ImageCNN(nn.Module):
    """A standard CNN: its forward takes images (N, 1, 8, 8) and never reshapes them."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(48, 4))

    def forward(self, x):
        return self.classifier(self.features(x))


@pytest.mark.parametrize("form", ["trace", "script", "export"])
def test_a_model_that_takes_images_reads_from_image_shaped_rows(form, tmp_path):
    torch.manual_seed(0)
    images = np.random.default_rng(0).uniform(0, 1, size=(120, 1, 8, 8))
    model = ImageCNN().eval()
    net = load_float_network(saved(model, images, form, tmp_path / f"m.pt{'2' * (form == 'export')}"), X=images)
    assert net.in_shape == (1, 8, 8) and net.n_inputs == 64
    np.testing.assert_allclose(net.forward(images.reshape(120, -1))[1], torch_logits(model, images), atol=1e-5)


def test_image_rows_convert_and_predict_through_the_command_line(tmp_path):
    torch.manual_seed(1)
    images = np.random.default_rng(1).uniform(0, 1, size=(150, 1, 8, 8))
    model = ImageCNN().eval()
    saved(model, images, "trace", tmp_path / "m.pt")
    labels = np.argmax(torch_logits(model, images), axis=1)
    np.save(tmp_path / "x.npy", images)
    np.savez(tmp_path / "test.npz", X=images, y=labels)
    code, out, err = run_cli("convert", tmp_path / "m.pt", "--calib", tmp_path / "x.npy", "--test",
                             tmp_path / "test.npz", "-o", tmp_path / "m.qlc", "--wbits", "2", "--abits", "2",
                             "--ibits", "2")
    assert code == 0, err
    assert "verification: proved" in out and "test accuracy: float 100.00%" in out
    code, out, err = run_cli("predict", tmp_path / "m.qlc", tmp_path / "x.npy")
    import quantlogic

    want = quantlogic.load(tmp_path / "m.qlc").net.predict(images.reshape(150, -1))
    assert code == 0 and np.array_equal(np.array([int(v) for v in out.split()]), want)
    assert np.array_equal(quantlogic.predict(tmp_path / "m.qlc", images), want)


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
        net = load_float_network(model if form == "module" else saved(model, X, form, f"{folder}/m.pt"), X=X)
    want = torch_logits(model, X)
    got = net.original_outputs(net.forward(X)[1])
    np.testing.assert_allclose(got, want, atol=1e-4 * (1 + np.abs(want).max()))


@st.composite
def image_models(draw):
    """(random CNN whose forward takes images, the image shape): 1-D or 2-D convolutions with stride, padding
    and groups, BatchNorm, any monotone activation, max, average or adaptive pools, then a Linear on the
    flattening."""
    torch.manual_seed(draw(st.integers(0, 2 ** 16)))
    two_d = draw(st.booleans())
    channels = draw(st.integers(1, 2))
    size = [draw(st.integers(5, 8)) for _ in range(2 if two_d else 1)]
    conv, bn, pool = (nn.Conv2d, nn.BatchNorm2d, (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d,
                                                  nn.AdaptiveMaxPool2d)) if two_d else \
        (nn.Conv1d, nn.BatchNorm1d, (nn.MaxPool1d, nn.AvgPool1d, nn.AdaptiveAvgPool1d, nn.AdaptiveMaxPool1d))
    layers, shape = [], (channels, *size)
    out = channels * draw(st.integers(1, 2))
    kernel, padding, stride = draw(st.integers(1, 3)), draw(st.integers(0, 1)), draw(st.integers(1, 2))
    groups = draw(st.sampled_from([1, channels]))
    layers.append(conv(channels, out, kernel, stride=stride, padding=padding, groups=groups))
    if draw(st.booleans()):
        layers.append(bn(out))
    layers.append(MODULES[draw(st.sampled_from(sorted(MODULES)))]())
    if draw(st.booleans()):
        kind = draw(st.sampled_from(pool))
        layers.append(kind(draw(st.integers(1, 3)) if "Adaptive" in kind.__name__ else 2))  # sizes that do not divide
    layers += [nn.Flatten(), nn.LazyLinear(3)]
    model = nn.Sequential(*layers)
    model(torch.zeros(1, *shape))  # sizes the lazy Linear
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.running_mean.normal_()
            m.running_var.uniform_(0.3, 3)
    return model.eval(), shape


@settings(max_examples=10, deadline=None)
@given(case=image_models(), form=st.sampled_from(["trace", "script"]))
def test_random_models_that_take_images_read_as_torch_computes_them(case, form):
    import tempfile

    model, shape = case
    images = np.random.default_rng(0).normal(size=(40, *shape))
    with tempfile.TemporaryDirectory() as folder:
        net = load_float_network(saved(model, images, form, f"{folder}/m.pt"), X=images)
    np.testing.assert_allclose(net.forward(images.reshape(40, -1))[1], torch_logits(model, images), atol=1e-4)


class HelperAndSizeView(nn.Module):
    """A forward that calls a helper method of its own and flattens with x.view(x.size(0), -1)."""

    def __init__(self):
        super().__init__()
        self.conv, self.out = nn.Conv2d(1, 2, 3, padding=1), nn.Linear(32, 3)

    def features(self, x):
        return nn.functional.max_pool2d(torch.relu(self.conv(x)), 2)

    def forward(self, x):
        x = self.features(x)
        return self.out(x.view(x.size(0), -1))


@pytest.mark.parametrize("form", ["trace", "script", "export"])
def test_a_helper_method_and_a_view_by_the_batch_size_read(form, tmp_path):
    torch.manual_seed(0)
    images = np.random.default_rng(0).uniform(size=(50, 1, 8, 8))
    model = HelperAndSizeView().eval()
    net = load_float_network(saved(model, images, form, tmp_path / f"m.pt{'2' * (form == 'export')}"), X=images)
    np.testing.assert_allclose(net.forward(images.reshape(50, -1))[1], torch_logits(model, images), atol=1e-5)


def test_a_branch_on_self_training_reads_as_inference_runs_it(tmp_path):
    class Branching(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b, self.drop = nn.Linear(5, 8), nn.Linear(8, 3), nn.Dropout(0.2)

        def forward(self, x):
            x = torch.relu(self.a(x))
            if self.training:
                x = self.drop(x) * 3.0
            return self.b(x)

    torch.manual_seed(0)
    model = Branching()
    X = np.random.default_rng(0).normal(size=(50, 5))
    torch.jit.save(torch.jit.script(model), tmp_path / "m.pt")  # saved in training mode
    net = load_float_network(tmp_path / "m.pt", X=X)
    np.testing.assert_allclose(net.forward(X)[1], torch_logits(model.eval(), X), atol=1e-5)


class GlobalMean(nn.Module):
    """Global average pooling by x.mean over the positions, after an nn.Unflatten of the flat row."""

    def __init__(self):
        super().__init__()
        self.unflatten, self.conv, self.out = nn.Unflatten(1, (1, 7, 7)), nn.Conv2d(1, 4, 3), nn.Linear(4, 3)

    def forward(self, x):
        return self.out(torch.relu(self.conv(self.unflatten(x))).mean(dim=(2, 3)))


@pytest.mark.parametrize("form", ["trace", "script", "export"])
def test_unflatten_and_a_mean_over_the_positions_read(form, tmp_path):
    torch.manual_seed(0)
    X = np.random.default_rng(0).uniform(size=(50, 49))
    model = GlobalMean().eval()
    net = load_float_network(saved(model, X, form, tmp_path / f"m.pt{'2' * (form == 'export')}"), X=X)
    np.testing.assert_allclose(net.forward(X)[1], torch_logits(model, X), atol=1e-5)
