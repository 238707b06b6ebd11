"""The native circuit bundle (.qlc): one versioned file with the circuit, its IntNetwork, the lowering's
per-neuron records (so the proof can be re-run) and the metadata of the I/O contract."""
import hashlib
import json

import numpy as np

from ..quant.codes import index_bits, input_pin, output_pin
from .container import pack, require, unpack, write_atomic
from ..errors import QuantlogicError
from ..ir.aig import AIG
from ..lower.network import Lowering, NeuronCircuit, PoolCircuit
from . import qnet
from .depth import depth_of

KIND = "quantlogic-circuit"
VERSION = 1


class Bundle:
    def __init__(self, net, aig, lowering=None, meta=None):
        self.net = net
        self.aig = aig
        self.lowering = lowering  # None once the circuit was rewritten (simplified)
        self.meta = dict(meta or {})
        self.timings = []  # seconds per simplification step of this run (not saved)
        self.windows_ahead = None  # its layer windows' simplification, started on workers (not saved)

    def to_bytes(self):
        net_meta, net_arrays = self.net.parts()
        arrays = {f"net_{k}": v for k, v in net_arrays.items()}
        fanin0, fanin1, outputs = self.aig.arrays()
        arrays.update(aig_fanin0=fanin0, aig_fanin1=fanin1, aig_outputs=outputs)
        if self.lowering is not None:
            arrays.update(_lowering_arrays(self.lowering))
        meta = {"net": net_meta, "inputs": self.aig.input_names, "outputs": self.aig.output_names,
                "has_lowering": self.lowering is not None, "info": self.meta}
        return pack(KIND, VERSION, meta, arrays)

    def save(self, path):
        write_atomic(path, self.to_bytes())

    @property
    def ands(self):
        return self.aig.n_ands

    @property
    def levels(self):
        return depth_of(self.aig)

    @property
    def verdict(self):
        """The recorded Verdict when the file's digest matches the circuit it was reached on, else None."""
        verdict, matches = self.recorded_verdict()
        return verdict if matches else None

    def predict(self, X):
        """Classes of float rows X from simulating the circuit (pins read by name)."""
        self.net.encode(np.asarray(X, dtype=np.float64)[:1])  # the rows must fit the network
        return self.classifier().classes(X)

    def classifier(self):
        """The RowClassifier of the circuit (encode, pack, simulate and decode fused, a chunk at a time),
        built once per circuit."""
        from ..quant.codes import row_classifier

        built = getattr(self, "_classifier", None)
        if built is None or built[0] is not self.aig:
            built = (self.aig, row_classifier(self.aig, self.net.thresholds, self.net.ibits, self.net.n_classes))
            self._classifier = built
        return built[1]

    def accuracy(self, X, y):
        return float(np.mean(self.predict(X) == np.asarray(y)))

    def digest(self):
        """sha256 of what a verdict is about: the circuit, its pins and its IntNetwork."""
        h = hashlib.sha256()
        net_meta, net_arrays = self.net.parts()
        net_meta = {k: v for k, v in net_meta.items() if k != "info"}
        h.update(json.dumps([net_meta, self.aig.input_names, self.aig.output_names], sort_keys=True).encode())
        for name in sorted(net_arrays):
            h.update(name.encode() + np.ascontiguousarray(net_arrays[name], dtype=np.float64).tobytes())
        for array in self.aig.arrays():
            h.update(np.ascontiguousarray(array, dtype=np.int64).tobytes())
        return h.hexdigest()

    def record_verdict(self, verdict):
        """Keep a verdict reached in this run, with the digest of what it proved."""
        self.meta["verdict"] = {**verdict.as_dict(), "sha256": self.digest()}

    def recorded_verdict(self):
        """(the stored Verdict or None, whether the file's digest matches the one it was reached on)."""
        from ..verdict import from_dict

        data = self.meta.get("verdict")
        verdict = from_dict(data)
        return verdict, verdict is not None and data.get("sha256") == self.digest()

    def verdict_line(self):
        """The stored verdict as a user should read it: never proved unless the digest matches."""
        verdict, matches = self.recorded_verdict()
        if verdict is None:
            return "none recorded (run quantlogic verify)"
        if matches:
            return f"{verdict.text} (recorded; the file's digest matches the circuit it was reached on)"
        return ("not verified: the circuit or its network differs from the one the recorded verdict was reached "
                "on (run quantlogic verify)")


def _ragged(words):
    width = max((len(w) for w in words), default=0)
    out = np.full((len(words), width), -1, dtype=np.int64)
    for i, w in enumerate(words):
        out[i, :len(w)] = w
    return out


def _unragged(array):
    return [[int(v) for v in row if v >= 0] for row in array]


def _lowering_arrays(low):
    arrays = {"low_code": _ragged(low.code_words), "low_level": _ragged(low.level_words),
              "low_logit_sum": _ragged([n.sum_word for n in low.logits]),
              "low_logit_offset": np.array([low.logit_offset]), "low_class": np.array(low.class_word, dtype=np.int64),
              "low_match": _triples([(m[0][0] + m[0][1], m[1][0] + m[1][1], m[2][0] + m[2][1]) for m in low.matches])}
    for layer, neurons in enumerate(low.neurons):
        arrays[f"low_sum{layer}"] = _ragged([n.sum_word for n in neurons])
        arrays[f"low_offset{layer}"] = np.array([n.offset for n in neurons], dtype=np.int64)
        arrays[f"low_out{layer}"] = _ragged([n.out_word for n in neurons])
        arrays[f"low_table{layer}"] = np.array([n.method == "table" for n in neurons], dtype=bool)
        if low.pools[layer] is not None:
            arrays.update(_pool_arrays(layer, low.pools[layer]))
    return arrays


