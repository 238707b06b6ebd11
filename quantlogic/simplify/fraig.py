"""FRAIG-style sweeping: nodes with equal random-simulation signatures (up to complement) are candidates;
each candidate is proved equal to its class representative, by exhaustive simulation of a small support
or by SAT with a decision limit, and then merged. Unproved candidates are left alone."""
import numpy as np

from ..ir.aig import AIG
from ..kernels.simulate import Simulator, pack_bits
from ..pyeda_bridge import UNKNOWN
from ..verify.cones import evaluate_cone
from ..verify.sat import CNF

DEFAULTS = {"words": 32, "seed": 0, "exhaustive_support": 14, "decision_limit": 300, "max_cone": 3000}
FLUSH_EVERY = 4  # witnesses simulated together (a word holds 64; the rest of it repeats an all-zero input)


def node_simulator(aig):
    """A simulator whose outputs are all the nodes of aig."""
    return Simulator(aig, [2 * n for n in range(aig.n_nodes)])


def signatures(simulator, n_inputs, words, seed):
    """(n_nodes, words) simulation values of every node under random inputs."""
    rng = np.random.default_rng(seed)
    return simulator.words(rng.integers(0, 2 ** 64, size=(n_inputs, words), dtype=np.uint64))


def support(aig, lits):
    base = 1 + aig.n_inputs
    seen, found, todo = set(), set(), [lit >> 1 for lit in lits]
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        if node < base:
            if node:
                found.add(node)
            continue
        todo += [aig.fanin0[node - base] >> 1, aig.fanin1[node - base] >> 1]
    return sorted(found), len(seen)


def prove_equal(aig, a, b, params):
    """(verdict, witness): verdict True when literals a and b are equal on every input, False when they
    differ (witness: {input node: bool} where they do), None when undecided within the limits."""
    if a == b:
        return True, None
    inputs, cone_size = support(aig, [a, b])
    if len(inputs) <= params["exhaustive_support"]:
        patterns = np.arange(1 << len(inputs))
        cut = {node: ((patterns >> t) & 1).astype(bool) for t, node in enumerate(inputs)}
        values = evaluate_cone(aig, [a, b], cut)
        bad = np.flatnonzero(values[0] != values[1])
        if not len(bad):
            return True, None
        return False, {node: bool((bad[0] >> t) & 1) for t, node in enumerate(inputs)}
    if params["max_cone"] is not None and cone_size > params["max_cone"]:
        return None, None
    cnf = CNF()
    leaves = {node: cnf.new_var() for node in inputs}
    x, y = cnf.encode(aig, [a, b], lambda node: leaves.get(node))
    result = cnf.differ([x], [y], params["decision_limit"])
    if result is UNKNOWN:
        return None, None
    if result is None:
        return True, None
    return False, {node: result[var] for node, var in leaves.items()}


class Witnesses:
    """Input patterns that told candidates apart, simulated on every node a few at a time, so a later
    candidate they already separate is dropped without a SAT call."""

    def __init__(self, simulator, n_inputs, n_nodes):
        self.simulator = simulator
        self.n_inputs = n_inputs
        self.words = np.zeros((n_nodes, 0), dtype=np.uint64)
        self.pending = []

    def add(self, witness):
        self.pending.append([bool(witness.get(t + 1, False)) for t in range(self.n_inputs)])
        if len(self.pending) == FLUSH_EVERY:
            self.flush()

    def flush(self):
        if not self.pending:
            return
        bits = np.array(self.pending, dtype=bool)
        self.words = np.concatenate([self.words, self.simulator.words(pack_bits(bits))], axis=1)
        self.pending = []

    def separate(self, node, rep_node, flipped):
        """Whether the simulated witnesses show node != rep_node (xor flipped)."""
        if not self.words.shape[1]:
            return False
        diff = self.words[node] ^ self.words[rep_node]
        valid = np.uint64((1 << 64) - 1)
        expected = valid if flipped else np.uint64(0)
        return bool(np.any(diff != expected))


def fraig(aig, params=None):
    params = {**DEFAULTS, **(params or {})}
    simulator = node_simulator(aig)
    sigs = signatures(simulator, aig.n_inputs, params["words"], params["seed"])
    phase = (sigs[:, 0] & np.uint64(1)).astype(bool)
    normal = np.where(phase[:, None], ~sigs, sigs)
    witnesses = Witnesses(simulator, aig.n_inputs, aig.n_nodes)
    new = AIG()
    mapping = {0: 0}
    representative = {normal[0].tobytes(): 0}  # signature key -> original node of the class
    for k, name in enumerate(aig.input_names):
        mapping[k + 1] = new.add_input(name)
        representative.setdefault(normal[k + 1].tobytes(), k + 1)
    base = 1 + aig.n_inputs
    stats = {"pass": "fraig", "ands_before": aig.n_ands, "candidates": 0, "merged": 0, "disproved": 0, "unknown": 0}
    for node in aig.cone(aig.output_lits):
        k = node - base
        lit = new.and_(mapping[aig.fanin0[k] >> 1] ^ (aig.fanin0[k] & 1),
                       mapping[aig.fanin1[k] >> 1] ^ (aig.fanin1[k] & 1))
        key = normal[node].tobytes()
        rep = representative.setdefault(key, node)
        flipped = bool(phase[rep]) != bool(phase[node])
        target = mapping.get(rep, lit) ^ int(flipped)
        if rep != node and target != lit:
            stats["candidates"] += 1
            if witnesses.separate(node, rep, flipped):
                stats["disproved"] += 1
            else:
                proved, witness = prove_equal(new, lit, target, params)
                if proved:
                    lit = target
                    stats["merged"] += 1
                elif proved is False:
                    stats["disproved"] += 1
                    witnesses.add(witness)
                else:
                    stats["unknown"] += 1
        mapping[node] = lit
    for name, out in zip(aig.output_names, aig.output_lits):
        new.add_output(name, mapping[out >> 1] ^ (out & 1))
    from .passes import sweep

    swept, _ = sweep(new)
    stats["ands_after"] = swept.n_ands
    return swept, stats
