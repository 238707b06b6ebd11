"""DAG-aware rewriting of 4-input cuts in place (after Mishchenko, Chatterjee, Brayton, DAC 2006): every
node's cuts are re-expressed with a precomputed structure of the cut's function, and the structure replaces
the node when it costs fewer new nodes than the node's maximum fan-out-free cone frees.

The library holds, for each of the 65,536 four-input functions, a cheapest structure built from two-input
ANDs and XORs of cheaper functions (complements free, an XOR costs 3 ANDs and shares its operands), found
by a uniform-cost search over functions up to complement."""
import numba
import numpy as np

from .config import NJIT
from .strash import _resolve

CONST, VAR, NOT, AND, XOR = 0, 1, 2, 3, 4
FULL = 0xFFFF
LEAF_TABLES = (0xAAAA, 0xCCCC, 0xF0F0, 0xFF00)
MAX_STEPS = 16  # ANDs in the longest library structure (12 in practice)
ALTERNATIVES = 4  # equally cheap top-level decompositions tried per function
N_CUTS = 20  # cuts kept per node besides the trivial one


@numba.njit(**NJIT)
def _note(alt, n_alt, t, o, a, b):
    """Record the decomposition t = o(a, b) among t's equally cheap ones."""
    k = n_alt[t]
    if k < ALTERNATIVES:
        alt[t, k, 0], alt[t, k, 1], alt[t, k, 2] = o, a, b
        n_alt[t] = k + 1


@numba.njit(**NJIT)
def _library():
    """(cost, op, left, right, alt, n_alt) per truth table: op CONST/VAR (left = leaf)/NOT (of left)/
    AND/XOR (of left, right); alt[t, k] = (op, left, right) lists up to ALTERNATIVES equally cheap
    AND/XOR decompositions that make t itself (n_alt[t] of them)."""
    cost = np.full(65536, 255, dtype=np.int64)
    op = np.zeros(65536, dtype=np.int64)
    left = np.zeros(65536, dtype=np.int64)
    right = np.zeros(65536, dtype=np.int64)
    alt = np.zeros((65536, ALTERNATIVES, 3), dtype=np.int64)
    n_alt = np.zeros(65536, dtype=np.int64)
    cost[0] = 0
    cost[FULL], op[FULL] = 0, NOT
    for i in range(4):
        t = LEAF_TABLES[i]
        cost[t], op[t], left[t] = 0, VAR, i
        cost[t ^ FULL], op[t ^ FULL], left[t ^ FULL] = 0, NOT, t
    done = np.empty(32768, dtype=np.int64)  # functions with bit 15 clear, in order of final cost
    n_done = 0
    for c in range(64):
        start = n_done
        for f in range(32768):
            if cost[f] == c:
                done[n_done] = f
                n_done += 1
        if n_done == 32768 and start == n_done:
            break
        worst = 0
        for f in range(65536):
            worst = max(worst, cost[f])
        for i in range(start, n_done):
            f = done[i]
            for j in range(i + 1):
                g = done[j]
                new = c + cost[g] + 1
                if new >= worst:  # done is sorted by cost: nothing further can improve
                    break
                for p in range(4):
                    fa = f ^ FULL if p & 1 else f
                    gb = g ^ FULL if p & 2 else g
                    t = fa & gb
                    if new < cost[t]:
                        cost[t], op[t], left[t], right[t] = new, AND, fa, gb
                        cost[t ^ FULL], op[t ^ FULL], left[t ^ FULL] = new, NOT, t
                        n_alt[t], n_alt[t ^ FULL] = 0, 0
                    if new == cost[t]:
                        _note(alt, n_alt, t, AND, fa, gb)
                t = f ^ g
                if new + 2 < cost[t]:
                    cost[t], op[t], left[t], right[t] = new + 2, XOR, f, g
                    cost[t ^ FULL], op[t ^ FULL], left[t ^ FULL] = new + 2, NOT, t
                    n_alt[t], n_alt[t ^ FULL] = 0, 0
                if new + 2 == cost[t]:
                    _note(alt, n_alt, t, XOR, f, g)
    return cost, op, left, right, alt, n_alt


