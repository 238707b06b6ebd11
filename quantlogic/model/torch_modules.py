"""What every torch reader shares: dense tensors to numpy, a module (nn.Module, scripted or traced) to a
Layer, and a runner of the original model."""
import numpy as np

from ..errors import QuantlogicError
from .conv import adaptive_params, conv_params, pool_params
from .activations import NOT_MONOTONE
from .floatnet import ACTIVATIONS, Layer, activation

ACTIVATION_MODULES = {
    "ReLU": "relu", "ReLU6": "relu6", "Hardtanh": "hardtanh", "Sigmoid": "sigmoid", "Tanh": "tanh",
    "Softsign": "softsign", "LeakyReLU": "leaky_relu", "PReLU": "leaky_relu", "ELU": "elu", "SELU": "selu",
    "Softplus": "softplus", "Hardsigmoid": "hardsigmoid",
}
MODULE_KINDS = {
    "Linear": "linear", "BatchNorm1d": "batchnorm", "BatchNorm2d": "batchnorm", **ACTIVATION_MODULES,
    "Flatten": "flatten", "Dropout": "dropout", "Identity": "identity", "Softmax": "softmax", "LogSoftmax": "softmax",
    "Conv1d": "conv", "Conv2d": "conv", "MaxPool1d": "maxpool", "MaxPool2d": "maxpool",
    "AvgPool1d": "avgpool", "AvgPool2d": "avgpool", "AdaptiveAvgPool1d": "avgpool", "AdaptiveAvgPool2d": "avgpool",
    "AdaptiveMaxPool1d": "maxpool", "AdaptiveMaxPool2d": "maxpool", "Unflatten": "reshape",
}
ACTIVATION_OPS = tuple(name for name in ACTIVATIONS if name not in ("identity", "softsign"))  # as aten operations
ACTIVATION_ARGUMENTS = {  # torch's settings of an activation, in the order its operation takes them after the input
    "hardtanh": ("min_val", "max_val"), "leaky_relu": ("negative_slope",), "elu": ("alpha", "scale", "input_scale"),
    "softplus": ("beta", "threshold"),
}


def unsupported(path, what, place):
    """The error for a layer type or operation we do not read at place (saying why for the activations that go
    down somewhere)."""
    if what.split("::")[-1].rstrip("_") in NOT_MONOTONE:
        return QuantlogicError(f"{path}: activation {what} {place} is not monotone (it goes down somewhere), so a "
                               "quantized neuron cannot compute it by comparing its sum with thresholds; supported "
                               f"activations: {', '.join(ACTIVATION_MODULES)}")
    return QuantlogicError(f"{path}: unsupported layer type {what} {place}; supported: {', '.join(MODULE_KINDS)}")


def activation_of(kind, settings, where):
    """The Layer of a torch activation (kind as ACTIVATION_MODULES names it) with its settings by torch's argument
    names (None or missing: torch's default)."""
    def get(key, default):
        value = settings.get(key)
        return default if value is None else float(value)
    if kind == "hardtanh":
        lo, hi = get("min_val", -1.0), get("max_val", 1.0)
        return activation({(0.0, 6.0): "relu6", (0.0, np.inf): "relu"}.get((lo, hi), "hardtanh"), lo, hi)
    if kind == "leaky_relu":
        return activation(kind, alpha=get("negative_slope", 0.01))
    if kind == "elu":
        if get("input_scale", 1.0) != 1.0:
            raise QuantlogicError(f"{where}: an ELU with an input scale is not supported")
        return activation(kind, alpha=get("alpha", 1.0), scale=get("scale", 1.0))
    if kind == "softplus":
        return activation(kind, alpha=get("beta", 1.0))
    return activation(kind)


ARITHMETIC = {op + suffix: op for op in ("mul", "div", "add", "sub") for suffix in ("", "_")}  # h op constant:
# an elementwise a * h + c to the folder


