"""Combinational equivalence of two AIGs with the same pins: random simulation for a quick
counterexample, then FRAIG sweeping of their miter (shared structure merges at once), then SAT or
exhaustive proofs of any output pair not yet merged."""
import numpy as np

from ..ir.aig import AIG
from ..kernels.cones import Cones
from ..kernels.simulate import Simulator, all_input_words
from ..kernels.strash import HashedCopy, cone_array
from ..passes.fraig import FraigParams, fraig
from ..passes.structural import compose
from ..prove.pairs import PairLimits, prove_equal
from .limits import EXHAUSTIVE_LIMIT, effort
from ..verdict import disproved, proved, undecided

SIM_WORDS = 64
EXHAUSTIVE_FIRST = 20  # up to this many inputs, simulating every pattern is quicker than any proof
OUTPUT_DECISION_LIMIT = 200_000


def miter_parts(a, b, hints=None, prove=None):
    """Both circuits over shared inputs (matched by name, in a's order) in one HashedCopy, b's gates
    first: (copy, a's outputs, b's outputs in a's output order). With hints (int64 per node of a: a literal of b
    claimed equal, or -1) and
    prove(copy, x, y) -> bool, each hinted node of a is merged into its b literal where prove says they
    are equal."""
    if sorted(a.input_names) != sorted(b.input_names) or sorted(a.output_names) != sorted(b.output_names):
        raise ValueError("the circuits do not have the same input and output pins")
    both = HashedCopy(a.n_inputs, a.n_ands + b.n_ands)
    position = {name: k for k, name in enumerate(a.input_names)}
    b_map = both.copy(b, np.array([2 * (1 + position[name]) for name in b.input_names], dtype=np.int64))
    targets, merge = None, None
    if hints is not None:
        hints = np.asarray(hints, dtype=np.int64)[:a.n_nodes]
        nodes = np.flatnonzero(hints >= 0)
        lits = hints[nodes]
        inside = lits >> 1 < b.n_nodes
        nodes, lits = nodes[inside], lits[inside]
        mapped = b_map[lits >> 1]
        targets = np.full(a.n_nodes, -1, dtype=np.int64)
        targets[nodes] = np.where(mapped >= 0, mapped ^ (lits & 1), -1)

        def merge(node, lit, target):
            return target if prove(both, lit, target) else lit
    a_map = both.copy(a, 2 * np.arange(1, a.n_inputs + 1, dtype=np.int64), targets, merge)
    return both, _outputs(a, a_map, a.output_names), _outputs(b, b_map, a.output_names)


def _outputs(circuit, mapping, names):
    named = dict(zip(circuit.output_names, circuit.output_lits))
    return [int(mapping[named[n] >> 1]) ^ (named[n] & 1) for n in names]


def _bits_of(aig, witness):
    return [bool(witness.get(k + 1, False)) for k in range(aig.n_inputs)]


