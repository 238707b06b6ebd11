"""Resubstitution, rewrite-resub rounds and collapsing (passes/resub.py, passes/collapse.py) on generated
circuits: functions and source maps exact, limits honoured."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import node_tables, random_aigs, truth_table
from quantlogic.formats.depth import depth_of


@settings(max_examples=25, deadline=None)
@given(random_aigs(max_inputs=12, max_ands=300), st.integers(2, 12), st.integers(1, 150), st.integers(0, 2),
       st.booleans())
def test_resubstitution_keeps_the_function_over_any_window(aig, leaves, divisors, new, keep_levels):
    """Windows of up to 12 leaves (truth tables of several words), every divisor and new-node limit."""
    from quantlogic.passes.resub import ResubParams, resub

    result, _ = resub(aig, ResubParams(leaves, divisors, new, keep_levels))
    assert np.array_equal(truth_table(result), truth_table(aig))
    assert result.n_ands <= aig.n_ands
    if keep_levels:
        assert depth_of(result) <= depth_of(aig)
    if result is not aig:
        nodes, new_nodes = node_tables(aig), node_tables(result)
        for node, lit in enumerate(result.source_map.tolist()):
            assert lit < 0 or np.array_equal(nodes[:, node], new_nodes[:, lit >> 1] ^ bool(lit & 1))


def test_resubstitution_reuses_existing_nodes():
    """a & (b | c) beside outputs a & b and a & c is their OR: one new AND replaces two."""
    from quantlogic.ir.aig import AIG
    from quantlogic.passes.resub import ResubParams, resub

    aig = AIG()
    a, b, c = (aig.add_input(n) for n in "abc")
    aig.add_output("p", aig.and_(a, b))
    aig.add_output("q", aig.and_(a, c))
    aig.add_output("r", aig.and_(a, aig.and_(b ^ 1, c ^ 1) ^ 1))
    assert aig.n_ands == 4
    assert resub(aig, ResubParams(max_new=0))[0] is aig
    small, stats = resub(aig)
    assert small.n_ands == 3 and stats["resubstituted"] == 1
    assert np.array_equal(truth_table(small), truth_table(aig))


@settings(max_examples=20, deadline=None)
@given(random_aigs(max_inputs=9, max_ands=120), st.integers(0, 3))
def test_rewrite_resub_runs_its_pairs_until_one_does_not_pay(aig, pairs):
    """Every step of rewrite-resub shrinks or keeps the circuit; with min_saving 0 all pairs run (unless no AND is
    left), with 1.0 (no pair saves all the ANDs) only the first."""
    from quantlogic.passes.resub import ResubRoundsParams, resub_rounds

    every, stats = resub_rounds(aig, ResubRoundsParams(max_pairs=pairs, min_saving=0))
    sizes = [aig.n_ands] + stats["steps"]
    assert len(stats["steps"]) == 2 + 2 * pairs or (sizes[-1] == 0 and len(stats["steps"]) == 2 + 2 * min(pairs, 1))
    assert all(b <= a for a, b in zip(sizes, sizes[1:]))
    assert np.array_equal(truth_table(every), truth_table(aig))
    first = resub_rounds(aig, ResubRoundsParams(max_pairs=pairs, min_saving=1.0))[1]["steps"]
    assert first == stats["steps"][:2 + 2 * min(pairs, 1)]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 8), st.integers(0, 2 ** 32 - 1), st.floats(0, 1))
def test_irredundant_cover_equals_its_table(n, seed, density):
    """Every cover is exact, no cube in it can go (irredundant), and the cover is the same on a second call."""
    from quantlogic.passes.collapse import irredundant_cover

    table = np.random.default_rng(seed).random(1 << n) < density
    rows = np.arange(1 << n)

    def value(cubes):
        out = np.zeros(1 << n, dtype=bool)
        for cube in cubes:
            inside = np.ones(1 << n, dtype=bool)
            for j, polarity in cube:
                inside &= ((rows >> j) & 1).astype(bool) == polarity
            out |= inside
        return out

    cover = irredundant_cover(table)
    assert np.array_equal(value(cover), table) and irredundant_cover(table) == cover
    for k in range(len(cover)):
        assert not np.array_equal(value(cover[:k] + cover[k + 1:]), table)


def test_collapse_rebuilds_small_circuits_from_their_truth_tables():
    """A parity of 6 inputs built as a sum of its 32 minterms collapses to the factored minimum of the parity
    (no smaller cover exists, but rewriting finds the XORs); a circuit over more inputs than allowed is kept."""
    from quantlogic.ir.aig import AIG
    from quantlogic.passes.collapse import CollapseParams, collapse

    aig = AIG()
    pins = [aig.add_input(f"x{k}") for k in range(6)]
    minterms = [aig.and_all(p ^ (1 - ((m >> k) & 1)) for k, p in enumerate(pins))
                for m in range(64) if bin(m).count("1") % 2]
    aig.add_output("parity", aig.or_all(minterms))
    small, stats = collapse(aig)
    assert np.array_equal(truth_table(small), truth_table(aig)) and small.n_ands <= 15 < aig.n_ands
    assert small.source_map[aig.output_lits[0] >> 1] ^ (aig.output_lits[0] & 1) == small.output_lits[0]
    assert collapse(aig, CollapseParams(max_inputs=5))[0] is aig


def _diagram_nodes(table):
    """Nodes of the shared reduced ordered decision diagram of table's columns, by recursion on their halves
    (the cofactors of the last input; input 0 nearest the constants)."""
    seen = set()

    def walk(bits):
        half = len(bits) // 2
        if half and bits[:half] == bits[half:]:
            walk(bits[:half])
        elif half and bits not in seen:
            seen.add(bits)
            walk(bits[:half])
            walk(bits[half:])

    for column in np.asarray(table).T:
        walk(tuple(column.tolist()))
    return len(seen)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 8), st.integers(1, 3), st.integers(0, 2 ** 32 - 1))
def test_decision_diagram_size_and_sifting(n, m, seed):
    """diagram_size counts the shared reduced ordered decision diagram's nodes (against a recursion on the
    table's halves), permuted moves input order[k] to position k, and sifting returns an order of every input
    whose diagram is never larger than the natural order's."""
    from quantlogic.passes.collapse import diagram_size, permuted, sifted_order

    rng = np.random.default_rng(seed)
    table = rng.random((1 << n, m)) < rng.random()
    assert diagram_size(table) == _diagram_nodes(table)
    order = list(rng.permutation(n))
    rows = np.arange(1 << n)
    moved = permuted(table, order)
    for k, i in enumerate(order):  # flipping input order[k] of table = flipping input k of moved
        flipped = permuted(table[rows ^ (1 << i)], order)
        assert np.array_equal(flipped, moved[rows ^ (1 << k)])
    best = sifted_order(table)
    assert sorted(best) == list(range(n)) and diagram_size(permuted(table, best)) <= diagram_size(table)


def test_collapse_finds_an_input_order_for_its_multiplexers():
    """OR of x_i AND x_{i+5} over 10 inputs: the natural order's decision diagram has 62 nodes, the interleaved
    one 10, and sifting finds a 10-node order; built as the natural order's multiplexers, the circuit collapses
    to the OR of 5 ANDs (9 ANDs)."""
    from quantlogic.ir.aig import AIG
    from quantlogic.passes.collapse import _multiplexers, collapse, diagram_size, permuted, sifted_order

    rows = np.arange(1 << 10)
    table = np.any([(rows >> i) & (rows >> (i + 5)) & 1 for i in range(5)], axis=0)[:, None]
    assert diagram_size(table) == 62 and diagram_size(permuted(table, sifted_order(table))) == 10
    aig = AIG()
    pins = [aig.add_input(f"x{k}") for k in range(10)]
    aig.add_output("f", _multiplexers(aig, table[:, 0], pins))
    small = collapse(aig)[0]
    assert np.array_equal(truth_table(small), table) and small.n_ands == 9 < aig.n_ands
