"""Structural passes: dead-node sweep and AND-tree balancing."""
import numpy as np

from ..formats.depth import depth_of
from ..ir.aig import AIG
from ..kernels.strash import cone_array, rebuild_arrays


def compose(first, second):
    """Node map through two steps given as int64 arrays: first[node] = literal in the middle AIG, second[node
    of the middle] = literal in the last; -1 where a node has none (None when either is None)."""
    if first is None or second is None:
        return None
    mapped = second[np.maximum(first, 0) >> 1]
    return np.where((first >= 0) & (mapped >= 0), mapped ^ (first & 1), -1)


def mapped_aig(aig, fanin0, fanin1, outputs, node_map):
    """An AIG over aig's pins from AND fan-in arrays and output literals, whose source_map is node_map
    (int64 per node of aig: its literal here, or -1)."""
    new = AIG.from_arrays(aig.input_names, fanin0, fanin1, aig.output_names, outputs)
    new.source_map = np.asarray(node_map, dtype=np.int64)
    return new


def rebuild(aig):
    """A fresh strashed AIG with only the outputs' cones, with its source_map."""
    new0, new1, outs, node_map = rebuild_arrays(*aig.arrays()[:2], aig.n_inputs, aig.output_lits)
    return mapped_aig(aig, new0, new1, outs, node_map[:aig.n_nodes])


def sweep(aig):
    """Remove AND nodes outside every output's cone (and re-strash)."""
    new = rebuild(aig)
    return new, {"pass": "sweep", "ands_before": aig.n_ands, "ands_after": new.n_ands}


def balance(aig):
    """Rebuild each multi-input AND (a tree of uncomplemented, single-fanout ANDs) as a tree of minimum
    depth, pairing the shallowest operands first."""
    base = 1 + aig.n_inputs
    fanout = aig.fanouts()
    new = AIG()
    mapping = {0: 0}
    for k, name in enumerate(aig.input_names):
        mapping[k + 1] = new.add_input(name)
    depth = {}

    def level(lit):
        return depth.get(lit >> 1, 0)

    def leaves(node):
        out, todo = [], [aig.fanin0[node - base], aig.fanin1[node - base]]
        while todo:
            lit = todo.pop()
            child = lit >> 1
            if not lit & 1 and child >= base and fanout[child] == 1:
                todo += [aig.fanin0[child - base], aig.fanin1[child - base]]
            else:
                out.append(mapping[child] ^ (lit & 1))
        return out

    cone = cone_array(*aig.arrays()[:2], aig.n_inputs, aig.output_lits).tolist()
    inner = {lit >> 1 for node in cone for lit in (aig.fanin0[node - base], aig.fanin1[node - base])
             if not lit & 1 and lit >> 1 >= base and fanout[lit >> 1] == 1}  # built inside their reader's tree
    for node in cone:
        if node in inner:
            continue
        operands = sorted(leaves(node), key=lambda lit: (level(lit), lit))
        while len(operands) > 1:
            a, b = operands.pop(0), operands.pop(0)
            lit = new.and_(a, b)
            depth.setdefault(lit >> 1, 1 + max(level(a), level(b)))
            operands.append(lit)
            operands.sort(key=lambda x: (level(x), x))
        mapping[node] = operands[0]
    for name, out in zip(aig.output_names, aig.output_lits):
        new.add_output(name, mapping[out >> 1] ^ (out & 1))
    new.source_map = np.full(aig.n_nodes, -1, dtype=np.int64)
    new.source_map[list(mapping)] = list(mapping.values())
    return new, {"pass": "balance", "ands_before": aig.n_ands, "ands_after": new.n_ands,
                 "levels_before": depth_of(aig), "levels_after": depth_of(new)}
