"""DAG-aware rewriting of 4-input cuts in place (after Mishchenko, Chatterjee, Brayton, DAC 2006): every
node's cuts are re-expressed with the library's structures of the cut's function (rewrite_library.py),
and a structure replaces the node when it costs fewer new nodes than the node's maximum fan-out-free cone
frees."""
import numba
import numpy as np

from . import _checks
from .config import LEAF, NJIT
from .cuts import _node_cuts, cut_storage, release_rows
from .rewrite_library import MAX_STEPS, library_programs
from .strash import _fold, _resolve, _slot, hash_table


@numba.njit(inline="always", **NJIT)
def _lookup(strash, dead, a, b):
    """Node of AND(a, b) (a >= b, no constants) in the structural hash, or -1."""
    h, _ = _slot(strash, a, b)
    node = strash[h, 1] if strash[h, 0] != -1 else -1
    return -1 if node < 0 or dead[node] else node


@numba.njit(inline="always", **NJIT)
def _insert(strash, a, b, node):
    h, key = _slot(strash, a, b)
    strash[h, 0], strash[h, 1] = key, node


@numba.njit(inline="always", **NJIT)
def _deref(node, fanin0, fanin1, repl, refs, mark, stamp, log, freed):
    """Dereference node's fan-ins recursively; node and every node whose count drops to zero get
    mark = stamp and are listed in freed. Returns (number freed, log length); log lists each decremented
    node, for undoing."""
    freed[0] = node
    mark[node] = stamp
    n_freed, done, n_log = 1, 0, 0
    while done < n_freed:
        n = freed[done]
        done += 1
        for lit in (fanin0[n], fanin1[n]):
            child = _resolve(repl, lit) >> 1
            refs[child] -= 1
            log[n_log] = child
            n_log += 1
            if refs[child] == 0 and fanin0[child] >= 0:
                mark[child] = stamp
                freed[n_freed] = child
                n_freed += 1
    return n_freed, n_log


@numba.njit(**LEAF)
def rehash(node, fanin0, fanin1, repl, strash, dead):
    """Bring node's fan-ins up to date with the replacements made so far: the literal that now computes node
    (constant folding, or a live node with the same resolved fan-ins), else -1 after its fan-ins and its
    structural hash entry are updated. Without this, a node whose fan-in was replaced would not be found by
    the hash, and a copy of it would be made instead."""
    a, b = _resolve(repl, fanin0[node]), _resolve(repl, fanin1[node])
    if a == fanin0[node] and b == fanin1[node]:
        return -1
    hi, lo = max(a, b), min(a, b)
    folded = _fold(hi, lo)
    if folded >= 0:
        return folded
    found = _lookup(strash, dead, hi, lo)
    if found >= 0 and found != node:
        return 2 * found
    fanin0[node], fanin1[node] = hi, lo
    _insert(strash, hi, lo, node)
    return -1


@numba.njit(**LEAF)
def retire(node, root, fanin0, fanin1, repl, refs, mark, stamp, log, freed_nodes, dead):
    """Replace node by the literal root: its readers' references move to root, and node with the part of its
    cone no longer read is marked dead (listed in freed_nodes); returns how many died."""
    repl[node] = root
    refs[root >> 1] += refs[node]
    refs[node] = 0
    n_freed, _ = _deref(node, fanin0, fanin1, repl, refs, mark, stamp, log, freed_nodes)
    for k in range(n_freed):
        dead[freed_nodes[k]] = True
    return n_freed


@numba.njit(inline="always", **NJIT)
def _count_added(steps, n_steps, step_out, table, k, sig, sig_level, level, strash, dead, mark, stamp, limit):
    """(nodes structure k of table would add, its root literal or -1 when it would be new, the root's level).
    Existing nodes in the cone being freed (mark == stamp) count as added; stops counting above limit.
    sig_level holds the levels of the signals (leaves filled in by the caller)."""
    added = 0
    for s in range(n_steps[table, k]):
        la, lb = steps[table, k, s, 0], steps[table, k, s, 1]
        a = sig[la >> 1] ^ (la & 1) if sig[la >> 1] >= 0 else -1
        b = sig[lb >> 1] ^ (lb & 1) if sig[lb >> 1] >= 0 else -1
        result = -1
        depth = 1 + max(sig_level[la >> 1], sig_level[lb >> 1])
        if a >= 0 and b >= 0:
            result = _fold(a, b)
            if result >= 0:
                depth = level[result >> 1]
            else:
                found = _lookup(strash, dead, max(a, b), min(a, b))
                if found >= 0:
                    result = 2 * found
                    depth = level[found]
                    added += mark[found] == stamp
                else:
                    added += 1
        else:
            added += 1
        sig[5 + s] = result
        sig_level[5 + s] = depth
        if added > limit:
            return added, -1, 0
    out = step_out[table, k]
    root = sig[out >> 1] ^ (out & 1) if sig[out >> 1] >= 0 else -1
    return added, root, sig_level[out >> 1]


