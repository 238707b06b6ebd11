"""Cones of AIG literals: their support and AND nodes, exhaustive comparison of two literals over a small
support, and the Tseitin clauses of a cone."""
import numba
import numpy as np

from .config import NJIT
from .sat import SAT, _solve
from .simulate import enumeration_word


@numba.njit(**NJIT)
def _collect(fanin0, fanin1, n_inputs, roots, mark, epoch, max_ands):
    """(support input nodes, AND nodes, overflow) of the cone of root nodes, both ascending; overflow (and
    nothing collected) once there are more than max_ands AND nodes (when max_ands >= 0). mark[node] ==
    epoch means visited."""
    base = 1 + n_inputs
    stack = np.empty(len(fanin0) + len(roots) + 1, dtype=np.int64)
    top = 0
    for r in roots:
        stack[top] = r
        top += 1
    inputs = []
    ands = []
    while top > 0:
        top -= 1
        node = stack[top]
        if node == 0 or mark[node] == epoch:
            continue
        mark[node] = epoch
        if node < base:
            inputs.append(node)
            continue
        ands.append(node)
        if 0 <= max_ands < len(ands):
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), True
        k = node - base
        stack[top] = fanin0[k] >> 1
        stack[top + 1] = fanin1[k] >> 1
        top += 2
    return np.sort(np.array(inputs, dtype=np.int64)), np.sort(np.array(ands, dtype=np.int64)), False


@numba.njit(**NJIT)
def _first_difference(fanin0, fanin1, n_inputs, inputs, ands, a, b, row):
    """Index of the first assignment of inputs (input t = bit t of the index) where literals a and b
    differ, or -1. row is scratch indexed by node."""
    base = 1 + n_inputs
    n_patterns = 1 << len(inputs)
    n_words = max(1, n_patterns >> 6)
    values = np.zeros((1 + len(inputs) + len(ands), n_words), dtype=np.uint64)
    row[0] = 0
    for t in range(len(inputs)):
        row[inputs[t]] = 1 + t
        for w in range(n_words):
            values[1 + t, w] = enumeration_word(t, w)
    full = ~np.uint64(0)
    for i in range(len(ands)):
        node = ands[i]
        r = 1 + len(inputs) + i
        row[node] = r
        x, y = fanin0[node - base], fanin1[node - base]
        fx = full if x & 1 else np.uint64(0)
        fy = full if y & 1 else np.uint64(0)
        for w in range(n_words):
            values[r, w] = (values[row[x >> 1], w] ^ fx) & (values[row[y >> 1], w] ^ fy)
    fa = full if a & 1 else np.uint64(0)
    fb = full if b & 1 else np.uint64(0)
    valid = full if n_patterns >= 64 else (np.uint64(1) << np.uint64(n_patterns)) - np.uint64(1)
    for w in range(n_words):
        diff = ((values[row[a >> 1], w] ^ fa) ^ (values[row[b >> 1], w] ^ fb)) & valid
        if diff:
            p = 0
            while not (diff >> np.uint64(p)) & np.uint64(1):
                p += 1
            return w * 64 + p
    return -1


@numba.njit(**NJIT)
def _tseitin(fanin0, fanin1, n_inputs, inputs, ands, var):
    """Clauses of the cone: variable 1 is false, inputs get 2.., AND nodes follow. Returns (binary (2m, 2),
    ternary (m, 3)) clause arrays; var is scratch indexed by node and holds each node's variable after."""
    base = 1 + n_inputs
    var[0] = 1
    for t in range(len(inputs)):
        var[inputs[t]] = 2 + t
    binary = np.empty((2 * len(ands), 2), dtype=np.int64)
    ternary = np.empty((len(ands), 3), dtype=np.int64)
    for i in range(len(ands)):
        node = ands[i]
        out = 2 + len(inputs) + i
        var[node] = out
        x, y = fanin0[node - base], fanin1[node - base]
        lx = -var[x >> 1] if x & 1 else var[x >> 1]
        ly = -var[y >> 1] if y & 1 else var[y >> 1]
        binary[2 * i, 0], binary[2 * i, 1] = -out, lx
        binary[2 * i + 1, 0], binary[2 * i + 1, 1] = -out, ly
        ternary[i, 0], ternary[i, 1], ternary[i, 2] = out, -lx, -ly
    return binary, ternary


