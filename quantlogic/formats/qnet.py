"""The .qnet file of an IntNetwork: a container of its arrays and description, validated on the way in."""
import numpy as np

from ..errors import QuantlogicError
from ..names import check_names
from ..quant.intnet import IntNetwork, validate
from .container import pack, require, unpack, write_atomic

KIND = "quantlogic-qnet"
MAX_HIDDEN = 256
VERSION = 1


def to_bytes(net):
    return pack(KIND, VERSION, *net.parts())


def save(net, path):
    write_atomic(path, to_bytes(net))


def from_parts(meta, arrays, path):
    """Build and validate an IntNetwork from container contents."""
    try:
        n_hidden = int(meta["n_hidden"])
        if not 0 <= n_hidden <= min(MAX_HIDDEN, len(arrays)):
            raise QuantlogicError(f"{path}: corrupt network description ({n_hidden} hidden layers declared, "
                                  f"{len(arrays)} arrays present, limit {MAX_HIDDEN})")
        names = ["thresholds", "levels", "out_W", "out_B"]
        names += [f"hidden{k}_{p}" for k in range(n_hidden) for p in "WT"]
        require(arrays, names, path, KIND)
        _check_integers(arrays, [n for n in names if n not in ("thresholds",)], path)
        net = IntNetwork(
            ibits=int(meta["ibits"]), abits=int(meta["abits"]), wbits=int(meta["wbits"]),
            thresholds=arrays["thresholds"].astype(np.float64), levels=arrays["levels"].astype(np.int64),
            hidden=[(arrays[f"hidden{k}_W"].astype(np.int64), arrays[f"hidden{k}_T"].astype(np.int64))
                    for k in range(n_hidden)],
            out_W=arrays["out_W"].astype(np.int64), out_B=arrays["out_B"].astype(np.int64),
            feature_names=check_names(meta.get("feature_names", []), "feature", path),
            meta=_checked_info(meta.get("info", {}), path),
            pools=[_pool(arrays, k, path) for k in range(n_hidden)], **_shapes(meta.get("shapes"), n_hidden))
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as exc:
        raise QuantlogicError(f"{path}: corrupt network description ({type(exc).__name__}: {exc})") from None
    validate(net, path)
    return net


def _pool(arrays, k, path):
    pool = arrays.get(f"hidden{k}_pool")
    if pool is None:
        return None
    _check_integers(arrays, [f"hidden{k}_pool"], path)
    return np.asarray(pool).astype(np.int64)


def _shapes(shapes, n_hidden):
    """in_shape and shapes from the description (absent for an MLP); validate checks their sizes."""
    if shapes is None:
        return {}
    as_shape = lambda s: None if s is None else tuple(int(n) for n in s)  # noqa: E731
    hidden = [as_shape(s) for s in shapes["hidden"]]
    if len(hidden) != n_hidden or any(s is not None and not 2 <= len(s) <= 3 for s in hidden):
        raise ValueError("shapes do not fit the layers")
    return {"in_shape": as_shape(shapes["input"]), "shapes": hidden}


def _checked_info(info, path):
    """The network's description (source file, quantization summary): a dict whose source fields are text."""
    if not isinstance(info, dict) or any(not isinstance(info.get(k, ""), str) for k in ("source", "source_sha256")):
        raise QuantlogicError(f"{path}: corrupt network description (info)")
    return dict(info)


def _check_integers(arrays, names, path):
    """Weights, thresholds, levels and biases must be integers of a sane size (|v| < 2^40)."""
    for name in names:
        a = np.asarray(arrays[name])
        if a.dtype.kind not in "iub" and not (a.dtype.kind == "f" and np.all(np.isfinite(a)) and np.all(a == np.round(a))):
            raise QuantlogicError(f"{path}: corrupt network description (array {name} is not integer)")
        if a.size and np.max(np.abs(a.astype(np.float64))) >= 2.0 ** 40:
            raise QuantlogicError(f"{path}: corrupt network description (array {name} has values beyond 2^40)")


def load(path):
    """The validated IntNetwork of a .qnet file."""
    meta, arrays = unpack(path, KIND, VERSION)
    return from_parts(meta, arrays, path)


