"""Names of hidden neurons: LAYER.INDEX, or for a convolution LAYER.cCHANNEL@POSITION (0.c3@2,4 is
channel 3 at row 2, column 4 of layer 0's output map; 0.c1@5 for a 1-D layer)."""
import re

import numpy as np

from ..errors import QuantlogicError


def neuron_name(net, layer, j):
    """The name of neuron j of hidden layer `layer` (its channel and position when it has a shape)."""
    shape = net.shapes[layer]
    if shape is None:
        return f"{layer}.{j}"
    channel, *position = np.unravel_index(j, tuple(shape))
    return f"{layer}.c{channel}@{','.join(str(int(p)) for p in position)}"


def parse_neuron(net, text):
    """(layer, index) of a neuron named LAYER.INDEX or LAYER.cCHANNEL@POSITION."""
    text = str(text).strip()
    plain = re.fullmatch(r"(\d+)\.(\d+)", text)
    mapped = re.fullmatch(r"(\d+)\.c(\d+)@(\d+(?:,\d+)?)", text)
    if not plain and not mapped:
        raise QuantlogicError(f"--neuron takes LAYER.INDEX (like 0.3) or, in a convolution, "
                              f"LAYER.cCHANNEL@ROW,COLUMN (like 0.c3@2,4); got {text!r}")
    layer = int((plain or mapped).group(1))
    if not 0 <= layer < len(net.hidden):
        raise QuantlogicError(f"no hidden neuron {text} (hidden layers: {_sizes(net)})")
    if plain:
        j = int(plain.group(2))
    else:
        shape = net.shapes[layer]
        index = (int(mapped.group(2)),) + tuple(int(p) for p in mapped.group(3).split(","))
        if shape is None or len(index) != len(shape) or any(i >= n for i, n in zip(index, shape)):
            where = "is not a convolution" if shape is None else f"has shape {tuple(shape)}"
            raise QuantlogicError(f"no hidden neuron {text} (layer {layer} {where})")
        j = int(np.ravel_multi_index(index, tuple(shape)))
    if not 0 <= j < net.hidden[layer][0].shape[0]:
        raise QuantlogicError(f"no hidden neuron {text} (hidden layers: {_sizes(net)})")
    return layer, j


def _sizes(net):
    return ", ".join(f"layer {k}: {W.shape[0]} neurons" for k, (W, _) in enumerate(net.hidden)) or "none"