def _pool_arrays(layer, pools):
    """A pooled layer's outputs and tournament steps (all steps of the layer in one array)."""
    steps = [step for p in pools for step in p.steps]
    return {f"low_pool{layer}": _ragged([p.out_word for p in pools]),
            f"low_poolsteps{layer}": np.array([len(p.steps) for p in pools], dtype=np.int64),
            f"low_step{layer}": _triples(steps)}


def _triples(triples):
    """(n, 3, width) int64 of n triples of words, each padded with -1 (width 0 when there are none)."""
    if not triples:
        return np.zeros((0, 3, 0), dtype=np.int64)
    width = max(len(word) for triple in triples for word in triple)
    return np.array([[list(word) + [-1] * (width - len(word)) for word in triple] for triple in triples],
                    dtype=np.int64)


def _pools_from(arrays, layer):
    if f"low_pool{layer}" not in arrays:
        return None
    outs, counts = _unragged(arrays[f"low_pool{layer}"]), arrays[f"low_poolsteps{layer}"].tolist()
    steps = [tuple(_unragged(step)) for step in arrays[f"low_step{layer}"]]
    if len(counts) != len(outs) or sum(counts) != len(steps) or min(counts, default=0) < 0:
        raise ValueError(f"pool records of layer {layer} do not fit")
    starts = np.cumsum([0] + counts).tolist()
    return [PoolCircuit(layer, r, w, steps[starts[r]:starts[r + 1]]) for r, w in enumerate(outs)]


def _lowering_from(aig, arrays, net):
    index_bits = max(1, (net.n_classes - 1).bit_length())
    low = Lowering(aig, _unragged(arrays["low_code"]), _unragged(arrays["low_level"]))
    for layer in range(len(net.hidden)):
        sums, outs = _unragged(arrays[f"low_sum{layer}"]), _unragged(arrays[f"low_out{layer}"])
        offsets = arrays[f"low_offset{layer}"].tolist()
        methods = ["table" if t else "arith" for t in arrays[f"low_table{layer}"].tolist()]
        low.neurons.append([NeuronCircuit(layer, j, s, o, w, m)
                            for j, (s, o, w, m) in enumerate(zip(sums, offsets, outs, methods))])
        low.pools.append(_pools_from(arrays, layer))
    low.layer_inputs = [low.level_words] + [low.outputs(layer) for layer in range(len(low.neurons))]
    width_rows = arrays["low_logit_sum"]
    offset = int(arrays["low_logit_offset"][0])
    low.logits = [NeuronCircuit(len(net.hidden), c, [int(v) for v in row], offset, []) for c, row in enumerate(width_rows)]
    low.logit_offset = offset
    low.class_word = arrays["low_class"].tolist()
    split = lambda row: ([int(v) for v in row[:-index_bits]], [int(v) for v in row[-index_bits:]])  # noqa: E731
    low.matches = [tuple(split(part) for part in match) for match in arrays["low_match"]]
    return low


def load(path):
    meta, arrays = unpack(path, KIND, VERSION)
    require(arrays, ["aig_fanin0", "aig_fanin1", "aig_outputs"], path, KIND)
    try:
        net = qnet.from_parts(meta["net"], {k[4:]: v for k, v in arrays.items() if k.startswith("net_")}, path)
        aig = AIG.from_arrays(meta["inputs"], arrays["aig_fanin0"], arrays["aig_fanin1"], meta["outputs"],
                              arrays["aig_outputs"])
        lowering = _lowering_from(aig, arrays, net) if meta.get("has_lowering") else None
    except (KeyError, ValueError, TypeError, IndexError, AttributeError, OverflowError) as exc:
        raise QuantlogicError(f"{path}: corrupt circuit bundle ({type(exc).__name__}: {exc})") from None
    expected_inputs = [input_pin(i, j) for i in range(net.n_features) for j in range(net.ibits)]
    if aig.input_names != expected_inputs:
        raise QuantlogicError(f"{path}: corrupt circuit bundle (input pins do not match the network)")
    expected_outputs = [output_pin(j) for j in range(index_bits(net.n_classes))]
    names = aig.output_names
    if not all(isinstance(n, str) for n in names) or sorted(names) != sorted(expected_outputs) \
            or len(set(names)) != len(names):
        raise QuantlogicError(f"{path}: corrupt circuit bundle (output pins are not {', '.join(expected_outputs)})")
    return Bundle(net, aig, lowering, _checked_info(meta.get("info", {}), path))


def _checked_info(info, path):
    """The bundle's description: layer AND counts, simplification steps, the verdict (read by from_dict)."""
    ok = isinstance(info, dict)
    if ok:
        layers, steps = info.get("layer_ands", {}), info.get("simplify", [])
        ok = isinstance(layers, dict) and all(isinstance(v, int) for v in layers.values())
        ok = ok and isinstance(steps, list) and all(
            isinstance(st, dict) and isinstance(st.get("pass"), str)
            and all(isinstance(st.get(k, 0), int) for k in ("ands_before", "ands_after")) for st in steps)
        ok = ok and (info.get("verdict") is None or isinstance(info["verdict"], dict))
    if not ok:
        raise QuantlogicError(f"{path}: corrupt circuit bundle (its description is malformed)")
    return dict(info)
