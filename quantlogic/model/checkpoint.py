"""Read a checkpoint into a list of framework-free Layer records.

Formats: state_dict files (.pt/.pth, loaded with weights_only=True), TorchScript (torch.jit.save),
torch.export programs (.pt2) and .safetensors. A pickled nn.Module is refused unless trust_pickle.
"""
import hashlib
import pathlib
import warnings

import numpy as np

from ..errors import QuantlogicError
from .exported import read_exported
from .floatnet import Layer, activation
from .torch_modules import MODULE_KINDS, first_line, layer_from_module, runner, to_numpy, unsupported
from .torchscript import is_torchscript, read_module, read_torchscript


def file_sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def load_checkpoint(path, act="relu", trust_pickle=False, sample_shape=None):
    """Return (layers, runnable) where runnable(X) -> logits is the original model, or None. A trusted
    pickled nn.Module is traced on samples of sample_shape when given (so a reshape in its forward counts),
    else read in module order."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise QuantlogicError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".safetensors":
        return _layers_from_state_dict(_read_safetensors(path), act, path), None
    if suffix == ".pt2":
        return read_exported(path, trust_pickle)
    if is_torchscript(path):
        return read_torchscript(path)
    state = _torch_load(path, trust_pickle)
    import torch

    if isinstance(state, torch.nn.Module):
        if sample_shape is not None:
            return read_module(state, sample_shape)[:2]
        return _layers_from_module(state, path), runner(state)
    state = _model_state(state, path)
    if not isinstance(state, dict) or not state:
        raise QuantlogicError(f"{path}: not a model checkpoint (expected a state_dict, found {type(state).__name__})")
    return _layers_from_state_dict(state, act, path), None


PREFERRED_STATES = ("state_dict", "model_state_dict", "model_state", "model", "net", "network", "weights")


def _model_state(state, path):
    """The state_dict inside a training checkpoint (a dict with the model's tensors beside an epoch, an optimizer's
    state, ...): the one under a usual name, else the only dict of tensors; a state_dict itself as it is."""
    if not isinstance(state, dict) or all(_is_tensor(v) for v in state.values()):
        return state
    found = [k for k, v in state.items() if isinstance(v, dict) and v and all(_is_tensor(t) for t in v.values())]
    preferred = [k for k in PREFERRED_STATES if k in found]
    if preferred or len(found) == 1:
        return state[(preferred or found)[0]]
    if found:
        raise QuantlogicError(f"{path}: the checkpoint holds several state_dicts ({', '.join(map(str, found))}); "
                              "save the one to convert on its own")
    return state


def _is_tensor(value):
    return hasattr(value, "detach") or isinstance(value, np.ndarray)


def _torch_load(path, trust_pickle):
    import pickle

    import torch

    try:
        with warnings.catch_warnings():  # torch's deprecation notes (quantized tensors) are not for our users
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=not trust_pickle)
    except pickle.UnpicklingError as exc:
        if "weights_only" in str(exc) or "Weights only load failed" in str(exc):
            raise QuantlogicError(
                f"{path}: this file is a pickled Python object (probably a whole nn.Module), which can run code "
                "when loaded; save model.state_dict() or use torch.jit.save, or pass --trust-pickle if you trust "
                "the file") from None
        raise QuantlogicError(f"{path}: not a readable checkpoint ({first_line(exc)})") from None
    except Exception as exc:  # torch's unpickler raises anything on a damaged file
        raise QuantlogicError(f"{path}: not a readable checkpoint ({first_line(exc)})") from None


def _read_safetensors(path):
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise QuantlogicError(f"{path}: not a readable .safetensors file ({first_line(exc)})") from None


def _layers_from_state_dict(state, act, path):
    """Group keys by module prefix; the activation goes where module indices leave a gap or the parent
    module changes, or after each hidden Linear (and its BatchNorm) when the names carry no index."""
    modules = {}
    for key, value in state.items():
        if not isinstance(key, str) or "." not in key:
            raise QuantlogicError(f"{path}: unexpected key {key!r}; expected keys like '0.weight' or 'fc1.bias'")
        prefix, name = key.rsplit(".", 1)
        modules.setdefault(prefix, {})[name] = value
    _refuse_two_networks(modules, path)
    layers, positions = [], []
    if all(prefix.rsplit(".", 1)[-1].isdigit() for prefix in modules):  # formats like safetensors sort keys
        parents = list(dict.fromkeys(prefix.rpartition(".")[0] for prefix in modules))
        modules = dict(sorted(modules.items(), key=lambda item: (parents.index(item[0].rpartition(".")[0]),
                                                                  int(item[0].rpartition(".")[2]))))
    for prefix, params in modules.items():
        if "running_mean" in params:
            _require(params, ("running_mean", "running_var"), prefix, path)
            kind = "batchnorm"
        elif "weight" in params and np.ndim(to_numpy(params["weight"], f"{path}: tensor {prefix}.weight")) == 2:
            kind = "linear"
        elif "weight" in params and np.ndim(params["weight"]) in (3, 4):
            raise QuantlogicError(f"{path}: module {prefix!r} is a convolution; a state_dict does not say how the "
                                  "row is reshaped or pooled, so it is read as an MLP only: save the model with "
                                  "torch.jit.script / torch.jit.trace or torch.export")
        else:
            raise QuantlogicError(f"{path}: module {prefix!r} has keys {sorted(params)}, which is neither a Linear "
                                  "(2-D weight) nor a BatchNorm1d (running_mean, running_var)")
        arrays = {k: to_numpy(v, f"{path}: tensor {prefix}.{k}") for k, v in params.items()
                  if k != "num_batches_tracked"}
        if kind == "linear":
            _check_linear(arrays, prefix, path)
        else:
            _check_batchnorm(arrays, prefix, path)
        layers.append(Layer(kind, arrays, f"{prefix} ({'Linear' if kind == 'linear' else 'BatchNorm1d'})"))
        parent, _, last = prefix.rpartition(".")
        positions.append((parent, int(last)) if last.isdigit() else None)
    return _insert_activations(layers, positions, activation(act))


def _refuse_two_networks(modules, path):
    """Modules under two parents with the same layer names (a.fc1 and b.fc1) are two networks, not one
    (numbered names, as in features.0 and classifier.0 of nested Sequentials, are one network)."""
    seen = {}
    for prefix in modules:
        parent, _, leaf = prefix.rpartition(".")
        other = seen.setdefault(leaf, parent) if not leaf.isdigit() else parent
        if other != parent:
            raise QuantlogicError(f"{path}: holds modules {other + '.' if other else ''}{leaf} and "
                                  f"{parent + '.' if parent else ''}{leaf}: two networks in one file? Save the one "
                                  "to convert on its own")


def _insert_activations(layers, positions, act_layer):
    linears = [i for i, layer in enumerate(layers) if layer.kind == "linear"]
    if not linears:
        return layers
    indexed = all(p is not None for p in positions)
    out = []
    for i, layer in enumerate(layers):
        out.append(layer)
        if i >= linears[-1] or i < linears[0]:
            continue
        nxt = i + 1
        if indexed:
            (parent, index), (next_parent, next_index) = positions[i], positions[nxt]
            gap = next_parent != parent or next_index > index + 1
        else:  # after a Linear, unless a BatchNorm follows it directly
            gap = layer.kind == "batchnorm" or layers[nxt].kind != "batchnorm"
        if gap:
            out.append(act_layer)
    return out


def _require(params, keys, prefix, path):
    missing = [k for k in keys if k not in params]
    if missing:
        raise QuantlogicError(f"{path}: module {prefix!r} lacks {', '.join(missing)}")


def _check_linear(arrays, prefix, path):
    W = arrays["weight"]
    if "bias" in arrays and arrays["bias"].shape != (W.shape[0],):
        raise QuantlogicError(f"{path}: {prefix}: bias has shape {arrays['bias'].shape} for a weight of shape {W.shape}")


def _check_batchnorm(arrays, prefix, path):
    n = arrays["running_mean"].shape
    for key in ("running_var", "weight", "bias"):
        if key in arrays and arrays[key].shape != n:
            raise QuantlogicError(f"{path}: {prefix}: {key} has shape {arrays[key].shape}, running_mean has {n}")


def _leaf_modules(module, class_name_of):
    for name, child in module.named_modules():
        if name and not list(child.children()):
            yield name, child, class_name_of(child)


def _layers_from_module(module, path, class_name_of=lambda m: type(m).__name__):
    layers = []
    for position, (name, child, class_name) in enumerate(_leaf_modules(module, class_name_of)):
        if class_name not in MODULE_KINDS:
            raise unsupported(path, class_name, f"at position {position} ({name})")
        layers.append(layer_from_module(name, child, class_name))
    return layers
