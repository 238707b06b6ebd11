"""Resubstitution in place (after Mishchenko and Brayton, IWLS 2006): each node's function over a small
reconvergent window is re-expressed from other nodes of that window (divisors) with at most two new ANDs,
where that frees more of the node's maximum fan-out-free cone than it adds."""
import numba
import numpy as np

from . import _checks
from .config import LEAF, NJIT
from .rewrite import _deref, _insert, _lookup, rehash, retire
from .strash import _fold, _resolve, hash_table

MAX_LEAVES = 12  # 2^12-bit truth tables: 64 words
MAX_WINDOW = 1024  # nodes of one window (leaves, cone, divisors)
MAX_FANOUT = 100  # divisors with more readers are not searched for nodes beside the cone
MAX_PAIRS = 500  # two-divisor ANDs (ORs) kept for the resubstitutions with two new nodes
ALL = np.uint64(0xFFFFFFFFFFFFFFFF)
PROJECTIONS = np.array([0xAAAAAAAAAAAAAAAA, 0xCCCCCCCCCCCCCCCC, 0xF0F0F0F0F0F0F0F0, 0xFF00FF00FF00FF00,
                        0xFFFF0000FFFF0000, 0xFFFFFFFF00000000], dtype=np.uint64)  # variables 0-5 in one word


@numba.njit(inline="always", **NJIT)
def _fanin_nodes(node, fanin0, fanin1, repl):
    return _resolve(repl, fanin0[node]) >> 1, _resolve(repl, fanin1[node]) >> 1


@numba.njit(**LEAF)
def _window_cut(node, fanin0, fanin1, repl, base, max_leaves, visit, vstamp, leaves, inner):
    """A reconvergence-driven cut of node (at most max_leaves leaves): starting from its fan-ins, the leaf
    whose fan-ins add the fewest new leaves is expanded while the cut stays small enough. Returns (leaves,
    nodes inside); the inner nodes (node first) are listed in inner, every visited node has visit = vstamp."""
    visit[node] = vstamp
    n_leaves = 0
    a, b = _fanin_nodes(node, fanin0, fanin1, repl)
    for child in (a, b):
        if visit[child] != vstamp:
            visit[child] = vstamp
            leaves[n_leaves] = child
            n_leaves += 1
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
        x, y = _fanin_nodes(leaf, fanin0, fanin1, repl)
        for child in (x, y):
            if visit[child] != vstamp:
                visit[child] = vstamp
                leaves[n_leaves] = child
                n_leaves += 1
    return n_leaves, n_inner


@numba.njit(inline="always", **NJIT)
def _simulate(tt, s, fanin0, fanin1, repl, node, slot, words):
    la = _resolve(repl, fanin0[node])
    lb = _resolve(repl, fanin1[node])
    ca = ALL if la & 1 else np.uint64(0)
    cb = ALL if lb & 1 else np.uint64(0)
    sa, sb = slot[la >> 1], slot[lb >> 1]
    for w in range(words):
        tt[s, w] = (tt[sa, w] ^ ca) & (tt[sb, w] ^ cb)


@numba.njit(inline="always", **NJIT)
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
def _window(node, graph, win, tables, strash, max_leaves, max_divisors):
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


@numba.njit(inline="always", **NJIT)
def _existing(strash, dead, a, b):
    """Literal of AND(a, b) when folding or the structural hash already has it, else -1."""
    result = _fold(a, b)
    if result >= 0:
        return result
    found = _lookup(strash, dead, max(a, b), min(a, b))
    return 2 * found if found >= 0 else -1


@numba.njit(inline="always", **NJIT)
def _cost(strash, dead, mark, stamp, node, x, y, z, ci):
    """ANDs that AND(x, y) (z < 0) or AND(x, AND(y, z) ^ ci) would add (nodes of the freed cone count as
    added); -1 when the result is node itself."""
    inner, added = y, 0
    if z >= 0:
        inner = _existing(strash, dead, y, z)
        if inner < 0:
            return 2
        if inner >> 1 == node:
            return -1
        added += mark[inner >> 1] == stamp
        inner ^= ci
    root = _existing(strash, dead, x, inner)
    if root < 0:
        return added + 1
    if root >> 1 == node:
        return -1
    return added + (mark[root >> 1] == stamp)


