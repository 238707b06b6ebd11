"""The windows of resubstitution (kernels/resub.py): a reconvergence-driven cut around a node, the node's
maximum fan-out-free cone within it, and the divisors with their truth tables over the cut's leaves."""
import numba
import numpy as np

from .config import LEAF, NJIT
from .rewrite import _deref, _lookup
from .strash import _resolve

MAX_LEAVES = 12  # 2^12-bit truth tables: 64 words
MAX_WINDOW = 1024  # nodes of one window (leaves, cone, divisors)
MAX_FANOUT = 100  # divisors with more readers are not searched for nodes beside the cone
ALL = np.uint64(0xFFFFFFFFFFFFFFFF)
PROJECTIONS = np.array([0xAAAAAAAAAAAAAAAA, 0xCCCCCCCCCCCCCCCC, 0xF0F0F0F0F0F0F0F0, 0xFF00FF00FF00FF00,
                        0xFFFF0000FFFF0000, 0xFFFFFFFF00000000], dtype=np.uint64)  # variables 0-5 in one word


@numba.njit(**LEAF)
def _fanin_nodes(node, fanin0, fanin1, repl):
    return _resolve(repl, fanin0[node]) >> 1, _resolve(repl, fanin1[node]) >> 1


@numba.njit(**LEAF)
def _add_leaves(node, fanin0, fanin1, repl, visit, vstamp, leaves, n_leaves):
    """node's fan-ins not yet visited appended to leaves (and visited); returns the new leaf count."""
    a, b = _fanin_nodes(node, fanin0, fanin1, repl)
    for child in (a, b):
        if visit[child] != vstamp:
            visit[child] = vstamp
            leaves[n_leaves] = child
            n_leaves += 1
    return n_leaves


@numba.njit(**LEAF)
def _window_cut(node, fanin0, fanin1, repl, base, max_leaves, visit, vstamp, leaves, inner):
    """A reconvergence-driven cut of node (at most max_leaves leaves): starting from its fan-ins, the leaf
    whose fan-ins add the fewest new leaves is expanded while the cut stays small enough. Returns (leaves,
    nodes inside); the inner nodes (node first) are listed in inner, every visited node has visit = vstamp."""
    visit[node] = vstamp
    n_leaves = _add_leaves(node, fanin0, fanin1, repl, visit, vstamp, leaves, 0)
    inner[0] = node
    n_inner = 1
    while True:
        best, best_cost = -1, 3
        for i in range(n_leaves):
            leaf = leaves[i]
            if leaf < base:
                continue
            x, y = _fanin_nodes(leaf, fanin0, fanin1, repl)
            cost = (visit[x] != vstamp) + (visit[y] != vstamp and y != x)
            if cost < best_cost:
                best, best_cost = i, cost
        if best < 0 or n_leaves - 1 + best_cost > max_leaves or n_inner == MAX_WINDOW // 2:
            break
        leaf = leaves[best]
        leaves[best] = leaves[n_leaves - 1]
        n_leaves -= 1
        inner[n_inner] = leaf
        n_inner += 1
        n_leaves = _add_leaves(leaf, fanin0, fanin1, repl, visit, vstamp, leaves, n_leaves)
    return n_leaves, n_inner


@numba.njit(**LEAF)
def _simulate(tt, s, fanin0, fanin1, repl, node, slot, words):
    la = _resolve(repl, fanin0[node])
    lb = _resolve(repl, fanin1[node])
    ca = ALL if la & 1 else np.uint64(0)
    cb = ALL if lb & 1 else np.uint64(0)
    sa, sb = slot[la >> 1], slot[lb >> 1]
    for w in range(words):
        tt[s, w] = (tt[sa, w] ^ ca) & (tt[sb, w] ^ cb)


@numba.njit(**LEAF)
def _beside(f, graph, win, tt, words, n_slots, n_div, done, stamp):
    """Whether f, a live node outside the window whose fan-ins are divisors, was added as divisor n_div
    (truth table in row n_slots)."""
    fanin0, fanin1, repl, dead, refs, mark = graph[0], graph[1], graph[2], graph[3], graph[4], graph[5]
    visit, slot, divisors = win[0], win[1], win[8]
    if visit[f] == done or dead[f] or repl[f] >= 0 or refs[f] == 0:
        return False
    a, b = _fanin_nodes(f, fanin0, fanin1, repl)
    if visit[a] != done or visit[b] != done or mark[a] == stamp or mark[b] == stamp:
        return False
    visit[f] = done
    slot[f] = n_slots
    _simulate(tt, n_slots, fanin0, fanin1, repl, f, slot, words)
    divisors[n_div] = f
    return True


