"""FRAIG-style sweeping: nodes with equal simulation signatures (up to complement) are candidates; each is
proved equal to an earlier member of its class (windows of the two cones, exhaustive simulation of a small
support, or SAT with a decision limit) and then merged. Unproved candidates are left alone. Circuits of at
most 20 inputs are signed by 128-bit hashes of whole truth tables and merged on equal hashes; the
equivalence check after every simplification is exhaustive for them."""
import numpy as np

from dataclasses import dataclass, field

from ..kernels.classes import ClassCopy
from ..kernels.cones import Cones
from ..kernels.simulate import node_words, pack_bits, truth_hashes
from ..kernels.strash import rebuild_arrays
from ..prove.pairs import PairLimits, prove_equal
from .progress import report_progress
from .structural import compose, mapped_aig


@dataclass(frozen=True)
class FraigParams:
    """words: 64-pattern simulation words per node for the signatures; max_members / max_tries: class
    members a candidate is compared with and proofs it gets; exhaustive_inputs: circuits this small are
    signed by whole truth tables; witness_words: simulated witness words kept per node (the oldest is
    overwritten past that); into: a bool per node, merges only of unmarked nodes into marked ones;
    limits: of each pair proof."""

    words: int = 32
    seed: int = 0
    max_members: int = 16
    max_tries: int = 3
    exhaustive_inputs: int = 20
    witness_words: int = 32
    into: np.ndarray | None = field(default=None, compare=False)
    limits: PairLimits = PairLimits()


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


class Witnesses:
    """Input patterns that told candidates apart, each simulated at once on every node together with 63
    neighbours (one input flipped), so later candidates they separate are dropped without a SAT call. At
    most `capacity` words a node are kept (memory bounded by design): past that, each new witness word
    overwrites the oldest."""

    def __init__(self, aig, seed, capacity):
        self.fanin0, self.fanin1, _ = aig.arrays()
        self.n_inputs = aig.n_inputs
        self.capacity = capacity
        self.words = np.zeros((aig.n_nodes, capacity), dtype=np.uint64)  # growing it would hold two copies
        self.added = 0
        self.rng = np.random.default_rng(seed)

    @property
    def used(self):
        """Columns of words that hold a witness."""
        return min(self.added, self.capacity)

    def add(self, witness):
        row = np.array([bool(witness.get(t + 1, False)) for t in range(self.n_inputs)])
        block = np.tile(row, (64, 1))
        block[np.arange(1, 64), self.rng.integers(0, self.n_inputs, size=63)] ^= True
        column = self.added % self.capacity
        node_words(self.fanin0, self.fanin1, self.n_inputs, pack_bits(block), self.words, column)
        self.added += 1


def fraig(aig, params=FraigParams()):
    """Merge nodes proved equal (up to complement). params.into, when given, is a bool per node: only
    unmarked nodes are merged, and only into marked representatives (an equivalence check merges one
    circuit into the other and needs no merges inside either)."""
    exact = aig.n_inputs <= params.exhaustive_inputs
    if exact:  # whole truth tables: equal hashes are equal functions (the CEC that follows re-checks)
        keys, phase = truth_hashes(aig)
    else:
        keys = signatures(aig, params.words, params.seed)
        phase = (keys[:, 0] & np.uint64(1)).astype(bool)
        np.invert(keys, out=keys, where=phase[:, None])  # in place: one n_nodes x words matrix, not three
    copy = ClassCopy(aig, keys, phase, params.into, exact, params.max_members, params.max_tries)
    del keys  # the classes are made: the witnesses take the signatures' memory
    witnesses = Witnesses(aig, params.seed, params.witness_words)
    stats = {"pass": "fraig", "ands_before": aig.n_ands, "candidates": 0, "merged": 0, "disproved": 0, "unknown": 0}
    cones = Cones(aig.n_inputs, aig.n_ands)
    while (pair := copy.next(witnesses.words, witnesses.used)) is not None:
        stats["candidates"] += 1
        if stats["candidates"] % 256 == 0:
            report_progress(int(copy.state[0]), aig.n_nodes)
        cones.extend(copy.copy.fanin0[:copy.copy.n_ands], copy.copy.fanin1[:copy.copy.n_ands])
        proved, witness = prove_equal(cones, *pair, params.limits)
        stats["merged" if proved else "disproved" if proved is False else "unknown"] += 1
        if proved is False:
            witnesses.add(witness)
        copy.settle(proved)
    stats["candidates"] += int(copy.counts[0])
    stats["merged"] += int(copy.counts[1])
    hashed, outs = copy.copy, np.asarray(aig.output_lits, dtype=np.int64)
    new0, new1, outs, node_map = rebuild_arrays(hashed.fanin0[:hashed.n_ands], hashed.fanin1[:hashed.n_ands],
                                                aig.n_inputs, copy.mapping[outs >> 1] ^ (outs & 1))
    swept = mapped_aig(aig, new0, new1, outs, compose(copy.mapping, node_map))
    stats["ands_after"] = swept.n_ands
    return swept, stats
