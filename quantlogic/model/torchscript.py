"""TorchScript files (torch.jit.save): layers in the order the forward graph runs them."""
import re
import zipfile

import numpy as np

from ..errors import QuantlogicError
from .activations import NOT_MONOTONE
from .floatnet import Layer
from .conv import adaptive_params
from .torch_modules import (ACTIVATION_ARGUMENTS, ACTIVATION_OPS, ARITHMETIC, MODULE_KINDS, WINDOW_SETTINGS,
                            activation_of, arithmetic_layer, cast_layer, clamp_layer, first_line, graph_constant,
                            layer_from_module, pool_layer, runner, unsupported)


def is_torchscript(path):
    try:
        with zipfile.ZipFile(path) as archive:
            return any(re.search(r"(^|/)code/", name) for name in archive.namelist())
    except Exception:  # noqa: BLE001 - a damaged zip fails in many ways; torch.load then names the problem
        return False


def read_torchscript(path):
    import torch

    try:
        module = torch.jit.load(str(path), map_location="cpu")
    except Exception as exc:  # a damaged archive fails in many ways
        raise QuantlogicError(f"{path}: not a readable TorchScript file ({first_line(exc)})") from None
    module.eval()  # (before the walk: a branch on self.training reads as inference runs it)
    return _layers_from_script(module, path), runner(module)


def is_module(source):
    """Whether source is a torch nn.Module (told without importing torch)."""
    return callable(source) and hasattr(source, "state_dict") and hasattr(source, "named_modules")


def read_module(module, sample_shape):
    """(layers, runner, sha256 of its TorchScript) of an nn.Module given in Python, traced on samples of
    sample_shape (a row's width, or the tuple of a sample's dimensions; the reshape inside its forward is read
    from the trace)."""
    import hashlib
    import io
    import warnings

    import torch

    module.eval()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            traced = torch.jit.trace(module, torch.zeros(2, *np.atleast_1d(sample_shape).tolist()))
            buffer = io.BytesIO()
            torch.jit.save(traced, buffer)
    except Exception as exc:  # noqa: BLE001 - tracing runs the user's forward, which can fail in any way
        raise QuantlogicError(f"the module cannot be traced on samples of shape {tuple(np.atleast_1d(sample_shape))} "
                              f"({first_line(exc)})") from None
    return _layers_from_script(traced, type(module).__name__), runner(module), \
        hashlib.sha256(buffer.getvalue()).hexdigest()


CONSUMED = ("prim::GetAttr", "prim::Constant", "prim::NumToTensor")  # constants and sizes the operations read
FUNCTIONAL_ACTIVATIONS = {  # torch.nn.functional activations a scripted forward calls, and their settings in order
    "relu": (), "relu6": (), "selu": (), "hardsigmoid": (), "hardtanh": ("min_val", "max_val"),
    "leaky_relu": ("negative_slope",), "elu": ("alpha",), "softsign": (),
}
POOL_FUNCTIONS = {"_max_pool1d": "maxpool", "_max_pool2d": "maxpool", "max_pool1d": "maxpool",
                  "max_pool2d": "maxpool", "avg_pool1d": "avgpool", "avg_pool2d": "avgpool"}
FUNCTIONS = {*FUNCTIONAL_ACTIVATIONS, *POOL_FUNCTIONS, "softmax", "log_softmax", "dropout"}  # read from CallFunction
SCRIPT_OPS = {  # TorchScript operations on tensors outside a module call, and the Layer kind of each
    **{f"aten::{op}{suffix}": op for op in ACTIVATION_OPS for suffix in ("", "_")}, "aten::flatten": "flatten",
    "aten::view": "reshape", "aten::reshape": "reshape", "aten::unflatten": "reshape", "aten::softmax": "softmax",
    "aten::log_softmax": "softmax", **{f"aten::{name}": kind for name, kind in POOL_FUNCTIONS.items()},
    "aten::dropout": "identity", "aten::dropout_": "identity", "aten::contiguous": "identity",
    "aten::clone": "identity", "aten::detach": "identity", "aten::to": "cast", "aten::type_as": "identity",
    **{f"aten::{op}{suffix}": "clamp" for op in ("clamp", "clip", "clamp_min") for suffix in ("", "_")},
    "aten::neg": "neg", "aten::neg_": "neg", "aten::unsqueeze": "unsqueeze", "aten::mean": "mean",
    **{f"aten::adaptive_{kind}_pool{d}d": kind + "_adaptive" for kind in ("avg", "max") for d in (1, 2)},
}


