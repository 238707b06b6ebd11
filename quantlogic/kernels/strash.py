"""Rebuilding an AIG's live part with structural hashing and constant folding, in numba."""
import numba
import numpy as np

from . import _checks
from .config import NJIT


@numba.njit(inline="always", **NJIT)
def _resolve(repl, lit):
    while repl[lit >> 1] >= 0:
        lit = repl[lit >> 1] ^ (lit & 1)
    return lit


@numba.njit(inline="always", **NJIT)
def _fold(a, b):
    """AND(a, b) when constant folding decides it, else -1."""
    if a == 0 or b == 0 or a == (b ^ 1):
        return 0
    if a == 1 or a == b:
        return b
    if b == 1:
        return a
    return -1


@numba.njit(inline="always", **NJIT)
def _slot(table, a, b):
    """Row of a structural hash table (rows: key of (a, b) or -1, then a node or literal) holding
    AND(a, b), or the empty row where it would go; key and value share a cache line."""
    key = (a << 32) | b
    mask = len(table) - 1
    h = ((key * 0x9E3779B1) ^ (key >> 29)) & mask
    while table[h, 0] != -1 and table[h, 0] != key:
        h = (h + 1) & mask
    return h, key


@numba.njit(**NJIT)
def hash_table(capacity):
    """An empty structural hash table for up to capacity ANDs (at most half full)."""
    size = 1
    while size < 2 * capacity + 2:
        size *= 2
    return np.full((size, 2), -1, dtype=np.int64)


@numba.njit(**NJIT)
def live_nodes(fanin0, fanin1, n_inputs, lits, repl):
    """AND nodes reachable from lits through fan-ins (each literal first replaced along repl, where
    repl[node] >= 0 is the literal that replaced node), fan-ins before readers (depth-first order)."""
    n = 1 + n_inputs + len(fanin0)
    base = 1 + n_inputs
    state = np.zeros(n, dtype=np.int8)  # 0 new, 1 expanded, 2 emitted
    order = np.empty(n, dtype=np.int64)
    stack = np.empty(2 * n + len(lits), dtype=np.int64)
    n_order, top = 0, 0
    for lit in lits:
        stack[top] = _resolve(repl, lit) >> 1
        top += 1
    while top:
        node = stack[top - 1]
        if node < base or state[node] == 2:
            top -= 1
            continue
        if state[node] == 0:
            state[node] = 1
            stack[top] = _resolve(repl, fanin0[node - base]) >> 1
            stack[top + 1] = _resolve(repl, fanin1[node - base]) >> 1
            top += 2
        else:
            state[node] = 2
            order[n_order] = node
            n_order += 1
            top -= 1
    return order[:n_order]


@numba.njit(**NJIT)
def _rebuild(fanin0, fanin1, n_inputs, outputs, repl, replaced):
    """(fan-in arrays, output literals, node map) of the rebuilt AIG: the live nodes in topological
    order, constants folded, equal ANDs merged; node map[old node] = its literal in the rebuilt AIG, or
    -1 when it is not live (replaced nodes map through repl)."""
    base = 1 + n_inputs
    n = base + len(fanin0)
    order = live_nodes(fanin0, fanin1, n_inputs, outputs, repl)
    if not replaced:  # ids are topological already: keep their order
        order = np.sort(order)
    mapped = np.full(n, -1, dtype=np.int64)
    for i in range(base):
        mapped[i] = 2 * i
    table = hash_table(len(order))
    new0 = np.empty(len(order), dtype=np.int64)
    new1 = np.empty(len(order), dtype=np.int64)
    count = 0
    for node in order:
        x = _resolve(repl, fanin0[node - base])
        y = _resolve(repl, fanin1[node - base])
        mapped[node], count = _hashed_and(new0, new1, count, table, base, mapped[x >> 1] ^ (x & 1),
                                          mapped[y >> 1] ^ (y & 1))
    outs = np.empty(len(outputs), dtype=np.int64)
    for k in range(len(outputs)):
        lit = _resolve(repl, outputs[k])
        outs[k] = mapped[lit >> 1] ^ (lit & 1)
    node_map = np.full(n, -1, dtype=np.int64)
    for node in range(n):
        lit = _resolve(repl, 2 * node)
        if mapped[lit >> 1] >= 0:
            node_map[node] = mapped[lit >> 1] ^ (lit & 1)
    return new0[:count], new1[:count], outs, node_map


