"""Rebuilding an AIG's live part with structural hashing and constant folding, in numba."""
import numba
import numpy as np

from .config import NJIT


@numba.njit(inline="always", **NJIT)
def _resolve(repl, lit):
    while repl[lit >> 1] >= 0:
        lit = repl[lit >> 1] ^ (lit & 1)
    return lit


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
    size = 1
    while size < 4 * (len(order) + 1):
        size *= 2
    keys = np.full(size, -1, dtype=np.int64)
    vals = np.zeros(size, dtype=np.int64)
    new0 = np.empty(len(order), dtype=np.int64)
    new1 = np.empty(len(order), dtype=np.int64)
    count = 0
    for node in order:
        x = _resolve(repl, fanin0[node - base])
        y = _resolve(repl, fanin1[node - base])
        a = mapped[x >> 1] ^ (x & 1)
        b = mapped[y >> 1] ^ (y & 1)
        if a < b:
            a, b = b, a
        if b == 0 or a == (b ^ 1):
            lit = 0
        elif b == 1 or a == b:
            lit = a
        else:
            key = a * (2 * n + 2) + b
            h = ((key * 0x9E3779B1) ^ (key >> 17)) & (size - 1)
            while keys[h] != -1 and keys[h] != key:
                h = (h + 1) & (size - 1)
            if keys[h] == key:
                lit = vals[h]
            else:
                new0[count], new1[count] = a, b
                lit = 2 * (base + count)
                keys[h], vals[h] = key, lit
                count += 1
        mapped[node] = lit
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
    if repl is None:
        repl = np.full(n, -1, dtype=np.int64)
    if len(repl) != n:
        raise ValueError(f"repl has {len(repl)} entries for {n} nodes")
    return _rebuild(fanin0, fanin1, n_inputs, np.asarray(outputs, dtype=np.int64), repl, replaced)


def cone_nodes(aig, lits):
    """AIG.cone(lits) (ascending AND nodes in the fan-in of lits), computed in numba."""
    fanin0, fanin1, _ = aig.arrays()
    repl = np.full(aig.n_nodes, -1, dtype=np.int64)
    return np.sort(live_nodes(fanin0, fanin1, aig.n_inputs, np.asarray(lits, dtype=np.int64), repl)).tolist()


@numba.njit(**NJIT)
def _hashed_and(fanin0, fanin1, n_ands, table, base, a, b):
    """(literal of AND(a, b), AND count): folded, found in the hash table (rows: key or -1, literal), or
    appended as node base + n_ands."""
    if a < b:
        a, b = b, a
    if b == 0 or a == (b ^ 1):
        return 0, n_ands
    if b == 1 or a == b:
        return a, n_ands
    key = (a << 32) | b
    mask = len(table) - 1
    h = ((key * 0x9E3779B1) ^ (key >> 29)) & mask
    while table[h, 0] != -1 and table[h, 0] != key:
        h = (h + 1) & mask
    if table[h, 0] == key:
        return table[h, 1], n_ands
    fanin0[n_ands], fanin1[n_ands] = a, b
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
        size = 1
        while size < 2 * capacity + 2:
            size *= 2
        self.table = np.full((size, 2), -1, dtype=np.int64)

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
        order = np.array(cone_nodes(aig, aig.output_lits), dtype=np.int64)
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