@numba.njit(**NJIT)
def _flatten(root_op, root_left, root_right, op, left, right, steps):
    """Straight-line ANDs of the structure root_op(root_left, root_right) (children: their cheapest
    structures) into steps (MAX_STEPS, 2); returns (step count, output literal)."""
    todo_t = np.empty(64, dtype=np.int64)
    todo_state = np.empty(64, dtype=np.int64)
    lits = np.empty(64, dtype=np.int64)
    top, n_lits, ns = 1, 0, 0
    todo_t[0], todo_state[0] = -1, 0  # -1: the root
    while top:
        top -= 1
        t, state = todo_t[top], todo_state[top]
        o, lt, rt = (root_op, root_left, root_right) if t < 0 else (op[t], left[t], right[t])
        if o == CONST:
            lits[n_lits] = 8
            n_lits += 1
        elif o == VAR:
            lits[n_lits] = 2 * lt
            n_lits += 1
        elif state == 0:
            todo_t[top], todo_state[top] = t, 1
            top += 1
            if o != NOT:
                todo_t[top], todo_state[top] = rt, 0
                top += 1
            todo_t[top], todo_state[top] = lt, 0
            top += 1
        elif o == NOT:
            lits[n_lits - 1] ^= 1
        else:
            b, a = lits[n_lits - 1], lits[n_lits - 2]
            n_lits -= 2
            if o == AND:
                steps[ns, 0], steps[ns, 1] = a, b
                ns += 1
            else:
                steps[ns, 0], steps[ns, 1] = a, b
                steps[ns + 1, 0], steps[ns + 1, 1] = a ^ 1, b ^ 1
                steps[ns + 2, 0], steps[ns + 2, 1] = 2 * (5 + ns) + 1, 2 * (5 + ns + 1) + 1
                ns += 3
            lits[n_lits] = 2 * (5 + ns - 1)
            n_lits += 1
    return ns, lits[0]


@numba.njit(**NJIT)
def _programs(op, left, right, alt, n_alt):
    """Each function's structures (its cheapest, then the other equally cheap top-level decompositions)
    as straight-line ANDs over signals 0-3 (cut leaves), 4 (false) and 5 + s (step s): (steps (65536,
    ALTERNATIVES, MAX_STEPS, 2) literals, step counts and output literals (65536, ALTERNATIVES), number
    of structures per function)."""
    steps = np.zeros((65536, ALTERNATIVES, MAX_STEPS, 2), dtype=np.int16)
    n_steps = np.zeros((65536, ALTERNATIVES), dtype=np.int64)
    out = np.zeros((65536, ALTERNATIVES), dtype=np.int64)
    count = np.ones(65536, dtype=np.int64)
    scratch = np.empty((MAX_STEPS, 2), dtype=np.int64)
    for f in range(65536):
        n_steps[f, 0], out[f, 0] = _flatten(op[f], left[f], right[f], op, left, right, scratch)
        steps[f, 0] = scratch
        real, flip = (left[f], 1) if op[f] == NOT else (f, 0)
        k = 1
        for a in range(n_alt[real]):
            o, lt, rt = alt[real, a, 0], alt[real, a, 1], alt[real, a, 2]
            if (real == f and o == op[f] and lt == left[f] and rt == right[f]) or k == ALTERNATIVES:
                continue
            if real != f and o == op[real] and lt == left[real] and rt == right[real]:
                continue
            n_steps[f, k], lit = _flatten(o, lt, rt, op, left, right, scratch)
            out[f, k] = lit ^ flip
            steps[f, k] = scratch
            k += 1
        count[f] = k
    return steps, n_steps, out, count


@numba.njit(**NJIT)
def _hash(a, b, mask):
    return ((a * 0x9E3779B1) ^ (b * 0x85EBCA77)) & mask


