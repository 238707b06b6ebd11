"""Every circuit proves: a differential test over random IntNetworks, single-gate mutations judged by
what they do to the function, pins read by name, recorded verdicts tied to the file's digest."""
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from conftest import int_networks, model_path
from quantlogic.codes import circuit_classes
from quantlogic.verify.network import sample_codes, verify_lowering

EXAMPLES = int(os.environ.get("QL_DIFFERENTIAL_EXAMPLES", "200"))


def all_codes(net):
    n = net.n_features * net.ibits
    patterns = np.arange(1 << n, dtype=np.int64)
    return (patterns[:, None] >> (np.arange(net.n_features) * net.ibits)) & ((1 << net.ibits) - 1)


def assert_circuit_is_network(net, aig):
    """Exhaustively when the circuit has at most 16 inputs, else on random codes."""
    codes = all_codes(net) if net.n_features * net.ibits <= 16 else sample_codes(net, n_random=4096, seed=11)
    assert np.array_equal(circuit_classes(aig, codes, net.ibits, net.n_classes), net.predict_codes(codes))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(int_networks())
def test_random_networks_prove_before_and_after_simplification(net):
    from quantlogic.bundle import Bundle
    from quantlogic.lower.network import lower_network
    from quantlogic.simplify.pipeline import EFFORT, simplify_bundle

    low = lower_network(net)
    verdict = verify_lowering(net, low)
    assert verdict.status == "proved", verdict.text
    assert_circuit_is_network(net, low.aig)
    bundle = Bundle(net, low.aig, low, {})
    bundle.record_verdict(verdict)
    small = simplify_bundle(bundle, EFFORT["default"])
    assert small.recorded_verdict()[0].status == "proved"
    assert_circuit_is_network(net, small.aig)
