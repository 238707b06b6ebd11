"""Input codes and the circuit's pins: pin x{i}_{j} is bit j of feature i's code, y_{j} bit j of the class
index (the I/O contract). A circuit is always read by pin name, never by pin position."""
import numpy as np

from ..errors import QuantlogicError


def input_pin(feature, bit):
    return f"x{feature}_{bit}"


def output_pin(bit):
    return f"y_{bit}"


def index_bits(n_classes):
    """Output pins of a class index for n_classes classes."""
    return max(1, (int(n_classes) - 1).bit_length())


def encode_column(x, thresholds):
    """Codes #{k : x >= thresholds[k]} of one feature column."""
    return np.searchsorted(thresholds, x, side="right")


def codes_to_bits(codes, bits):
    """(N, F) integer codes -> (N, F * bits) bools in pin order x0_0, x0_1, ..., x1_0, ..."""
    codes = np.asarray(codes, dtype=np.int64)
    return ((codes[:, :, None] >> np.arange(bits)) & 1).reshape(len(codes), -1).astype(bool)


def bits_to_ints(bits):
    """(N, k) bools, least significant first -> (N,) integers."""
    bits = np.asarray(bits, dtype=np.int64)
    return (bits << np.arange(bits.shape[1])).sum(axis=1)


def pin_layout(aig, n_features, ibits, n_classes):
    """(input_order, output_order): input_order[k] is the circuit input position of pin x{k // ibits}_{k % ibits},
    output_order[j] the circuit output position of y_j. Raises QuantlogicError unless the pins are exactly
    the contract's."""
    want_in = [input_pin(i, j) for i in range(n_features) for j in range(ibits)]
    want_out = [output_pin(j) for j in range(index_bits(n_classes))]
    position = {name: k for k, name in enumerate(aig.input_names)}
    outputs = {name: k for k, name in enumerate(aig.output_names)}
    if len(position) != len(aig.input_names) or sorted(position) != sorted(want_in):
        raise QuantlogicError(f"the circuit's input pins are not x{{i}}_{{j}} for {n_features} features of "
                              f"{ibits} bits")
    if len(outputs) != len(aig.output_names) or sorted(outputs) != sorted(want_out):
        raise QuantlogicError(f"the circuit's output pins are not {', '.join(want_out)}")
    return (np.array([position[n] for n in want_in], dtype=np.int64),
            np.array([outputs[n] for n in want_out], dtype=np.int64))


def circuit_classes(aig, codes, ibits, n_classes):
    """Class indices the circuit gives for input codes (N, F), reading its pins by name."""
    from ..kernels.simulate import Simulator

    codes = np.asarray(codes, dtype=np.int64)
    inputs, outputs = pin_layout(aig, codes.shape[1], ibits, n_classes)
    return bits_to_ints(Simulator(aig, [aig.output_lits[k] for k in outputs]).bits(pin_bits(codes, ibits, inputs)))


def pin_bits(codes, ibits, inputs):
    """The circuit's input bits (N, n_inputs) for input codes (N, F); inputs: pin_layout's input order."""
    canonical = codes_to_bits(codes, ibits)
    pins = np.empty_like(canonical)
    pins[:, inputs] = canonical
    return pins


def row_classifier(aig, thresholds, ibits, n_classes):
    """A kernels.predict.RowClassifier of the circuit: float rows -> class indices, the pins read by name."""
    from ..kernels.predict import RowClassifier

    inputs, outputs = pin_layout(aig, len(thresholds), ibits, n_classes)
    pin_feature = np.empty(aig.n_inputs, dtype=np.int64)
    pin_bit = np.empty(aig.n_inputs, dtype=np.int64)
    pin_feature[inputs] = np.arange(len(inputs)) // ibits
    pin_bit[inputs] = np.arange(len(inputs)) % ibits
    fanin0, fanin1, _ = aig.arrays()
    return RowClassifier(fanin0, fanin1, aig.n_inputs, [aig.output_lits[k] for k in outputs], thresholds,
                         pin_feature, pin_bit)
