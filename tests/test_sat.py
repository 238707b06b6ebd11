"""The SAT kernel: its verdict equals brute force on small CNFs, a model it returns satisfies every clause,
and the decision limit turns a hard instance into UNKNOWN, never into a wrong verdict."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantlogic.kernels.sat import SAT, UNKNOWN, UNSAT, solve


def satisfiable(n_vars, clauses):
    return any(all(any(bits[abs(lit) - 1] == (lit > 0) for lit in clause) for clause in clauses)
               for bits in itertools.product([False, True], repeat=n_vars))


@st.composite
def cnfs(draw):
    n = draw(st.integers(1, 9))
    literal = st.integers(1, n).flatmap(lambda v: st.sampled_from([v, -v]))
    return n, draw(st.lists(st.lists(literal, min_size=1, max_size=4), max_size=5 * n + 4))


@settings(max_examples=400, deadline=None)
@given(cnfs())
def test_verdict_equals_brute_force(cnf):
    n, clauses = cnf
    status, value = solve(n, clauses)
    assert status == (SAT if satisfiable(n, clauses) else UNSAT)
    if status == SAT:
        assert all(any(value[abs(lit)] == (lit > 0) for lit in clause) for clause in clauses)


def pigeonhole(holes):
    """Clauses saying holes + 1 pigeons sit in holes distinct holes (unsatisfiable, hard for resolution)."""
    def var(p, h):
        return 1 + p * holes + h

    clauses = [[var(p, h) for h in range(holes)] for p in range(holes + 1)]
    clauses += [[-var(p, h), -var(q, h)] for h in range(holes) for p in range(holes + 1) for q in range(p)]
    return (holes + 1) * holes, clauses


def test_random_3sat_at_the_threshold_agrees_with_picosat():
    from pyeda.boolalg import picosat

    rng = np.random.default_rng(0)
    for _ in range(60):
        n = int(rng.integers(20, 90))
        clauses = [[int(v) * int(rng.choice([-1, 1])) for v in rng.choice(np.arange(1, n + 1), 3, replace=False)]
                   for _ in range(int(4.26 * n))]
        status, value = solve(n, clauses)
        assert (status == SAT) == (picosat.satisfy_one(n, clauses) is not None)
        if status == SAT:
            assert all(any(value[abs(lit)] == (lit > 0) for lit in clause) for clause in clauses)


def test_decision_limit_gives_unknown_then_the_truth():
    n, clauses = pigeonhole(7)
    assert solve(n, clauses, decision_limit=10)[0] == UNKNOWN
    assert solve(*pigeonhole(5))[0] == UNSAT


def test_bad_clauses_are_refused():
    with pytest.raises(ValueError):
        solve(2, [[1, 3]])
    with pytest.raises(ValueError):
        solve(2, [[1, 0]])
