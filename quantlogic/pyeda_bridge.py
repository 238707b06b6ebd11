"""The only place pyeda is imported: the espresso minimizer."""

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