def rebuild_arrays(fanin0, fanin1, n_inputs, outputs, repl=None):
    """Rebuild (see _rebuild) an AIG given as int64 arrays; repl (int64 per node, -1 = kept) may name
    the literal that replaced a node. Without repl the arrays must be in topological order (as AIG keeps
    them), and the rebuilt nodes keep that order."""
    n = 1 + n_inputs + len(fanin0)
    replaced = repl is not None
    repl = np.full(n, -1, dtype=np.int64) if repl is None else _checks.node_map(repl, n)
    if not replaced:
        fanin0, fanin1 = _checks.fanins(fanin0, fanin1, n_inputs)
    else:  # replaced nodes may have been rewritten in place out of topological order
        fanin0, fanin1 = (_checks.literals(f, n, "fan-in") for f in (fanin0, fanin1))
    return _rebuild(fanin0, fanin1, n_inputs, _checks.literals(outputs, n, "output"), repl, replaced)


@numba.njit(**NJIT)
def _levels(fanin0, fanin1, n_inputs):
    base = 1 + n_inputs
    depth = np.zeros(base + len(fanin0), dtype=np.int64)
    for k in range(len(fanin0)):
        depth[base + k] = 1 + max(depth[fanin0[k] >> 1], depth[fanin1[k] >> 1])
    return depth


def node_levels(fanin0, fanin1, n_inputs):
    """Logic depth (ANDs on the longest path from an input) of every node of an AIG given as fan-in arrays."""
    return _levels(*_checks.fanins(fanin0, fanin1, n_inputs), n_inputs)


def cone_array(fanin0, fanin1, n_inputs, lits):
    """Ascending int64 array of the AND nodes in the fan-in of lits, of an AIG given as fan-in arrays."""
    fanin0, fanin1 = _checks.fanins(fanin0, fanin1, n_inputs)
    n = 1 + n_inputs + len(fanin0)
    repl = np.full(n, -1, dtype=np.int64)
    return np.sort(live_nodes(fanin0, fanin1, n_inputs, _checks.literals(lits, n), repl))


@numba.njit(**NJIT)
def _cone_above(fanin0, fanin1, n_inputs, lits, stop):
    """Flags of the AND nodes in the fan-in of lits that do not cross stop nodes (a stop node is left out)."""
    base = 1 + n_inputs
    n = base + len(fanin0)
    inside = np.zeros(n, dtype=np.bool_)
    stack = np.empty(2 * n + len(lits), dtype=np.int64)
    top = 0
    for lit in lits:
        stack[top] = lit >> 1
        top += 1
    while top:
        top -= 1
        node = stack[top]
        if node < base or inside[node] or stop[node]:
            continue
        inside[node] = True
        stack[top] = fanin0[node - base] >> 1
        stack[top + 1] = fanin1[node - base] >> 1
        top += 2
    return inside


def cone_above(fanin0, fanin1, n_inputs, lits, stop):
    """Ascending int64 array of the AND nodes in the fan-in of lits above a cut: stop is a bool per node,
    and the cone does not cross (nor include) a stop node."""
    fanin0, fanin1 = _checks.fanins(fanin0, fanin1, n_inputs)
    n = 1 + n_inputs + len(fanin0)
    stop = np.ascontiguousarray(stop, dtype=np.bool_)
    if stop.shape != (n,):
        raise ValueError(f"stop needs a flag for each of the {n} nodes")
    return np.flatnonzero(_cone_above(fanin0, fanin1, n_inputs, _checks.literals(lits, n), stop))


@numba.njit(inline="always", **NJIT)
def _hashed_and(fanin0, fanin1, n_ands, table, base, a, b):
    """(literal of AND(a, b), AND count): folded, found in the hash table (values: literals), or appended
    as node base + n_ands."""
    folded = _fold(a, b)
    if folded >= 0:
        return folded, n_ands
    h, key = _slot(table, max(a, b), min(a, b))
    if table[h, 0] == key:
        return table[h, 1], n_ands
    fanin0[n_ands], fanin1[n_ands] = max(a, b), min(a, b)
    table[h, 0], table[h, 1] = key, 2 * (base + n_ands)
    return 2 * (base + n_ands), n_ands + 1


