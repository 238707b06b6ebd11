"""Exact decision diagrams of an IntNetwork: of one neuron's threshold function, or of the whole network."""
import sys

import numpy as np

from ..errors import QuantlogicError
from ..ir.tree import Diagram
from ..quant.neurons import neuron_name, parse_neuron

MAX_NETWORK_INPUT_BITS = 28
MAX_NODES = 1_000_000


def layer_inputs(net, layer):
    """(names, float thresholds or None, integer value table per code) of a layer's inputs."""
    if layer == 0:
        return net.names(), [list(map(float, t)) for t in net.thresholds], [list(map(int, v)) for v in net.levels]
    width = net.layer_width(layer - 1)
    codes = list(range(2 ** net.abits))
    pooled = net.pools[layer - 1] is not None
    names = [f"p{layer - 1}.{i}" if pooled else f"h{neuron_name(net, layer - 1, i)}" for i in range(width)]
    return names, [None] * width, [codes] * width


def neuron_diagram(net, neuron, max_nodes=MAX_NODES):
    """Diagram of neuron "L.J" (hidden layer L, neuron J) over its inputs' codes; leaves are its output code.
    Inputs are decided most influential first; after each decision the remaining thresholds are moved up
    to the next sum the undecided inputs can still reach, so equal sub-problems share one node."""
    layer, j = parse_neuron(net, neuron)
    W, T = net.hidden[layer]
    names, thresholds, values = layer_inputs(net, layer)
    weights = W[j]
    return threshold_diagram(weights, values, T[j], Diagram("neuron", names, thresholds, [len(v) for v in values]),
                             max_nodes)


SUM_PAIRS = 10_000_000  # (input value, partial sum) pairs enumerated at most before the node budget is known


def threshold_diagram(weights, values, thresholds, diagram, max_nodes=MAX_NODES):
    """Diagram of #{k : sum_i weights[i] * values[i][code_i] >= thresholds[k]} into `diagram`."""
    span = [int(weights[i]) * (max(values[i]) - min(values[i])) for i in range(len(weights))]
    order = sorted((i for i in range(len(weights)) if weights[i] != 0), key=lambda i: (-abs(span[i]), i))
    contributions = [[int(weights[i]) * v for v in values[i]] for i in order]
    reachable = [np.array([0], dtype=np.int64)]  # reachable[d]: sums of the inputs order[n - d:]
    for contrib in reversed(contributions):
        if len(contrib) * len(reachable[-1]) > max(SUM_PAIRS, 10 * max_nodes):
            raise QuantlogicError(f"the neuron's partial sums take {len(reachable[-1]):,} values after "
                                  f"{len(reachable) - 1} of its inputs: its diagram would outgrow the budget of "
                                  f"{max_nodes:,} nodes (raise it with --max-nodes)")
        reachable.append(np.unique(np.add.outer(np.array(contrib), reachable[-1]).ravel()))
    reachable.reverse()  # reachable[d]: sums of inputs order[d:]
    memo = {}

    def canonical(d, key):
        r = reachable[d]
        return tuple(int(r[i]) if i < len(r) else int(r[-1]) + 1 for i in np.searchsorted(r, key))

    def build(d, key):
        found = memo.get((d, key))
        if found is not None:
            return found
        r = reachable[d]
        if all(t <= r[0] or t > r[-1] for t in key):
            node = diagram.leaf(sum(t <= r[0] for t in key))
        else:
            if len(memo) >= max_nodes:
                raise QuantlogicError(f"the diagram outgrew its budget of {max_nodes:,} nodes "
                                      "(raise --max-nodes or choose a smaller neuron)")
            children = [build(d + 1, canonical(d + 1, tuple(t - a for t in key))) for a in contributions[d]]
            node = _split(diagram, order[d], children)
        memo[d, key] = node
        return node

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 4 * len(order) + 100))
    try:
        diagram.root = build(0, canonical(0, tuple(int(t) for t in thresholds)))
    finally:
        sys.setrecursionlimit(limit)
    return diagram.compact()


def _split(diagram, feature, children):
    """Binary tests on code[feature] >= cut for a list of children by code (runs of equal children)."""
    runs = [0] + [c for c in range(1, len(children)) if children[c] != children[c - 1]]

    def build(first, last):  # runs[first:last]
        if last - first == 1:
            return children[runs[first]]
        middle = (first + last) // 2
        return diagram.node(feature, runs[middle], build(first, middle), build(middle, last))

    return build(0, len(runs))


def check_network_bits(net, max_input_bits=MAX_NETWORK_INPUT_BITS):
    """Refuse a whole-network diagram over more input bits than max_input_bits."""
    bits = net.n_features * net.ibits
    if bits > max_input_bits:
        raise QuantlogicError(f"a whole-network diagram is limited to {max_input_bits} input bits; this network "
                              f"has {bits} ({net.n_features} features x {net.ibits} bits). Use --neuron, fewer "
                              "input bits, or --max-input-bits")


def network_diagram(net, max_input_bits=MAX_NETWORK_INPUT_BITS, max_nodes=MAX_NODES):
    """Diagram of the whole network's prediction, by branch and bound over boxes of input codes: a box
    becomes a leaf as soon as interval bounds show one class winning on all of it."""
    from ..kernels.bounds import BoxBounds

    check_network_bits(net, max_input_bits)
    bounds = BoxBounds(net)
    first_W = net.hidden[0][0] if net.hidden else net.out_W
    influence = np.abs(first_W).sum(axis=0)
    diagram = Diagram("network", net.names(), [list(map(float, t)) for t in net.thresholds],
                      [2 ** net.ibits] * net.n_features)
    K = 2 ** net.ibits - 1
    calls = [0]

    def build(lo, hi):
        winner = bounds.sure_class(lo, hi)
        if winner >= 0:
            return diagram.leaf(winner)
        calls[0] += 1
        if calls[0] > max_nodes:
            raise QuantlogicError(f"the whole-network diagram outgrew its budget of {max_nodes:,} nodes "
                                  "(raise --max-nodes, or use --neuron)")
        spread = influence * (net.levels[np.arange(net.n_features), hi] - net.levels[np.arange(net.n_features), lo])
        spread = np.where(hi > lo, spread + 1, -1)
        f = int(np.argmax(spread))
        cut = (int(lo[f]) + int(hi[f]) + 1) // 2
        lo_hi, hi_lo = hi.copy(), lo.copy()
        lo_hi[f], hi_lo[f] = cut - 1, cut
        return diagram.node(f, cut, build(lo, lo_hi), build(hi_lo, hi))

    diagram.root = build(np.zeros(net.n_features, dtype=np.int64), np.full(net.n_features, K, dtype=np.int64))
    return diagram.compact()