@numba.njit(**LEAF)
def _release(n_freed, freed_nodes, fill, cut_leaves, cut_start, n_cuts):
    """Give the cut rows of the nodes that died back: no live node reads their cuts again."""
    for k in range(n_freed):
        gone = freed_nodes[k]
        release_rows(fill, cut_leaves, cut_start[gone], n_cuts[gone])
        n_cuts[gone] = 0


@numba.njit(**LEAF)
def _rewrite_nodes(base, n_old, graph, cuts, work, library, zero_gain, keep_levels, shallow):
    """The rewriting loop over nodes base..n_old - 1 (see _rewrite for the arrays); returns (node count,
    rewrites)."""
    fanin0, fanin1, repl, dead, refs, mark, level, strash = graph
    cut_leaves, cut_size, cut_table, n_cuts, cut_start, fill, scratch = cuts
    log, freed_nodes, sig, sig_level, best_sig = work
    steps, n_steps, step_out, n_structures = library
    capacity = len(fanin0)
    n_nodes = n_old
    stamp = 0
    rewrites = 0
    min_gain = 0 if zero_gain else 1
    for node in range(base, n_old):
        level[node] = 1 + max(level[_resolve(repl, fanin0[node]) >> 1], level[_resolve(repl, fanin1[node]) >> 1])
        if dead[node] or refs[node] == 0:
            continue
        same = rehash(node, fanin0, fanin1, repl, strash, dead)
        if same >= 0:
            stamp += 1
            _release(retire(node, same, fanin0, fanin1, repl, refs, mark, stamp, log, freed_nodes, dead),
                     freed_nodes, fill, cut_leaves, cut_start, n_cuts)
            rewrites += 1
            continue
        _node_cuts(node, fanin0, fanin1, repl, cut_leaves, cut_size, cut_table, n_cuts, cut_start, fill, scratch)
        best_gain, best_table, best_k, best_level = -1, -1, -1, 0
        for c in range(cut_start[node], cut_start[node] + n_cuts[node]):
            m = cut_size[c]
            alive = True
            for x in range(m):
                alive = alive and not dead[cut_leaves[c, x]]
            if not alive:
                continue
            table = cut_table[c]
            stamp += 1
            for x in range(m):  # the leaves stay: keep them out of the cone freed
                refs[cut_leaves[c, x]] += 1
            freed, n_log = _deref(node, fanin0, fanin1, repl, refs, mark, stamp, log, freed_nodes)
            for k in range(n_log):
                refs[log[k]] += 1
            for x in range(m):
                refs[cut_leaves[c, x]] -= 1
            for x in range(4):
                sig[x] = 2 * cut_leaves[c, x] if x < m else 0
                sig_level[x] = level[cut_leaves[c, x]] if x < m else 0
            sig[4], sig_level[4] = 0, 0
            for k in range(n_structures[table]):  # gains below the best so far (or below min_gain) are cut short
                added, root, root_level = _count_added(steps, n_steps, step_out, table, k, sig, sig_level, level,
                                                       strash, dead, mark, stamp, freed - max(best_gain, min_gain))
                deeper = root_level > level[node]
                if (root >= 0 and root >> 1 == node) or (deeper and (keep_levels or (shallow and freed == added))):
                    continue
                gain = freed - added
                if gain > best_gain or (shallow and gain == best_gain and root_level < best_level):
                    best_gain, best_table, best_k, best_level = gain, table, k, root_level
                    for x in range(4):
                        best_sig[x] = sig[x]
        if best_table < 0 or best_gain < 0 or (best_gain == 0 and not zero_gain):
            continue
        if n_nodes + MAX_STEPS >= capacity:
            break
        for x in range(4):
            sig[x] = best_sig[x]
        sig[4] = 0
        for s in range(n_steps[best_table, best_k]):  # build the structure for real
            la, lb = steps[best_table, best_k, s, 0], steps[best_table, best_k, s, 1]
            a = sig[la >> 1] ^ (la & 1)
            b = sig[lb >> 1] ^ (lb & 1)
            result = _fold(a, b)
            if result < 0:
                hi, lo = max(a, b), min(a, b)
                found = _lookup(strash, dead, hi, lo)
                if found >= 0:
                    result = 2 * found
                else:
                    new = n_nodes
                    n_nodes += 1
                    fanin0[new], fanin1[new], repl[new] = hi, lo, -1
                    level[new] = 1 + max(level[hi >> 1], level[lo >> 1])
                    refs[hi >> 1] += 1
                    refs[lo >> 1] += 1
                    _insert(strash, hi, lo, new)
                    _node_cuts(new, fanin0, fanin1, repl, cut_leaves, cut_size, cut_table, n_cuts, cut_start, fill,
                               scratch)
                    result = 2 * new
            sig[5 + s] = result
        out = step_out[best_table, best_k]
        root = sig[out >> 1] ^ (out & 1)
        if root >> 1 == node:
            continue
        stamp += 1
        _release(retire(node, root, fanin0, fanin1, repl, refs, mark, stamp, log, freed_nodes, dead), freed_nodes,
                 fill, cut_leaves, cut_start, n_cuts)
        rewrites += 1
    return n_nodes, rewrites


