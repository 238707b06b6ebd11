"""The only place pyeda is imported: the picosat SAT solver and the espresso minimizer."""

UNKNOWN = "unknown"


def satisfy(n_vars, clauses, decision_limit=None):
    """A satisfying assignment {var: bool} of a CNF (lists of non-zero ints), None when unsatisfiable, or
    UNKNOWN when the decision limit ran out."""
    from pyeda.boolalg import picosat

    try:
        if decision_limit is None:
            point = picosat.satisfy_one(n_vars, clauses)
        else:
            point = picosat.satisfy_one(n_vars, clauses, decision_limit=decision_limit)
    except picosat.Error:
        return UNKNOWN
    if point is None:
        return None
    return {v: value == 1 for v, value in enumerate(point, start=1)}
