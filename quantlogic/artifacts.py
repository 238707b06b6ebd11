"""Open any file quantlogic writes, by its extension, as an object with predict(X) and describe()."""
import pathlib

from .errors import QuantlogicError


class QnetArtifact:
    def __init__(self, intnet):
        self.intnet = intnet

    def predict(self, X):
        return self.intnet.predict(X)

    def describe(self):
        from .report import describe_intnet

        return describe_intnet(self.intnet)


class CircuitArtifact:
    """A .qlc bundle: predictions come from simulating the gates."""

    def __init__(self, bundle):
        self.bundle = bundle

    def predict(self, X):
        from .codes import bits_to_ints, codes_to_bits
        from .kernels.simulate import Simulator

        codes = self.bundle.net.encode(X)
        return bits_to_ints(Simulator(self.bundle.aig).bits(codes_to_bits(codes, self.bundle.net.ibits)))

    def describe(self):
        from .report import describe_circuit

        return describe_circuit(self.bundle)


def open_artifact(path):
    suffix = pathlib.Path(path).suffix.lower()
    if suffix == ".qnet":
        from .quant.intnet import load

        return QnetArtifact(load(path))
    if suffix == ".qlc":
        from .bundle import load

        return CircuitArtifact(load(path))
    raise QuantlogicError(f"{path}: unknown model file type {suffix!r} (expected .qnet or .qlc)")
