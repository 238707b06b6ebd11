"""And-inverter graph with structural hashing and constant folding in the AND constructor.

A literal is 2 * node + complement. Node 0 is the constant false (literal 0 = false, 1 = true); nodes
1..n_inputs are the primary inputs; AND nodes follow in topological order, so every fan-in literal
refers to a lower node, as binary AIGER requires.
"""
from array import array

import numpy as np

FALSE, TRUE = 0, 1


def _int64s(values=()):
    """A growable int64 sequence: 8 bytes an entry (a list holds a pointer and an int object, ~36)."""
    if isinstance(values, np.ndarray):
        out = array("q")
        out.frombytes(np.ascontiguousarray(values, dtype=np.int64).tobytes())
        return out
    return array("q", values)


def neg(lit):
    return lit ^ 1


class AIG:
    def __init__(self):
        self.input_names = []
        self.fanin0 = _int64s()  # of the AND nodes, fanin0 >= fanin1
        self.fanin1 = _int64s()
        self.output_lits = []
        self.output_names = []
        self._hashed = {}  # fanin0 << 32 | fanin1 -> literal (literals stay below 2^32: such a circuit would not fit
        # in memory); None until first needed (see _strash)
        # made by a pass: int64 per node of the AIG it came from, its literal here claimed equal or -1;
        # hints that the equivalence check proves (None: no hints)
        self.source_map = None
        # made by a pass that proved it: a Verdict that it equals the AIG it came from (None: not proved)
        self.proof = None

    def __getstate__(self):
        """Pickled without the structural hash (rebuilt where it is next needed)."""
        return {**self.__dict__, "_hashed": None}

    # construction
    def add_input(self, name):
        if self.fanin0:
            raise ValueError("inputs must be added before the first AND node")
        self.input_names.append(name)
        return 2 * len(self.input_names)

    def add_output(self, name, lit):
        self.output_names.append(name)
        self.output_lits.append(int(lit))

    def and_(self, a, b):
        lit = self.find_and(a, b)
        if lit is None:
            a, b = max(a, b), min(a, b)
            lit = 2 * (1 + self.n_inputs + len(self.fanin0))
            self.fanin0.append(a)
            self.fanin1.append(b)
            self._hashed[a << 32 | b] = lit
        return lit

    def find_and(self, a, b):
        """The literal of AND(a, b) when constant folding gives it or the circuit has that gate, else None."""
        if a < b:
            a, b = b, a
        if b == FALSE or a == neg(b):
            return FALSE
        if b == TRUE or a == b:
            return a
        return self._strash().get(a << 32 | b)

    def forget_hash(self):
        """Free the structural hash (about 120 bytes a gate); it is rebuilt when next needed."""
        self._hashed = None

    def _strash(self):
        """The structural hash, built on first use (AIGs made from arrays are often never extended)."""
        if self._hashed is None:
            self._hashed = {a << 32 | b: 2 * (1 + self.n_inputs + k) for k, (a, b) in enumerate(zip(self.fanin0,
                                                                                                   self.fanin1))}
        return self._hashed

    def or_(self, a, b):
        return neg(self.and_(neg(a), neg(b)))

    def xor(self, a, b):
        return self.and_(neg(self.and_(a, b)), neg(self.and_(neg(a), neg(b))))

    def mux(self, sel, if_true, if_false):
        return self.or_(self.and_(sel, if_true), self.and_(neg(sel), if_false))

    def and_all(self, lits):
        out = TRUE
        for lit in lits:
            out = self.and_(out, lit)
        return out

    def or_all(self, lits):
        return neg(self.and_all(neg(lit) for lit in lits))

    # views
    @property
    def n_inputs(self):
        return len(self.input_names)

    @property
    def n_ands(self):
        return len(self.fanin0)

    @property
    def n_nodes(self):
        return 1 + self.n_inputs + self.n_ands

    def arrays(self):
        """(fanin0, fanin1, outputs) as int64 arrays, for kernels and exporters."""
        return (np.asarray(self.fanin0, dtype=np.int64), np.asarray(self.fanin1, dtype=np.int64),
                np.asarray(self.output_lits, dtype=np.int64))

    @classmethod
    def from_arrays(cls, input_names, fanin0, fanin1, output_names, output_lits):
        """Rebuild an AIG node for node, keeping the numbering (validated: topological, in range)."""
        aig = cls()
        aig.input_names = list(input_names)
        base = 1 + len(aig.input_names)
        fanin0 = np.asarray(fanin0, dtype=np.int64).ravel()
        fanin1 = np.asarray(fanin1, dtype=np.int64).ravel()
        if len(fanin0) != len(fanin1):
            raise ValueError("the fan-in lists differ in length")
        limit = 2 * (base + np.arange(len(fanin0)))
        bad = np.flatnonzero((fanin0 < 0) | (fanin1 < 0) | (fanin0 >= limit) | (fanin1 >= limit))
        if len(bad):
            raise ValueError(f"AND node {base + int(bad[0])} has a fan-in that is not below it")
        aig.fanin0, aig.fanin1 = _int64s(fanin0), _int64s(fanin1)
        aig._hashed = None
        n_nodes = base + len(fanin0)
        for name, lit in zip(output_names, output_lits, strict=True):
            if not 0 <= int(lit) < 2 * n_nodes:
                raise ValueError(f"output {name} refers to node {int(lit) // 2}, beyond the {n_nodes} nodes")
            aig.add_output(name, lit)
        return aig

    def copy(self):
        return AIG.from_arrays(self.input_names, self.fanin0, self.fanin1, self.output_names, self.output_lits)

    def fanouts(self):
        """Readers of every node: AND fan-ins plus one for each output that uses it."""
        lits = np.concatenate([np.frombuffer(self.fanin0, dtype=np.int64), np.frombuffer(self.fanin1, dtype=np.int64),
                               np.asarray(self.output_lits, dtype=np.int64)])
        return np.bincount(lits >> 1, minlength=self.n_nodes).tolist()

    def cone(self, lits, stop=()):
        """Node indices of the AND nodes in the transitive fan-in of lits, not crossing stop nodes, ascending."""
        base = 1 + self.n_inputs
        stop = set(stop)
        seen, todo = set(), [lit >> 1 for lit in lits]
        while todo:
            node = todo.pop()
            if node in seen or node in stop or node < base:
                continue
            seen.add(node)
            k = node - base
            todo.append(self.fanin0[k] >> 1)
            todo.append(self.fanin1[k] >> 1)
        return sorted(seen)


def copy_cone(aig, lits, mapped, out):
    """Copy the gates of aig in the cone of lits into AIG out, above the nodes mapped already gives a
    literal of out (a cut: inputs, constants, stop nodes); mapped is extended in place and returned, or
    None when the cone reaches a node below the cut that mapped does not name."""
    base = 1 + aig.n_inputs
    for node in aig.cone(lits, stop=mapped):
        a, b = aig.fanin0[node - base], aig.fanin1[node - base]
        if a >> 1 not in mapped or b >> 1 not in mapped:
            return None
        mapped[node] = out.and_(mapped[a >> 1] ^ (a & 1), mapped[b >> 1] ^ (b & 1))
    return mapped if all(lit >> 1 in mapped for lit in lits) else None