@numba.njit(**NJIT)
def _sat_difference(fanin0, fanin1, n_inputs, inputs, ands, a, b, var, decision_limit):
    """(SAT/UNSAT/UNKNOWN, value per variable) of "literals a and b differ" over the cone's clauses."""
    binary, ternary = _tseitin(fanin0, fanin1, n_inputs, inputs, ands, var)
    x = -var[a >> 1] if a & 1 else var[a >> 1]
    y = -var[b >> 1] if b & 1 else var[b >> 1]
    m = len(ands)
    dimacs = np.empty(1 + 7 * m + 4, dtype=np.int64)
    starts = np.empty(3 * m + 4, dtype=np.int64)
    dimacs[0], starts[0], starts[1] = -1, 0, 1
    dimacs[1:1 + 4 * m] = binary.ravel()
    dimacs[1 + 4 * m:1 + 7 * m] = ternary.ravel()
    dimacs[1 + 7 * m:] = np.array([x, y, -x, -y])
    for c in range(2 * m):
        starts[2 + c] = 3 + 2 * c
    for c in range(m):
        starts[2 + 2 * m + c] = 1 + 4 * m + 3 * (c + 1)
    starts[2 + 3 * m], starts[3 + 3 * m] = 1 + 7 * m + 2, 1 + 7 * m + 4
    return _solve(1 + len(inputs) + m, dimacs, starts, decision_limit)


@numba.njit(**NJIT)
def _heap_push(heap, size, value):
    heap[size] = value
    i = size
    while i > 0 and heap[(i - 1) >> 1] < heap[i]:
        heap[(i - 1) >> 1], heap[i] = heap[i], heap[(i - 1) >> 1]
        i = (i - 1) >> 1
    return size + 1


@numba.njit(**NJIT)
def _heap_pop(heap, size):
    top = heap[0]
    size -= 1
    heap[0] = heap[size]
    i = 0
    while True:
        big, l, r = i, 2 * i + 1, 2 * i + 2
        if l < size and heap[l] > heap[big]:
            big = l
        if r < size and heap[r] > heap[big]:
            big = r
        if big == i:
            return top, size
        heap[i], heap[big] = heap[big], heap[i]
        i = big


@numba.njit(**NJIT)
def _difference(fanin0, fanin1, n_inputs, ra, rb, side, depth, shared, seen, epoch, max_nodes, max_depth,
                max_shared):
    """(leaves, AND nodes, overflow) of the part of the cones of nodes ra and rb that only one of them
    reaches, plus max_shared levels of the nodes both reach below it, down to max_depth ANDs from the
    roots; the leaves are where it stops. Nodes are visited highest first, so a node's sides and depths
    are final when it is visited."""
    base = 1 + n_inputs
    heap = np.empty(2 * max_nodes + 4, dtype=np.int64)
    size = 0
    for root, bit in ((ra, 1), (rb, 2)):
        if root == 0:
            continue
        if seen[root] != epoch:
            seen[root] = epoch
            side[root] = 0
            depth[root] = 0
            shared[root] = 0
            size = _heap_push(heap, size, root)
        side[root] |= bit
    leaves = []
    ands = []
    while size:
        node, size = _heap_pop(heap, size)
        both = side[node] == 3
        if node < base or depth[node] >= max_depth or (both and shared[node] >= max_shared):
            leaves.append(node)
            continue
        ands.append(node)
        if len(ands) > max_nodes or size + 2 > len(heap):
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), True
        for lit in (fanin0[node - base], fanin1[node - base]):
            child = lit >> 1
            if child == 0:
                continue
            if seen[child] != epoch:
                seen[child] = epoch
                side[child] = 0
                depth[child] = depth[node] + 1
                shared[child] = shared[node] + both
                size = _heap_push(heap, size, child)
            side[child] |= side[node]
            depth[child] = min(depth[child], depth[node] + 1)
            shared[child] = min(shared[child], shared[node] + both)
    return np.sort(np.array(leaves, dtype=np.int64)), np.sort(np.array(ands, dtype=np.int64)), False


