"""Cut rewriting: every node's 4-input cuts are re-expressed with the library's cheapest structure of the
cut's function, in place, where that adds fewer nodes than it frees (kernels/rewrite.py)."""
from ..kernels.rewrite import rewrite_in_place
from .passes import rebuild


def rewrite(aig, params=None):
    """params: zero_gain (also take replacements that save nothing: restructuring for later rounds),
    keep_levels (never make a node deeper), shallow (default True: among equal savings the shallower
    structure wins, and a zero-gain replacement may not make its node deeper). The input AIG comes back
    unchanged when the result is not smaller (or, with zero_gain, larger)."""
    zero_gain = bool((params or {}).get("zero_gain", False))
    f0, f1, repl, outs, count = rewrite_in_place(*aig.arrays()[:2], aig.n_inputs, aig.output_lits, zero_gain,
                                                 (params or {}).get("keep_levels", False),
                                                 (params or {}).get("shallow", True))
    base = 1 + aig.n_inputs
    new = rebuild(aig, (f0[base:], f1[base:], outs, repl))  # nodes freed by a replacement have no counterpart
    result = new if new.n_ands < aig.n_ands or (zero_gain and new.n_ands == aig.n_ands) else aig
    return result, {"pass": "rewrite-z" if zero_gain else "rewrite", "ands_before": aig.n_ands,
                    "ands_after": result.n_ands, "rewritten": int(count)}
