"""Open any file quantlogic writes, by its extension, as an object with predict(X) and describe()."""
import pathlib

import numpy as np

from ..errors import QuantlogicError
from ..progress import long_work_starts


class QnetArtifact:
    def __init__(self, intnet):
        self.intnet = intnet

    def predict(self, X):
        return self.intnet.predict(X)

    def describe(self):
        from ..report.summaries import describe_intnet

        return describe_intnet(self.intnet)

    def summary(self):
        net = self.intnet
        return {"kind": "integer network", "widths": net.widths,
                "bits": {"weights": net.wbits, "activations": net.abits, "inputs": net.ibits},
                "features": [{"name": name, "thresholds": net.thresholds[i].tolist(),
                              "levels": net.levels[i].tolist()} for i, name in enumerate(net.names())],
                "info": net.meta, **_idle(net)}


class CircuitArtifact:
    """A .qlc bundle: predictions come from simulating the gates."""

    def __init__(self, bundle):
        self.bundle = bundle

    def predict(self, X):
        self.bundle.net.encode(np.asarray(X, dtype=np.float64)[:1])  # bad rows: one line, before the notice
        long_work_starts()
        return self.bundle.classifier().classes(X)

    def describe(self):
        from ..report.summaries import describe_circuit

        return describe_circuit(self.bundle)

    def summary(self):
        from ..formats.meta import metadata

        data = metadata(self.bundle)
        data["layer_ands"] = self.bundle.meta.get("layer_ands")
        data["simplify"] = self.bundle.meta.get("simplify")
        return {"kind": "circuit", **data, **_idle(self.bundle.net)}


class DiagramArtifact:
    """A whole-network decision diagram exported as JSON: it classifies on its own."""

    def __init__(self, diagram, path):
        self.diagram = diagram
        self.path = path

    def predict(self, X):
        import numpy as np

        from ..quant.codes import encode_column

        d = self.diagram
        if d.kind != "network":
            raise QuantlogicError(f"{self.path}: a neuron's diagram does not predict classes")
        if X.shape[1] != len(d.input_names):
            raise QuantlogicError(f"the diagram takes {len(d.input_names)} features, the data has shape {X.shape}")
        codes = np.stack([encode_column(X[:, i], d.input_thresholds[i]) for i in range(X.shape[1])], axis=1)
        return d.evaluate(codes)

    def describe(self):
        from ..report.summaries import describe_diagram

        return describe_diagram(self.diagram)

    def summary(self):
        d = self.diagram
        return {"kind": f"decision diagram ({d.kind})", "nodes": d.n_nodes, "leaves": d.n_leaves,
                "depth": d.depth(), "features": d.input_names}


def _idle(net):
    from ..report.summaries import idle_neurons

    constant, unused = idle_neurons(net)
    return {"constant_neurons": [{"neuron": name, "code": code} for name, code in constant],
            "unused_neurons": unused}


def open_artifact(path):
    suffix = pathlib.Path(path).suffix.lower()
    if suffix == ".qnet":
        from ..formats.qnet import load

        return QnetArtifact(load(path))
    if suffix == ".qlc":
        from ..formats.bundle import load

        return CircuitArtifact(load(path))
    if suffix == ".json":
        from ..formats.diagram import from_json

        try:
            text = pathlib.Path(path).read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise QuantlogicError(f"{path}: cannot read ({exc})") from None
        return DiagramArtifact(from_json(text, path), path)
    raise QuantlogicError(f"{path}: unknown model file type {suffix!r} (expected .qnet, .qlc or a diagram .json)")


def load_network(path):
    """The IntNetwork of a .qnet or a .qlc file."""
    suffix = pathlib.Path(path).suffix.lower()
    if suffix == ".qnet":
        from ..formats.qnet import load

        return load(path)
    if suffix == ".qlc":
        from ..formats.bundle import load

        return load(path).net
    raise QuantlogicError(f"{path}: expected a .qnet or .qlc file")
