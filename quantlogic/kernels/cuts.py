"""4-input cuts of AIG nodes, computed from the fan-ins' cuts, with their truth tables (16 bits)."""
import numba
import numpy as np

from . import _checks
from .config import LEAF, NJIT
from .rewrite_library import FULL
from .strash import _resolve

N_CUTS = 20  # cuts kept per node besides the trivial one


@numba.njit(inline="always", **NJIT)
def _swap_up(table, k):
    """Truth table with variables k and k + 1 exchanged."""
    if k == 0:
        return (table & 0x9999) | ((table & 0x2222) << 1) | ((table & 0x4444) >> 1)
    if k == 1:
        return (table & 0xC3C3) | ((table & 0x0C0C) << 2) | ((table & 0x3030) >> 2)
    return (table & 0xF00F) | ((table & 0x00F0) << 4) | ((table & 0x0F00) >> 4)


@numba.njit(inline="always", **NJIT)
def _stretch(table, leaves, n, cuts, cut, m):
    """Truth table over row cut of cuts (m sorted leaves) of a function given over leaves (n sorted leaves,
    a subset of the cut): each variable moves up to its leaf's place in the cut, past variables the
    function ignores."""
    j = m - 1
    for i in range(n - 1, -1, -1):
        while cuts[cut, j] != leaves[i]:
            j -= 1
        for k in range(i, j):
            table = _swap_up(table, k)
        j -= 1
    return table


@numba.njit(inline="always", **NJIT)
def _cut_of(node, i, cut_leaves, cut_size, cut_table, n_cuts, cut_start, leaves):
    """Fill leaves with cut i of node (i == n_cuts[node]: the trivial cut); returns (size, table)."""
    if node == 0:
        return 0, 0
    if i == n_cuts[node]:
        leaves[0] = node
        return 1, 0xAAAA
    row = cut_start[node] + i
    for x in range(cut_size[row]):
        leaves[x] = cut_leaves[row, x]
    return cut_size[row], cut_table[row]


@numba.njit(inline="always", **NJIT)
def _subset(rows, a, size_a, b, size_b):
    """Whether the sorted leaves in row a of rows are all among the sorted leaves in row b."""
    j = 0
    for i in range(size_a):
        while j < size_b and rows[b, j] < rows[a, i]:
            j += 1
        if j == size_b or rows[b, j] != rows[a, i]:
            return False
    return True


@numba.njit(inline="always", **NJIT)
def _leaf_signature(leaves, size):
    sig = 0
    for x in range(size):
        sig |= 1 << (leaves[x] & 63)
    return sig


