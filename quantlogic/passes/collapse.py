"""Collapsing: a circuit of few inputs rebuilt from its outputs' truth tables (espresso's sum of products of each
output or of its complement, factored, then rewritten and resubstituted), kept when smaller. Layer by layer
lowering never sees across neurons; the whole function of a small network often has a far smaller circuit."""
from dataclasses import dataclass

import numpy as np

from ..ir.aig import AIG
from ..kernels.simulate import Simulator
from ..lower.truth_table import factored
from ..pyeda_bridge import espresso_cover
from .resub import resub_rounds
from .structural import rebuild


@dataclass(frozen=True)
class CollapseParams:
    """max_inputs: circuits with more inputs are left alone (truth tables of 2^max_inputs rows)."""

    max_inputs: int = 12


def output_tables(aig):
    """(2^n_inputs, n_outputs) bool: every output on every input pattern (input k is bit k of the row)."""
    rows = np.arange(1 << aig.n_inputs, dtype=np.int64)
    return Simulator(aig).bits((rows[:, None] >> np.arange(aig.n_inputs)) & 1)


def _sum_of_products(new, table, pins):
    """Literal of the factored cover of table, or of the complement of its complement's cover when that has
    fewer literals."""
    covers = [espresso_cover(table, len(pins)), espresso_cover(~table, len(pins))]
    sizes = [sum(len(cube) for cube in cover) + len(cover) for cover in covers]
    flip = int(sizes[1] < sizes[0])
    return factored(new, covers[flip], pins) ^ flip


def collapse(aig, params=CollapseParams()):
    """The circuit rebuilt from its outputs' truth tables when it has at most max_inputs inputs and the result is
    smaller; its source map names the pins and the outputs' nodes only."""
    stats = {"pass": "collapse", "ands_before": aig.n_ands}
    if aig.n_inputs > params.max_inputs or not aig.n_ands:
        return aig, {**stats, "ands_after": aig.n_ands}
    tables = output_tables(aig)
    new = AIG()
    pins = [new.add_input(name) for name in aig.input_names]
    for k, name in enumerate(aig.output_names):
        new.add_output(name, _sum_of_products(new, tables[:, k], pins))
    new, _ = resub_rounds(rebuild(new))
    if new.n_ands >= aig.n_ands:
        return aig, {**stats, "ands_after": aig.n_ands}
    source_map = np.full(aig.n_nodes, -1, dtype=np.int64)
    source_map[:1 + aig.n_inputs] = 2 * np.arange(1 + aig.n_inputs)
    for old, lit in zip(aig.output_lits, new.output_lits):
        source_map[old >> 1] = lit ^ (old & 1)
    new.source_map = source_map
    return new, {**stats, "ands_after": new.n_ands}
