"""Checks of a decision diagram against the IntNetwork: exhaustive when small, else random codes."""
import itertools

import numpy as np

from .network import EXHAUSTIVE_LIMIT, RANDOM_VECTORS, Verdict


def _all_codes(n_codes):
    return np.array(list(itertools.product(*[range(n) for n in n_codes])), dtype=np.int64).reshape(-1, len(n_codes))


def reference(net, d, neuron=None):
    """The function the diagram must equal, on codes of its inputs."""
    if d.kind == "network":
        return net.predict_codes
    layer, j = (int(p) for p in neuron.split("."))
    W, T = net.hidden[layer]

    def neuron_code(codes):
        h = np.take_along_axis(net.levels.T, codes, axis=0) if layer == 0 else codes
        return ((h @ W[j])[:, None] >= T[j][None, :]).sum(axis=1)

    return neuron_code


def verify_diagram(net, d, neuron=None, seed=0):
    want = reference(net, d, neuron)
    bits = sum(max(1, (n - 1).bit_length()) for n in d.n_codes)
    exhaustive = bits <= EXHAUSTIVE_LIMIT and int(np.prod(d.n_codes, dtype=np.float64)) <= 1 << EXHAUSTIVE_LIMIT
    if exhaustive:
        codes = _all_codes(d.n_codes)
    else:
        rng = np.random.default_rng(seed)
        codes = np.stack([rng.integers(0, n, RANDOM_VECTORS) for n in d.n_codes], axis=1)
    got, expected = d.evaluate(codes), want(codes)
    bad = np.flatnonzero(got != expected)
    method = "exhaustive" if exhaustive else "tested"
    if len(bad):
        return Verdict(False, f"FAILED: diagram gives {int(got[bad[0]])} instead of {int(expected[bad[0]])}",
                       method, len(codes), codes[bad[0]].tolist())
    if exhaustive:
        return Verdict(True, f"proved (exhaustive): equal to the IntNetwork on all {len(codes)} input codes",
                       method, len(codes))
    return Verdict(True, f"tested ({len(codes)} random vectors): exact by construction, not proved", method, len(codes))