@numba.njit(**NJIT)
def _lookup(keys_a, keys_b, vals, dead, a, b, mask):
    """Node of AND(a, b) (a >= b, no constants) in the structural hash, or -1."""
    h = _hash(a, b, mask)
    while vals[h] != -1:
        if keys_a[h] == a and keys_b[h] == b:
            node = vals[h]
            return -1 if dead[node] else node
        h = (h + 1) & mask
    return -1


@numba.njit(**NJIT)
def _insert(keys_a, keys_b, vals, a, b, node, mask):
    h = _hash(a, b, mask)
    while vals[h] != -1:
        if keys_a[h] == a and keys_b[h] == b:
            break
        h = (h + 1) & mask
    keys_a[h], keys_b[h], vals[h] = a, b, node


@numba.njit(**NJIT)
def _fold(a, b):
    """AND(a, b) when constant folding decides it, else -1."""
    if a == 0 or b == 0 or a == (b ^ 1):
        return 0
    if a == 1 or a == b:
        return b
    if b == 1:
        return a
    return -1


@numba.njit(**NJIT)
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


@numba.njit(**NJIT)
def _count_added(prog, n_prog, prog_out, sig, keys_a, keys_b, vals, dead, mark, stamp, mask, limit):
    """(nodes the structure would add, its root literal or -1 when it would be new). Existing nodes in
    the cone being freed (mark == stamp) count as added; stops counting above limit."""
    added = 0
    for s in range(n_prog):
        la, lb = prog[s, 0], prog[s, 1]
        a = sig[la >> 1] ^ (la & 1) if sig[la >> 1] >= 0 else -1
        b = sig[lb >> 1] ^ (lb & 1) if sig[lb >> 1] >= 0 else -1
        result = -1
        if a >= 0 and b >= 0:
            result = _fold(a, b)
            if result < 0:
                found = _lookup(keys_a, keys_b, vals, dead, max(a, b), min(a, b), mask)
                if found >= 0:
                    result = 2 * found
                    added += mark[found] == stamp
                else:
                    added += 1
        else:
            added += 1
        sig[5 + s] = result
        if added > limit:
            return added, -1
    return added, sig[prog_out >> 1] ^ (prog_out & 1) if sig[prog_out >> 1] >= 0 else -1


