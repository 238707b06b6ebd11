"""A guided search for input codes where a circuit and its IntNetwork give different classes, run when a
proof did not go through: greedy local search over one-feature code changes, from witnesses that the part
is wrong (given, and found by SAT for its bits), then the test vectors closest to a flip. A candidate's score
is how far the IntNetwork's decision is from flipping once the part that was not proved (a hidden neuron's
code or a logit, as the circuit computes it) replaces the network's own; every candidate's class is also
simulated on the whole circuit, so a returned input is a real difference."""
from dataclasses import dataclass, replace

import numpy as np

from ..ir.aig import FALSE
from ..kernels.cones import Cones
from ..kernels.simulate import Simulator
from ..prove.pairs import PairLimits, prove_equal
from ..quant.codes import bits_to_ints, pin_bits, pin_layout
from ..quant.intnet import int_matmul, threshold_codes

_APART = 1 << 40  # the score of a candidate where the part's value moves no decision


@dataclass(frozen=True)
class SearchLimits:
    starts: int = 32  # test vectors the search starts from (those closest to a flip)
    steps: int = 40  # moves from each start
    gate_patterns: float = 4e9  # AND gates x input patterns simulated in all: bounds the time, deterministically
    seed_decisions: int = 20000  # SAT decisions for each start where one bit of the part is 0 or 1

    def scaled(self, factor):
        """These limits with the budgets (patterns, SAT decisions) multiplied by factor."""
        return replace(self, gate_patterns=self.gate_patterns * factor, seed_decisions=self.seed_decisions * factor)


@dataclass(frozen=True)
class Part:
    """What the circuit computes for a part whose proof did not go through."""
    layer: int  # a hidden layer, or len(net.hidden) for a logit
    index: int
    word: list  # the circuit's literals: a hidden neuron's code bits, or a logit's sum word
    offset: int = 0  # the part's value is the word's value plus this


def search_counterexample(net, aig, starts, part=None, limits=SearchLimits(), seed=0, first=0):
    """Input codes (F,) where the circuit's class differs from the IntNetwork's, or None when the search
    found none within its limits (which proves nothing). The first `first` rows of starts (witnesses that
    the part is wrong there) are searched from before the rows closest to a flip."""
    score = _Scorer(net, aig, part)
    starts = np.asarray(starts, dtype=np.int64).reshape(-1, net.n_features)
    if part is not None:
        witnesses = _bit_witnesses(net, aig, part.word, starts, limits.seed_decisions)
        starts, first = np.concatenate([witnesses, starts]), first + len(witnesses)
    if not len(starts):
        return None
    patterns = limits.gate_patterns / max(aig.n_ands, 1)
    values, found = score(starts)
    patterns -= len(starts)
    if found is not None:
        return found
    rng = np.random.default_rng(seed)
    order = np.concatenate([np.arange(first), first + np.argsort(values[first:], kind="stable")])
    for start in order[:max(limits.starts, first)]:
        x, current = starts[start].copy(), values[start]
        for _ in range(limits.steps):
            neighbours = _neighbours(x, 1 << net.ibits)
            if patterns < len(neighbours):
                return None
            patterns -= len(neighbours)
            scores, found = score(neighbours)
            if found is not None:
                return found
            best = int(np.argmin(scores))
            if scores[best] < current:
                x, current = neighbours[best], scores[best]
            else:  # a local minimum: change two features at random
                x = x.copy()
                x[rng.integers(len(x), size=2)] = rng.integers(1 << net.ibits, size=2)
                kicked, found = score(x[None])
                if found is not None:
                    return found
                current = kicked[0]
    return None


def _bit_witnesses(net, aig, word, starts, decisions):
    """Input codes, found by SAT, where a bit of the word takes a value it takes on none of the starts (when
    it can): starts on every side of the part, also where random vectors never go (a rare code of a neuron)."""
    inputs, _ = pin_layout(aig, net.n_features, net.ibits, net.n_classes)
    seen = Simulator(aig, word).bits(pin_bits(starts, net.ibits, inputs))
    missing = [lit ^ (not value) for j, lit in enumerate(word) for value in (True, False)
               if not (seen[:, j] == value).any()]
    if not missing:
        return np.zeros((0, net.n_features), dtype=np.int64)
    cones = Cones(aig.n_inputs, aig.n_ands)
    cones.extend(aig.fanin0, aig.fanin1)
    limits = PairLimits(decision_limit=decisions, max_cone=None)
    rows = []
    for value in missing:
        verdict, witness = prove_equal(cones, value, FALSE, limits)
        if verdict is False:
            at = np.zeros(aig.n_inputs, dtype=np.int64)
            for node, bit in witness.items():
                at[node - 1] = int(bit)
            rows.append(bits_to_ints(at[inputs].reshape(net.n_features, net.ibits)))
    return np.array(rows, dtype=np.int64).reshape(-1, net.n_features)


def _neighbours(x, n_codes):
    """Every input that differs from codes x in one feature."""
    features, codes = np.divmod(np.arange(len(x) * n_codes), n_codes)
    keep = codes != x[features]
    out = np.repeat(x[None], int(keep.sum()), axis=0)
    out[np.arange(len(out)), features[keep]] = codes[keep]
    return out


class _Scorer:
    """(scores, the first candidate where the circuit's class differs or None) for rows of input codes."""

    def __init__(self, net, aig, part):
        self.net, self.part = net, part
        self.inputs, outputs = pin_layout(aig, net.n_features, net.ibits, net.n_classes)
        self.n_class_bits = len(outputs)
        lits = [aig.output_lits[k] for k in outputs] + (list(part.word) if part else [])
        self.simulator = Simulator(aig, lits)

    def __call__(self, codes):
        simulated = self.simulator.bits(pin_bits(codes, self.net.ibits, self.inputs))
        logits = self.net.forward_codes(codes)[1]
        winner = np.argmax(logits, axis=1)
        wrong = np.flatnonzero(bits_to_ints(simulated[:, :self.n_class_bits]) != winner)
        if len(wrong):
            return None, codes[wrong[0]].copy()
        lead = _leads(logits, winner)
        if self.part is None:
            return lead.min(axis=1), None
        value = bits_to_ints(simulated[:, self.n_class_bits:]) + self.part.offset
        mixed = _leads(_logits_with(self.net, codes, self.part, value), winner)
        affected = mixed != lead  # pairs (winner, j) whose order the part's value moves
        closest = np.where(affected, mixed, _APART).min(axis=1)
        return np.where(affected.any(axis=1), closest, _APART + lead.min(axis=1)), None


def _leads(logits, winner):
    """(N, C): how far each row's winner is ahead of each class (negative: that class wins instead), the
    smaller index winning ties; the winner's own column is the largest integer."""
    rows = np.arange(len(logits))
    lead = logits[rows, winner][:, None] - logits - (np.arange(logits.shape[1])[None, :] < winner[:, None])
    lead[rows, winner] = np.iinfo(np.int64).max
    return lead


def _logits_with(net, codes, part, value):
    """IntNetwork logits with the part's value replaced by `value`."""
    h = np.take_along_axis(net.levels.T, codes, axis=0)
    for layer, ((W, T), pool) in enumerate(zip(net.hidden, net.pools)):
        h = threshold_codes(int_matmul(h, W.T), T)
        if layer == part.layer:
            h[:, part.index] = value
        if pool is not None:
            h = h[:, pool].max(axis=2)
    logits = int_matmul(h, net.out_W.T) + net.out_B
    if part.layer == len(net.hidden):
        logits[:, part.index] = value
    return logits
