"""Read a checkpoint into a list of framework-free Layer records.

Formats: state_dict files (.pt/.pth, loaded with weights_only=True), TorchScript (torch.jit.save),
torch.export programs (.pt2) and .safetensors. A pickled nn.Module is refused unless trust_pickle.
"""
import hashlib
import json
import pathlib
import re
import warnings
import zipfile

import numpy as np

from ..arrays import check_zip_sizes
from ..errors import QuantlogicError
from .conv import conv_params, pool_params
from .floatnet import Layer, activation

MODULE_KINDS = {
    "Linear": "linear", "BatchNorm1d": "batchnorm", "BatchNorm2d": "batchnorm", "ReLU": "relu", "ReLU6": "relu6",
    "Hardtanh": "hardtanh", "Flatten": "flatten", "Dropout": "dropout", "Identity": "identity",
    "Conv1d": "conv", "Conv2d": "conv", "MaxPool1d": "maxpool", "MaxPool2d": "maxpool",
    "AvgPool1d": "avgpool", "AvgPool2d": "avgpool",
}


def file_sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def load_checkpoint(path, act="relu", trust_pickle=False):
    """Return (layers, runnable) where runnable(X) -> logits is the original model, or None."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise QuantlogicError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".safetensors":
        return _layers_from_state_dict(_read_safetensors(path), act, path), None
    if suffix == ".pt2":
        return _read_exported(path, trust_pickle)
    if _is_torchscript(path):
        return _read_torchscript(path)
    state = _torch_load(path, trust_pickle)
    import torch

    if isinstance(state, torch.nn.Module):
        return _layers_from_module(state, path), _runner(state)
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not state:
        raise QuantlogicError(f"{path}: not a model checkpoint (expected a state_dict, found {type(state).__name__})")
    return _layers_from_state_dict(state, act, path), None


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
        raise QuantlogicError(f"{path}: not a readable checkpoint ({_first_line(exc)})") from None
    except Exception as exc:  # torch's unpickler raises anything on a damaged file
        raise QuantlogicError(f"{path}: not a readable checkpoint ({_first_line(exc)})") from None


def _first_line(exc):
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _is_torchscript(path):
    try:
        with zipfile.ZipFile(path) as archive:
            return any(re.search(r"(^|/)code/", name) for name in archive.namelist())
    except Exception:  # noqa: BLE001 - a damaged zip fails in many ways; torch.load then names the problem
        return False


def _read_safetensors(path):
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise QuantlogicError(f"{path}: not a readable .safetensors file ({_first_line(exc)})") from None


def _to_numpy(value, where="a parameter"):
    """A real float64 array of a dense tensor (torch or numpy); anything else is refused by name."""
    if hasattr(value, "detach"):
        import torch

        problem = ("is sparse" if value.layout != torch.strided else
                   "is quantized" if value.is_quantized else
                   "holds no data (a meta tensor)" if value.device.type == "meta" else
                   "is complex" if value.is_complex() else None)
        if problem:
            raise QuantlogicError(f"{where} {problem}; only dense real tensors are supported")
        value = value.detach().cpu().double().numpy()
    array = np.asarray(value) if isinstance(value, np.ndarray) else None
    if array is None or array.dtype.kind not in "biuf":
        kind = array.dtype if array is not None else type(value).__name__
        raise QuantlogicError(f"{where} is not a real numeric tensor ({kind})")
    if array.size == 0:
        raise QuantlogicError(f"{where} is empty (shape {array.shape})")
    return array.astype(np.float64)


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
        elif "weight" in params and np.ndim(_to_numpy(params["weight"], f"{path}: tensor {prefix}.weight")) == 2:
            kind = "linear"
        elif "weight" in params and np.ndim(params["weight"]) in (3, 4):
            raise QuantlogicError(f"{path}: module {prefix!r} is a convolution; a state_dict does not say how the "
                                  "row is reshaped or pooled, so it is read as an MLP only: save the model with "
                                  "torch.jit.script / torch.jit.trace or torch.export")
        else:
            raise QuantlogicError(f"{path}: module {prefix!r} has keys {sorted(params)}, which is neither a Linear "
                                  "(2-D weight) nor a BatchNorm1d (running_mean, running_var)")
        arrays = {k: _to_numpy(v, f"{path}: tensor {prefix}.{k}") for k, v in params.items()
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


def _layer_from_module(name, module, class_name):
    kind = MODULE_KINDS.get(class_name)
    if kind == "linear":
        params = {"weight": _to_numpy(module.weight, f"{name}.weight")}
        if module.bias is not None:
            params["bias"] = _to_numpy(module.bias, f"{name}.bias")
        return Layer("linear", params, f"{name} (Linear)")
    if kind == "batchnorm":
        params = {"running_mean": _to_numpy(module.running_mean, f"{name}.running_mean"),
                  "running_var": _to_numpy(module.running_var, f"{name}.running_var"),
                  "eps": float(module.eps if hasattr(module, "eps") else
                               _traced_settings(module, ("eps",), f"{name} ({class_name})")["eps"])}
        if module.weight is not None:
            params.update(weight=_to_numpy(module.weight, f"{name}.weight"), bias=_to_numpy(module.bias, f"{name}.bias"))
        return Layer("batchnorm", params, f"{name} ({class_name})")
    if kind in ("conv", "maxpool", "avgpool"):
        return _window_layer(name, module, class_name, kind)
    if kind == "hardtanh":
        return activation("hardtanh", module.min_val, module.max_val)
    if kind in ("relu", "relu6"):
        return activation(kind)
    return Layer(kind, {}, f"{name} ({class_name})")


WINDOW_SETTINGS = {  # the settings of each windowed module, in the order its traced graph passes them
    "conv": ("stride", "padding", "dilation", "groups"),
    "maxpool": ("kernel_size", "stride", "padding", "dilation", "ceil_mode"),
    "avgpool": ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"),
}
TRACED_ARGUMENTS = {  # positions of those settings among the traced operation's inputs
    "aten::_convolution": (3, 4, 5, 8), "aten::conv1d": (3, 4, 5, 6), "aten::conv2d": (3, 4, 5, 6),
    "aten::max_pool1d": (1, 2, 3, 4, 5), "aten::max_pool2d": (1, 2, 3, 4, 5),
    "aten::avg_pool1d": (1, 2, 3, 4, 5), "aten::avg_pool2d": (1, 2, 3, 4, 5, 6), "aten::batch_norm": (7,),
}


def _window_layer(name, module, class_name, kind):
    """A convolution or pooling layer of a module: settings from its attributes (an nn.Module or a scripted
    module) or, for a traced module, from the constant arguments of its traced operation."""
    where = f"{name} ({class_name})"
    keys = WINDOW_SETTINGS[kind]
    if all(hasattr(module, k) for k in keys[:3]):
        settings = {k: getattr(module, k, None) for k in keys}
    else:
        settings = _traced_settings(module, keys, where)
    if kind == "conv":
        if getattr(module, "padding_mode", "zeros") != "zeros":
            raise QuantlogicError(f"{where}: padding mode {module.padding_mode!r} is not supported (only zeros)")
        bias = None if module.bias is None else _to_numpy(module.bias, f"{name}.bias")
        return Layer("conv", conv_params(where, _to_numpy(module.weight, f"{name}.weight"), bias,
                                         settings["stride"], settings["padding"], settings["dilation"],
                                         settings["groups"]), where)
    extra = ({"dilation": settings["dilation"]} if kind == "maxpool" else
             {"count_include_pad": settings["count_include_pad"], "divisor": settings["divisor_override"]})
    return Layer(kind, pool_params(where, int(class_name[-2]), settings["kernel_size"], settings["stride"],
                                   settings["padding"], ceil_mode=settings["ceil_mode"], **extra), where)


def _traced_settings(module, keys, where):
    try:
        nodes = [n for n in module.inlined_graph.nodes() if n.kind() in TRACED_ARGUMENTS]
    except (RuntimeError, AttributeError):
        nodes = []
    if len(nodes) != 1:
        raise QuantlogicError(f"{where}: cannot read the layer's settings from its TorchScript graph")
    inputs = list(nodes[0].inputs())
    positions = TRACED_ARGUMENTS[nodes[0].kind()]
    settings = {}
    for key, position in zip(keys, positions):
        settings[key] = _constant(inputs[position], where) if position < len(inputs) else None
    return settings


def _constant(value, where):
    node = value.node()
    if node.kind() == "prim::Constant":
        return value.toIValue()
    if node.kind() == "prim::ListConstruct":
        return [_constant(v, where) for v in node.inputs()]
    raise QuantlogicError(f"{where}: a setting of this layer is not a constant in its TorchScript graph")


def _leaf_modules(module, class_name_of):
    for name, child in module.named_modules():
        if name and not list(child.children()):
            yield name, child, class_name_of(child)


def _layers_from_module(module, path, class_name_of=lambda m: type(m).__name__):
    layers = []
    for position, (name, child, class_name) in enumerate(_leaf_modules(module, class_name_of)):
        if class_name not in MODULE_KINDS:
            raise QuantlogicError(f"{path}: unsupported layer type {class_name} at position {position} ({name}); "
                                  f"supported: {', '.join(MODULE_KINDS)}")
        layers.append(_layer_from_module(name, child, class_name))
    return layers


def _runner(module):
    module.eval()
    return _runner_plain(module)


def _read_torchscript(path):
    import torch

    try:
        module = torch.jit.load(str(path), map_location="cpu")
    except Exception as exc:  # a damaged archive fails in many ways
        raise QuantlogicError(f"{path}: not a readable TorchScript file ({_first_line(exc)})") from None
    return _layers_from_script(module, path), _runner(module)


SCRIPT_OPS = {  # TorchScript operations on tensors outside a module call, and the Layer kind of each
    "aten::relu": "relu", "aten::relu_": "relu", "aten::relu6": "relu6", "aten::hardtanh": "hardtanh",
    "aten::hardtanh_": "hardtanh", "aten::flatten": "flatten", "aten::view": "reshape", "aten::reshape": "reshape",
    "aten::unflatten": "reshape", "aten::dropout": "identity", "aten::dropout_": "identity",
    "aten::contiguous": "identity", "aten::clone": "identity", "aten::detach": "identity",
}


def _layers_from_script(module, path):
    """Layers of a TorchScript module in the order its forward graph runs them: each module call (leaf
    modules become layers, others are read from their own graph) and the tensor operations between."""
    layers = []
    values = {}  # graph value -> the submodule it holds

    def walk(owner, graph, prefix):
        values[list(graph.inputs())[0]] = owner
        for node in graph.nodes():
            kind = node.kind()
            inputs = list(node.inputs())
            if kind == "prim::GetAttr" and inputs[0] in values:
                child = getattr(values[inputs[0]], node.s("name"), None)
                if isinstance(child, torch.jit.ScriptModule):
                    values[node.output()] = child
            elif kind == "prim::CallMethod" and inputs[0] in values:
                child = values[inputs[0]]
                name = _module_name(module, child) or prefix
                if list(child.children()):
                    walk(child, child.graph, name)
                else:
                    layers.append(_module_layer(path, name, child, len(layers)))
            elif kind in SCRIPT_OPS:
                layers.append(_script_op_layer(path, node, SCRIPT_OPS[kind]))
            elif any(o.type().kind() == "TensorType" for o in node.outputs()) and kind != "prim::GetAttr":
                raise QuantlogicError(f"{path}: unsupported operation {kind} in the TorchScript forward of "
                                      f"{prefix or 'the model'}")

    import torch

    walk(module, module.graph, "")
    return layers


def _module_name(root, child):
    return next((name for name, m in root.named_modules() if m is child), "")


def _module_layer(path, name, child, position):
    class_name = child.original_name
    if class_name not in MODULE_KINDS:
        raise QuantlogicError(f"{path}: unsupported layer type {class_name} at position {position} ({name}); "
                              f"supported: {', '.join(MODULE_KINDS)}")
    return _layer_from_module(name, child, class_name)


def _script_op_layer(path, node, kind):
    where = f"{path}: operation {node.kind()}"
    inputs = list(node.inputs())
    if kind in ("relu", "relu6"):
        return activation(kind)
    if kind == "hardtanh":
        lo, hi = (_constant(v, where) for v in inputs[1:3])
        return activation("relu6" if (lo, hi) == (0.0, 6.0) else "hardtanh", lo, hi)
    if kind == "flatten":
        start, end = (_constant(v, where) for v in inputs[1:3])
        return Layer("flatten", {"start_dim": start, "end_dim": end}, node.kind())
    if kind == "reshape":
        sizes = inputs[-1].node()
        if sizes.kind() != "prim::ListConstruct":
            raise QuantlogicError(f"{where}: a reshape whose sizes are not a list of constants")
        dims = list(sizes.inputs())
        if node.kind() == "aten::view" or node.kind() == "aten::reshape":
            dims = dims[1:]  # the batch dimension, often x.size(0)
        elif _constant(inputs[1], where) != 1:
            raise QuantlogicError(f"{where}: only an unflatten of dimension 1 is supported")
        return Layer("reshape", {"shape": tuple(_constant(v, where) for v in dims)}, node.kind())
    return Layer(kind, {}, node.kind())


EXPORT_OPS = {
    "linear": "linear", "relu": "relu", "relu_": "relu", "hardtanh": "hardtanh", "hardtanh_": "hardtanh",
    "_native_batch_norm_legit_no_training": "batchnorm", "batch_norm": "batchnorm",
    "flatten": "flatten", "view": "reshape", "reshape": "reshape", "_unsafe_view": "reshape",
    "unflatten": "reshape", "dropout": "dropout", "clone": "identity", "detach": "identity", "alias": "identity",
    "getitem": "identity", "conv1d": "conv", "conv2d": "conv", "convolution": "conv",
    "max_pool1d": "maxpool", "max_pool2d": "maxpool", "max_pool2d_with_indices": "maxpool",
    "avg_pool1d": "avgpool", "avg_pool2d": "avgpool",
}


def _refuse_pickles_in_export(path):
    """torch.export.load unpickles the archive's sample inputs and any tensor marked use_pickle without
    restriction. Refuse such a tensor, and sample inputs that torch's weights-only loader refuses (it allows
    tensors and plain containers only, so what it accepts runs no code in the full loader either)."""
    try:
        with zipfile.ZipFile(path) as archive:
            check_zip_sizes(archive.infolist(), path)
            for info in archive.infolist():
                _refuse_pickled_member(path, archive, info)
    except QuantlogicError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged zip fails in many ways (CRC, zlib, names)
        raise QuantlogicError(f"{path}: not a readable torch.export (.pt2) program ({_first_line(exc)})") from None


def _refuse_pickled_member(path, archive, info):
    import io

    import torch

    name = info.filename
    if name.endswith(("model_weights_config.json", "model_constants_config.json")):
        try:
            config = json.loads(archive.read(info)).get("config", {})
            pickled = [key for key, entry in config.items() if entry.get("use_pickle")]
        except (ValueError, AttributeError, TypeError):
            raise QuantlogicError(f"{path}: not a readable torch.export (.pt2) program ({name})") from None
        if pickled:
            raise QuantlogicError(f"{path}: tensor {pickled[0]!r} of this .pt2 is pickled and runs code when "
                                  "loaded; pass --trust-pickle only if you trust the file")
    elif "/data/sample_inputs/" in name or name.endswith((".pkl", ".pickle")):
        try:
            torch.load(io.BytesIO(archive.read(info)), map_location="cpu", weights_only=True)
        except Exception:  # noqa: BLE001 - any refusal of the restricted loader
            raise QuantlogicError(f"{path}: {name} in this .pt2 holds pickled code, which runs when loaded; "
                                  "pass --trust-pickle only if you trust the file") from None


def _read_exported(path, trust_pickle=False):
    import logging

    import torch

    if not zipfile.is_zipfile(path):
        raise QuantlogicError(f"{path}: not a readable torch.export (.pt2) program (not a zip archive)")
    if not trust_pickle:
        _refuse_pickles_in_export(path)
    logging.getLogger("torch.export").setLevel(logging.CRITICAL)  # its own warning would repeat our error
    try:
        program = torch.export.load(str(path))
    except Exception as exc:  # torch.export raises many unrelated types for a bad archive
        raise QuantlogicError(f"{path}: not a readable torch.export (.pt2) program ({_first_line(exc)})") from None
    params = {**program.state_dict, **getattr(program, "constants", {})}
    sig = program.graph_signature
    lookup = {**sig.inputs_to_parameters, **sig.inputs_to_buffers}
    layers = []
    for position, node in enumerate(program.graph_module.graph.nodes):
        if node.op != "call_function":
            continue
        op = getattr(node.target, "_opname", str(node.target)).split(".")[0]
        kind = EXPORT_OPS.get(op)
        if kind is None:
            raise QuantlogicError(f"{path}: unsupported operation {op} at node {position} ({node.name})")
        layers.append(_layer_from_op(path, node, op, kind, params, lookup))
    return layers, _batched_runner(program.module(), _static_batch(program))


def _op_args(node, lookup):
    """The arguments of an exported operation by name, with the schema's defaults; tensors by their name."""
    values = {}
    schema = getattr(node.target, "_schema", None)
    names = [a.name for a in schema.arguments] if schema else []
    for i, value in enumerate(node.args):
        values[names[i] if i < len(names) else i] = value
    values.update(node.kwargs)
    for argument in (schema.arguments if schema else []):
        if argument.name not in values and argument.has_default_value():
            values[argument.name] = argument.default_value
    return {k: (lookup.get(v.name, v.name) if hasattr(v, "name") else v) for k, v in values.items()}