@numba.njit(inline="always", **NJIT)
def _popcount(value):
    x = np.uint64(value)
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return int((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@numba.njit(**LEAF)
def _node_cuts(node, fanin0, fanin1, repl, cut_leaves, cut_size, cut_table, n_cuts, cut_start, fill, scratch):
    """Compute the cuts of node from its fan-ins' cuts: unions of at most 4 leaves that contain no other
    such union (dominated cuts add nothing), the largest N_CUTS of them (first found first among equals),
    stored in the pool's free rows (_allocate). scratch: cut_storage's (a LEAF allocates nothing)."""
    found, found_size, found_pair, found_sig, la, lb, sig_b, leaves_b, size_b = scratch
    a = _resolve(repl, fanin0[node])
    b = _resolve(repl, fanin1[node])
    na, nb = a >> 1, b >> 1
    for j in range(n_cuts[nb] + 1):
        size_b[j] = _cut_of(nb, j, cut_leaves, cut_size, cut_table, n_cuts, cut_start, lb)[0]
        for y in range(size_b[j]):
            leaves_b[j, y] = lb[y]
        sig_b[j] = _leaf_signature(lb, size_b[j])
    n_found = 0
    for i in range(n_cuts[na] + 1):
        sa, _ = _cut_of(na, i, cut_leaves, cut_size, cut_table, n_cuts, cut_start, la)
        sig_a = _leaf_signature(la, sa)
        for j in range(n_cuts[nb] + 1):
            sig = sig_a | sig_b[j]
            if _popcount(sig) > 4:  # more than 4 distinct leaves for sure
                continue
            row, sb = n_found, size_b[j]  # the union is merged (sorted) into the next free row of found
            x, y, m = 0, 0, 0
            while (x < sa or y < sb) and m <= 4:
                if y == sb or (x < sa and la[x] < leaves_b[j, y]):
                    v = la[x]
                    x += 1
                elif x == sa or leaves_b[j, y] < la[x]:
                    v = leaves_b[j, y]
                    y += 1
                else:
                    v = la[x]
                    x += 1
                    y += 1
                if m < 4:
                    found[row, m] = v
                m += 1
            if m > 4:
                continue
            dominated, kept = False, 0  # found is an antichain: a union contained in it and one containing it never meet
            for k in range(n_found + 1):  # drop earlier cuts that contain the union; the union itself moves down
                if k < n_found and found_size[k] <= m:
                    if (found_sig[k] & ~sig) == 0 and _subset(found, k, found_size[k], row, m):
                        dominated = True
                        break
                elif k < n_found and (sig & ~found_sig[k]) == 0 and _subset(found, row, m, k, found_size[k]):
                    continue
                if kept != k:
                    for x in range(4):
                        found[kept, x] = found[k, x]
                    found_size[kept], found_pair[kept], found_sig[kept] = found_size[k], found_pair[k], found_sig[k]
                kept += 1
            if dominated:
                continue
            kept -= 1
            found_size[kept], found_pair[kept], found_sig[kept] = m, i * (n_cuts[nb] + 1) + j, sig
            n_found = kept + 1
    count, first = 0, _allocate(fill, cut_leaves, min(n_found, N_CUTS))
    for wanted in range(4, -1, -1):
        for k in range(n_found):
            if found_size[k] != wanted or count == N_CUTS:
                continue
            i, j = found_pair[k] // (n_cuts[nb] + 1), found_pair[k] % (n_cuts[nb] + 1)
            sa, ta = _cut_of(na, i, cut_leaves, cut_size, cut_table, n_cuts, cut_start, la)
            sb, tb = _cut_of(nb, j, cut_leaves, cut_size, cut_table, n_cuts, cut_start, lb)
            m = found_size[k]
            fa = _stretch(ta, la, sa, found, k, m) ^ (FULL if a & 1 else 0)
            fb = _stretch(tb, lb, sb, found, k, m) ^ (FULL if b & 1 else 0)
            for x in range(m):
                cut_leaves[first + count, x] = found[k, x]
            cut_size[first + count] = m
            cut_table[first + count] = fa & fb
            count += 1
    n_cuts[node], cut_start[node] = count, first


@numba.njit(inline="always", **NJIT)
def _allocate(fill, cut_leaves, rows):
    """The first of `rows` free rows of the pool: a freed run of that length, else the head of a longer one
    (its rest stays free), else rows appended at fill[0]. fill[1 + s] is 1 + the first row of the latest
    freed run of s rows (0: none); a free run's first leaf links to the next run of its length the same way."""
    if rows == 0:
        return fill[0]
    for size in range(rows, N_CUTS + 1):
        head = fill[1 + size]
        if head:
            first = head - 1
            fill[1 + size] = cut_leaves[first, 0]
            if size > rows:
                release_rows(fill, cut_leaves, first + rows, size - rows)
            return first
    first = fill[0]
    fill[0] = first + rows
    return first


@numba.njit(inline="always", **NJIT)
def release_rows(fill, cut_leaves, first, rows):
    """Give `rows` pool rows from `first` back (the cuts of a node that died: nothing reads them again)."""
    if rows > 0:
        cut_leaves[first, 0] = fill[1 + rows]
        fill[1 + rows] = first + 1


@numba.njit(**NJIT)
def cut_storage(capacity):
    """The cuts of capacity nodes: a pool of (leaves, size, truth table) rows that each node's cuts are
    stored in, (count, first row) per node, the pool's fill and heads of freed runs (see _allocate); and
    _node_cuts scratch: (union leaves, size, pair, signature) of (N_CUTS + 1)^2 unions, two cuts' leaves, and
    the signatures, leaves and sizes of a fan-in's N_CUTS + 1 cuts. The pool (19 bytes a row: four int32
    leaves, the size, a 16-bit truth table) has room for N_CUTS cuts a node but is left uninitialized, so the
    memory its unwritten rows would take is never touched (nodes average about 11 cuts, and the rows of dead
    nodes are reused)."""
    rows = (N_CUTS + 1) ** 2
    scratch = (np.empty((rows, 4), dtype=np.int64), np.empty(rows, dtype=np.int64), np.empty(rows, dtype=np.int64),
               np.empty(rows, dtype=np.int64), np.empty(4, dtype=np.int64), np.empty(4, dtype=np.int64),
               np.empty(N_CUTS + 1, dtype=np.int64), np.empty((N_CUTS + 1, 4), dtype=np.int64),
               np.empty(N_CUTS + 1, dtype=np.int64))
    pool = capacity * N_CUTS
    return (np.empty((pool, 4), dtype=np.int32), np.empty(pool, dtype=np.int8), np.empty(pool, dtype=np.uint16),
            np.zeros(capacity, dtype=np.int64), np.zeros(capacity, dtype=np.int64), np.zeros(2 + N_CUTS, dtype=np.int64),
            scratch)


@numba.njit(**NJIT)
def _all_cuts(fanin0, fanin1, n_inputs):
    n = 1 + n_inputs + len(fanin0)
    f0 = np.full(n, -1, dtype=np.int64)
    f1 = np.full(n, -1, dtype=np.int64)
    f0[1 + n_inputs:], f1[1 + n_inputs:] = fanin0, fanin1
    repl = np.full(n, -1, dtype=np.int64)
    cut_leaves, cut_size, cut_table, n_cuts, cut_start, fill, scratch = cut_storage(n)
    for node in range(1 + n_inputs, n):
        _node_cuts(node, f0, f1, repl, cut_leaves, cut_size, cut_table, n_cuts, cut_start, fill, scratch)
    leaves, size = np.zeros((n, N_CUTS, 4), dtype=np.int32), np.zeros((n, N_CUTS), dtype=np.int8)
    table = np.zeros((n, N_CUTS), dtype=np.int32)
    for node in range(n):
        for c in range(n_cuts[node]):
            row = cut_start[node] + c
            leaves[node, c], size[node, c], table[node, c] = cut_leaves[row], cut_size[row], cut_table[row]
    return leaves, size, table, n_cuts


def all_cuts(fanin0, fanin1, n_inputs):
    """The cuts the rewriting sees of every node of an AIG given as AND fan-in arrays (topological):
    (leaves (node, cut, 4), size (node, cut), truth table (node, cut; leaf x is variable x), count per
    node; entries past these are unspecified); the trivial cut (the node itself) is not listed."""
    return _all_cuts(*_checks.fanins(fanin0, fanin1, n_inputs), n_inputs)
