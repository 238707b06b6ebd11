"""Checks of a decision diagram against the IntNetwork: exhaustive when small, else random codes."""
import itertools

import numpy as np

from .limits import EXHAUSTIVE_LIMIT, RANDOM_VECTORS
from ..quant.neurons import parse_neuron
from ..verdict import Verdict, disproved, proved


def _all_codes(n_codes):
    return np.array(list(itertools.product(*[range(n) for n in n_codes])), dtype=np.int64).reshape(-1, len(n_codes))


def reference(net, d, neuron=None):
    """The function the diagram must equal, on codes of its inputs."""
    if d.kind == "network":
        return net.predict_codes
    layer, j = parse_neuron(net, neuron)
    W, T = net.hidden[layer]

    def neuron_code(codes):
        h = np.take_along_axis(net.levels.T, codes, axis=0) if layer == 0 else codes
        return ((h @ W[j])[:, None] >= T[j][None, :]).sum(axis=1)

    return neuron_code


def _free_inputs(net, d, neuron):
    """The inputs the function and the diagram can depend on: all of them for a network; for a neuron those
    with a non-zero weight, when the diagram tests no other (the rest are held at code 0)."""
    if d.kind == "network":
        return list(range(len(d.n_codes)))
    layer, j = parse_neuron(net, neuron)
    used = set(np.flatnonzero(net.hidden[layer][0][j]).tolist())
    tested = {f for f in d.feature if f >= 0}
    return sorted(used) if tested <= used else list(range(len(d.n_codes)))


def verify_diagram(net, d, neuron=None, seed=0):
    want = reference(net, d, neuron)
    free = _free_inputs(net, d, neuron)
    n_codes = [d.n_codes[i] for i in free]
    bits = sum(max(1, (n - 1).bit_length()) for n in n_codes)
    exhaustive = bits <= EXHAUSTIVE_LIMIT and int(np.prod(n_codes, dtype=np.float64)) <= 1 << EXHAUSTIVE_LIMIT
    if exhaustive:
        codes = np.zeros((int(np.prod(n_codes, dtype=np.int64)), len(d.n_codes)), dtype=np.int64)
        codes[:, free] = _all_codes(n_codes)
    else:
        rng = np.random.default_rng(seed)
        codes = np.stack([rng.integers(0, n, RANDOM_VECTORS) for n in d.n_codes], axis=1)
    got, expected = d.evaluate(codes), want(codes)
    bad = np.flatnonzero(got != expected)
    method = "exhaustive" if exhaustive else "tested"
    if len(bad):
        return disproved(method, f"the diagram gives {int(got[bad[0]])}, the IntNetwork {int(expected[bad[0]])}, "
                                 f"at input codes {codes[bad[0]].tolist()}", codes[bad[0]].tolist(), len(codes))
    if exhaustive:
        scope = "input codes" if len(free) == len(d.n_codes) else f"codes of its {len(free)} used inputs"
        return proved("exhaustive", f"equal to the IntNetwork on all {len(codes)} {scope}", vectors=len(codes))
    return Verdict("tested", "random vectors", "built exactly by construction; random codes agree", len(codes))