@numba.njit(**NJIT)
def _rewrite(fanin0_in, fanin1_in, n_inputs, outputs, steps, n_steps, step_out, n_structures, zero_gain,
             keep_levels, shallow, capacity):
    """Rewrite in place; returns (fanin0, fanin1, repl, outputs resolved, rewrites). Arrays are indexed
    by node; fanin0 < 0 marks inputs and the constant; repl[node] >= 0 is the literal that replaced node."""
    n_old = 1 + n_inputs + len(fanin0_in)
    base = 1 + n_inputs
    fanin0 = np.empty(capacity, dtype=np.int64)  # past n_old only the nodes made are ever read
    fanin1 = np.empty(capacity, dtype=np.int64)
    repl = np.empty(capacity, dtype=np.int64)
    fanin0[:base], fanin1[:base] = -1, -1
    fanin0[base:n_old] = fanin0_in
    fanin1[base:n_old] = fanin1_in
    repl[:n_old] = -1
    dead = np.zeros(capacity, dtype=np.bool_)
    refs = np.zeros(capacity, dtype=np.int64)
    mark = np.zeros(capacity, dtype=np.int64)
    strash = hash_table(capacity)
    for n in range(base, n_old):
        refs[fanin0[n] >> 1] += 1
        refs[fanin1[n] >> 1] += 1
        _insert(strash, fanin0[n], fanin1[n], n)
    for lit in outputs:
        refs[lit >> 1] += 1
    level = np.zeros(capacity, dtype=np.int64)
    work = (np.empty(2 * capacity, dtype=np.int64), np.empty(capacity, dtype=np.int64),
            np.empty(5 + MAX_STEPS, dtype=np.int64), np.zeros(5 + MAX_STEPS, dtype=np.int64), np.empty(4, dtype=np.int64))
    n_nodes, rewrites = _rewrite_nodes(base, n_old, (fanin0, fanin1, repl, dead, refs, mark, level, strash),
                                       cut_storage(capacity), work, (steps, n_steps, step_out, n_structures),
                                       zero_gain, keep_levels, shallow)
    resolved = np.empty(len(outputs), dtype=np.int64)
    for k in range(len(outputs)):
        resolved[k] = _resolve(repl, outputs[k])
    return fanin0[:n_nodes], fanin1[:n_nodes], repl[:n_nodes], resolved, rewrites


def rewrite_in_place(fanin0, fanin1, n_inputs, outputs, zero_gain=False, keep_levels=False, shallow=True):
    """Rewrite an AIG given as int64 AND fan-in arrays (topological) and output literals: (fanin0, fanin1
    per node, -1 for the constant and inputs; repl per node, the literal that replaced it or -1; outputs
    resolved; number of rewrites). zero_gain also takes replacements that save nothing; keep_levels
    refuses replacements that would make a node deeper; shallow prefers the shallower structure among
    equal savings and refuses zero-gain replacements that would make a node deeper."""
    fanin0, fanin1 = _checks.fanins(fanin0, fanin1, n_inputs)
    n_nodes = 1 + n_inputs + len(fanin0)
    outputs = _checks.literals(outputs, n_nodes, "output")
    return _rewrite(fanin0, fanin1, n_inputs, outputs, *library_programs(), bool(zero_gain), bool(keep_levels),
                    bool(shallow), 2 * n_nodes + 64)