class Cones:
    """Cone queries on the AND nodes of an AIG held in growable int64 arrays (nodes may be appended
    between queries with extend)."""

    def __init__(self, n_inputs, capacity):
        self.n_inputs = n_inputs
        self.fanin0 = np.zeros(capacity, dtype=np.int64)
        self.fanin1 = np.zeros(capacity, dtype=np.int64)
        self.n_ands = 0
        n_nodes = 1 + n_inputs + capacity
        self.mark = np.zeros(n_nodes, dtype=np.int64)
        self.scratch = np.zeros(n_nodes, dtype=np.int64)
        self.depth = np.zeros(n_nodes, dtype=np.int64)
        self.shared = np.zeros(n_nodes, dtype=np.int64)
        self.epoch = 0

    def extend(self, fanin0, fanin1):
        """Append the AND nodes of fanin0/fanin1 (full lists of the AIG) beyond the ones held."""
        n = len(fanin0)
        if n > len(self.fanin0):
            raise ValueError(f"{n} AND nodes exceed the capacity of {len(self.fanin0)}")
        self.fanin0[self.n_ands:n] = fanin0[self.n_ands:n]
        self.fanin1[self.n_ands:n] = fanin1[self.n_ands:n]
        self.n_ands = n

    def cone(self, lits, max_ands=None):
        """(support input nodes, AND nodes) of literals lits, both ascending; None when there are more
        than max_ands AND nodes."""
        self.epoch += 1
        roots = np.array([lit >> 1 for lit in lits], dtype=np.int64)
        inputs, ands, overflow = _collect(self.fanin0[:self.n_ands], self.fanin1[:self.n_ands], self.n_inputs,
                                          roots, self.mark, self.epoch, -1 if max_ands is None else max_ands)
        return None if overflow else (inputs, ands)

    def window(self, a, b, max_nodes, max_depth=1 << 30, max_shared=0):
        """(leaves, AND nodes) of the part of the cones of literals a and b that only one of them reaches,
        plus max_shared levels of the nodes both reach, down to max_depth ANDs; or None when over max_nodes
        AND nodes. The leaves are where it stops (shared nodes, nodes at max_depth, primary inputs)."""
        self.epoch += 1
        leaves, ands, overflow = _difference(self.fanin0, self.fanin1, self.n_inputs, a >> 1, b >> 1,
                                             self.scratch, self.depth, self.shared, self.mark, self.epoch,
                                             max_nodes, max_depth, max_shared)
        return None if overflow else (leaves, ands)

    def first_difference(self, a, b, inputs, ands):
        """Index of the first assignment of inputs (bit t = input t; any nodes that cut ands off from the
        primary inputs) where literals a and b differ, or -1."""
        if len(inputs) > 24:
            raise ValueError(f"exhaustive comparison over {len(inputs)} inputs is too large")
        return int(_first_difference(self.fanin0, self.fanin1, self.n_inputs, inputs, ands, a, b, self.scratch))

    def sat_difference(self, a, b, inputs, ands, decision_limit):
        """Whether literals a and b differ for some assignment of inputs (any nodes that cut ands off from
        the primary inputs) by SAT: (SAT with the assignment, a bool per input), (UNSAT, None), or
        (UNKNOWN, None) once decision_limit decisions were made."""
        status, value = _sat_difference(self.fanin0, self.fanin1, self.n_inputs, inputs, ands, a, b, self.scratch,
                                        -1 if decision_limit is None else int(decision_limit))
        return int(status), (value[2:2 + len(inputs)] == 1 if status == SAT else None)
