"""JSON metadata of the I/O contract: how to drive the circuit's pins from outside, with no quantlogic code."""
import json

from .depth import depth_of
from ..quant.codes import index_bits, input_pin, output_pin


def metadata(bundle):
    net, aig = bundle.net, bundle.aig
    n_bits = index_bits(net.n_classes)
    features = []
    for i, name in enumerate(net.names()):
        features.append({
            "index": i, "name": name, "pins": [input_pin(i, j) for j in range(net.ibits)],
            "thresholds": [float(t) for t in net.thresholds[i]],
            "levels": [int(v) for v in net.levels[i]],
        })
    return {
        "format": "quantlogic-circuit-metadata", "version": 1,
        "encoding": ("code = number of thresholds t with x >= t (0..2^ibits-1); pin x{i}_{j} is bit j of code i, "
                     "bit 0 least significant"),
        "features": features,
        "output": {"kind": "argmax", "classes": net.n_classes, "tie_break": "smallest index",
                   "pins": [output_pin(j) for j in range(n_bits)],
                   "encoding": "the predicted class index in binary, pin y_j is bit j, bit 0 least significant"},
        "bits": {"weights": net.wbits, "activations": net.abits, "inputs": net.ibits},
        "widths": net.widths,
        "circuit": {"inputs": aig.n_inputs, "outputs": len(aig.output_lits), "ands": aig.n_ands, "levels": depth_of(aig)},
        "source_sha256": net.meta.get("source_sha256"),
        "source": net.meta.get("source"),
        "verification": _verification(bundle),
    }


def _verification(bundle):
    """The recorded verdict, marked stale unless the bundle's digest matches the one it was reached on."""
    verdict, matches = bundle.recorded_verdict()
    if verdict is None:
        return None
    data = verdict.as_dict()
    data["digest_matches"] = matches
    if not matches:
        data.update(status="not verified", ok=False, text=bundle.verdict_line())
    return data


def to_json(bundle):
    return json.dumps(metadata(bundle), indent=2, sort_keys=True) + "\n"