@numba.njit(**LEAF)
def window(node, graph, win, tables, strash, max_leaves, max_divisors):
    """Fill the window of node: leaves, cone (node's maximum fan-out-free cone marked mark = stamp) and
    divisors with their truth tables; returns (divisors, truth-table words, size of the freed cone, slot of
    node). The divisors are the leaves, the cone's other nodes and nodes beside the cone whose fan-ins are
    divisors: never node nor anything it feeds. Nodes beside are found among the readers of divisors with
    at most MAX_FANOUT readers, and in the structural hash between two divisors with more."""
    fanin0, fanin1, repl, dead, refs, mark, fo_start, fo_list, n_old, base, _ = graph
    visit, slot, stamps, leaves, inner, order, log, freed_nodes, divisors, hubs = win
    tt = tables
    stamps[0] += 1
    vstamp = stamps[0]
    n_leaves, n_inner = _window_cut(node, fanin0, fanin1, repl, base, max_leaves, visit, vstamp, leaves, inner)
    stamps[1] += 1
    stamp = stamps[1]
    for i in range(n_leaves):  # the leaves stay: keep them out of the cone freed
        refs[leaves[i]] += 1
    freed, n_log = _deref(node, fanin0, fanin1, repl, refs, mark, stamp, log, freed_nodes)
    for k in range(n_log):
        refs[log[k]] += 1
    for i in range(n_leaves):
        refs[leaves[i]] -= 1
    words = max(1, 1 << max(0, n_leaves - 6))
    for i in range(n_leaves):  # projections; the constant node is the all-zero function
        slot[leaves[i]] = i
        for w in range(words):
            if leaves[i] == 0:
                tt[i, w] = 0
            elif i < 6:
                tt[i, w] = PROJECTIONS[i]
            else:
                tt[i, w] = ALL if (w >> (i - 6)) & 1 else np.uint64(0)
    n_order = 0  # the inner nodes fan-ins first: a depth-first walk that stops at the leaves
    stamps[0] += 1
    done = stamps[0]
    for i in range(n_leaves):
        visit[leaves[i]] = done
    top = 0
    order[MAX_WINDOW] = node  # order's upper half is the walk's stack
    top = 1
    while top:
        n = order[MAX_WINDOW + top - 1]
        if visit[n] == done:
            top -= 1
            continue
        a, b = _fanin_nodes(n, fanin0, fanin1, repl)
        if visit[a] != done:
            order[MAX_WINDOW + top] = a
            top += 1
        elif visit[b] != done:
            order[MAX_WINDOW + top] = b
            top += 1
        else:
            visit[n] = done
            order[n_order] = n
            n_order += 1
            top -= 1
    for k in range(n_order):
        n = order[k]
        slot[n] = n_leaves + k
        _simulate(tt, n_leaves + k, fanin0, fanin1, repl, n, slot, words)
    n_div = 0
    for i in range(n_leaves):
        if leaves[i] != 0:
            divisors[n_div] = leaves[i]
            n_div += 1
    for k in range(n_order):
        if mark[order[k]] != stamp and n_div < max_divisors:
            divisors[n_div] = order[k]
            n_div += 1
    n_slots, n_hubs, k = n_leaves + n_order, 0, 0
    while k < n_div and n_div < max_divisors and n_slots < MAX_WINDOW:  # nodes beside the cone
        d = divisors[k]
        k += 1
        if d < n_old and fo_start[d + 1] - fo_start[d] <= MAX_FANOUT:
            for e in range(fo_start[d], fo_start[d + 1]):
                if _beside(fo_list[e], graph, win, tt, words, n_slots, n_div, done, stamp):
                    n_slots, n_div = n_slots + 1, n_div + 1
                    if n_div == max_divisors or n_slots == MAX_WINDOW:
                        break
            continue
        for h in range(n_hubs):  # between two divisors of many readers, the structural hash finds an AND
            for phases in range(4):
                x, y = 2 * d + (phases & 1), 2 * hubs[h] + (phases >> 1)
                f = _lookup(strash, dead, max(x, y), min(x, y))
                if f >= 0 and n_div < max_divisors and n_slots < MAX_WINDOW and \
                        _beside(f, graph, win, tt, words, n_slots, n_div, done, stamp):
                    n_slots, n_div = n_slots + 1, n_div + 1
        hubs[n_hubs] = d
        n_hubs += 1
    return n_div, words, freed, slot[node]
