"""The only place pyeda is imported: the picosat SAT solver (and, later, espresso)."""


def satisfy(n_vars, clauses):
    """A satisfying assignment {var: bool} of a CNF (lists of non-zero ints), or None when unsatisfiable."""
    from pyeda.boolalg import picosat

    point = picosat.satisfy_one(n_vars, clauses)
    if point is None:
        return None
    return {v: value == 1 for v, value in enumerate(point, start=1)}
