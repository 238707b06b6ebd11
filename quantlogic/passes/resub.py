"""Resubstitution: nodes re-expressed from other nodes of a small window around them (kernels/resub.py), and
rounds of it between rewriting that exposes more."""
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

    max_leaves: int = 6
    max_divisors: int = 150
    max_new: int = 2
    keep_levels: bool = False


@dataclass(frozen=True)
class ResubRoundsParams:
    """Rewriting and resubstitution, then at most max_pairs pairs of zero-gain rewriting that may deepen
    (restructuring) and resubstitution while a pair saves at least min_saving of the ANDs."""

    resub: ResubParams = ResubParams()
    max_pairs: int = 2
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
    """Rewriting and resubstitution in rounds (ResubRoundsParams), without building an AIG in between; a
    step that would grow the circuit is dropped."""
    state = {"arrays": aig.arrays(), "map": 2 * np.arange(aig.n_nodes, dtype=np.int64), "changed": 0, "steps": []}
    total = 2 + 2 * params.max_pairs

    def step(how):
        fanin0, fanin1, outputs = state["arrays"]
        report_progress(len(state["steps"]), total)
        if isinstance(how, ResubParams):
            new0, new1, outs, step_map, count = resub_round(fanin0, fanin1, aig.n_inputs, outputs, how)
        else:
            new0, new1, outs, step_map, count = rewrite_round(fanin0, fanin1, aig.n_inputs, outputs, how.zero_gain, how)
        if len(new0) <= len(fanin0):
            state["arrays"], state["changed"] = (new0, new1, outs), state["changed"] + count
            state["map"] = compose(state["map"], step_map)
        state["steps"].append(len(state["arrays"][0]))
        return state["steps"][-1]

    step(RewriteParams())
    size = step(params.resub)
    for _ in range(params.max_pairs):
        step(RewriteParams(zero_gain=True, shallow=False))
        size, before = step(params.resub), size
        if not size or before - size < params.min_saving * before:
            break
    result = mapped_aig(aig, *state["arrays"], state["map"]) if size < aig.n_ands else aig
    return result, {"pass": "rewrite-resub", "ands_before": aig.n_ands, "ands_after": result.n_ands,
                    "steps": state["steps"], "changed": state["changed"]}
