"""Resubstitution in place (after Mishchenko and Brayton, IWLS 2006): each node's function over a small
reconvergent window (kernels/resub_window.py) is re-expressed from other nodes of that window (divisors) with at
most two new ANDs, where that frees more of the node's maximum fan-out-free cone than it adds."""
import numba
import numpy as np

from . import _checks
from .config import LEAF, NJIT
from .resub_window import ALL, MAX_LEAVES, MAX_WINDOW, window
from .rewrite import _insert, _lookup, rehash, retire
from .strash import _fold, _resolve, hash_table

MAX_PAIRS = 500  # two-divisor ANDs (ORs) kept for the resubstitutions with two new nodes


@numba.njit(**LEAF)
def _existing(strash, dead, a, b):
    """Literal of AND(a, b) when folding or the structural hash already has it, else -1."""
    result = _fold(a, b)
    if result >= 0:
        return result
    found = _lookup(strash, dead, max(a, b), min(a, b))
    return 2 * found if found >= 0 else -1


@numba.njit(**LEAF)
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


@numba.njit(**NJIT)
def _mask(bit):
    return ALL if bit else np.uint64(0)


@numba.njit(**LEAF)
def _lit(divisors, entry):
    """The literal of a divisor entry 2 * index + phase."""
    return 2 * divisors[entry >> 1] + (entry & 1)


@numba.njit(**LEAF)
def _equal(tt, s, cs, t, words):
    for w in range(words):
        if tt[s, w] ^ cs != tt[t, w]:
            return False
    return True


@numba.njit(**LEAF)
def _same(t, n_div, words, level, slot, divisors, tt, limit, found):
    """Whether node's function (row t) is a constant or a divisor (either phase): found = (x, -1, -1, 0, c)."""
    for c in range(2):
        full = True
        for w in range(words):
            full = full and tt[t, w] == _mask(c)
        if full:
            found[0], found[1], found[2], found[3], found[4] = 0, -1, -1, 0, c
            return True
    for k in range(n_div):
        for c in range(2):
            if _equal(tt, slot[divisors[k]], _mask(c), t, words) and level[divisors[k]] <= limit:
                found[0], found[1], found[2], found[3], found[4] = 2 * divisors[k], -1, -1, 0, c
                return True
    return False


@numba.njit(**LEAF)
def _classify(t, cp, n_div, words, slot, divisors, tt, unate, binate):
    """Divisor entries (2 * index + phase) that imply node ^ pol (cp: its mask) into unate, and up to 48
    divisors that imply it in neither phase into binate; returns both counts."""
    n_unate, n_binate = 0, 0
    for k in range(n_div):
        s = slot[divisors[k]]
        kind = 0
        for phase in range(2):
            ok = True
            for w in range(words):
                if (tt[s, w] ^ _mask(phase)) & ~(tt[t, w] ^ cp):
                    ok = False
                    break
            if ok:
                unate[n_unate] = 2 * k + phase
                n_unate += 1
                kind = 1
        if kind == 0 and n_binate < 48:
            binate[n_binate] = k
            n_binate += 1
    return n_unate, n_binate


@numba.njit(**LEAF)
def _pairs(t, cp, n_binate, words, slot, divisors, tt, binate, pair_tt, pairs):
    """ANDs of two binate divisors (either phase) that imply node ^ pol: their literals into pairs, their
    truth tables into pair_tt (at most MAX_PAIRS); returns the count."""
    n_pairs = 0
    for i in range(2 * n_binate):
        sp, cpp = slot[divisors[binate[i >> 1]]], _mask(i & 1)
        for j in range(2 * ((i >> 1) + 1), 2 * n_binate):
            sq, cq = slot[divisors[binate[j >> 1]]], _mask(j & 1)
            ok, some = True, np.uint64(0)
            for w in range(words):
                both = (tt[sp, w] ^ cpp) & (tt[sq, w] ^ cq)
                if both & ~(tt[t, w] ^ cp):
                    ok = False
                    break
                pair_tt[n_pairs, w] = both
                some |= both
            if ok and some:
                pairs[n_pairs, 0] = 2 * divisors[binate[i >> 1]] + (i & 1)
                pairs[n_pairs, 1] = 2 * divisors[binate[j >> 1]] + (j & 1)
                n_pairs += 1
                if n_pairs == MAX_PAIRS:
                    return n_pairs
    return n_pairs


@numba.njit(**LEAF)
def _or_of_two(node, t, cp, n_unate, words, freed, state, tt, unate, limit, found):
    """node ^ pol = a | b for two unate entries: found = (~a, ~b, -1, 0, 1 ^ pol)."""
    strash, dead, mark, stamp, level, slot, divisors = state
    for i in range(n_unate):
        a = unate[i]
        for j in range(i + 1, n_unate):
            b = unate[j]
            if 1 + max(level[divisors[a >> 1]], level[divisors[b >> 1]]) > limit:
                continue
            if not _or_is_target(tt, slot[divisors[a >> 1]], _mask(a & 1), slot[divisors[b >> 1]], _mask(b & 1), t,
                                 cp, words):
                continue
            x, y = _lit(divisors, a) ^ 1, _lit(divisors, b) ^ 1
            if 0 <= _cost(strash, dead, mark, stamp, node, x, y, -1, 0) < freed:
                found[0], found[1], found[2], found[3] = x, y, -1, 0
                return True
    return False


