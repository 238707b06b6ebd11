"""Cut rewriting: every node's 4-input cuts are re-expressed with the library's cheapest structure of the
cut's function, in place, where that adds fewer nodes than it frees (kernels/rewrite.py)."""
from functools import lru_cache

from ..ir.aig import AIG
from ..kernels.rewrite import _library, _live_order, _programs, _rewrite


@lru_cache(maxsize=1)
def library_programs():
    """(steps, step counts, output literals, number of structures) of the cheapest known structures of
    every 4-input function (kernels/rewrite.py)."""
    _, op, left, right, alt, n_alt = _library()
    return _programs(op, left, right, alt, n_alt)


def rewrite(aig, params=None):
    """params: {"zero_gain": also take replacements that save nothing (restructuring for later passes)}.
    The input AIG comes back unchanged when the result is not smaller (or, with zero_gain, larger)."""
    zero_gain = bool((params or {}).get("zero_gain", False))
    fanin0, fanin1, outputs = aig.arrays()
    capacity = 2 * aig.n_nodes + 64
    f0, f1, repl, outs, count = _rewrite(fanin0, fanin1, aig.n_inputs, outputs, *library_programs(), zero_gain,
                                         capacity)
    base = 1 + aig.n_inputs
    new = AIG()
    mapping = {0: 0}
    for k, name in enumerate(aig.input_names):
        mapping[k + 1] = new.add_input(name)

    def resolve(old):
        while repl[old >> 1] >= 0:
            old = int(repl[old >> 1]) ^ (old & 1)
        return old

    def lit(old):
        old = resolve(old)
        return mapping[old >> 1] ^ (old & 1)

    for node in _live_order(f0, f1, repl, outs, base).tolist():
        mapping[node] = new.and_(lit(int(f0[node])), lit(int(f1[node])))
    for name, out in zip(aig.output_names, outs.tolist()):
        new.add_output(name, lit(out))
    new.source_map = {}
    for node in range(aig.n_nodes):  # nodes freed by a replacement have no counterpart
        target = resolve(2 * node)
        if target >> 1 in mapping:
            new.source_map[node] = mapping[target >> 1] ^ (target & 1)
    result = new if new.n_ands < aig.n_ands or (zero_gain and new.n_ands == aig.n_ands) else aig
    return result, {"pass": "rewrite-z" if zero_gain else "rewrite", "ands_before": aig.n_ands, "ands_after": result.n_ands, "rewritten": int(count)}
