"""FRAIG-style sweeping: nodes with equal simulation signatures (up to complement) are candidates; each is
proved equal to an earlier member of its class (windows of the two cones, exhaustive simulation of a small
support, or SAT with a decision limit) and then merged. Unproved candidates are left alone. Circuits of at
most 20 inputs are signed by 128-bit hashes of whole truth tables and merged on equal hashes; the
equivalence check after every simplification is exhaustive for them."""
import numpy as np

from ..kernels.classes import ClassCopy
from ..kernels.cones import Cones
from ..kernels.sat import UNKNOWN as SAT_UNKNOWN
from ..kernels.simulate import node_words, pack_bits, truth_hashes
from ..kernels.strash import rebuild_arrays
from .passes import compose_arrays, mapped_aig

# decision_limit: pairs SAT leaves undecided after 100 decisions are mostly different (at 3000 most turn out
# so) and cost ~1 ms each at 300; ABC's fraig also gives a pair 100 backtracks (fraig -C).
DEFAULTS = {"words": 32, "seed": 0, "exhaustive_support": 10, "decision_limit": 100, "max_cone": 3000,
            "max_members": 16, "max_tries": 3, "window": 1000, "window_sat": False,
            "exhaustive_work": 1 << 16, "exhaustive_inputs": 20}
UNKNOWN = "unknown"  # a comparison the limits did not decide
WINDOWS = ((8, 0), (10, 3), (1 << 30, 0))  # (levels from the roots, levels of shared nodes) of each try
DENSITIES = (0.5, 0.2, 0.8, 0.05, 0.95, 0.35, 0.65)


def signatures(aig, words, seed):
    """(n_nodes, words) simulation values of every node under random inputs; the words cycle through input
    densities (probability of a 1) so rarely-true nodes such as comparators get exercised too."""
    rng = np.random.default_rng(seed)
    density = np.resize(DENSITIES, words)
    bits = rng.random((words * 64, aig.n_inputs)) < np.repeat(density, 64)[:, None]
    fanin0, fanin1, _ = aig.arrays()
    out = np.empty((aig.n_nodes, words), dtype=np.uint64)
    node_words(fanin0, fanin1, aig.n_inputs, pack_bits(bits), out)
    return out


def prove_equal(cones, a, b, params):
    """(verdict, witness): verdict True when literals a and b of the AIG held by cones are equal on every
    input, False when they differ (witness: {input node: bool} where they do), None when undecided within
    the limits. First windows around the part of the two cones that only one of them reaches are compared
    with their leaves free (WINDOWS; by SAT too when params["window_sat"], else only windows cheap to
    simulate exhaustively): equal there means equal everywhere (rewriting and merging leave such local
    differences), and when a window reaches down to the inputs the comparison is exact."""
    if a == b:
        return True, None
    for max_depth, max_shared in WINDOWS:
        window = cones.window(a, b, params["window"], max_depth, max_shared)
        if window is None:
            continue
        leaves, ands = window
        if not params["window_sat"] and not _exhaustive(leaves, ands, params):
            continue
        result = _differ(cones, a, b, leaves, ands, params)
        if result is None:
            return True, None
        if result is not UNKNOWN and (not len(leaves) or leaves[-1] <= cones.n_inputs):  # reaches the inputs: exact
            return False, _witness(result, leaves)
    cone = cones.cone([a, b], params["max_cone"])
    if cone is None:
        return None, None
    result = _differ(cones, a, b, *cone, params)
    if result is UNKNOWN:
        return None, None
    return (True, None) if result is None else (False, _witness(result, cone[0]))


def _witness(assignment, inputs):
    """{input node: bool} from a bool per node of inputs."""
    return {int(node): bool(value) for node, value in zip(inputs, assignment)}


def _exhaustive(leaves, ands, params):
    """Whether simulating every assignment of the leaves is cheap enough (or the support small)."""
    return len(leaves) <= params["exhaustive_support"] or (
        len(leaves) <= 24 and (1 << max(0, len(leaves) - 6)) * len(ands) <= params["exhaustive_work"])