def _layers_from_script(module, path):
    """Layers of a TorchScript module in the order its forward graph runs them: each module call (leaf
    modules become layers, others are read from their own graph) and the tensor operations between."""
    layers = []
    values = {}  # graph value -> the submodule it holds

    def walk(owner, graph, prefix):
        values[list(graph.inputs())[0]] = owner
        walk_nodes(graph.nodes(), prefix)

    def walk_nodes(nodes, prefix):
        for node in nodes:
            kind = node.kind()
            inputs = list(node.inputs())
            if kind == "prim::If" and isinstance(taken := _static_value(inputs[0], values), bool):  # if self.training
                walk_nodes(list(node.blocks())[0 if taken else 1].nodes(), prefix)
            elif kind == "prim::GetAttr" and inputs[0] in values:
                child = getattr(values[inputs[0]], node.s("name"), None)
                if isinstance(child, torch.jit.ScriptModule):
                    values[node.output()] = child
            elif kind == "prim::CallMethod" and inputs[0] in values:
                child, method = values[inputs[0]], node.s("name")
                name = _module_name(module, child) or prefix
                if list(child.children()) or method != "forward":  # a container, or a helper method of a module
                    walk(child, child.graph if method == "forward" else getattr(child, method).graph, name)
                else:
                    layers.append(_module_layer(path, name, child, len(layers)))
            elif kind in SCRIPT_OPS:
                layers.append(_script_op_layer(path, node, SCRIPT_OPS[kind]))
            elif kind.startswith("aten::") and kind[6:] in ARITHMETIC and (folded := _arithmetic(path, node, values)):
                layers.append(folded)
            elif kind == "prim::CallFunction" and _function_name(inputs[0]) in FUNCTIONS:
                layers.append(_function_layer(f"{path}: function", _function_name(inputs[0]), inputs[2:]))
            elif any(o.type().kind() == "TensorType" for o in node.outputs()) and kind not in CONSUMED:
                if kind.startswith("aten::") and kind[6:] in ARITHMETIC:
                    raise QuantlogicError(f"{path}: operation {kind} of two tensors in the forward of "
                                          f"{prefix or 'the model'} (a skip connection?); only a sequence of layers, "
                                          "with arithmetic by constants, is supported")
                name = _function_name(inputs[0]) if kind == "prim::CallFunction" else kind
                if name.split("::")[-1].rstrip("_") in NOT_MONOTONE:
                    raise unsupported(path, name, f"in the forward of {prefix or 'the model'}")
                raise QuantlogicError(f"{path}: unsupported operation {kind} in the TorchScript forward of "
                                      f"{prefix or 'the model'}")

    import torch

    walk(module, module.graph, "")
    return layers


def _arithmetic(path, node, modules):
    """The Layer of a tensor times, over, plus or minus a constant (a number, a constant tensor or a tensor
    attribute of a module; modules maps graph values to the modules they hold), else None."""
    inputs = list(node.inputs())
    op = ARITHMETIC[node.kind()[6:]]
    if op == "div" and len(inputs) > 2 and _static_value(inputs[2], modules) is not None:
        raise QuantlogicError(f"{path}: operation {node.kind()}: a division with rounding is not supported")
    constant = _constant(inputs[1], modules)
    if constant is None and op in ("mul", "add"):
        constant, inputs = _constant(inputs[0], modules), inputs[1::-1] + inputs[2:]
    if constant is None or _constant(inputs[0], modules) is not None:
        return None
    alpha = _constant(inputs[2], modules) if op in ("add", "sub") and len(inputs) > 2 else None
    return arithmetic_layer(op, constant, alpha, f"{path}: operation {node.kind()}")


def _static_value(value, modules):
    """A graph value's Python value when it is a constant or an attribute of a module (modules maps graph values
    to the modules they hold: self.training of a module read in eval mode, a buffer), else None."""
    node = value.node()
    if node.kind() == "prim::Constant":
        return value.toIValue()
    if node.kind() == "prim::GetAttr" and list(node.inputs())[0] in modules:
        return getattr(modules[list(node.inputs())[0]], node.s("name"), None)
    return None