def _layer_from_op(path, node, op, kind, params, lookup):
    a = _op_args(node, lookup)
    where = f"node {node.name} ({op})"
    tensor = lambda key: None if a.get(key) is None else _to_numpy(params[a[key]], f"{path}: tensor {a[key]}")  # noqa: E731
    if kind == "linear":
        p = {"weight": tensor("weight")}
        if a.get("bias") is not None:
            p["bias"] = tensor("bias")
        return Layer("linear", p, f"{node.name} (Linear)")
    if kind == "conv":
        if a.get("transposed"):
            raise QuantlogicError(f"{path}: {where}: transposed convolutions are not supported")
        return Layer("conv", conv_params(where, tensor("weight"), tensor("bias"), a["stride"], a["padding"],
                                         a["dilation"], a["groups"]), where)
    if kind in ("maxpool", "avgpool"):
        extra = ({"dilation": a["dilation"]} if kind == "maxpool" else
                 {"count_include_pad": a["count_include_pad"], "divisor": a.get("divisor_override")})
        return Layer(kind, pool_params(where, 1 if "1d" in op else 2,
                                       a["kernel_size"], a["stride"], a["padding"], ceil_mode=a["ceil_mode"],
                                       **extra), where)
    if kind == "batchnorm":
        return Layer("batchnorm", {"weight": tensor("weight"), "bias": tensor("bias"),
                                   "running_mean": tensor("running_mean"), "running_var": tensor("running_var"),
                                   "eps": float(a["eps"])}, f"{node.name} (BatchNorm)")
    if kind == "hardtanh":
        lo, hi = float(a.get("min_val", -1.0)), float(a.get("max_val", 1.0))
        return activation("relu6" if (lo, hi) == (0.0, 6.0) else "hardtanh", lo, hi)
    if kind == "relu":
        return activation("relu")
    if kind == "reshape":
        sizes = a["sizes"] if op == "unflatten" else list(a.get("size", a.get("shape", [])))[1:]
        if op == "unflatten" and a["dim"] != 1:
            raise QuantlogicError(f"{path}: {where}: only an unflatten of dimension 1 is supported")
        if not all(isinstance(n, int) for n in sizes):
            raise QuantlogicError(f"{path}: {where}: a reshape with sizes that depend on the input is not "
                                  "supported")
        return Layer("reshape", {"shape": tuple(sizes)}, where)
    if kind == "flatten":
        return Layer("flatten", {"start_dim": a.get("start_dim", 1), "end_dim": a.get("end_dim", -1)}, where)
    return Layer(kind, {}, node.name)


def _static_batch(program):
    """The batch size an exported program was traced with when it is fixed, else None."""
    user_inputs = set(program.graph_signature.user_inputs)
    for node in program.graph_module.graph.nodes:
        if node.op == "placeholder" and node.name in user_inputs:
            size = node.meta["val"].shape[0] if "val" in node.meta else None
            return size if isinstance(size, int) else None
    return None


def _batched_runner(module, batch):
    """A runner feeding a module with a fixed batch size in chunks of that size (zero-padded)."""
    run_all = _runner_plain(module)
    if batch is None:
        return run_all

    def run(X):
        chunks = []
        for start in range(0, len(X), batch):
            part = np.zeros((batch, X.shape[1]))
            rows = X[start:start + batch]
            part[:len(rows)] = rows
            chunks.append(run_all(part)[:len(rows)])
        return np.concatenate(chunks)

    return run


def _runner_plain(module):
    import torch

    def run(X):
        with torch.no_grad():
            return module(torch.as_tensor(X, dtype=torch.float32)).double().numpy()

    return run
