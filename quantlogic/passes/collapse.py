"""Collapsing: a circuit of few inputs rebuilt from its outputs' truth tables (as an irredundant sum of products of
each output or of its complement, factored, and as a tree of multiplexers under a sifted input order; each rewritten
and resubstituted), the smaller then resubstituted over windows of up to 12 leaves, kept when smaller than the
circuit. Layer by layer lowering never sees across neurons; the whole function of a small network often has a far
smaller circuit."""
import functools
from dataclasses import dataclass

import numpy as np

from ..ir.aig import AIG
from ..kernels.resub_window import MAX_LEAVES
from ..kernels.simulate import Simulator
from ..lower.truth_table import factored
from .resub import ResubParams, resub, resub_rounds
from .rewrite import RewriteParams, rewrite
from .structural import balance, rebuild


@dataclass(frozen=True)
class CollapseParams:
    """max_inputs: circuits with more inputs are left alone (truth tables of 2^max_inputs rows, at most
    MAX_LEAVES); wide_rounds: at most this many rounds of resubstitution over windows of MAX_LEAVES leaves
    around restructuring rewriting, while a round saves ANDs."""

    max_inputs: int = MAX_LEAVES
    wide_rounds: int = 3


def output_tables(aig):
    """(2^n_inputs, n_outputs) bool: every output on every input pattern (input k is bit k of the row)."""
    rows = np.arange(1 << aig.n_inputs, dtype=np.int64)
    return Simulator(aig).bits((rows[:, None] >> np.arange(aig.n_inputs)) & 1)


def irredundant_cover(table):
    """An irredundant sum of products of a truth table (bool array of 2^n rows, input k is bit k of the row)
    by Minato and Morreale's recursion: sorted cubes of (input index, polarity), a function of the table
    alone (espresso's covers also depend on its earlier calls)."""
    n = int(np.log2(len(table)))
    value = _table_value(table)

    @functools.cache
    def isop(lower, upper, k):
        """(cubes over inputs 0..k-1, their function) with lower <= function <= upper (2^k-bit integers)."""
        if not lower:
            return (), 0
        full = (1 << (1 << k)) - 1
        if upper == full:
            return ((),), full
        half = 1 << (k - 1)
        low = (1 << half) - 1
        l0, l1, u0, u1 = lower & low, lower >> half, upper & low, upper >> half
        c0, f0 = isop(l0 & ~u1 & low, u0, k - 1)
        c1, f1 = isop(l1 & ~u0 & low, u1, k - 1)
        rest, f2 = isop(((l0 & ~f0) | (l1 & ~f1)) & low, u0 & u1, k - 1)
        cubes = tuple(c + ((k - 1, False),) for c in c0) + tuple(c + ((k - 1, True),) for c in c1) + rest
        return cubes, f0 | f2 | ((f1 | f2) << half)

    return sorted(tuple(sorted(cube)) for cube in isop(value, value, n)[0])


def _sum_of_products(new, table, pins):
    """Literal of the factored cover of table, or of the complement of its complement's cover when that has
    fewer literals."""
    covers = [irredundant_cover(table), irredundant_cover(~table)]
    sizes = [sum(len(cube) for cube in cover) + len(cover) for cover in covers]
    flip = int(sizes[1] < sizes[0])
    return factored(new, covers[flip], pins) ^ flip


def _table_value(table):
    """A truth table (bool array, row k is input pattern k) as an integer whose bit k is row k."""
    return int.from_bytes(np.packbits(np.asarray(table, dtype=bool), bitorder="little").tobytes(), "little")


def _multiplexers(new, table, pins):
    """Literal of table as a tree of multiplexers on the inputs, last input at the root, equal subfunctions
    shared (a reduced ordered decision diagram; pins[k] is the table's input k)."""

    @functools.cache
    def node(value, k):
        full = (1 << (1 << k)) - 1
        if value in (0, full):
            return int(value == full)
        half = 1 << (k - 1)
        low, high = value & ((1 << half) - 1), value >> half
        if low == high:
            return node(low, k - 1)
        pin = pins[k - 1]
        return new.or_(new.and_(pin, node(high, k - 1)), new.and_(pin ^ 1, node(low, k - 1)))

    return node(_table_value(table), len(pins))


