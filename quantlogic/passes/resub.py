"""Resubstitution: nodes re-expressed from other nodes of a small window around them (kernels/resub.py), and
rounds of it between zero-gain rewriting that exposes more."""
from dataclasses import dataclass

import numpy as np

from ..kernels.resub import resub_in_place
from ..kernels.strash import rebuild_arrays
from .progress import report_progress
from .rewrite import RewriteParams, rewrite_round
from .structural import compose, mapped_aig


@dataclass(frozen=True)
class ResubParams:
    """max_leaves: inputs of the window a node is re-expressed over; max_divisors: nodes it may be
    re-expressed from; max_new: new ANDs a replacement may take (0, 1 or 2); keep_levels: never make a node
    deeper."""

    max_leaves: int = 8
    max_divisors: int = 150
    max_new: int = 2
    keep_levels: bool = False


@dataclass(frozen=True)
class ResubRoundsParams:
    """Resubstitution, then at most max_rounds rounds of (zero-gain rewriting that may deepen, resubstitution,
    rewriting, resubstitution) while a round saves at least min_saving of the ANDs."""

    resub: ResubParams = ResubParams()
    max_rounds: int = 2
    min_saving: float = 0.001


def resub_round(fanin0, fanin1, n_inputs, outputs, params=ResubParams()):
    """One resubstitution sweep of an AIG given as arrays: (fanin0, fanin1, outputs of the rebuilt result, its
    literal for each node of the input or -1, resubstitutions)."""
    f0, f1, repl, outs, count = resub_in_place(fanin0, fanin1, n_inputs, outputs, params.max_leaves,
                                               params.max_divisors, params.max_new, params.keep_levels)
    base = 1 + n_inputs
    new0, new1, new_outs, node_map = rebuild_arrays(f0[base:], f1[base:], n_inputs, outs, repl)
    return new0, new1, new_outs, node_map[:base + len(fanin0)], int(count)


def resub(aig, params=ResubParams()):
    """One resubstitution sweep (ResubParams); the input comes back unchanged when the result is not smaller."""
    new0, new1, outs, node_map, count = resub_round(*aig.arrays()[:2], aig.n_inputs, aig.output_lits, params)
    result = mapped_aig(aig, new0, new1, outs, node_map) if len(new0) < aig.n_ands else aig
    return result, {"pass": "resub", "ands_before": aig.n_ands, "ands_after": result.n_ands, "resubstituted": count}


def resub_rounds(aig, params=ResubRoundsParams()):
    """Resubstitution and rounds of rewriting and resubstitution (ResubRoundsParams), without building an AIG
    in between; each step is kept only when it does not grow the circuit."""
    fanin0, fanin1, outputs = aig.arrays()
    node_map = 2 * np.arange(aig.n_nodes, dtype=np.int64)
    deepening = RewriteParams(zero_gain=True, shallow=False)
    steps = [("resub", None)]
    for _ in range(params.max_rounds):
        steps += [("rewrite", deepening), ("resub", None), ("rewrite", RewriteParams()), ("resub", None)]
    sizes, round_start, changed = [aig.n_ands], aig.n_ands, 0
    for k, (kind, rewrite_params) in enumerate(steps):
        report_progress(k, len(steps))
        if kind == "resub":
            new0, new1, outs, step_map, count = resub_round(fanin0, fanin1, aig.n_inputs, outputs, params.resub)
        else:
            new0, new1, outs, step_map, count = rewrite_round(fanin0, fanin1, aig.n_inputs, outputs,
                                                              rewrite_params.zero_gain, rewrite_params)
        if len(new0) <= len(fanin0):
            fanin0, fanin1, outputs, changed = new0, new1, outs, changed + count
            node_map = compose(node_map, step_map)
        sizes.append(len(fanin0))
        if k % 4 == 0 and k and round_start - sizes[-1] < params.min_saving * round_start:
            break
        round_start = sizes[-1] if k % 4 == 0 else round_start
    result = mapped_aig(aig, fanin0, fanin1, outputs, node_map) if sizes[-1] < aig.n_ands else aig
    return result, {"pass": "resub-rounds", "ands_before": aig.n_ands, "ands_after": result.n_ands, "steps": sizes[1:],
                    "changed": changed}
