"""Reduced, ordered decision diagrams over integer input codes, stored as parallel arrays (as in
scikit-learn's trees). An internal node tests `code[feature] >= cut`: true goes to `hi`, false to `lo`.
A leaf has feature LEAF and a value (a class index, or a neuron's output code). Equal sub-diagrams are
one node (a unique table), so the diagram is a DAG; `paths()` counts the leaves of the unfolded tree.
"""
from dataclasses import dataclass, field

import numpy as np

LEAF = -1
NO_VALUE = -1


@dataclass
class Diagram:
    kind: str  # "network" (leaves are classes) or "neuron" (leaves are output codes)
    input_names: list
    input_thresholds: list  # per input: float thresholds of its codes, or None (codes of hidden neurons)
    n_codes: list  # per input: number of codes
    feature: list = field(default_factory=list)
    cut: list = field(default_factory=list)
    lo: list = field(default_factory=list)
    hi: list = field(default_factory=list)
    value: list = field(default_factory=list)
    root: int = -1
    _unique: dict = field(default_factory=dict, repr=False)

    def leaf(self, value):
        return self._intern((LEAF, 0, -1, -1, int(value)))

    def node(self, feature, cut, lo, hi):
        if lo == hi:
            return lo
        return self._intern((int(feature), int(cut), int(lo), int(hi), NO_VALUE))

    def _intern(self, key):
        found = self._unique.get(key)
        if found is None:
            found = len(self.feature)
            for column, v in zip((self.feature, self.cut, self.lo, self.hi, self.value), key):
                column.append(v)
            self._unique[key] = found
        return found

    # views
    @property
    def n_nodes(self):
        return len(self.feature)

    @property
    def n_leaves(self):
        return sum(1 for f in self.feature if f == LEAF)

    def depth(self):
        """Tests on the longest root-to-leaf path."""
        d = [0] * self.n_nodes
        for n in range(self.n_nodes):  # children are created before parents
            if self.feature[n] != LEAF:
                d[n] = 1 + max(d[self.lo[n]], d[self.hi[n]])
        return d[self.root] if self.n_nodes else 0

    def paths(self):
        """Leaves of the unfolded tree (root-to-leaf paths)."""
        p = [1] * self.n_nodes
        for n in range(self.n_nodes):
            if self.feature[n] != LEAF:
                p[n] = p[self.lo[n]] + p[self.hi[n]]
        return p[self.root]

    def evaluate(self, codes):
        """Leaf values (N,) for input codes (N, n_inputs)."""
        codes = np.asarray(codes, dtype=np.int64)
        feature = np.asarray(self.feature, dtype=np.int64)
        cut, lo, hi = (np.asarray(a, dtype=np.int64) for a in (self.cut, self.lo, self.hi))
        at = np.full(len(codes), self.root, dtype=np.int64)
        rows = np.arange(len(codes))
        while True:
            inner = feature[at] != LEAF
            if not inner.any():
                return np.asarray(self.value, dtype=np.int64)[at]
            f = np.where(inner, feature[at], 0)
            go_hi = codes[rows, f] >= cut[at]
            at = np.where(inner, np.where(go_hi, hi[at], lo[at]), at)

    def compact(self):
        """A copy holding only the nodes reachable from the root, renumbered children-first."""
        keep, order = set(), []

        def visit(n):
            stack = [(n, False)]
            while stack:
                node, done = stack.pop()
                if done:
                    order.append(node)
                    continue
                if node in keep:
                    continue
                keep.add(node)
                stack.append((node, True))
                if self.feature[node] != LEAF:
                    stack.append((self.hi[node], False))
                    stack.append((self.lo[node], False))

        visit(self.root)
        out = Diagram(self.kind, self.input_names, self.input_thresholds, self.n_codes)
        new = {}
        for n in order:
            if self.feature[n] == LEAF:
                new[n] = out.leaf(self.value[n])
            else:
                new[n] = out.node(self.feature[n], self.cut[n], new[self.lo[n]], new[self.hi[n]])
        out.root = new[self.root]
        return out
