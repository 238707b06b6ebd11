"""Helpers for regression tests of converted models (pytest or plain asserts): each raises AssertionError
with the verdict or the figures when the claim does not hold.

    from quantlogic.testing import assert_proved, assert_equivalent, assert_accuracy
    def test_my_model():
        bundle = quantlogic.load("models/net.qlc")
        assert_proved(bundle)                       # re-proved now, not read from the file
        assert_accuracy(bundle, X_test, y_test, at_least=0.95)
        assert_equivalent(bundle, quantlogic.load("golden.qlc"))
"""
import numpy as np


def assert_proved(bundle, X=None):
    """The bundle's circuit is proved equal to its IntNetwork now (rows X are simulated too)."""
    from .verify.network import verify_bundle

    verdict = verify_bundle(bundle, X)
    assert verdict.status == "proved", verdict.text


def assert_equivalent(first, second):
    """Two bundles' circuits compute the same function of their pins (proved)."""
    from .app.diff import diff_bundles

    verdict = diff_bundles(first, second)
    assert verdict.status == "proved", verdict.text if verdict.status != "disproved" else f"different: {verdict.reason}"


def assert_accuracy(model, X, y, at_least):
    """The circuit of a bundle (simulated, pins by name) or an IntNetwork classifies rows X with labels y
    at least this well (a fraction)."""
    from .app.convert import circuit_accuracy

    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    accuracy = circuit_accuracy(model, X, y) if hasattr(model, "aig") else float(np.mean(model.predict(X) == y))
    assert accuracy >= at_least, f"accuracy {100 * accuracy:.2f}% is below {100 * at_least:.2f}%"
