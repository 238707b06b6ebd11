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


def open_artifact(path):
    suffix = pathlib.Path(path).suffix.lower()
    if suffix == ".qnet":
        from .quant.intnet import load

        return QnetArtifact(load(path))
    raise QuantlogicError(f"{path}: unknown model file type {suffix!r} (expected .qnet)")
