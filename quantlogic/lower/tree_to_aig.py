"""A decision diagram as an AIG of multiplexers on the input code pins (x{i}_{j} in, y_{j} out)."""
from ..ir.aig import AIG, FALSE, TRUE
from ..ir.tree import LEAF
from ..quant.codes import input_pin, output_pin
from .arith import at_least


def diagram_to_aig(d):
    aig = AIG()
    words = [[aig.add_input(input_pin(i, j)) for j in range(max(1, (n - 1).bit_length()))]
             for i, n in enumerate(d.n_codes)]
    out_bits = max(1, max((v for v in d.value if v > 0), default=0).bit_length())
    bits = [None] * d.n_nodes  # per node: its value word
    for n in range(d.n_nodes):  # children first
        if d.feature[n] == LEAF:
            bits[n] = [TRUE if (d.value[n] >> j) & 1 else FALSE for j in range(out_bits)]
        else:
            test = at_least(aig, words[d.feature[n]], d.cut[n])
            bits[n] = [aig.mux(test, h, lo) for h, lo in zip(bits[d.hi[n]], bits[d.lo[n]])]
    for j, lit in enumerate(bits[d.root]):
        aig.add_output(output_pin(j), lit)
    return aig