@numba.njit(**LEAF)
def _search(node, t, n_div, words, freed, graph, win, tables, lists, strash, stamp, max_new, limit, slack, found):
    """The first resubstitution of node that frees more than it adds and is at most limit levels deep:
    found = (x, y, z, ci, c) with node = x ^ c (y < 0), AND(x, y) ^ c (z < 0) or AND(x, AND(y, z) ^ ci) ^ c,
    literals of divisors. Returns whether one was found."""
    dead, mark, level = graph[3], graph[5], graph[10]
    slot, divisors = win[1], win[8]
    tt, pair_tt = tables
    unate, binate, pairs = lists
    for c in range(2):  # a constant
        cc = ALL if c else np.uint64(0)
        same = True
        for w in range(words):
            same = same and tt[t, w] == cc
        if same:
            found[0], found[1], found[2], found[3], found[4] = 0, -1, -1, 0, c
            return True
    for k in range(n_div):  # the same function, or its complement
        s = slot[divisors[k]]
        for c in range(2):
            cc = ALL if c else np.uint64(0)
            same = True
            for w in range(words):
                if tt[s, w] ^ cc != tt[t, w]:
                    same = False
                    break
            if same and level[divisors[k]] <= limit:
                found[0], found[1], found[2], found[3], found[4] = 2 * divisors[k], -1, -1, 0, c
                return True
    if freed + slack < 2 or max_new < 1:
        return False
    for pol in range(2):  # node ^ pol as the OR of divisors that imply it
        cp = ALL if pol else np.uint64(0)
        n_unate, n_binate = 0, 0
        for k in range(n_div):
            s = slot[divisors[k]]
            kind = 0
            for phase in range(2):
                ok = True
                for w in range(words):
                    if (tt[s, w] ^ (ALL if phase else np.uint64(0))) & ~(tt[t, w] ^ cp):
                        ok = False
                        break
                if ok:
                    unate[n_unate] = 2 * k + phase
                    n_unate += 1
                    kind = 1
            if kind == 0 and n_binate < 48:
                binate[n_binate] = k
                n_binate += 1
        for i in range(n_unate):
            a = unate[i]
            sa, ca = slot[divisors[a >> 1]], ALL if a & 1 else np.uint64(0)
            for j in range(i + 1, n_unate):
                b = unate[j]
                sb, cb = slot[divisors[b >> 1]], ALL if b & 1 else np.uint64(0)
                if 1 + max(level[divisors[a >> 1]], level[divisors[b >> 1]]) > limit:
                    continue
                if not _or_is_target(tt, sa, ca, sb, cb, t, cp, words):
                    continue
                x, y = (2 * divisors[a >> 1] + (a & 1)) ^ 1, (2 * divisors[b >> 1] + (b & 1)) ^ 1
                added = _cost(strash, dead, mark, stamp, node, x, y, -1, 0)
                if 0 <= added < freed + slack:
                    found[0], found[1], found[2], found[3], found[4] = x, y, -1, 0, 1 ^ pol
                    return True
        if freed + slack < 3 or max_new < 2:
            continue
        n_pairs = 0  # ANDs of two divisors (either phase) that imply node ^ pol, though neither does alone
        for i in range(2 * n_binate):
            p = binate[i >> 1]
            sp, cpp = slot[divisors[p]], ALL if i & 1 else np.uint64(0)
            for j in range(2 * ((i >> 1) + 1), 2 * n_binate):
                q = binate[j >> 1]
                sq, cq = slot[divisors[q]], ALL if j & 1 else np.uint64(0)
                ok, some = True, np.uint64(0)
                for w in range(words):
                    both = (tt[sp, w] ^ cpp) & (tt[sq, w] ^ cq)
                    if both & ~(tt[t, w] ^ cp):
                        ok = False
                        break
                    pair_tt[n_pairs, w] = both
                    some |= both
                if ok and some and n_pairs < MAX_PAIRS:
                    pairs[n_pairs, 0] = 2 * divisors[p] + (i & 1)
                    pairs[n_pairs, 1] = 2 * divisors[q] + (j & 1)
                    n_pairs += 1
            if n_pairs == MAX_PAIRS:
                break
        for i in range(n_unate):  # a | (p & q)
            a = unate[i]
            sa, ca = slot[divisors[a >> 1]], ALL if a & 1 else np.uint64(0)
            for k in range(n_pairs):
                if 2 + max(level[divisors[a >> 1]] - 1, level[pairs[k, 0] >> 1], level[pairs[k, 1] >> 1]) > limit:
                    continue
                ok = True
                for w in range(words):
                    if ((tt[sa, w] ^ ca) | pair_tt[k, w]) != tt[t, w] ^ cp:
                        ok = False
                        break
                if not ok:
                    continue
                x = (2 * divisors[a >> 1] + (a & 1)) ^ 1
                added = _cost(strash, dead, mark, stamp, node, x, pairs[k, 0], pairs[k, 1], 1)
                if 0 <= added < freed + slack:
                    found[0], found[1], found[2], found[3], found[4] = x, pairs[k, 0], pairs[k, 1], 1, 1 ^ pol
                    return True
        for i in range(min(n_unate, 32)):  # a | b | c
            a = unate[i]
            sa, ca = slot[divisors[a >> 1]], ALL if a & 1 else np.uint64(0)
            for j in range(i + 1, min(n_unate, 32)):
                b = unate[j]
                sb, cb = slot[divisors[b >> 1]], ALL if b & 1 else np.uint64(0)
                for m in range(j + 1, min(n_unate, 32)):
                    e = unate[m]
                    se, ce = slot[divisors[e >> 1]], ALL if e & 1 else np.uint64(0)
                    deepest = max(level[divisors[a >> 1]] - 1, level[divisors[b >> 1]], level[divisors[e >> 1]])
                    if 2 + deepest > limit:
                        continue
                    ok = True
                    for w in range(words):
                        if (tt[sa, w] ^ ca) | (tt[sb, w] ^ cb) | (tt[se, w] ^ ce) != tt[t, w] ^ cp:
                            ok = False
                            break
                    if not ok:
                        continue
                    x = (2 * divisors[a >> 1] + (a & 1)) ^ 1
                    y = (2 * divisors[b >> 1] + (b & 1)) ^ 1
                    z = (2 * divisors[e >> 1] + (e & 1)) ^ 1
                    added = _cost(strash, dead, mark, stamp, node, x, y, z, 0)
                    if 0 <= added < freed + slack:
                        found[0], found[1], found[2], found[3], found[4] = x, y, z, 0, 1 ^ pol
                        return True
    return False


