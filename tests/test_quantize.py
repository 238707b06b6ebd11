"""Quantized accuracy and agreement with the fake-quantized torch model, for every bundled model."""
import numpy as np
import pytest

from conftest import MODEL_NAMES, load_test_split, model_path
from quantlogic.app.convert import accuracy_on, load_float_network


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_intnet_agrees_with_fake_quantized_torch_model(quantized_models, name):
    _, summary = quantized_models[name]
    assert summary["fake_quant_agreement"] >= 0.999


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_three_bit_accuracy_close_to_float(quantized_models, name):
    intnet, _ = quantized_models[name]
    float_acc, q_acc = accuracy_on(intnet, load_float_network(model_path(name)), model_path(name, "test.npz"))
    allowed = 0.03 if name == "digits" else 0.05
    assert q_acc >= float_acc - allowed, (float_acc, q_acc)


def test_intnet_forward_equals_naive_loops(quantized_models):
    """The vectorized forward against a plain per-row, per-neuron loop."""
    intnet, _ = quantized_models["wine_bn"]
    X, _ = load_test_split("wine_bn")
    codes = intnet.encode(X)
    logits = intnet.forward_codes(codes)[1]
    for row, code in enumerate(codes):
        h = [int(intnet.levels[i, c]) for i, c in enumerate(code)]
        for W, T in intnet.hidden:
            h = [sum(int(t) <= sum(int(w) * v for w, v in zip(W[j], h)) for t in T[j]) for j in range(len(W))]
        want = [sum(int(w) * v for w, v in zip(intnet.out_W[c], h)) + int(intnet.out_B[c]) for c in range(len(intnet.out_B))]
        assert logits[row].tolist() == want
        assert intnet.predict_codes(code[None])[0] == want.index(max(want))


def test_encode_counts_thresholds_at_or_below(quantized_models):
    intnet, _ = quantized_models["iris"]
    t = intnet.thresholds
    X = np.stack([t[:, 0] - 1e-9, t[:, 0], t[:, -1], t[:, -1] + 5])
    assert intnet.encode(X).tolist() == [[0] * 4, [1] * 4, [7] * 4, [7] * 4]
