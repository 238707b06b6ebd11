"""A conflict-driven clause-learning SAT solver (two watched literals, first-UIP learning, VSIDS with phase
saving, Luby restarts) for the small CNFs of AIG cones: no Python objects per clause, and callable from
other kernels. Literals are DIMACS integers; inside, variable v is 2v (true) and 2v + 1 (false)."""
import numba
import numpy as np

from .config import NJIT

SAT, UNSAT, UNKNOWN = 1, 0, -1
RESTART_BASE = 100  # conflicts before the first restart, times the Luby sequence


@numba.njit(**NJIT)
def _luby(i):
    """The i-th term (from 0) of the Luby sequence 1 1 2 1 1 2 4 ..."""
    size, seq = 1, 0
    while size < i + 1:
        seq += 1
        size = 2 * size + 1
    while size - 1 != i:
        size = (size - 1) >> 1
        seq -= 1
        i = i % size
    return 1 << seq


@numba.njit(**NJIT)
def _heap_up(heap, pos, activity, k):
    v = heap[k]
    while k > 0:
        parent = (k - 1) >> 1
        if activity[heap[parent]] >= activity[v]:
            break
        heap[k] = heap[parent]
        pos[heap[k]] = k
        k = parent
    heap[k] = v
    pos[v] = k


@numba.njit(**NJIT)
def _heap_down(heap, pos, activity, size, k):
    v = heap[k]
    while True:
        child = 2 * k + 1
        if child >= size:
            break
        if child + 1 < size and activity[heap[child + 1]] > activity[heap[child]]:
            child += 1
        if activity[heap[child]] <= activity[v]:
            break
        heap[k] = heap[child]
        pos[heap[k]] = k
        k = child
    heap[k] = v
    pos[v] = k


@numba.njit(**NJIT)
def _backtrack(keep, trail, n_trail, value, reason, phase, heap, pos, heap_size, activity):
    """Unassign trail[keep:n_trail] (saving each variable's phase, back into the heap); returns (keep,
    heap size)."""
    for k in range(n_trail - 1, keep - 1, -1):
        v = trail[k] >> 1
        phase[v] = trail[k] & 1
        value[v] = -1
        reason[v] = -1
        if pos[v] < 0:
            heap[heap_size] = v
            pos[v] = heap_size
            heap_size += 1
            _heap_up(heap, pos, activity, heap_size - 1)
    return keep, heap_size


@numba.njit(**NJIT)
def _grow(array, needed):
    if needed <= len(array):
        return array
    out = np.empty(max(needed, 2 * len(array)), dtype=array.dtype)
    out[:len(array)] = array
    return out


@numba.njit(**NJIT)
def _load(dimacs, starts, lits, cstart, clen, wnext, whead, units):
    """Store the clauses (duplicate literals and tautologies dropped) with their two watches and collect
    the unit clauses: (literals stored, clauses stored, units), or (-1, 0, 0) for an empty clause."""
    n_stored, n_clauses, n_units = 0, 0, 0
    for c in range(len(starts) - 1):
        begin = n_stored
        tautology = False
        for k in range(starts[c], starts[c + 1]):
            d = dimacs[k]
            lit = 2 * abs(d) + (1 if d < 0 else 0)
            fresh = True
            for x in range(begin, n_stored):
                if lits[x] == lit:
                    fresh = False
                elif lits[x] == lit ^ 1:
                    tautology = True
            if fresh:
                lits[n_stored] = lit
                n_stored += 1
        if tautology:
            n_stored = begin
            continue
        size = n_stored - begin
        if size == 0:
            return -1, 0, 0
        if size == 1:
            units[n_units] = lits[begin]
            n_units += 1
            n_stored = begin
            continue
        cstart[n_clauses], clen[n_clauses] = begin, size
        _watch(n_clauses, lits, begin, wnext, whead)
        n_clauses += 1
    return n_stored, n_clauses, n_units


@numba.njit(**NJIT)
def _watch(c, lits, begin, wnext, whead):
    """Clause c (literals from lits[begin]) watches its first two literals."""
    for j in range(2):
        node = 2 * c + j
        wnext[node] = whead[lits[begin + j]]
        whead[lits[begin + j]] = node


