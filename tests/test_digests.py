"""Circuits are pinned: the IntNetwork, the lowered and the simplified circuit of every bundled model at 2
and 3 bits hash to the recorded sha256, so a refactoring that changes a single gate shows here. After an
intended change of the circuits, regenerate with `python tests/test_digests.py` and say why in the commit."""
import hashlib
import json
import pathlib

import numpy as np
import pytest

from conftest import MODEL_NAMES

PINNED = pathlib.Path(__file__).with_name("circuit_digests.json")
CASES = [(name, bits) for name in MODEL_NAMES for bits in (2, 3)]


def _sha256(arrays, names):
    h = hashlib.sha256()
    for array in arrays:
        h.update(np.ascontiguousarray(array, dtype=np.int64 if np.asarray(array).dtype.kind in "iub" else None)
                 .tobytes())
    h.update(json.dumps(names).encode())
    return h.hexdigest()


def digests(bundle):
    """{'qnet', 'lowered', 'simplified'}: sha256 of the IntNetwork's arrays and names and of both circuits."""
    from quantlogic.passes.registry import EFFORT, run_passes

    meta, arrays = bundle.net.parts()
    simplified, _ = run_passes(bundle.aig, EFFORT["default"])
    return {"qnet": _sha256([arrays[k] for k in sorted(arrays)], [meta["feature_names"], sorted(arrays)]),
            **{kind: _sha256([aig.fanin0, aig.fanin1, aig.output_lits], [aig.input_names, aig.output_names])
               for kind, aig in (("lowered", bundle.aig), ("simplified", simplified))}}


@pytest.mark.parametrize("name, bits", CASES)
def test_circuits_are_the_pinned_ones(converted, name, bits):
    pinned = json.loads(PINNED.read_text())
    assert digests(converted[name, bits][0]) == pinned[f"{name}-{bits}"]


if __name__ == "__main__":
    from conftest import ConvertedModels

    models = ConvertedModels()
    PINNED.write_text(json.dumps({f"{n}-{b}": digests(models[n, b][0]) for n, b in CASES}, indent=1,
                                 sort_keys=True) + "\n")
    print(f"wrote {PINNED}")
