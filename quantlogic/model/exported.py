"""torch.export programs (.pt2): layers from the exported graph's operations, pickled members refused."""
import json
import zipfile

import numpy as np

from ..arrays import check_zip_sizes
from ..errors import QuantlogicError
from .conv import adaptive_params, conv_params, pool_params
from .activations import NOT_MONOTONE
from .floatnet import Layer
from .torch_modules import (ACTIVATION_OPS, ARITHMETIC, activation_of, arithmetic_layer, cast_layer, clamp_layer,
                            first_line, plain_runner, to_numpy, unsupported)


EXPORT_OPS = {
    "linear": "linear", **{op + suffix: op for op in ACTIVATION_OPS for suffix in ("", "_")},
    "_native_batch_norm_legit_no_training": "batchnorm", "batch_norm": "batchnorm",
    "flatten": "flatten", "view": "reshape", "reshape": "reshape", "_unsafe_view": "reshape",
    "unflatten": "reshape", "dropout": "dropout", "clone": "identity", "detach": "identity", "alias": "identity",
    "getitem": "identity", "conv1d": "conv", "conv2d": "conv", "convolution": "conv",
    "max_pool1d": "maxpool", "max_pool2d": "maxpool", "max_pool2d_with_indices": "maxpool",
    "avg_pool1d": "avgpool", "avg_pool2d": "avgpool",
    "softmax": "softmax", "_softmax": "softmax", "log_softmax": "softmax", "_log_softmax": "softmax",
    **{op: "arithmetic" for op in ARITHMETIC}, "_assert_tensor_metadata": "identity", "to": "cast",
    "_to_copy": "cast", "clamp": "clamp", "clamp_": "clamp", "clip": "clamp", "clamp_min": "clamp", "neg": "neg",
    "unsqueeze": "unsqueeze", "mean": "mean",
    **{f"{prefix}adaptive_{kind}_pool{d}d": kind + "_adaptive" for prefix in ("", "_") for kind in ("avg", "max")
       for d in (1, 2)},
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
        raise QuantlogicError(f"{path}: not a readable torch.export (.pt2) program ({first_line(exc)})") from None


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


def read_exported(path, trust_pickle=False):
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
        raise QuantlogicError(f"{path}: not a readable torch.export (.pt2) program ({first_line(exc)})") from None
    params = {**program.state_dict, **getattr(program, "constants", {})}
    sig = program.graph_signature
    lookup = {**sig.inputs_to_parameters, **sig.inputs_to_buffers}
    layers = []
    for position, node in enumerate(program.graph_module.graph.nodes):
        if node.op != "call_function":
            continue
        op = getattr(node.target, "_opname", getattr(node.target, "__name__", str(node.target))).split(".")[0]
        kind = EXPORT_OPS.get(op)
        if kind is None and op.rstrip("_") in NOT_MONOTONE:
            raise unsupported(path, op, f"at node {position} ({node.name})")
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
    tensor = lambda key: None if a.get(key) is None else to_numpy(params[a[key]], f"{path}: tensor {a[key]}")  # noqa: E731
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
    if kind in ACTIVATION_OPS:
        return activation_of(kind, a, f"{path}: {where}")
    if kind == "softmax":
        return Layer("softmax", {"log": "log" in op, "dim": a.get("dim")}, where)
    if kind == "clamp":
        return clamp_layer(a.get("min"), a.get("max"), f"{path}: {where}")
    if kind == "cast":
        return cast_layer(a.get("dtype"), f"{path}: {where}")
    if kind == "neg":
        return Layer("elementwise", {"scale": -1.0, "shift": 0.0}, where)
    if kind == "unsqueeze":
        return Layer("unsqueeze", {"dim": a.get("dim")}, where)
    if kind.endswith("_adaptive"):
        return Layer(kind[:3] + "pool", adaptive_params(where, 1 if "1d" in op else 2, a["output_size"]), where)
    if kind == "mean":
        return Layer("mean", {"dims": a.get("dim"), "keepdim": a.get("keepdim", False)}, where)
    if kind == "arithmetic":
        return _arithmetic(path, where, ARITHMETIC[op], a, params)
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


def _arithmetic(path, where, op, a, params):
    """The Layer of a tensor times, over, plus or minus a constant (a number or a constant tensor)."""
    def constant(v):
        return v if isinstance(v, (int, float)) else params.get(v) if isinstance(v, str) else None
    tensor, other = a.get("self"), a.get("other")
    if constant(other) is None and op in ("mul", "add"):
        tensor, other = other, tensor
    if a.get("rounding_mode") is not None:
        raise QuantlogicError(f"{path}: {where}: a division with rounding is not supported")
    if constant(other) is None or constant(tensor) is not None:
        raise QuantlogicError(f"{path}: {where} of two tensors (a skip connection?); only a sequence of layers, with "
                              "arithmetic by constants, is supported")
    return arithmetic_layer(op, constant(other), a.get("alpha"), f"{path}: {where}")


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
    run_all = plain_runner(module)
    if batch is None:
        return run_all

    def run(X):
        chunks = []
        for start in range(0, len(X), batch):
            part = np.zeros((batch,) + X.shape[1:])
            rows = X[start:start + batch]
            part[:len(rows)] = rows
            chunks.append(run_all(part)[:len(rows)])
        return np.concatenate(chunks)

    return run