@numba.njit(**NJIT)
def _propagate(head, n_trail, depth, trail, value, level, reason, lits, cstart, clen, wnext, whead):
    """Unit propagation of every trail literal from head on: (conflicting clause or -1, head, n_trail)."""
    while head < n_trail:
        false_lit = trail[head] ^ 1
        head += 1
        prev, node = -1, whead[false_lit]
        while node >= 0:
            nxt = wnext[node]
            c, j = node >> 1, node & 1
            other = lits[cstart[c] + 1 - j]
            ov = value[other >> 1]
            if ov >= 0 and ov == 1 - (other & 1):
                prev, node = node, nxt
                continue
            moved = False
            for k in range(cstart[c] + 2, cstart[c] + clen[c]):
                cand = lits[k]
                cv = value[cand >> 1]
                if cv < 0 or cv == 1 - (cand & 1):
                    lits[k], lits[cstart[c] + j] = false_lit, cand
                    if prev < 0:
                        whead[false_lit] = nxt
                    else:
                        wnext[prev] = nxt
                    wnext[node] = whead[cand]
                    whead[cand] = node
                    moved = True
                    break
            if moved:
                node = nxt
                continue
            if ov >= 0:
                return c, head, n_trail
            value[other >> 1] = 1 - (other & 1)
            level[other >> 1] = depth
            reason[other >> 1] = c
            trail[n_trail] = other
            n_trail += 1
            prev, node = node, nxt
    return -1, head, n_trail


@numba.njit(**NJIT)
def _analyze(conflict, depth, n_trail, trail, level, reason, lits, cstart, clen, seen, activity, var_inc,
             heap, pos, learnt):
    """First-UIP learning: the learnt clause in learnt[:n] (asserting literal first, the literal of the
    highest other level second), bumping the activity of every variable met: (n, backjump level, var_inc)."""
    n_learnt, counter, clause, skip, index = 1, 0, conflict, -1, n_trail - 1
    uip = -1
    while True:
        for k in range(cstart[clause], cstart[clause] + clen[clause]):
            q = lits[k]
            v = q >> 1
            if v == skip or seen[v] or level[v] == 0:
                continue
            seen[v] = True
            activity[v] += var_inc
            if activity[v] > 1e100:
                activity *= 1e-100
                var_inc *= 1e-100
            if pos[v] >= 0:
                _heap_up(heap, pos, activity, pos[v])
            if level[v] == depth:
                counter += 1
            else:
                learnt[n_learnt] = q
                n_learnt += 1
        while not seen[trail[index] >> 1]:
            index -= 1
        uip = trail[index]
        index -= 1
        skip = uip >> 1
        seen[skip] = False
        counter -= 1
        if counter == 0:
            break
        clause = reason[skip]
    learnt[0] = uip ^ 1
    back, at = 0, 1
    for k in range(1, n_learnt):
        seen[learnt[k] >> 1] = False
        if level[learnt[k] >> 1] > back:
            back, at = level[learnt[k] >> 1], k
    learnt[1], learnt[at] = learnt[at], learnt[1]
    return n_learnt, back, var_inc


@numba.njit(**NJIT)
def _pick(heap, pos, activity, heap_size, value):
    """The unassigned variable of highest activity (or -1 when every variable has a value), heap size."""
    while heap_size > 0:
        v = heap[0]
        heap_size -= 1
        pos[v] = -1
        if heap_size > 0:
            heap[0] = heap[heap_size]
            pos[heap[0]] = 0
            _heap_down(heap, pos, activity, heap_size, 0)
        if value[v] < 0:
            return v, heap_size
    return -1, heap_size


@numba.njit(**NJIT)
def _assign(lit, depth, cause, value, level, reason, trail, n_trail):
    """Make literal lit true at level depth (cause: its reason clause or -1): the new trail length."""
    v = lit >> 1
    value[v] = 1 - (lit & 1)
    level[v] = depth
    reason[v] = cause
    trail[n_trail] = lit
    return n_trail + 1


