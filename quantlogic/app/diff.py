"""Whether two bundles' circuits compute the same function of their pins, proved, or where they differ."""
import numpy as np

from ..errors import QuantlogicError
from ..kernels.simulate import Simulator
from ..quant.codes import bits_to_ints
from ..verdict import disproved
from ..verify.cec import equivalent


def diff_bundles(a, b):
    """Verdict of circuit a == circuit b on every input (pins matched by name). A difference names the
    input codes (one per feature, when both read codes of the same features) and each circuit's class."""
    pins_a = (sorted(a.aig.input_names), sorted(a.aig.output_names))
    pins_b = (sorted(b.aig.input_names), sorted(b.aig.output_names))
    if pins_a != pins_b:
        raise QuantlogicError("the two circuits do not have the same pins (features, bits or classes differ), "
                              "so they cannot compute the same function")
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