def _constant(value, modules):
    """A graph value's number or tensor when it is a constant or a tensor attribute of a module, else None."""
    constant = _static_value(value, modules)
    return constant if isinstance(constant, (int, float)) or hasattr(constant, "detach") else None


def _function_layer(where, function, values):
    """The Layer of a torch.nn.functional call in a scripted forward, given its arguments after the input."""
    where = f"{where} {function}"
    if function in POOL_FUNCTIONS:
        return _pool_call(where, POOL_FUNCTIONS[function], function, values)
    if function in ("softmax", "log_softmax"):
        return Layer("softmax", {"log": function == "log_softmax", "dim": graph_constant(values[0], where)}, function)
    if function == "dropout":
        return Layer("identity", {}, function)
    settings = {k: graph_constant(v, where) for k, v in zip(FUNCTIONAL_ACTIVATIONS[function], values)}
    return activation_of(function, settings, where)


def _pool_call(where, kind, name, values):
    """The pool Layer of a pooling operation or function given its arguments after the input."""
    settings = {k: graph_constant(v, where) for k, v in zip(WINDOW_SETTINGS[kind], values)}
    return pool_layer(kind, 1 if "1d" in name else 2, settings, where)


def _function_name(value):
    """The name of a torch.nn.functional function a graph value holds, else ''."""
    name = str(value.type())
    prefix = "__torch__.torch.nn.functional."
    return name[len(prefix):] if name.startswith(prefix) else ""


def _module_name(root, child):
    return next((name for name, m in root.named_modules() if m is child), "")


def _module_layer(path, name, child, position):
    class_name = child.original_name
    if class_name not in MODULE_KINDS:
        raise unsupported(path, class_name, f"at position {position} ({name})")
    return layer_from_module(name, child, class_name)


def _script_op_layer(path, node, kind):
    where = f"{path}: operation {node.kind()}"
    inputs = list(node.inputs())
    if kind in ACTIVATION_OPS:
        keys = ACTIVATION_ARGUMENTS.get(kind, ())
        return activation_of(kind, {k: graph_constant(v, where) for k, v in zip(keys, inputs[1:])}, where)
    if kind in ("maxpool", "avgpool"):
        return _pool_call(where, kind, node.kind(), inputs[1:])
    if kind == "clamp":
        bounds = [graph_constant(v, where) for v in inputs[1:3]]
        return clamp_layer(bounds[0], bounds[1] if len(bounds) > 1 else None, where)
    if kind == "cast":
        dtypes = [v.toIValue() for v in inputs[1:2] if v.node().kind() == "prim::Constant"]
        return cast_layer(dtypes[0] if dtypes and isinstance(dtypes[0], int) else None, where)
    if kind == "neg":
        return Layer("elementwise", {"scale": -1.0, "shift": 0.0}, where)
    if kind == "unsqueeze":
        return Layer("unsqueeze", {"dim": graph_constant(inputs[1], where)}, where)
    if kind.endswith("_adaptive"):
        return Layer(kind[:3] + "pool", adaptive_params(where, 1 if "1d" in node.kind() else 2,
                                                        graph_constant(inputs[1], where)), where)
    if kind == "mean":
        return Layer("mean", {"dims": graph_constant(inputs[1], where), "keepdim": graph_constant(inputs[2], where)},
                     where)
    if kind == "softmax":
        return Layer("softmax", {"log": node.kind() == "aten::log_softmax", "dim": graph_constant(inputs[1], where)},
                     node.kind())
    if kind == "flatten":
        start, end = (graph_constant(v, where) for v in inputs[1:3])
        return Layer("flatten", {"start_dim": start, "end_dim": end}, node.kind())
    if kind == "reshape":
        sizes = inputs[-1].node()
        if sizes.kind() != "prim::ListConstruct":
            raise QuantlogicError(f"{where}: a reshape whose sizes are not a list of constants")
        dims = list(sizes.inputs())
        if node.kind() == "aten::view" or node.kind() == "aten::reshape":
            dims = dims[1:]  # the batch dimension, often x.size(0)
        elif graph_constant(inputs[1], where) != 1:
            raise QuantlogicError(f"{where}: only an unflatten of dimension 1 is supported")
        return Layer("reshape", {"shape": tuple(graph_constant(v, where) for v in dims)}, node.kind())
    return Layer(kind, {}, node.kind())