def equivalent(a, b, seed=0, hints=None):
    """Verdict of a == b on every input (counterexample: input bits in a's input order). hints (a literal
    of b per node of a, or -1), claimed equal by whatever made b, are tried first; each is proved before use."""
    if hints is not None and a.n_inputs > EXHAUSTIVE_FIRST:
        merges = _proved_by_hints(a, b, hints)
        if merges is not None:
            return proved("equivalence", f"{merges} internal equivalences along the node map, each proved by "
                                         "exhaustive simulation or SAT, merge the circuit into its result")
    copy, outs_a, outs_b = miter_parts(a, b)
    both = AIG.from_arrays(a.input_names, copy.fanin0[:copy.n_ands], copy.fanin1[:copy.n_ands], [], [])
    for k, (x, y) in enumerate(zip(outs_a, outs_b)):
        both.add_output(f"a{k}", x)
        both.add_output(f"b{k}", y)
    rng = np.random.default_rng(seed)
    words = rng.integers(0, 2 ** 64, size=(both.n_inputs, SIM_WORDS), dtype=np.uint64)
    sim = Simulator(both).words(words)
    differ = sim[0::2] ^ sim[1::2]  # (outputs, words)
    if differ.any():
        return _first_difference(differ, words, a.output_names)
    if both.n_inputs <= EXHAUSTIVE_FIRST:
        return _exhaustive(both, outs_a, outs_b, a.output_names)
    pairs = list(zip(both.output_lits[0::2], both.output_lits[1::2]))
    merged = both
    if any(x != y for x, y in pairs):
        into = np.zeros(both.n_nodes, dtype=bool)
        into[cone_array(*both.arrays()[:2], both.n_inputs, outs_b)] = True
        merged, _ = fraig(both, FraigParams(words=SIM_WORDS, into=into, limits=PairLimits(decision_limit=1000)))
        pairs = list(zip(merged.output_lits[0::2], merged.output_lits[1::2]))
    decisions = OUTPUT_DECISION_LIMIT * effort()
    limits = PairLimits(decision_limit=decisions, max_cone=None)
    cones = Cones(merged.n_inputs, merged.n_ands)
    cones.extend(merged.fanin0, merged.fanin1)
    for k, (x, y) in enumerate(pairs):
        if x == y:
            continue
        equal, witness = prove_equal(cones, x, y, limits)
        if equal is False:
            return disproved("equivalence", f"output {a.output_names[k]} differs", _bits_of(merged, witness))
        if equal is None:
            if both.n_inputs > EXHAUSTIVE_LIMIT:
                return undecided("equivalence", f"output {a.output_names[k]} could not be proved equal within "
                                                f"{decisions} SAT decisions", SIM_WORDS * 64)
            return _exhaustive(both, outs_a, outs_b, a.output_names)
    return proved("equivalence", "FRAIG sweeping and SAT/exhaustive proofs of every output pair against the "
                                 f"circuit it came from; also simulated {SIM_WORDS * 64} random vectors",
                  vectors=SIM_WORDS * 64)


def _first_difference(differ, words, names):
    """The disproved verdict of the first set bit of differ (outputs, words): the input vector of that bit of
    the input words (inputs, words)."""
    out, w = (int(i) for i in np.argwhere(differ)[0])
    mask = int(differ[out, w])
    pattern = (mask & -mask).bit_length() - 1
    bits = [bool((int(words[t, w]) >> pattern) & 1) for t in range(len(words))]
    return disproved("equivalence", f"output {names[out]} differs", bits, SIM_WORDS * 64)


def _random_difference(a, b, seed=0):
    """A disproved verdict when a and b (the same pins) differ on SIM_WORDS * 64 random input vectors, else
    None (each circuit simulated on its own, in bounded memory)."""
    words = np.random.default_rng(seed).integers(0, 2 ** 64, size=(a.n_inputs, SIM_WORDS), dtype=np.uint64)
    position = {name: k for k, name in enumerate(a.input_names)}
    row = {name: k for k, name in enumerate(b.output_names)}
    values_b = Simulator(b).words(words[[position[name] for name in b.input_names]])
    differ = Simulator(a).words(words) ^ values_b[[row[name] for name in a.output_names]]
    return _first_difference(differ, words, a.output_names) if differ.any() else None


def window_equal(window, result, node_map):
    """Verdict of a simplified window against the window it came from, along the passes' node map (see
    passes/windows.py)."""
    return equivalent(window, result, hints=node_map)


