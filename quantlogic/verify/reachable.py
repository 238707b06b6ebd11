"""Whether a polynomial over nodes of a circuit can be non-zero: a difference left by the algebraic proof
over stop nodes that depend on each other (a neuron code bit that is a gate over other code bits) may vanish
on every value those nodes can take together. Each assignment of its few variables where it is non-zero is
checked unreachable by SAT on the circuit."""
import itertools

from ..kernels.cones import Cones
from ..prove.pairs import PairLimits, prove_equal
from .limits import effort

MAX_VARIABLES = 10  # 2^10 assignments at most, each a SAT call only where the polynomial is non-zero
DECISIONS = 20000  # per SAT call, times the proof effort


def vanishes_on_reachable_values(aig, poly):
    """True when poly (algebra's {monomial: coefficient}, variables +-node) is zero at every input of aig;
    False when that is not shown (too many variables, a reachable non-zero value, or SAT undecided)."""
    nodes = sorted({abs(v) for monomial in poly for v in monomial})
    if not poly or len(nodes) > MAX_VARIABLES:
        return not poly
    work = aig.copy()
    cones = Cones(work.n_inputs, work.n_ands + (len(nodes) << len(nodes)))  # room for every conjunction
    for values in itertools.product((0, 1), repeat=len(nodes)):
        value = dict(zip(nodes, values))
        if sum(c * all(value[abs(v)] for v in m) for m, c in poly.items()) == 0:
            continue
        together = work.and_all(2 * n if v else 2 * n + 1 for n, v in value.items())  # the nodes at these values
        cones.extend(work.fanin0, work.fanin1)
        limits = PairLimits(decision_limit=DECISIONS * effort(), max_cone=None, window_sat=True)
        if prove_equal(cones, together, 0, limits)[0] is not True:  # not shown to be constant false
            return False
    return True