@numba.njit(**NJIT)
def _rewrite(fanin0_in, fanin1_in, n_inputs, outputs, steps, n_steps, step_out, n_structures, zero_gain,
             capacity):
    """Rewrite in place; returns (fanin0, fanin1, repl, outputs resolved, rewrites). Arrays are indexed
    by node; fanin0 < 0 marks inputs and the constant; repl[node] >= 0 is the literal that replaced node."""
    n_old = 1 + n_inputs + len(fanin0_in)
    fanin0 = np.full(capacity, -1, dtype=np.int64)
    fanin1 = np.full(capacity, -1, dtype=np.int64)
    base = 1 + n_inputs
    fanin0[base:n_old] = fanin0_in
    fanin1[base:n_old] = fanin1_in
    repl = np.full(capacity, -1, dtype=np.int64)
    dead = np.zeros(capacity, dtype=np.bool_)
    refs = np.zeros(capacity, dtype=np.int64)
    mark = np.zeros(capacity, dtype=np.int64)
    size = 1
    while size < 4 * capacity:
        size *= 2
    mask = size - 1
    keys_a = np.zeros(size, dtype=np.int64)
    keys_b = np.zeros(size, dtype=np.int64)
    vals = np.full(size, -1, dtype=np.int64)
    for n in range(base, n_old):
        refs[fanin0[n] >> 1] += 1
        refs[fanin1[n] >> 1] += 1
        _insert(keys_a, keys_b, vals, fanin0[n], fanin1[n], n, mask)
    for lit in outputs:
        refs[lit >> 1] += 1
    cut_leaves = np.zeros((capacity, N_CUTS, 4), dtype=np.int32)
    cut_size = np.zeros((capacity, N_CUTS), dtype=np.int64)
    cut_table = np.zeros((capacity, N_CUTS), dtype=np.int64)
    n_cuts = np.zeros(capacity, dtype=np.int64)
    rows = (N_CUTS + 1) ** 2
    scratch = (np.empty((rows, 4), dtype=np.int64), np.empty(rows, dtype=np.int64), np.empty(rows, dtype=np.int64),
               np.empty(rows, dtype=np.int64))
    log = np.empty(2 * capacity, dtype=np.int64)
    freed_nodes = np.empty(capacity, dtype=np.int64)
    sig = np.empty(5 + MAX_STEPS, dtype=np.int64)
    best_sig = np.empty(4, dtype=np.int64)
    n_nodes = n_old
    stamp = 0
    rewrites = 0
    for node in range(base, n_old):
        if dead[node] or refs[node] == 0:
            continue
        _node_cuts(node, fanin0, fanin1, repl, cut_leaves, cut_size, cut_table, n_cuts, scratch)
        best_gain, best_table, best_k = -1, -1, -1
        for c in range(n_cuts[node]):
            m = cut_size[node, c]
            alive = True
            for x in range(m):
                alive = alive and not dead[cut_leaves[node, c, x]]
            if not alive:
                continue
            table = cut_table[node, c]
            stamp += 1
            for x in range(m):  # the leaves stay: keep them out of the cone freed
                refs[cut_leaves[node, c, x]] += 1
            freed, n_log = _deref(node, fanin0, fanin1, repl, refs, mark, stamp, log, freed_nodes)
            for k in range(n_log):
                refs[log[k]] += 1
            for x in range(m):
                refs[cut_leaves[node, c, x]] -= 1
            for x in range(4):
                sig[x] = 2 * cut_leaves[node, c, x] if x < m else 0
            sig[4] = 0
            for k in range(n_structures[table]):
                added, root = _count_added(steps[table, k], n_steps[table, k], step_out[table, k], sig, keys_a,
                                           keys_b, vals, dead, mark, stamp, mask, freed)
                if root >= 0 and root >> 1 == node:
                    continue
                if freed - added > best_gain:
                    best_gain, best_table, best_k = freed - added, table, k
                    best_sig[:] = sig[:4]
        if best_table < 0 or best_gain < 0 or (best_gain == 0 and not zero_gain):
            continue
        if n_nodes + MAX_STEPS >= capacity:
            break
        sig[:4] = best_sig
        sig[4] = 0
        prog = steps[best_table, best_k]
        for s in range(n_steps[best_table, best_k]):  # build the structure for real
            a = sig[prog[s, 0] >> 1] ^ (prog[s, 0] & 1)
            b = sig[prog[s, 1] >> 1] ^ (prog[s, 1] & 1)
            result = _fold(a, b)
            if result < 0:
                hi, lo = max(a, b), min(a, b)
                found = _lookup(keys_a, keys_b, vals, dead, hi, lo, mask)
                if found >= 0:
                    result = 2 * found
                else:
                    new = n_nodes
                    n_nodes += 1
                    fanin0[new], fanin1[new] = hi, lo
                    refs[hi >> 1] += 1
                    refs[lo >> 1] += 1
                    _insert(keys_a, keys_b, vals, hi, lo, new, mask)
                    _node_cuts(new, fanin0, fanin1, repl, cut_leaves, cut_size, cut_table, n_cuts, scratch)
                    result = 2 * new
            sig[5 + s] = result
        out = step_out[best_table, best_k]
        root = sig[out >> 1] ^ (out & 1)
        if root >> 1 == node:
            continue
        repl[node] = root
        refs[root >> 1] += refs[node]
        refs[node] = 0
        stamp += 1
        n_freed, _ = _deref(node, fanin0, fanin1, repl, refs, mark, stamp, log, freed_nodes)
        for k in range(n_freed):
            dead[freed_nodes[k]] = True
        rewrites += 1
    resolved = np.empty(len(outputs), dtype=np.int64)
    for k in range(len(outputs)):
        resolved[k] = _resolve(repl, outputs[k])
    return fanin0[:n_nodes], fanin1[:n_nodes], repl[:n_nodes], resolved, rewrites