@numba.njit(**NJIT)
def _solve(n_vars, dimacs, starts, decision_limit):
    """(SAT/UNSAT/UNKNOWN, value per variable 0..n_vars as 0/1) of the clauses dimacs[starts[c]:starts[c+1]];
    UNKNOWN once more than decision_limit decisions were made (no limit when negative)."""
    value = np.full(n_vars + 1, -1, dtype=np.int64)
    level = np.zeros(n_vars + 1, dtype=np.int64)
    reason = np.full(n_vars + 1, -1, dtype=np.int64)
    phase = np.ones(n_vars + 1, dtype=np.int64)  # 1: decide the variable false first
    activity = np.zeros(n_vars + 1, dtype=np.float64)
    seen = np.zeros(n_vars + 1, dtype=np.bool_)
    heap = np.arange(1, n_vars + 1)
    pos = np.arange(-1, n_vars)  # variable v sits at heap[v - 1]
    heap_size = n_vars
    trail = np.empty(n_vars + 1, dtype=np.int64)
    trail_lim = np.empty(n_vars + 1, dtype=np.int64)
    lits = np.empty(len(dimacs) + 64, dtype=np.int64)
    cstart = np.empty(len(starts) + 64, dtype=np.int64)
    clen = np.empty(len(starts) + 64, dtype=np.int64)
    wnext = np.empty(2 * len(starts) + 128, dtype=np.int64)  # watch node 2c + j: clause c watches position j
    whead = np.full(2 * (n_vars + 1), -1, dtype=np.int64)
    units = np.empty(len(starts), dtype=np.int64)
    n_stored, n_clauses, n_units = _load(dimacs, starts, lits, cstart, clen, wnext, whead, units)
    if n_stored < 0:
        return UNSAT, value
    n_trail, head, depth = 0, 0, 0
    for k in range(n_units):
        lit = units[k]
        if value[lit >> 1] >= 0:
            if value[lit >> 1] != 1 - (lit & 1):
                return UNSAT, value
            continue
        value[lit >> 1] = 1 - (lit & 1)
        trail[n_trail] = lit
        n_trail += 1
    learnt = np.empty(n_vars + 1, dtype=np.int64)
    var_inc = 1.0
    decisions, conflicts, restarts, next_restart = 0, 0, 0, RESTART_BASE
    while True:
        conflict, head, n_trail = _propagate(head, n_trail, depth, trail, value, level, reason, lits, cstart,
                                             clen, wnext, whead)
        if conflict >= 0:
            if depth == 0:
                return UNSAT, value
            conflicts += 1
            n_learnt, back, var_inc = _analyze(conflict, depth, n_trail, trail, level, reason, lits, cstart, clen,
                                               seen, activity, var_inc, heap, pos, learnt)
            var_inc /= 0.95
            n_trail, heap_size = _backtrack(trail_lim[back], trail, n_trail, value, reason, phase, heap, pos,
                                            heap_size, activity)
            depth = back
            head = n_trail
            cause = -1
            if n_learnt > 1:
                lits = _grow(lits, n_stored + n_learnt)
                cstart = _grow(cstart, n_clauses + 1)
                clen = _grow(clen, n_clauses + 1)
                wnext = _grow(wnext, 2 * n_clauses + 2)
                lits[n_stored:n_stored + n_learnt] = learnt[:n_learnt]
                cstart[n_clauses], clen[n_clauses] = n_stored, n_learnt
                _watch(n_clauses, lits, n_stored, wnext, whead)
                cause = n_clauses
                n_stored += n_learnt
                n_clauses += 1
            n_trail = _assign(learnt[0], depth, cause, value, level, reason, trail, n_trail)
            continue
        if conflicts >= next_restart and depth > 0:
            restarts += 1
            next_restart = conflicts + RESTART_BASE * _luby(restarts)
            n_trail, heap_size = _backtrack(trail_lim[0], trail, n_trail, value, reason, phase, heap, pos,
                                            heap_size, activity)
            head = n_trail
            depth = 0
        decided, heap_size = _pick(heap, pos, activity, heap_size, value)
        if decided < 0:
            return SAT, value
        decisions += 1
        if 0 <= decision_limit < decisions:
            return UNKNOWN, value
        trail_lim[depth] = n_trail
        depth += 1
        n_trail = _assign(2 * decided + phase[decided], depth, -1, value, level, reason, trail, n_trail)


def solve(n_vars, clauses, decision_limit=-1):
    """(SAT, UNSAT or UNKNOWN, value per variable as a bool array indexed 0..n_vars) of a CNF given as
    a list of DIMACS clauses or as (flat literals, clause start offsets with a final end offset)."""
    if isinstance(clauses, tuple):
        dimacs, starts = (np.ascontiguousarray(a, dtype=np.int64) for a in clauses)
    else:
        dimacs = np.array([lit for clause in clauses for lit in clause], dtype=np.int64)
        starts = np.cumsum([0] + [len(clause) for clause in clauses]).astype(np.int64)
    if len(dimacs) and (np.any(dimacs == 0) or np.abs(dimacs).max() > n_vars):
        raise ValueError(f"literals must be non-zero and name variables 1..{n_vars}")
    if len(starts) == 0 or starts[0] != 0 or starts[-1] != len(dimacs) or np.any(np.diff(starts) < 0):
        raise ValueError("clause offsets must rise from 0 to the number of literals")
    status, value = _solve(int(n_vars), dimacs, starts, int(decision_limit))
    return int(status), value == 1
