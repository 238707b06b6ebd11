"""Whether two literals of a circuit are equal: windows around the part of their cones only one reaches,
exhaustive simulation of a small support, or SAT with a decision limit. Used by FRAIG and by every
equivalence check."""
from dataclasses import dataclass

import numpy as np

from ..kernels.sat import UNKNOWN

UNDECIDED = "undecided"  # a comparison the limits did not decide
WINDOWS = ((8, 0), (10, 3), (1 << 30, 0))  # (levels from the roots, levels of shared nodes) of each try


@dataclass(frozen=True)
class PairLimits:
    """How hard prove_equal tries. decision_limit: SAT decisions per comparison (pairs SAT leaves
    undecided after 100 are mostly different, and ABC's fraig also gives a pair 100 backtracks);
    max_cone: nodes of the two cones beyond which a pair is left undecided (None: no limit); window: nodes
    of a window; window_sat: also solve windows by SAT (else only windows cheap to simulate);
    exhaustive_support / exhaustive_work: when simulating every assignment of the leaves is cheap."""

    decision_limit: int = 100
    max_cone: int | None = 3000
    window: int = 1000
    window_sat: bool = False
    exhaustive_support: int = 10
    exhaustive_work: int = 1 << 16


def prove_equal(cones, a, b, limits=PairLimits()):
    """(verdict, witness): verdict True when literals a and b of the AIG held by cones are equal on every
    input, False when they differ (witness: {input node: bool} where they do), None when undecided within
    the limits. First windows around the part of the two cones that only one of them reaches are compared
    with their leaves free (WINDOWS; by SAT too when limits.window_sat, else only windows cheap to
    simulate exhaustively): equal there means equal everywhere (rewriting and merging leave such local
    differences), and when a window reaches down to the inputs the comparison is exact."""
    if a == b:
        return True, None
    for max_depth, max_shared in WINDOWS:
        window = cones.window(a, b, limits.window, max_depth, max_shared)
        if window is None:
            continue
        leaves, ands = window
        if not limits.window_sat and not _exhaustive(leaves, ands, limits):
            continue
        result = _differ(cones, a, b, leaves, ands, limits)
        if result is None:
            return True, None
        if result is not UNDECIDED and (not len(leaves) or leaves[-1] <= cones.n_inputs):  # reaches the inputs: exact
            return False, _witness(result, leaves)
    cone = cones.cone([a, b], limits.max_cone)
    if cone is None:
        return None, None
    result = _differ(cones, a, b, *cone, limits)
    if result is UNDECIDED:
        return None, None
    return (True, None) if result is None else (False, _witness(result, cone[0]))


def _witness(assignment, inputs):
    """{input node: bool} from a bool per node of inputs."""
    return {int(node): bool(value) for node, value in zip(inputs, assignment)}


def _exhaustive(leaves, ands, limits):
    """Whether simulating every assignment of the leaves is cheap enough (or the support small)."""
    return len(leaves) <= limits.exhaustive_support or (
        len(leaves) <= 24 and (1 << max(0, len(leaves) - 6)) * len(ands) <= limits.exhaustive_work)


def _differ(cones, a, b, leaves, ands, limits):
    """An assignment of the leaves (a bool each) where a and b differ with the leaves free, None when
    they cannot, or UNDECIDED; exhaustive over the leaves when there are few, else SAT."""
    if _exhaustive(leaves, ands, limits):
        index = cones.first_difference(a, b, leaves, ands)
        return None if index < 0 else (index >> np.arange(len(leaves))) & 1 > 0
    status, assignment = cones.sat_difference(a, b, leaves, ands, limits.decision_limit)
    return UNDECIDED if status == UNKNOWN else assignment
