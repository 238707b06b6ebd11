"""Exhaustive evaluation of a small cone of an AIG with chosen values on its cut nodes."""
import numpy as np


def evaluate_cone(aig, lits, cut_values):
    """Values (len(lits), P) bools of literals lits, given cut_values {node: (P,) bools}. Every path from
    lits must end in a cut node or the constant; otherwise a ValueError names the node reached."""
    base = 1 + aig.n_inputs
    values = dict(cut_values)
    width = len(next(iter(values.values()))) if values else 1
    values[0] = np.zeros(width, dtype=bool)

    def lit_value(lit):
        return values[lit >> 1] ^ bool(lit & 1)

    for node in aig.cone(lits, stop=cut_values):
        k = node - base
        a, b = aig.fanin0[k], aig.fanin1[k]
        for child in (a >> 1, b >> 1):
            if child not in values:
                raise ValueError(f"node {child} is outside the cut")
        values[node] = lit_value(a) & lit_value(b)
    for lit in lits:
        if lit >> 1 not in values:
            raise ValueError(f"node {lit >> 1} is outside the cut")
    return np.array([lit_value(lit) for lit in lits]).reshape(len(lits), width)


def word_values(n_bits, values):
    """Cut assignment columns (n_bits, P) bools for integer values (P,)."""
    values = np.asarray(values, dtype=np.int64)
    return ((values[None, :] >> np.arange(n_bits)[:, None]) & 1).astype(bool)
