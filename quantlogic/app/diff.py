"""Whether two bundles' circuits compute the same function, proved, or where they differ: of their pins
when both read the same input codes, else of the float input row (on the union of their thresholds)."""
import numpy as np

from ..errors import QuantlogicError
from ..ir.aig import AIG, FALSE, copy_cone, neg
from ..kernels.simulate import Simulator
from ..lower.arith import at_least, level_word
from ..quant.codes import bits_to_ints, circuit_classes, input_pin
from ..verdict import disproved, undecided
from ..verify.cec import equivalent


def same_contract(a, b):
    """Whether both bundles read the same features through the same thresholds (so the same pins)."""
    return a.net.ibits == b.net.ibits and np.array_equal(a.net.thresholds, b.net.thresholds)


def diff_bundles(a, b):
    """Verdict of circuit a == circuit b on every input. With the same input contract, pins are matched by
    name and a difference names the input codes and each circuit's class; with other thresholds or bit
    widths (the same features and classes), both are compared on the union of their thresholds and a
    difference is a float input row."""
    if a.net.n_features != b.net.n_features or a.net.n_classes != b.net.n_classes:
        raise QuantlogicError(f"the two circuits do not read the same inputs or give the same classes "
                              f"({a.net.n_features} and {b.net.n_features} features, {a.net.n_classes} and "
                              f"{b.net.n_classes} classes), so they cannot compute the same function")
    if not same_contract(a, b):
        return _diff_on_union(a, b)
    verdict = equivalent(a.aig, b.aig)
    if verdict.status != "disproved":
        return verdict
    bits = np.array([verdict.counterexample], dtype=bool)  # in a's input order
    position = {name: k for k, name in enumerate(b.aig.input_names)}
    bits_b = np.empty_like(bits)
    bits_b[:, [position[name] for name in a.aig.input_names]] = bits
    classes = [_class(a.aig, bits), _class(b.aig, bits_b)]
    codes = _codes(a, bits[0])
    return disproved("equivalence", f"at input codes {codes} the first circuit gives class {classes[0]}, the "
                                    f"second {classes[1]}", codes, verdict.vectors,
                     {"codes": codes, "first": classes[0], "second": classes[1]})


def _class(aig, bits):
    """The class index a circuit gives (output pins y_j read by name)."""
    order = sorted(range(len(aig.output_names)), key=lambda k: int(aig.output_names[k].split("_")[-1]))
    values = Simulator(aig, [aig.output_lits[k] for k in order]).bits(bits)
    return int(bits_to_ints(values)[0])


def _codes(bundle, bits):
    """Input codes (one per feature) of a pattern of pin bits in the circuit's input order."""
    codes = [0] * bundle.net.n_features
    for name, bit in zip(bundle.aig.input_names, bits):
        feature, position = (int(part) for part in name[1:].split("_"))
        codes[feature] |= int(bit) << position
    return codes


def union_thresholds(a, b):
    """Per feature, the sorted distinct thresholds of both networks: a union code u says which interval
    between them x lies in, and fixes each network's code."""
    return [np.unique(np.concatenate([a.net.thresholds[i], b.net.thresholds[i]])) for i in range(a.net.n_features)]


def _on_union(bundle, union):
    """bundle's circuit behind translators from union codes (pins x{i}_{j}) to its own input codes; its class
    outputs are 0 for union codes past the last threshold (no float reaches them)."""
    new, net = AIG(), bundle.net
    words = [[new.add_input(input_pin(i, j)) for j in range(max(1, len(u).bit_length()))]
             for i, u in enumerate(union)]
    valid = new.and_all(neg(at_least(new, word, len(u) + 1)) for word, u in zip(words, union))
    cut = {0: 0}
    position = {name: k + 1 for k, name in enumerate(bundle.aig.input_names)}
    for i, (word, u) in enumerate(zip(words, union)):
        codes = [0] + [int(np.sum(net.thresholds[i] <= t)) for t in u]  # the network's code in each interval
        code_word = level_word(new, word, codes) if max(codes) else []
        code_word = (code_word + [FALSE] * net.ibits)[:net.ibits]
        for j, lit in enumerate(code_word):
            cut[position[input_pin(i, j)]] = lit
    mapped = copy_cone(bundle.aig, bundle.aig.output_lits, cut, new)
    for name, lit in zip(bundle.aig.output_names, bundle.aig.output_lits):
        new.add_output(name, new.and_(valid, mapped[lit >> 1] ^ (lit & 1)))
    return new


def representative_rows(union, codes):
    """A float row whose union codes are `codes`: a threshold itself counts as reached."""
    return np.array([[u[c - 1] if c else u[0] - 1.0 - abs(u[0]) for u, c in zip(union, codes)]])


def _diff_on_union(a, b):
    union = union_thresholds(a, b)
    first, second = _on_union(a, union), _on_union(b, union)
    verdict = equivalent(first, second)
    note = (f"the inputs are encoded differently ({a.net.ibits} and {b.net.ibits} bits, other thresholds); "
            f"compared on the union of their thresholds ({sum(len(u) for u in union)} in all)")
    if verdict.status == "proved":
        verdict.details.insert(0, note)
        return verdict
    if verdict.status != "disproved":
        return undecided(verdict.method, f"{note}; {verdict.reason}")
    codes = _codes_by_pin(first.input_names, verdict.counterexample, len(union))
    row = representative_rows(union, codes)
    classes = [int(circuit_classes(x.aig, x.net.encode(row), x.net.ibits, x.net.n_classes)[0]) for x in (a, b)]
    if classes[0] == classes[1]:
        return undecided(verdict.method, f"{note}; a difference on the union codes {codes} did not reproduce on "
                                         f"the float row {row[0].tolist()}")
    return disproved("equivalence", f"at the float input row {row[0].tolist()} the first circuit gives class "
                                    f"{classes[0]}, the second {classes[1]} ({note})", codes, verdict.vectors,
                     {"row": row[0].tolist(), "first": classes[0], "second": classes[1]})


def _codes_by_pin(names, bits, n_features):
    codes = [0] * n_features
    for name, bit in zip(names, bits):
        feature, position = (int(part) for part in name[1:].split("_"))
        codes[feature] |= int(bit) << position
    return codes
