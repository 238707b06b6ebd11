"""Tseitin encoding of AIG cones in Python and a miter check on the CDCL kernel (kernels/sat.py), for
proofs whose cones are assembled from several circuits (the argmax matches of verify/parts.py)."""
from ..kernels.sat import SAT, UNSAT, solve


class CNF:
    def __init__(self):
        self.clauses = []
        self.n_vars = 1  # variable 1 is the constant false
        self.clauses.append([-1])

    def new_var(self):
        self.n_vars += 1
        return self.n_vars

    def encode(self, aig, lits, leaf_literal):
        """SAT literals of AIG literals lits. leaf_literal(node) gives the SAT literal of a node where the
        encoding stops (a primary input or a cut node), or None to encode the node's AND gate."""
        base = 1 + aig.n_inputs
        known = {0: 1}
        for lit in lits:
            stack = [lit >> 1]
            while stack:
                node = stack[-1]
                if node in known:
                    stack.pop()
                    continue
                leaf = leaf_literal(node)
                if leaf is not None:
                    known[node] = leaf
                    stack.pop()
                    continue
                if node < base:
                    raise ValueError(f"primary input node {node} is not a leaf of this encoding")
                k = node - base
                a, b = aig.fanin0[k], aig.fanin1[k]
                missing = [c for c in (a >> 1, b >> 1) if c not in known]
                if missing:
                    stack.extend(missing)
                    continue
                stack.pop()
                out = self.new_var()
                la, lb = self._lit(known, a), self._lit(known, b)
                self.clauses += [[-out, la], [-out, lb], [out, -la, -lb]]
                known[node] = out
        return [self._lit(known, lit) for lit in lits]

    @staticmethod
    def _lit(known, lit):
        return -known[lit >> 1] if lit & 1 else known[lit >> 1]

    def xor(self, a, b):
        out = self.new_var()
        self.clauses += [[-out, a, b], [-out, -a, -b], [out, -a, b], [out, a, -b]]
        return out

    def differ(self, xs, ys, decision_limit=-1):
        """Whether some pair of SAT literals can differ: (True, {var: bool} of a witness), (False, None)
        when they never differ, or (None, None) when decision_limit decisions did not decide it."""
        diffs = [self.xor(x, y) for x, y in zip(xs, ys, strict=True)]
        status, value = solve(self.n_vars, self.clauses + [diffs], decision_limit)
        if status == UNSAT:
            return False, None
        if status != SAT:
            return None, None
        return True, {v: bool(value[v]) for v in range(1, self.n_vars + 1)}