def diagram_size(tables):
    """Nodes of the shared reduced ordered decision diagram of the columns of tables (2^n rows, input k is bit k
    of the row; input 0 nearest the constants)."""
    ids = np.ascontiguousarray(np.asarray(tables, dtype=np.int64).T).ravel()  # subfunctions, numbered per level
    width, nodes = 2, 0
    while len(ids) > tables.shape[1]:
        keys, ids = np.unique(ids[0::2] * width + ids[1::2], return_inverse=True)
        nodes += int(np.count_nonzero(keys // width != keys % width))
        width = len(keys)
    return nodes


def permuted(tables, order):
    """tables with its inputs reordered: input k of the result is input order[k] of tables."""
    rows = np.arange(len(tables))
    source = np.zeros(len(tables), dtype=np.int64)
    for k, i in enumerate(order):
        source |= ((rows >> k) & 1) << i
    return tables[source]


def sifted_order(tables):
    """An order of the inputs (see permuted) that makes the decision diagram of tables small: each input in
    turn moved to its best position while that shrinks it (Rudell's sifting, without swapping in place)."""
    order = list(range(int(np.log2(len(tables)))))
    best = diagram_size(tables)
    improved = True
    while improved:
        improved = False
        for var in list(order):
            rest = [i for i in order if i != var]
            for position in range(len(order)):
                candidate = rest[:position] + [var] + rest[position:]
                size = diagram_size(permuted(tables, candidate))
                if size < best:
                    order, best, improved = candidate, size, True
    return order


def _rebuilt(aig, tables, build, order=None):
    """aig's function rebuilt output by output with build(new AIG, table, pins) -> literal (the table's inputs
    in the given order), then rewritten and resubstituted."""
    order = order or list(range(aig.n_inputs))
    tables = permuted(tables, order)
    new = AIG()
    pins = [new.add_input(name) for name in aig.input_names]
    for k, name in enumerate(aig.output_names):
        new.add_output(name, build(new, tables[:, k], [pins[i] for i in order]))
    return resub_rounds(rebuild(new))[0]


def _wide_resub(aig, params):
    """aig after rounds of resubstitution over windows of up to MAX_LEAVES leaves around zero-gain rewriting
    that may deepen (of aig, and of it balanced when that ends smaller), while a round makes it smaller."""
    wide = ResubParams(max_leaves=MAX_LEAVES)
    deep = RewriteParams(zero_gain=True, shallow=False)
    for _ in range(params.wide_rounds):
        before = aig.n_ands
        aig = resub(aig, wide)[0]
        balanced = resub(rewrite(balance(aig)[0], deep)[0], wide)[0]
        aig = balanced if balanced.n_ands < aig.n_ands else aig
        aig = resub(rewrite(aig, deep)[0], wide)[0]
        if aig.n_ands >= before:
            break
    return aig


def collapse(aig, params=CollapseParams()):
    """The circuit rebuilt from its outputs' truth tables when it has at most max_inputs inputs and the smaller of
    the two rebuilds is smaller than it; its source map names the pins and the outputs' nodes only."""
    stats = {"pass": "collapse", "ands_before": aig.n_ands}
    if aig.n_inputs > params.max_inputs or not aig.n_ands:
        return aig, {**stats, "ands_after": aig.n_ands}
    tables = output_tables(aig)
    rebuilt = [_rebuilt(aig, tables, _sum_of_products), _rebuilt(aig, tables, _multiplexers, sifted_order(tables))]
    new = _wide_resub(min(rebuilt, key=lambda c: c.n_ands), params)
    if new.n_ands >= aig.n_ands:
        return aig, {**stats, "ands_after": aig.n_ands}
    source_map = np.full(aig.n_nodes, -1, dtype=np.int64)
    source_map[:1 + aig.n_inputs] = 2 * np.arange(1 + aig.n_inputs)
    for old, lit in zip(aig.output_lits, new.output_lits):
        source_map[old >> 1] = lit ^ (old & 1)
    new.source_map = source_map
    return new, {**stats, "ands_after": new.n_ands}