@numba.njit(inline="always", **NJIT)
def _or_is_target(tt, sa, ca, sb, cb, t, cp, words):
    for w in range(words):
        if (tt[sa, w] ^ ca) | (tt[sb, w] ^ cb) != tt[t, w] ^ cp:
            return False
    return True


@numba.njit(inline="always", **NJIT)
def _make_and(graph, strash, a, b, n_nodes):
    """Literal of AND(a, b), made (as node n_nodes) when neither folding nor the hash has it; returns (literal,
    node count)."""
    fanin0, fanin1, repl, dead, refs, level = graph[0], graph[1], graph[2], graph[3], graph[4], graph[10]
    lit = _existing(strash, dead, a, b)
    if lit >= 0:
        return lit, n_nodes
    hi, lo = max(a, b), min(a, b)
    fanin0[n_nodes], fanin1[n_nodes], repl[n_nodes] = hi, lo, -1
    level[n_nodes] = 1 + max(level[hi >> 1], level[lo >> 1])
    refs[hi >> 1] += 1
    refs[lo >> 1] += 1
    _insert(strash, hi, lo, n_nodes)
    return 2 * n_nodes, n_nodes + 1


@numba.njit(**LEAF)
def _resub_nodes(base, graph, win, tables, lists, strash, max_leaves, max_divisors, max_new, keep_levels, slack,
                 found):
    """The resubstitution loop over the input's AND nodes (see _resub for the arrays); returns (node count,
    resubstitutions)."""
    fanin0, fanin1, repl, dead, refs, mark, fo_start, fo_list, n_old, _, level = graph
    log, freed_nodes = win[6], win[7]
    stamps = win[2]
    capacity = len(fanin0)
    n_nodes, count = n_old, 0
    for node in range(base, n_old):
        level[node] = 1 + max(level[_resolve(repl, fanin0[node]) >> 1], level[_resolve(repl, fanin1[node]) >> 1])
        if dead[node] or refs[node] == 0 or n_nodes + 2 >= capacity:
            continue
        same = rehash(node, fanin0, fanin1, repl, strash, dead)
        if same >= 0:
            stamps[1] += 1
            retire(node, same, fanin0, fanin1, repl, refs, mark, stamps[1], log, freed_nodes, dead)
            count += 1
            continue
        n_div, words, freed, t = _window(node, graph, win, tables[0], strash, max_leaves, max_divisors)
        limit = level[node] if keep_levels else capacity
        if not _search(node, t, n_div, words, freed, graph, win, tables, lists, strash, stamps[1], max_new, limit, slack,
                       found):
            continue
        x, y, z, ci, c = found[0], found[1], found[2], found[3], found[4]
        root = x
        if z >= 0:
            inner, n_nodes = _make_and(graph, strash, y, z, n_nodes)
            root, n_nodes = _make_and(graph, strash, x, inner ^ ci, n_nodes)
        elif y >= 0:
            root, n_nodes = _make_and(graph, strash, x, y, n_nodes)
        stamps[1] += 1
        retire(node, root ^ c, fanin0, fanin1, repl, refs, mark, stamps[1], log, freed_nodes, dead)
        count += 1
    return n_nodes, count