@numba.njit(**NJIT)
def _copy_gates(fanin0, fanin1, n_ands, table, base, src0, src1, src_base, order, start, mapping, target):
    """Copy the source's AND nodes order[start:] (fan-ins src0/src1, numbered from src_base) into the
    hashed AIG, mapping[node] = its literal there, until a node's target literal (>= 0) differs from
    its copy. Returns (position of that node or len(order), AND count, its copy's literal)."""
    for i in range(start, len(order)):
        node = order[i]
        x, y = src0[node - src_base], src1[node - src_base]
        lit, n_ands = _hashed_and(fanin0, fanin1, n_ands, table, base, mapping[x >> 1] ^ (x & 1),
                                  mapping[y >> 1] ^ (y & 1))
        mapping[node] = lit
        if target[node] >= 0 and target[node] != lit:
            return i, n_ands, lit
    return len(order), n_ands, -1


class HashedCopy:
    """An AIG under construction in int64 arrays with a structural hash, into which other AIGs' gates
    are copied (for miters: two circuits over shared inputs)."""

    def __init__(self, n_inputs, capacity):
        self.base = 1 + n_inputs
        self.fanin0 = np.zeros(capacity, dtype=np.int64)
        self.fanin1 = np.zeros(capacity, dtype=np.int64)
        self.n_ands = 0
        self.table = hash_table(capacity)

    def copy_nodes(self, fanin0, fanin1, n_inputs, nodes, mapping):
        """Copy the AND nodes `nodes` (ascending) of an AIG given as fan-in arrays; mapping (int64 per node of
        that AIG) must give a literal here for every fan-in that is not among nodes, and receives theirs."""
        fanin0, fanin1 = _checks.fanins(fanin0, fanin1, n_inputs)
        n = 1 + n_inputs + len(fanin0)
        nodes = np.ascontiguousarray(nodes, dtype=np.int64)
        if mapping.shape != (n,) or mapping.dtype != np.int64:
            raise ValueError(f"mapping needs an int64 entry for each of the {n} nodes")
        if len(nodes) and (nodes.min() < 1 + n_inputs or nodes.max() >= n or np.any(np.diff(nodes) <= 0)):
            raise ValueError("nodes must be ascending AND nodes")
        if len(self.fanin0) < self.n_ands + len(nodes):
            raise ValueError("the copy would exceed the capacity")
        if len(nodes):
            inside = np.zeros(n, dtype=bool)
            inside[nodes] = True
            leaves = np.concatenate([fanin0[nodes - 1 - n_inputs], fanin1[nodes - 1 - n_inputs]]) >> 1
            leaves = leaves[~inside[leaves]]
            if len(leaves) and not 0 <= mapping[leaves].min() <= mapping[leaves].max() < 2 * (self.base + self.n_ands):
                raise ValueError("a fan-in outside the nodes copied has no literal here")
        never = np.full(n, -1, dtype=np.int64)
        _, self.n_ands, _ = _copy_gates(self.fanin0, self.fanin1, self.n_ands, self.table, self.base, fanin0, fanin1,
                                        1 + n_inputs, nodes, 0, mapping, never)
        return mapping

    def arrays(self):
        """(fanin0, fanin1) of the gates so far."""
        return self.fanin0[:self.n_ands], self.fanin1[:self.n_ands]

    def copy(self, aig, input_lits, targets=None, merge=None):
        """Copy aig's live gates; input_lits: literal here of each of aig's inputs in order. targets
        (int64 per node of aig, -1 for none) name a literal here for some nodes; where the copy differs,
        merge(node, copy literal, target) -> literal decides. Returns aig's literal here per node."""
        if len(self.fanin0) < self.n_ands + aig.n_ands:
            raise ValueError("the copy would exceed the capacity")
        if len(input_lits) != aig.n_inputs or (targets is not None and len(targets) != aig.n_nodes):
            raise ValueError("input_lits needs a literal per input and targets one entry per node")
        fanin0, fanin1, _ = aig.arrays()
        mapping = np.full(aig.n_nodes, -1, dtype=np.int64)
        mapping[0] = 0
        mapping[1:1 + aig.n_inputs] = input_lits
        order = cone_array(fanin0, fanin1, aig.n_inputs, aig.output_lits)
        if targets is None:
            targets = np.full(aig.n_nodes, -1, dtype=np.int64)
        start = 0
        while start < len(order):
            start, self.n_ands, lit = _copy_gates(self.fanin0, self.fanin1, self.n_ands, self.table, self.base,
                                                  fanin0, fanin1, 1 + aig.n_inputs, order, start, mapping, targets)
            if start < len(order):
                node = order[start]
                mapping[node] = merge(int(node), int(lit), int(targets[node]))
                start += 1
        return mapping
