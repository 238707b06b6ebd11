"""Logic depth of a circuit (in numba: a Python walk over the gates takes about a second per million)."""


def levels_of(aig):
    """Logic depth (ANDs on the longest path) of every node of aig."""
    from ..kernels.strash import node_levels  # numba is loaded only when a circuit is measured

    return node_levels(*aig.arrays()[:2], aig.n_inputs)


def depth_of(aig):
    """Logic depth of aig's deepest output."""
    levels = levels_of(aig)
    return int(max((levels[lit >> 1] for lit in aig.output_lits), default=0))