@numba.njit(**LEAF)
def _or_of_pair(node, t, cp, n_unate, n_pairs, words, freed, state, tt, pair_tt, unate, pairs, limit, found):
    """node ^ pol = a | (p & q) for a unate entry and a pair: found = (~a, p, q, 1, 1 ^ pol)."""
    strash, dead, mark, stamp, level, slot, divisors = state
    for i in range(n_unate):
        a = unate[i]
        sa, ca = slot[divisors[a >> 1]], _mask(a & 1)
        for k in range(n_pairs):
            if 2 + max(level[divisors[a >> 1]] - 1, level[pairs[k, 0] >> 1], level[pairs[k, 1] >> 1]) > limit:
                continue
            ok = True
            for w in range(words):
                if ((tt[sa, w] ^ ca) | pair_tt[k, w]) != tt[t, w] ^ cp:
                    ok = False
                    break
            x = _lit(divisors, a) ^ 1
            if ok and 0 <= _cost(strash, dead, mark, stamp, node, x, pairs[k, 0], pairs[k, 1], 1) < freed:
                found[0], found[1], found[2], found[3] = x, pairs[k, 0], pairs[k, 1], 1
                return True
    return False


@numba.njit(**LEAF)
def _or_of_three(node, t, cp, n_unate, words, freed, state, tt, unate, limit, found):
    """node ^ pol = a | b | c for three of the first 32 unate entries: found = (~a, ~b, ~c, 0, 1 ^ pol)."""
    strash, dead, mark, stamp, level, slot, divisors = state
    top = min(n_unate, 32)
    for i in range(top):
        a = unate[i]
        for j in range(i + 1, top):
            b = unate[j]
            for m in range(j + 1, top):
                e = unate[m]
                if 2 + max(level[divisors[a >> 1]] - 1, level[divisors[b >> 1]], level[divisors[e >> 1]]) > limit:
                    continue
                sa, sb, se = slot[divisors[a >> 1]], slot[divisors[b >> 1]], slot[divisors[e >> 1]]
                ca, cb, ce = _mask(a & 1), _mask(b & 1), _mask(e & 1)
                ok = True
                for w in range(words):
                    if (tt[sa, w] ^ ca) | (tt[sb, w] ^ cb) | (tt[se, w] ^ ce) != tt[t, w] ^ cp:
                        ok = False
                        break
                x, y, z = _lit(divisors, a) ^ 1, _lit(divisors, b) ^ 1, _lit(divisors, e) ^ 1
                if ok and 0 <= _cost(strash, dead, mark, stamp, node, x, y, z, 0) < freed:
                    found[0], found[1], found[2], found[3] = x, y, z, 0
                    return True
    return False


@numba.njit(**LEAF)
def _search(node, t, n_div, words, freed, graph, win, tables, lists, strash, stamp, max_new, limit, found):
    """The first resubstitution of node that frees more than it adds and is at most limit levels deep:
    found = (x, y, z, ci, c) with node = x ^ c (y < 0), AND(x, y) ^ c (z < 0) or AND(x, AND(y, z) ^ ci) ^ c,
    literals of divisors. Returns whether one was found."""
    dead, mark, level = graph[3], graph[5], graph[10]
    slot, divisors = win[1], win[8]
    tt, pair_tt = tables
    unate, binate, pairs = lists
    if _same(t, n_div, words, level, slot, divisors, tt, limit, found):
        return True
    if freed < 2 or max_new < 1:
        return False
    state = (strash, dead, mark, stamp, level, slot, divisors)
    for pol in range(2):  # node ^ pol as an OR of divisors (or ANDs of two) that imply it
        found[4] = 1 ^ pol
        cp = _mask(pol)
        n_unate, n_binate = _classify(t, cp, n_div, words, slot, divisors, tt, unate, binate)
        if _or_of_two(node, t, cp, n_unate, words, freed, state, tt, unate, limit, found):
            return True
        if freed < 3 or max_new < 2:
            continue
        n_pairs = _pairs(t, cp, n_binate, words, slot, divisors, tt, binate, pair_tt, pairs)
        if _or_of_pair(node, t, cp, n_unate, n_pairs, words, freed, state, tt, pair_tt, unate, pairs, limit, found):
            return True
        if _or_of_three(node, t, cp, n_unate, words, freed, state, tt, unate, limit, found):
            return True
    return False


@numba.njit(**LEAF)
def _or_is_target(tt, sa, ca, sb, cb, t, cp, words):
    for w in range(words):
        if (tt[sa, w] ^ ca) | (tt[sb, w] ^ cb) != tt[t, w] ^ cp:
            return False
    return True


@numba.njit(**LEAF)
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
def _resub_nodes(base, graph, win, tables, lists, strash, max_leaves, max_divisors, max_new, keep_levels, found):
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
        n_div, words, freed, t = window(node, graph, win, tables[0], strash, max_leaves, max_divisors)
        limit = level[node] if keep_levels else capacity
        if not _search(node, t, n_div, words, freed, graph, win, tables, lists, strash, stamps[1], max_new, limit,
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
def _resub(fanin0_in, fanin1_in, n_inputs, outputs, max_leaves, max_divisors, max_new, keep_levels, capacity):
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
                                  keep_levels, np.empty(5, dtype=np.int64))
    resolved = np.empty(len(outputs), dtype=np.int64)
    for k in range(len(outputs)):
        resolved[k] = _resolve(repl, outputs[k])
    return fanin0[:n_nodes], fanin1[:n_nodes], repl[:n_nodes], resolved, count


def resub_in_place(fanin0, fanin1, n_inputs, outputs, max_leaves=6, max_divisors=150, max_new=2, keep_levels=False):
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
                  bool(keep_levels), n_nodes + len(fanin0) // 4 + 64)