@numba.njit(**NJIT)
def _resub(fanin0_in, fanin1_in, n_inputs, outputs, max_leaves, max_divisors, max_new, keep_levels, slack, capacity):
    """Resubstitute in place; returns (fanin0, fanin1, repl, outputs resolved, resubstitutions), arrays indexed
    by node as in kernels/rewrite.py."""
    n_old = 1 + n_inputs + len(fanin0_in)
    base = 1 + n_inputs
    fanin0 = np.empty(capacity, dtype=np.int64)
    fanin1 = np.empty(capacity, dtype=np.int64)
    repl = np.full(capacity, -1, dtype=np.int64)
    fanin0[:base], fanin1[:base] = -1, -1
    fanin0[base:n_old] = fanin0_in
    fanin1[base:n_old] = fanin1_in
    dead = np.zeros(capacity, dtype=np.bool_)
    refs = np.zeros(capacity, dtype=np.int64)
    mark = np.zeros(capacity, dtype=np.int64)
    strash = hash_table(capacity)
    fo_start = np.zeros(n_old + 1, dtype=np.int64)
    for n in range(base, n_old):
        refs[fanin0[n] >> 1] += 1
        refs[fanin1[n] >> 1] += 1
        _insert(strash, fanin0[n], fanin1[n], n)
        fo_start[(fanin0[n] >> 1) + 1] += 1
        fo_start[(fanin1[n] >> 1) + 1] += 1
    for lit in outputs:
        refs[lit >> 1] += 1
    for n in range(n_old):
        fo_start[n + 1] += fo_start[n]
    fo_list = np.empty(fo_start[n_old], dtype=np.int64)
    fill = fo_start[:n_old].copy()
    for n in range(base, n_old):
        for child in (fanin0[n] >> 1, fanin1[n] >> 1):
            fo_list[fill[child]] = n
            fill[child] += 1
    level = np.zeros(capacity, dtype=np.int64)
    for n in range(base, n_old):
        level[n] = 1 + max(level[fanin0[n] >> 1], level[fanin1[n] >> 1])
    graph = (fanin0, fanin1, repl, dead, refs, mark, fo_start, fo_list, n_old, base, level)
    win = (np.zeros(capacity, dtype=np.int64), np.zeros(capacity, dtype=np.int64), np.zeros(2, dtype=np.int64),
           np.empty(MAX_LEAVES + 2, dtype=np.int64), np.empty(MAX_WINDOW, dtype=np.int64),
           np.empty(2 * MAX_WINDOW + 1, dtype=np.int64), np.empty(2 * capacity, dtype=np.int64),
           np.empty(capacity, dtype=np.int64), np.empty(MAX_WINDOW, dtype=np.int64), np.empty(MAX_WINDOW, dtype=np.int64))
    words = 1 << (MAX_LEAVES - 6)
    tables = (np.empty((MAX_WINDOW, words), dtype=np.uint64), np.empty((MAX_PAIRS + 1, words), dtype=np.uint64))
    lists = (np.empty(2 * MAX_WINDOW, dtype=np.int64), np.empty(MAX_WINDOW, dtype=np.int64),
             np.empty((MAX_PAIRS, 2), dtype=np.int64))
    n_nodes, count = _resub_nodes(base, graph, win, tables, lists, strash, max_leaves, max_divisors, max_new,
                                  keep_levels, slack, np.empty(5, dtype=np.int64))
    resolved = np.empty(len(outputs), dtype=np.int64)
    for k in range(len(outputs)):
        resolved[k] = _resolve(repl, outputs[k])
    return fanin0[:n_nodes], fanin1[:n_nodes], repl[:n_nodes], resolved, count


def resub_in_place(fanin0, fanin1, n_inputs, outputs, max_leaves=8, max_divisors=150, max_new=2, keep_levels=False,
                   zero_gain=False):
    """Resubstitute an AIG given as int64 AND fan-in arrays (topological) and output literals, each node over a
    window of at most max_leaves leaves from at most max_divisors divisors with at most max_new new ANDs:
    (fanin0, fanin1 per node, -1 for the constant and inputs; repl per node, the literal that replaced it or
    -1; outputs resolved; number of resubstitutions). keep_levels refuses replacements deeper than the node."""
    fanin0, fanin1 = _checks.fanins(fanin0, fanin1, n_inputs)
    n_nodes = 1 + n_inputs + len(fanin0)
    outputs = _checks.literals(outputs, n_nodes, "output")
    if not 2 <= max_leaves <= MAX_LEAVES or not 1 <= max_divisors <= MAX_WINDOW // 2 or not 0 <= max_new <= 2:
        raise ValueError(f"resubstitution needs 2..{MAX_LEAVES} leaves, 1..{MAX_WINDOW // 2} divisors, 0..2 new nodes")
    return _resub(fanin0, fanin1, n_inputs, outputs, int(max_leaves), int(max_divisors), int(max_new),
                  bool(keep_levels), int(bool(zero_gain)), n_nodes + len(fanin0) // 4 + 64)
