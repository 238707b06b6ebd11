"""Helpers for regression tests of converted models (pytest or plain asserts): each raises AssertionError
with the verdict or the figures when the claim does not hold.

    from quantlogic.testing import assert_proved, assert_max_ands, assert_min_accuracy, assert_equivalent_to_golden
    def test_my_model():
        bundle = quantlogic.load("models/net.qlc")
        assert_proved(bundle)                       # re-proved now, not read from the file
        assert_max_ands(bundle, 40_000)
        assert_min_accuracy(bundle, X_test, y_test, 0.95)
        assert_equivalent_to_golden(bundle, "golden.qlc")   # the same function, whatever the gates
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


def assert_equivalent_to_golden(bundle, golden_path):
    """The bundle's circuit computes the function of the golden .qlc file (functional, not structural)."""
    from .formats.bundle import load

    assert_equivalent(bundle, load(golden_path))


def assert_max_ands(bundle, most):
    assert bundle.ands <= most, f"{bundle.ands} AND gates, more than {most}"


def assert_min_accuracy(model, X, y, at_least):
    """The circuit of a bundle (simulated, pins by name) or an IntNetwork classifies rows X with labels y
    at least this well (a fraction)."""
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    accuracy = float(np.mean(model.predict(X) == y))
    assert accuracy >= at_least, f"accuracy {100 * accuracy:.2f}% is below {100 * at_least:.2f}%"
