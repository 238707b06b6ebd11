"""Cut rewriting: every node's 4-input cuts are re-expressed with the library's cheapest structure of the
cut's function, in place, where that adds fewer nodes than it frees (kernels/rewrite.py); and rounds of
it that stop once they stop paying."""
from dataclasses import dataclass

import numpy as np

from ..kernels.rewrite import rewrite_in_place
from ..kernels.strash import rebuild_arrays
from .progress import report_progress
from .structural import compose, mapped_aig


@dataclass(frozen=True)
class RewriteParams:
    """zero_gain: also take replacements that save nothing (restructuring for later rounds); keep_levels:
    never make a node deeper; shallow: among equal savings the shallower structure wins, and a zero-gain
    replacement may not make its node deeper."""

    zero_gain: bool = False
    keep_levels: bool = False
    shallow: bool = True


@dataclass(frozen=True)
class RoundsParams:
    """Rounds of rewriting: at most max_pairs pairs of rewrite-z and rewrite after the first rewrite,
    while a pair saves at least min_saving of the ANDs."""

    max_pairs: int = 2
    min_saving: float = 0.005
    keep_levels: bool = False
    shallow: bool = True


def rewrite_round(fanin0, fanin1, n_inputs, outputs, zero_gain, params):
    """One rewriting round of an AIG given as arrays: (fanin0, fanin1, outputs of the rebuilt result,
    its literal for each node of the input or -1, rewrites)."""
    f0, f1, repl, outs, count = rewrite_in_place(fanin0, fanin1, n_inputs, outputs, zero_gain,
                                                 params.keep_levels, params.shallow)
    base = 1 + n_inputs
    new0, new1, new_outs, node_map = rebuild_arrays(f0[base:], f1[base:], n_inputs, outs, repl)
    return new0, new1, new_outs, node_map[:base + len(fanin0)], int(count)


def _pays(old_size, new_size, zero_gain):
    return new_size < old_size or (zero_gain and new_size == old_size)


def rewrite(aig, params=RewriteParams()):
    """One round of cut rewriting (RewriteParams). The input AIG comes back unchanged when the result is
    not smaller (or, with zero_gain, larger)."""
    zero_gain = params.zero_gain
    new0, new1, outs, node_map, count = rewrite_round(*aig.arrays()[:2], aig.n_inputs, aig.output_lits, zero_gain, params)
    result = mapped_aig(aig, new0, new1, outs, node_map) if _pays(aig.n_ands, len(new0), zero_gain) else aig
    return result, {"pass": "rewrite-z" if zero_gain else "rewrite", "ands_before": aig.n_ands,
                    "ands_after": result.n_ands, "rewritten": count}


def rewrite_rounds(aig, params=RoundsParams()):
    """rewrite, then pairs of rewrite-z and rewrite while a pair still saves at least min_saving of the
    ANDs and any are left (RoundsParams), without building an AIG in between."""
    fanin0, fanin1, outputs = aig.arrays()
    node_map = 2 * np.arange(aig.n_nodes, dtype=np.int64)
    sizes, rewritten = [aig.n_ands], 0
    rounds = [False] + [True, False] * params.max_pairs
    for k, zero_gain in enumerate(rounds):
        report_progress(k, len(rounds))
        new0, new1, outs, step_map, count = rewrite_round(fanin0, fanin1, aig.n_inputs, outputs, zero_gain, params)
        if _pays(len(fanin0), len(new0), zero_gain):
            fanin0, fanin1, outputs, rewritten = new0, new1, outs, rewritten + count
            node_map = compose(node_map, step_map)
        sizes.append(len(fanin0))
        if not sizes[-1] or (k >= 2 and not zero_gain and sizes[-3] - sizes[-1] < params.min_saving * sizes[-3]):
            break
    result = mapped_aig(aig, fanin0, fanin1, outputs, node_map) if sizes[-1] < aig.n_ands else aig
    return result, {"pass": "rewrite-rounds", "ands_before": aig.n_ands, "ands_after": result.n_ands,
                    "rounds": sizes[1:], "rewritten": rewritten}
