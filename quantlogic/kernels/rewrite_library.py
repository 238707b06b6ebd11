"""The rewriting library: for each of the 65,536 four-input functions, its cheapest structures built from
two-input ANDs and XORs of cheaper functions (complements free, an XOR costs 3 ANDs and shares its
operands), found by a uniform-cost search over functions up to complement, as straight-line programs."""
import hashlib
import os
import pathlib
from functools import lru_cache

import numba
import numpy as np

from .config import NJIT

CONST, VAR, NOT, AND, XOR = 0, 1, 2, 3, 4
FULL = 0xFFFF
LEAF_TABLES = (0xAAAA, 0xCCCC, 0xF0F0, 0xFF00)
MAX_STEPS = 16  # ANDs in the longest library structure (12 in practice)
ALTERNATIVES = 4  # equally cheap top-level decompositions tried per function
PROGRAM_ARRAYS = ("steps", "n_steps", "outputs", "n_structures")
PROGRAM_SHAPES = [(np.dtype(np.int16), (65536, ALTERNATIVES, MAX_STEPS, 2)), (np.dtype(np.int64), (65536, ALTERNATIVES)),
                  (np.dtype(np.int64), (65536, ALTERNATIVES)), (np.dtype(np.int64), (65536,))]


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
        scratch[:] = 0  # steps past a structure's count stay zero
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
            scratch[:] = 0
            n_steps[f, k], lit = _flatten(o, lt, rt, op, left, right, scratch)
            out[f, k] = lit ^ flip
            steps[f, k] = scratch
            k += 1
        count[f] = k
    return steps, n_steps, out, count


def compute_programs():
    """(steps, step counts, output literals, number of structures) of every 4-input function's cheapest
    structures (see _programs), computed (about 0.3 s)."""
    _, op, left, right, alt, n_alt = _library()
    return _programs(op, left, right, alt, n_alt)


def _stored_path():
    """Where the computed library is kept: the user's cache folder ($QUANTLOGIC_CACHE, else
    $XDG_CACHE_HOME/quantlogic or ~/.cache/quantlogic), named by a digest of this file."""
    source = pathlib.Path(__file__)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    folder = os.environ.get("QUANTLOGIC_CACHE") or pathlib.Path(
        os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache") / "quantlogic"
    return pathlib.Path(folder) / f"rewrite_library.{digest}.npz"


@lru_cache(maxsize=1)
def library_programs():
    """compute_programs(), read from the stored copy when there is a valid one, else computed and stored
    (when the folder is writable); once per process."""
    path = _stored_path()
    try:
        with np.load(path) as stored:
            arrays = tuple(stored[name] for name in PROGRAM_ARRAYS)
        if [(a.dtype, a.shape) for a in arrays] == PROGRAM_SHAPES:
            return arrays
    except (OSError, ValueError, KeyError):
        pass
    arrays = compute_programs()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in path.parent.glob("rewrite_library.*.npz"):  # copies made by earlier versions of this file
            if old != path:
                old.unlink()
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        with open(partial, "wb") as out:
            np.savez_compressed(out, **dict(zip(PROGRAM_ARRAYS, arrays)))
        os.replace(partial, path)
    except OSError:
        pass
    return arrays
