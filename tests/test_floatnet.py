"""BatchNorm folding and layer ordering match torch's eval output."""
import numpy as np
import pytest
import torch

from quantlogic.errors import QuantlogicError
from quantlogic.model.floatnet import Layer, activation, fold
from quantlogic.model.checkpoint import _layers_from_module

nn = torch.nn


def _randomize_bn(module, gen):
    for m in module.modules():
        if isinstance(m, nn.BatchNorm1d):
            n = m.num_features
            m.running_mean = torch.randn(n, generator=gen)
            m.running_var = torch.rand(n, generator=gen) + 0.1
            m.weight.data = torch.randn(n, generator=gen)  # negative scales too
            m.bias.data = torch.randn(n, generator=gen)


@pytest.mark.parametrize("layout", [
    [nn.BatchNorm1d(5), nn.Linear(5, 7), nn.BatchNorm1d(7), nn.ReLU(), nn.Linear(7, 3)],
    [nn.Linear(5, 7), nn.ReLU(), nn.BatchNorm1d(7), nn.Linear(7, 4), nn.Hardtanh(-0.5, 2.0), nn.Linear(4, 3)],
    [nn.Flatten(), nn.Linear(5, 6), nn.BatchNorm1d(6), nn.ReLU6(), nn.Dropout(0.5), nn.Linear(6, 2)],
])
def test_folding_matches_torch_eval(layout):
    gen = torch.Generator().manual_seed(1)
    model = nn.Sequential(*layout).eval()
    _randomize_bn(model, gen)
    X = torch.randn(200, 5, generator=gen) * 3
    with torch.no_grad():
        want = model(X).double().numpy()
    got = fold(_layers_from_module(model, "test")).forward(X.double().numpy())[1]
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)


def test_fold_refuses_activation_after_last_linear():
    layers = [Layer("linear", {"weight": np.ones((3, 2))}), activation("relu")]
    with pytest.raises(QuantlogicError, match="must end with a Linear"):
        fold(layers)


def test_fold_names_unsupported_layer_and_position():
    layers = [Layer("linear", {"weight": np.ones((3, 2))}), Layer("upsample", {}, "1 (Upsample)")]
    with pytest.raises(QuantlogicError, match=r"layer 1: unsupported layer type 1 \(Upsample\)"):
        fold(layers)


def test_fold_reports_shape_mismatch():
    layers = [Layer("linear", {"weight": np.ones((3, 2))}), activation("relu"), Layer("linear", {"weight": np.ones((2, 4))})]
    with pytest.raises(QuantlogicError, match="shape mismatch"):
        fold(layers)