def equivalent_through(a, b, steps):
    """Verdict of a == b where steps [(input, output, hints, local), ...] lead from a to b: a first step whose
    output carries a proved proof (the pass proved it, see AIG.proof) needs none; each run of consecutive
    local steps is proved at once along its composed hints (their passes' source maps), other steps one by
    one along their own; a run that does not go through is proved step by step; if a step is not proved, a
    and b are compared directly."""
    first = steps[0][1].proof if steps else None
    if first is not None and first.ok:  # what the proof took on trust (the stitching) meets random vectors
        wrong = _random_difference(a, steps[0][1])
        if wrong is not None:
            return wrong
        first = proved(first.method, *first.details, f"the whole circuit also simulated on {SIM_WORDS * 64} random "
                       "vectors against the one it came from", vectors=SIM_WORDS * 64)
        if len(steps) == 1:
            return first
        rest = equivalent_through(steps[0][1], b, steps[1:])
        return proved(rest.method, *first.details, *rest.details, vectors=rest.vectors) if rest.ok else rest
    if len(steps) == 1:
        return equivalent(a, b, hints=steps[0][2])
    if a.n_inputs > EXHAUSTIVE_FIRST and steps:
        merges, by_miter = 0, 0
        for run in _runs(steps):
            found = _proved_by_hints(run[0][0], run[-1][1], _composed(run)) if len(run) > 1 else None
            if found is not None:
                merges += found
                continue
            for before, after, hints, _ in run:
                found = None if hints is None else _proved_by_hints(before, after, hints)
                if found is not None:
                    merges += found
                elif equivalent(before, after).ok:
                    by_miter += 1
                else:
                    return equivalent(a, b, hints=_composed(steps))
        also = f"; {by_miter} of them by FRAIG sweeping of the miter" if by_miter else ""
        return proved("equivalence", f"each of the {len(steps)} passes that changed the circuit is proved equal "
                                     f"to its input: {merges} internal equivalences along the passes' node maps, "
                                     f"each proved by exhaustive simulation or SAT{also}")
    return equivalent(a, b, hints=_composed(steps) if steps else None)


def _runs(steps):
    """Steps split into runs: consecutive local steps with hints together, every other step alone."""
    runs = []
    for step in steps:
        joins = runs and step[3] and step[2] is not None and runs[-1][-1][3] and runs[-1][-1][2] is not None
        if joins:
            runs[-1].append(step)
        else:
            runs.append([step])
    return runs


def _composed(run):
    """The hints of a run of steps, composed from its first input to its last output (None when a step
    has none)."""
    hints = run[0][2]
    for step in run[1:]:
        hints = compose(hints, step[2])
    return hints


class _TooManyFailures(Exception):
    pass


def _proved_by_hints(a, b, hints, max_failures=8):
    """The number of merges when merging a into b along the hints (each merge proved by exhaustive
    simulation or SAT, on a window or the cone) leaves every output pair identical, else None (also once
    max_failures hints could not be proved: the hints are not to be relied on)."""
    limits = PairLimits(decision_limit=20000, max_cone=None, window_sat=True)
    cones = Cones(a.n_inputs, a.n_ands + b.n_ands)
    results = []

    def prove(both, x, y):
        cones.extend(both.fanin0[:both.n_ands], both.fanin1[:both.n_ands])
        results.append(prove_equal(cones, x, y, limits)[0] is True)
        if len(results) - sum(results) > max_failures:
            raise _TooManyFailures
        return results[-1]

    try:
        _, outs_a, outs_b = miter_parts(a, b, hints, prove)
    except _TooManyFailures:
        return None
    return sum(results) if outs_a == outs_b else None


def _exhaustive(both, outs_a, outs_b, names):
    """Compare the two circuits' outputs on every input pattern."""
    values = Simulator(both, outs_a + outs_b).words(all_input_words(both.n_inputs))
    n = len(outs_a)
    total = 1 << both.n_inputs
    if both.n_inputs < 6:
        values = values & np.uint64((1 << total) - 1)
    differ = values[:n] ^ values[n:]
    if not differ.any():
        return proved("equivalence, exhaustive", f"equal on all {total} inputs", vectors=total)
    out, w = (int(i) for i in np.argwhere(differ)[0])
    mask = int(differ[out, w])
    pattern = 64 * w + (mask & -mask).bit_length() - 1
    return disproved("equivalence, exhaustive", f"output {names[out]} differs",
                     [bool((pattern >> t) & 1) for t in range(both.n_inputs)], total)