def arithmetic_layer(op, constant, alpha, where):
    """The Layer of h op constant (ARITHMETIC names op; alpha multiplies the constant of add and sub)."""
    c = to_numpy(constant, f"{where}: its constant") if not isinstance(constant, (int, float)) else float(constant)
    alpha = 1.0 if alpha is None else float(alpha)
    if op in ("mul", "div"):
        if np.any(np.asarray(c) == 0) and op == "div":
            raise QuantlogicError(f"{where}: a division by zero")
        return Layer("elementwise", {"scale": c if op == "mul" else 1.0 / np.asarray(c), "shift": 0.0}, where)
    return Layer("elementwise", {"scale": 1.0, "shift": alpha * np.asarray(c) * (1 if op == "add" else -1)}, where)


FLOAT_SCALAR_TYPES = (5, 6, 7, 15)  # TorchScript's codes of half, float, double, bfloat16


def clamp_layer(lo, hi, where):
    """The activation of torch.clamp(h, lo, hi) (None: no bound on that side)."""
    return activation_of("hardtanh", {"min_val": -np.inf if lo is None else lo,
                                      "max_val": np.inf if hi is None else hi}, where)


def cast_layer(dtype, where):
    """A conversion to another float type reads as nothing (the float network computes in float64); one to an
    integer or boolean type rounds, and is refused."""
    floating = dtype is None or (dtype in FLOAT_SCALAR_TYPES if isinstance(dtype, int) else dtype.is_floating_point)
    if not floating:
        raise QuantlogicError(f"{where}: a conversion to an integer or boolean type (it rounds) is not supported")
    return Layer("identity", {}, where)


def unflatten_layer(dim, sizes, where):
    """The reshape of x.unflatten(1, sizes) (nn.Unflatten): the row viewed as sizes."""
    if dim != 1:
        raise QuantlogicError(f"{where}: only an unflatten of dimension 1 is supported")
    return Layer("reshape", {"shape": tuple(int(n) for n in sizes)}, where)


def first_line(exc):
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def to_numpy(value, where="a parameter"):
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


def layer_from_module(name, module, class_name):
    kind = MODULE_KINDS.get(class_name)
    if kind == "linear":
        params = {"weight": to_numpy(module.weight, f"{name}.weight")}
        bias = getattr(module, "bias", None)  # a traced Linear without bias has no such attribute
        if bias is not None:
            params["bias"] = to_numpy(bias, f"{name}.bias")
        return Layer("linear", params, f"{name} (Linear)")
    if kind == "batchnorm":
        params = {"running_mean": to_numpy(module.running_mean, f"{name}.running_mean"),
                  "running_var": to_numpy(module.running_var, f"{name}.running_var"),
                  "eps": float(module.eps if hasattr(module, "eps") else
                               _traced_settings(module, ("eps",), f"{name} ({class_name})")["eps"])}
        if getattr(module, "weight", None) is not None:  # (a traced BatchNorm without affine has no weight)
            params.update(weight=to_numpy(module.weight, f"{name}.weight"), bias=to_numpy(module.bias, f"{name}.bias"))
        return Layer("batchnorm", params, f"{name} ({class_name})")
    where = f"{name} ({class_name})"
    if class_name.startswith("Adaptive"):
        size = _module_settings(name, module, class_name, ("output_size",))["output_size"]
        return Layer(kind, adaptive_params(where, int(class_name[-2]), size), where)
    if kind in ("conv", "maxpool", "avgpool"):
        return _window_layer(name, module, class_name, kind)
    if class_name == "Unflatten":
        settings = _module_settings(name, module, class_name, ("dim", "unflattened_size"))
        return unflatten_layer(settings["dim"], settings["unflattened_size"], where)
    if class_name in ACTIVATION_MODULES:
        return activation_of(kind, _activation_settings(name, module, class_name), where)
    if kind == "softmax":
        dim = _module_settings(name, module, class_name, ("dim",))["dim"]
        return Layer("softmax", {"log": class_name == "LogSoftmax", "dim": dim}, where)
    return Layer(kind, {}, where)


def _activation_settings(name, module, class_name):
    """An activation module's settings: its attributes, or for a traced module the constants of its operation."""
    if class_name == "PReLU":
        slope = to_numpy(module.weight, f"{name}.weight").ravel()
        if len(slope) != 1:
            raise QuantlogicError(f"{name} (PReLU): a slope per channel is not supported (num_parameters=1 is)")
        return {"negative_slope": slope[0]}
    return _module_settings(name, module, class_name, ACTIVATION_ARGUMENTS.get(ACTIVATION_MODULES[class_name], ()))