def _differ(cones, a, b, leaves, ands, params):
    """An assignment of the leaves (a bool each) where a and b differ with the leaves free, None when
    they cannot, or UNKNOWN; exhaustive over the leaves when there are few, else SAT."""
    if _exhaustive(leaves, ands, params):
        index = cones.first_difference(a, b, leaves, ands)
        return None if index < 0 else (index >> np.arange(len(leaves))) & 1 > 0
    status, assignment = cones.sat_difference(a, b, leaves, ands, params["decision_limit"])
    return UNKNOWN if status == SAT_UNKNOWN else assignment


class Witnesses:
    """Input patterns that told candidates apart, each simulated at once on every node together with 63
    neighbours (one input flipped), so later candidates they separate are dropped without a SAT call."""

    def __init__(self, aig, seed):
        self.fanin0, self.fanin1, _ = aig.arrays()
        self.n_inputs = aig.n_inputs
        self.words = np.zeros((aig.n_nodes, 16), dtype=np.uint64)
        self.used = 0
        self.rng = np.random.default_rng(seed)

    def add(self, witness):
        row = np.array([bool(witness.get(t + 1, False)) for t in range(self.n_inputs)])
        block = np.tile(row, (64, 1))
        block[np.arange(1, 64), self.rng.integers(0, self.n_inputs, size=63)] ^= True
        if self.used == self.words.shape[1]:
            self.words = np.concatenate([self.words, np.zeros_like(self.words)], axis=1)
        node_words(self.fanin0, self.fanin1, self.n_inputs, pack_bits(block), self.words, self.used)
        self.used += 1


def fraig(aig, params=None):
    """Merge nodes proved equal (up to complement). params["into"], when given, is a bool per node: only
    unmarked nodes are merged, and only into marked representatives (an equivalence check merges one
    circuit into the other and needs no merges inside either)."""
    params = {**DEFAULTS, **(params or {})}
    exact = aig.n_inputs <= params["exhaustive_inputs"]
    if exact:  # whole truth tables: equal hashes are equal functions (the CEC that follows re-checks)
        keys, phase = truth_hashes(aig)
    else:
        sigs = signatures(aig, params["words"], params["seed"])
        phase = (sigs[:, 0] & np.uint64(1)).astype(bool)
        keys = np.where(phase[:, None], ~sigs, sigs)
    copy = ClassCopy(aig, keys, phase, params.get("into"), exact, params["max_members"], params["max_tries"])
    witnesses = Witnesses(aig, params["seed"])
    stats = {"pass": "fraig", "ands_before": aig.n_ands, "candidates": 0, "merged": 0, "disproved": 0, "unknown": 0}
    cones = Cones(aig.n_inputs, aig.n_ands)
    while (pair := copy.next(witnesses.words, witnesses.used)) is not None:
        stats["candidates"] += 1
        cones.extend(copy.copy.fanin0[:copy.copy.n_ands], copy.copy.fanin1[:copy.copy.n_ands])
        proved, witness = prove_equal(cones, *pair, params)
        stats["merged" if proved else "disproved" if proved is False else "unknown"] += 1
        if proved is False:
            witnesses.add(witness)
        copy.settle(proved is True)
    stats["candidates"] += int(copy.counts[0])
    stats["merged"] += int(copy.counts[1])
    hashed, outs = copy.copy, np.asarray(aig.output_lits, dtype=np.int64)
    new0, new1, outs, node_map = rebuild_arrays(hashed.fanin0[:hashed.n_ands], hashed.fanin1[:hashed.n_ands],
                                                aig.n_inputs, copy.mapping[outs >> 1] ^ (outs & 1))
    swept = mapped_aig(aig, new0, new1, outs, compose_arrays(copy.mapping, node_map))
    stats["ands_after"] = swept.n_ands
    return swept, stats
