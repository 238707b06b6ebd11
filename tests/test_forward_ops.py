"""What a hand-written forward does besides its layers: functional calls, arithmetic by constants, casts, clamps,
reshapes, helper methods, branches on self.training, pools of every kind, and images as the model's input: read
as torch computes them in every format; skip connections and casts to integers are refused by name."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_cli
from torch_models import FORMS, MODULES, assert_refused, read, saved, torch_logits
from quantlogic.app.convert import load_float_network

nn = torch.nn


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


@pytest.mark.parametrize("form", FORMS)
def test_functional_pools_dropout_and_a_final_log_softmax_read_in_every_format(form, tmp_path):
    torch.manual_seed(0)
    model = MnistExample().eval()
    X = np.random.default_rng(0).uniform(0, 16, size=(100, 64))
    net = read(model, X, form, tmp_path)
    assert net.final == "log_softmax" and net.n_classes == 10 and net.hidden[0].pool is not None
    np.testing.assert_array_equal(np.argmax(net.forward(X)[1], axis=1), np.argmax(torch_logits(model, X), axis=1))


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


@pytest.mark.parametrize("form", FORMS)
def test_arithmetic_by_constants_in_forward_folds_and_a_skip_connection_is_refused(form, tmp_path):
    torch.manual_seed(0)
    X = np.random.default_rng(0).normal(size=(100, 5))
    model = Normalized().eval()
    np.testing.assert_allclose(read(model, X, form, tmp_path).forward(X)[1], torch_logits(model, X), atol=1e-5)
    assert_refused(Skip().eval(), X, form, tmp_path, "quantize", "of two tensors", "skip connection")


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


@pytest.mark.parametrize("form", FORMS)
def test_casts_negation_clamps_and_unsqueeze_read_as_torch_computes_them(form, tmp_path):
    torch.manual_seed(0)
    X = np.random.default_rng(0).normal(size=(100, 5))
    model = Operations().eval()
    net = read(model, X, form, tmp_path)
    np.testing.assert_allclose(net.forward(X)[1], torch_logits(model, X), atol=1e-5)
    assert [layer.act for layer in net.hidden] == ["relu", "hardtanh"]  # the two clamps make one clip


def test_a_division_with_rounding_is_refused(tmp_path):
    class Floored(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(5, 3)

        def forward(self, x):
            return self.a(torch.div(x, 2.0, rounding_mode="floor"))

    X = np.random.default_rng(0).normal(size=(50, 5)) * 4
    for form in ("trace", "script"):
        assert_refused(Floored().eval(), X, form, tmp_path, "quantize", "division with rounding")


def test_a_cast_to_integers_is_refused(tmp_path):
    class Rounded(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(5, 8), nn.Linear(8, 3)

        def forward(self, x):
            return self.b(torch.relu(self.a(x.long().float())))

    X = np.random.default_rng(0).normal(size=(50, 5))
    assert_refused(Rounded().eval(), X, "trace", tmp_path, "quantize", "integer", "not supported")


class ImageCNN(nn.Module):
    """A standard CNN: its forward takes images (N, 1, 8, 8) and never reshapes them."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(48, 4))

    def forward(self, x):
        return self.classifier(self.features(x))


@pytest.mark.parametrize("form", FORMS)
def test_a_model_that_takes_images_reads_from_image_shaped_rows(form, tmp_path):
    torch.manual_seed(0)
    images = np.random.default_rng(0).uniform(0, 1, size=(120, 1, 8, 8))
    model = ImageCNN().eval()
    net = read(model, images, form, tmp_path)
    assert net.in_shape == (1, 8, 8) and net.n_inputs == 64
    np.testing.assert_allclose(net.forward(images.reshape(120, -1))[1], torch_logits(model, images), atol=1e-5)


def test_image_rows_convert_and_predict_through_the_command_line(tmp_path):
    torch.manual_seed(1)
    images = np.random.default_rng(1).uniform(0, 1, size=(150, 1, 8, 8))
    model = ImageCNN().eval()
    path = saved(model, images, "trace", tmp_path)
    labels = np.argmax(torch_logits(model, images), axis=1)
    np.save(tmp_path / "x.npy", images)
    np.savez(tmp_path / "test.npz", X=images, y=labels)
    code, out, err = run_cli("convert", path, "--calib", tmp_path / "x.npy", "--test",
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
        net = read(model, images, form, folder)
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


@pytest.mark.parametrize("form", FORMS)
def test_a_helper_method_and_a_view_by_the_batch_size_read(form, tmp_path):
    torch.manual_seed(0)
    images = np.random.default_rng(0).uniform(size=(50, 1, 8, 8))
    model = HelperAndSizeView().eval()
    net = read(model, images, form, tmp_path)
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


@pytest.mark.parametrize("form", FORMS)
def test_unflatten_and_a_mean_over_the_positions_read(form, tmp_path):
    torch.manual_seed(0)
    X = np.random.default_rng(0).uniform(size=(50, 49))
    model = GlobalMean().eval()
    net = read(model, X, form, tmp_path)
    np.testing.assert_allclose(net.forward(X)[1], torch_logits(model, X), atol=1e-5)