def _module_settings(name, module, class_name, keys):
    """A one-operation module's settings by torch's names: its attributes (a module, a scripted module), or for a
    traced module the constants its operation takes after the input, in the order of keys."""
    if all(hasattr(module, k) for k in keys[:1]):
        return {k: getattr(module, k, None) for k in keys}
    try:
        nodes = [n for n in module.inlined_graph.nodes() if n.kind().startswith("aten::")]
    except (RuntimeError, AttributeError):
        nodes = []
    if len(nodes) != 1:
        raise QuantlogicError(f"{name} ({class_name}): cannot read the layer's settings from its TorchScript graph")
    values = list(nodes[0].inputs())[1:]
    return {k: graph_constant(v, f"{name} ({class_name})") for k, v in zip(keys, values)}


WINDOW_SETTINGS = {  # the settings of each windowed module, in the order its traced graph passes them
    "conv": ("stride", "padding", "dilation", "groups"),
    "maxpool": ("kernel_size", "stride", "padding", "dilation", "ceil_mode"),
    "avgpool": ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"),
}
TRACED_ARGUMENTS = {  # positions of those settings among the traced operation's inputs
    "aten::_convolution": (3, 4, 5, 8), "aten::_convolution_mode": (3, 4, 5, 6), "aten::conv1d": (3, 4, 5, 6),
    "aten::conv2d": (3, 4, 5, 6),
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
        bias = getattr(module, "bias", None)  # a traced module without bias has no such attribute
        bias = None if bias is None else to_numpy(bias, f"{name}.bias")
        return Layer("conv", conv_params(where, to_numpy(module.weight, f"{name}.weight"), bias,
                                         settings["stride"], settings["padding"], settings["dilation"],
                                         settings["groups"]), where)
    return pool_layer(kind, int(class_name[-2]), settings, where)


def pool_layer(kind, dims, settings, where):
    """A max-pool or average-pool Layer from torch's settings by name (missing or None: torch's default)."""
    given = {k: v for k, v in settings.items() if v is not None}
    extra = ({"dilation": given.get("dilation", 1)} if kind == "maxpool" else
             {"count_include_pad": given.get("count_include_pad", True), "divisor": given.get("divisor_override")})
    return Layer(kind, pool_params(where, dims, given["kernel_size"], given.get("stride"), given.get("padding", 0),
                                   ceil_mode=given.get("ceil_mode", False), **extra), where)


PADDING_OPS = ("aten::pad", "aten::constant_pad_nd", "aten::reflection_pad1d", "aten::reflection_pad2d",
               "aten::replication_pad1d", "aten::replication_pad2d", "aten::circular_pad1d", "aten::circular_pad2d")


def _traced_settings(module, keys, where):
    try:
        every = list(module.inlined_graph.nodes())
    except (RuntimeError, AttributeError):
        every = []
    if any(n.kind() in PADDING_OPS for n in every):
        raise QuantlogicError(f"{where}: a padding mode other than zeros is not supported (the traced layer pads "
                              "its input itself)")
    nodes = [n for n in every if n.kind() in TRACED_ARGUMENTS]
    if len(nodes) != 1:
        raise QuantlogicError(f"{where}: cannot read the layer's settings from its TorchScript graph")
    inputs = list(nodes[0].inputs())
    positions = TRACED_ARGUMENTS[nodes[0].kind()]
    settings = dict.fromkeys(keys)
    for key, position in zip(keys, positions):
        settings[key] = graph_constant(inputs[position], where) if position < len(inputs) else None
    return settings


def graph_constant(value, where):
    node = value.node()
    if node.kind() == "prim::Constant":
        return value.toIValue()
    if node.kind() == "prim::ListConstruct":
        return [graph_constant(v, where) for v in node.inputs()]
    raise QuantlogicError(f"{where}: a setting of this layer is not a constant in its TorchScript graph")


def runner(module):
    module.eval()
    return plain_runner(module)


def plain_runner(module):
    import torch

    def run(X):
        with torch.no_grad():
            return module(torch.as_tensor(X, dtype=torch.float32)).double().numpy()

    return run
