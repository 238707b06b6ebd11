"""The FRAIG copy loop: an AIG's nodes are copied in order into a hashed AIG, each proposed for merging
with earlier members of its simulation class; the loop stops at every pair that needs a proof and
resumes with the verdict (simplify/fraig.py holds the proofs)."""
import numba
import numpy as np

from .config import NJIT
from .strash import HashedCopy, _hashed_and, cone_array


@numba.njit(**NJIT)
def _separated(words, used, node, rep, flipped):
    """Whether simulated witness words tell node from rep (xor flipped)."""
    want = ~np.uint64(0) if flipped else np.uint64(0)
    for w in range(used):
        if words[node, w] ^ words[rep, w] != want:
            return True
    return False


@numba.njit(**NJIT)
def _advance(fanin0, fanin1, n_ands, table, base, src0, src1, order, mapping, class_of, first, last, after,
             phase, into, words, used, exact, max_members, max_tries, counts, position, lit, rep, visited, tries):
    """Copy order[position:] until a candidate pair needs a proof. (position, AND count, lit, rep, visited,
    tries, target): target >= 0 names the pair (node's copy lit, rep's literal target) to prove, else the
    copy is done. rep >= 0 on entry resumes the node at position after that class member. counts[0] and
    counts[1] gather exact-mode candidates and merges."""
    while position < len(order):
        node = order[position]
        if rep < 0:
            x, y = src0[node - base], src1[node - base]
            lit, n_ands = _hashed_and(fanin0, fanin1, n_ands, table, base, mapping[x >> 1] ^ (x & 1),
                                      mapping[y >> 1] ^ (y & 1))
            rep = first[class_of[node]]
            visited, tries = 0, 0
        else:
            rep = after[rep]
        result = lit
        while rep >= 0 and (exact or visited < max_members) and tries < max_tries and not (len(into) and into[node]):
            visited += 1
            flipped = phase[rep] != phase[node]
            target = mapping[rep] ^ (1 if flipped else 0)
            if target == lit:
                break
            if len(into) and not into[rep]:
                rep = after[rep]
                continue
            if exact:
                counts[0] += 1
                counts[1] += 1
                result = target
                break
            if _separated(words, used, node, rep, flipped):
                rep = after[rep]
                continue
            return position, n_ands, lit, rep, visited, tries, target
        mapping[node] = result
        if result == lit:
            _append(first, last, after, class_of[node], node)
        position += 1
        rep = -1
    return position, n_ands, lit, -1, 0, 0, -1


@numba.njit(**NJIT)
def _append(first, last, after, cls, node):
    """Add node at the end of class cls (linked through after)."""
    if first[cls] < 0:
        first[cls] = node
    else:
        after[last[cls]] = node
    last[cls] = node


def class_ids(keys):
    """A class number per row of a 2-D uint64 array: equal rows, equal numbers (exact). Rows are sorted by
    a 64-bit hash; should two different rows share a hash, whole rows are compared instead."""
    keys = np.ascontiguousarray(keys, dtype=np.uint64)
    digest = np.zeros(len(keys), dtype=np.uint64)
    for column in keys.T:
        digest = (digest ^ column) * np.uint64(0x9E3779B97F4A7C15)
        digest ^= digest >> np.uint64(29)
    order = np.argsort(digest, kind="stable")
    hashes = digest[order]
    new = hashes[1:] != hashes[:-1]
    tied = np.flatnonzero(~new)  # only rows whose hash equals the next one's are compared (no copy of keys)
    if np.any(keys[order[tied]] != keys[order[tied + 1]]):  # a collision: exact comparison of whole rows
        void = keys.view(np.dtype((np.void, keys.shape[1] * 8))).ravel()
        return np.unique(void, return_inverse=True)[1].astype(np.int64).ravel()
    ids = np.empty(len(keys), dtype=np.int64)
    ids[order] = np.concatenate([[0], np.cumsum(new)]) if len(keys) else []
    return ids


class ClassCopy:
    """Copy of an AIG into a HashedCopy in which each node may be merged into an earlier member of its
    class (equal keys), the first that next(...) reports proved equal (up to the phase difference)."""

    def __init__(self, aig, keys, phase, into=None, exact=False, max_members=16, max_tries=3):
        """keys: a row per node of aig (nodes with equal rows form a class); phase, into: a bool per node."""
        if len(keys) != aig.n_nodes or len(phase) != aig.n_nodes or (into is not None and len(into) != aig.n_nodes):
            raise ValueError(f"keys, phase and into need one entry per node ({aig.n_nodes})")
        self.copy = HashedCopy(aig.n_inputs, aig.n_ands)
        self.src0, self.src1, _ = aig.arrays()
        self.class_of = class_ids(keys)
        n_classes = int(self.class_of.max()) + 1 if len(self.class_of) else 0
        self.first = np.full(n_classes, -1, dtype=np.int64)
        self.last = np.full(n_classes, -1, dtype=np.int64)
        self.after = np.full(aig.n_nodes, -1, dtype=np.int64)
        for node in range(1 + aig.n_inputs):  # the constant and the inputs come first
            _append(self.first, self.last, self.after, self.class_of[node], node)
        self.phase = np.ascontiguousarray(phase, dtype=np.bool_)
        self.into = np.zeros(0, dtype=np.bool_) if into is None else np.ascontiguousarray(into, dtype=np.bool_)
        self.mapping = np.full(aig.n_nodes, -1, dtype=np.int64)
        self.mapping[:1 + aig.n_inputs] = 2 * np.arange(1 + aig.n_inputs)
        self.order = cone_array(self.src0, self.src1, aig.n_inputs, aig.output_lits)
        self.exact, self.max_members, self.max_tries = exact, max_members, max_tries
        self.counts = np.zeros(2, dtype=np.int64)
        self.state = (0, -1, -1, 0, 0)  # position, lit, rep, visited, tries

    def next(self, words, used):
        """Run to the next pair to prove: (lit, target) of the copy, or None when the copy is complete.
        words/used: simulated witnesses (rows per node of the source) that separate pairs."""
        if len(words) < len(self.mapping) or not 0 <= used <= words.shape[1]:
            raise ValueError("the witness words need a row per node and at least used columns")
        position, lit, rep, visited, tries = self.state
        c = self.copy
        position, c.n_ands, lit, rep, visited, tries, target = _advance(
            c.fanin0, c.fanin1, c.n_ands, c.table, c.base, self.src0, self.src1, self.order, self.mapping,
            self.class_of, self.first, self.last, self.after, self.phase, self.into, words, used, self.exact,
            self.max_members, self.max_tries, self.counts, position, lit, rep, visited, tries)
        self.state = (position, lit, rep, visited, tries)
        return None if target < 0 else (int(lit), int(target))

    def settle(self, proved):
        """Record the verdict on the pair next returned (True, False or None for undecided): merged when
        proved; after a disproof the next member is tried; undecided, or after max_tries proofs, the node keeps
        its copy (a proof that ran out against one member mostly runs out against the others too)."""
        position, lit, rep, visited, tries = self.state
        node = self.order[position]
        tries += 1
        if proved or proved is None or tries == self.max_tries:
            self.mapping[node] = self.mapping[rep] ^ int(self.phase[rep] != self.phase[node]) if proved else lit
            if not proved:
                _append(self.first, self.last, self.after, self.class_of[node], node)
            self.state = (position + 1, -1, -1, 0, 0)
        else:
            self.state = (position, lit, rep, visited, tries)
