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


def espresso_cover(table, n_inputs):
    """A minimized sum of products of a single-output truth table (sequence of 0/1, input 0 least
    significant): a sorted list of cubes, each a sorted tuple of (input index, polarity)."""
    from pyeda.inter import espresso_tts, truthtable, ttvars

    if n_inputs == 0:
        return [()] if table[0] else []
    variables = ttvars("x", n_inputs)
    (expr,) = espresso_tts(truthtable(variables, "".join("1" if v else "0" for v in table)))
    if expr.is_zero():
        return []
    if expr.is_one():
        return [()]
    cubes = []
    for cube in expr.cover:
        literals = []
        for lit in cube:
            text = str(lit)
            literals.append((int(text[text.index("[") + 1:-1]), not text.startswith("~")))
        cubes.append(tuple(sorted(literals)))
    return sorted(cubes)
