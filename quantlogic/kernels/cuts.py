"""4-input cuts of AIG nodes, computed from the fan-ins' cuts, with their truth tables (16 bits)."""
import numba
import numpy as np

from .config import NJIT
from .rewrite_library import FULL
from .strash import _resolve

N_CUTS = 20  # cuts kept per node besides the trivial one


@numba.njit(**NJIT)
def _stretch(table, leaves, n, cut, m):
    """Truth table over cut (m leaves) of a function given over leaves (n leaves, a subset of cut)."""
    pos = np.empty(4, dtype=np.int64)
    for i in range(n):
        for j in range(m):
            if cut[j] == leaves[i]:
                pos[i] = j
    out = 0
    for row in range(16):
        sub = 0
        for i in range(n):
            sub |= ((row >> pos[i]) & 1) << i
        if (table >> sub) & 1:
            out |= 1 << row
    return out


@numba.njit(**NJIT)
def _cut_of(node, i, cut_leaves, cut_size, cut_table, n_cuts, leaves):
    """Fill leaves with cut i of node (i == n_cuts[node]: the trivial cut); returns (size, table)."""
    if node == 0:
        return 0, 0
    if i == n_cuts[node]:
        leaves[0] = node
        return 1, 0xAAAA
    for x in range(cut_size[node, i]):
        leaves[x] = cut_leaves[node, i, x]
    return cut_size[node, i], cut_table[node, i]


@numba.njit(**NJIT)
def _subset(leaves_a, size_a, leaves_b, size_b):
    """Whether the sorted leaves a are all among the sorted leaves b."""
    j = 0
    for i in range(size_a):
        while j < size_b and leaves_b[j] < leaves_a[i]:
            j += 1
        if j == size_b or leaves_b[j] != leaves_a[i]:
            return False
    return True


@numba.njit(**NJIT)
def _leaf_signature(leaves, size):
    sig = 0
    for x in range(size):
        sig |= 1 << (leaves[x] & 63)
    return sig


@numba.njit(**NJIT)
def _popcount(value):
    x = np.uint64(value)
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return int((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@numba.njit(**NJIT)
def _node_cuts(node, fanin0, fanin1, repl, cut_leaves, cut_size, cut_table, n_cuts, scratch):
    """Compute the cuts of node from its fan-ins' cuts: unions of at most 4 leaves that contain no other
    such union (dominated cuts add nothing), the largest N_CUTS of them (first found first among equals).
    scratch: (found leaves, size, pair, signature) arrays of at least (N_CUTS + 1)^2 rows."""
    found, found_size, found_pair, found_sig = scratch
    a = _resolve(repl, fanin0[node])
    b = _resolve(repl, fanin1[node])
    na, nb = a >> 1, b >> 1
    la = np.empty(4, dtype=np.int64)
    lb = np.empty(4, dtype=np.int64)
    sig_b = np.empty(n_cuts[nb] + 1, dtype=np.int64)
    for j in range(n_cuts[nb] + 1):
        sig_b[j] = _leaf_signature(lb, _cut_of(nb, j, cut_leaves, cut_size, cut_table, n_cuts, lb)[0])
    n_found = 0
    for i in range(n_cuts[na] + 1):
        sa, _ = _cut_of(na, i, cut_leaves, cut_size, cut_table, n_cuts, la)
        sig_a = _leaf_signature(la, sa)
        for j in range(n_cuts[nb] + 1):
            if _popcount(sig_a | sig_b[j]) > 4:  # more than 4 distinct leaves for sure
                continue
            sb, _ = _cut_of(nb, j, cut_leaves, cut_size, cut_table, n_cuts, lb)
            row = found[n_found]
            m = sa
            row[:sa] = la[:sa]
            for y in range(sb):
                seen = False
                for x in range(min(m, 4)):
                    seen = seen or row[x] == lb[y]
                if not seen:
                    if m < 4:
                        row[m] = lb[y]
                    m += 1
            if m > 4:
                continue
            row[:m].sort()
            sig = _leaf_signature(row, m)
            dominated = False
            for k in range(n_found):
                if found_size[k] <= m and (found_sig[k] & ~sig) == 0 and _subset(found[k], found_size[k], row, m):
                    dominated = True
                    break
            if dominated:
                continue
            kept = 0
            for k in range(n_found):  # drop earlier cuts that contain this one
                if found_size[k] > m and (sig & ~found_sig[k]) == 0 and _subset(row, m, found[k], found_size[k]):
                    continue
                if kept != k:
                    found[kept] = found[k]
                    found_size[kept], found_pair[kept], found_sig[kept] = found_size[k], found_pair[k], found_sig[k]
                kept += 1
            if kept != n_found:
                found[kept] = row
            found_size[kept], found_pair[kept], found_sig[kept] = m, i * (n_cuts[nb] + 1) + j, sig
            n_found = kept + 1
    count = 0
    for wanted in range(4, -1, -1):
        for k in range(n_found):
            if found_size[k] != wanted or count == N_CUTS:
                continue
            i, j = found_pair[k] // (n_cuts[nb] + 1), found_pair[k] % (n_cuts[nb] + 1)
            sa, ta = _cut_of(na, i, cut_leaves, cut_size, cut_table, n_cuts, la)
            sb, tb = _cut_of(nb, j, cut_leaves, cut_size, cut_table, n_cuts, lb)
            m = found_size[k]
            fa = _stretch(ta, la, sa, found[k], m) ^ (FULL if a & 1 else 0)
            fb = _stretch(tb, lb, sb, found[k], m) ^ (FULL if b & 1 else 0)
            cut_leaves[node, count, :m] = found[k, :m]
            cut_size[node, count] = m
            cut_table[node, count] = fa & fb
            count += 1
    n_cuts[node] = count
