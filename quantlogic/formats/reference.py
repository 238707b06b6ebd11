"""The IntNetwork itself as behavioural Verilog-2005: integer weighted sums, threshold counts, max-pool
compares and the argmax with its tie rule, over the circuit's scalar pins (x{i}_{j} in, y_{j} out) and with no gate of
ours in it. A synthesis tool builds its own arithmetic from it, so an equivalence check of that against
our circuit is a second opinion on the whole conversion; it also reads as a reference model."""
import re

import numpy as np

from ..quant.codes import index_bits, input_pin, output_pin
from .escape import comment_text
from .netlist import declarations, module_line


def _width(bound):
    """Bits of a signed wire holding every integer of magnitude <= bound."""
    return int(bound).bit_length() + 1


def _literal(value, width):
    """A signed sized literal, at least wide enough for its own magnitude."""
    width = max(width, _width(abs(int(value))))
    return f"-{width}'sd{-int(value)}" if value < 0 else f"{width}'sd{int(value)}"


def _weighted_sum(weights, inputs, width, bias=0):
    terms = [f"{_literal(w, width)} * {x}" for w, x in zip(weights.tolist(), inputs) if w]
    if bias:
        terms.append(_literal(bias, width))
    return " + ".join(terms) if terms else _literal(0, width)


def _input_levels(net, lines):
    """Declare each feature's code (from its pins) and the integer level the first layer sees."""
    width = _width(int(np.max(np.abs(net.levels))))
    names = net.names()
    values = []
    for i in range(net.n_features):
        pins = ", ".join(input_pin(i, j) for j in reversed(range(net.ibits)))
        lines.append(f"  // feature {i}: {comment_text(names[i])}")
        lines.append(f"  wire [{net.ibits - 1}:0] c{i} = {{{pins}}};")
        levels = net.levels[i].tolist()
        if levels == list(range(len(levels))):
            value = f"$signed({{1'b0, c{i}}})"
        else:
            value = _literal(levels[-1], width)
            for code in reversed(range(len(levels) - 1)):
                value = f"c{i} == {net.ibits}'d{code} ? {_literal(levels[code], width)} : {value}"
        lines.append(f"  wire signed [{width - 1}:0] v{i} = {value};")
        values.append(f"v{i}")
    return values, int(np.max(net.levels))


def _hidden_layer(net, k, inputs, largest_input, lines):
    """Declare the weighted sums, activation codes (and max-pools) of hidden layer k; return the names of
    the codes it gives the next layer."""
    (W, T), pool, abits = net.hidden[k], net.pools[k], net.abits
    bound = largest_input * int(np.max(np.abs(W).sum(axis=1), initial=0))
    width = max(_width(bound), _width(int(np.max(np.abs(T), initial=0))))
    codes = []
    for j in range(W.shape[0]):
        lines.append(f"  wire signed [{width - 1}:0] s{k}_{j} = {_weighted_sum(W[j], inputs, width)};")
        compares = " + ".join(f"(s{k}_{j} >= {_literal(t, width)})" for t in T[j].tolist())
        lines.append(f"  wire [{abits - 1}:0] h{k}_{j} = {compares};")
        codes.append(f"h{k}_{j}")
    if pool is None:
        return codes
    lines.append(f"  // max-pool of layer {k}: the largest code in each window")
    pooled = []
    for r, window in enumerate(pool.tolist()):
        best = codes[window[0]]
        for step, j in enumerate(window[1:]):
            lines.append(f"  wire [{abits - 1}:0] m{k}_{r}_{step} = {codes[j]} > {best} ? {codes[j]} : {best};")
            best = f"m{k}_{r}_{step}"
        lines.append(f"  wire [{abits - 1}:0] p{k}_{r} = {best};")
        pooled.append(f"p{k}_{r}")
    return pooled


def _signed(codes):
    return [f"$signed({{1'b0, {c}}})" for c in codes]


def code_pin(layer, neuron, bit):
    """The port of bit `bit` of hidden neuron `neuron`'s code in layer `layer`, in a one-layer slice."""
    return f"h{layer}_{neuron}_{bit}"


def _output_layer(net, values, largest, outputs, lines):
    """Declare the logits, the argmax (ties to the smallest index) and assign the class index pins."""
    bound = largest * int(np.max(np.abs(net.out_W).sum(axis=1))) + int(np.max(np.abs(net.out_B)))
    width = _width(bound)
    for c in range(net.n_classes):
        lines.append(f"  wire signed [{width - 1}:0] l{c} = "
                     f"{_weighted_sum(net.out_W[c], values, width, int(net.out_B[c]))};")
    _argmax(net.n_classes, f"signed [{width - 1}:0]", outputs, lines)


def _argmax(n_classes, kind, outputs, lines):
    """Declare the argmax of the words l0, l1, ... (of Verilog type kind), ties to the smallest index, and
    assign the class index pins."""
    n_out = len(outputs)
    lines.append("  // argmax: a later class wins only when its logit is strictly larger (ties: smallest index)")
    lines.append(f"  wire {kind} best0 = l0;")
    lines.append(f"  wire [{n_out - 1}:0] index0 = {n_out}'d0;")
    for c in range(1, n_classes):
        lines.append(f"  wire {kind} best{c} = l{c} > best{c - 1} ? l{c} : best{c - 1};")
        lines.append(f"  wire [{n_out - 1}:0] index{c} = l{c} > best{c - 1} ? {n_out}'d{c} : index{c - 1};")
    lines += [f"  assign {pin} = index{n_classes - 1}[{j}];" for j, pin in enumerate(outputs)]


def logit_pin(c, bit):
    """The port of bit `bit` of class c's logit word (the logit minus the lowering's offset) in an argmax slice."""
    return f"l{c}_{bit}"


def argmax_slice_verilog(wiring, module="quantlogic"):
    """The output layer's argmax alone, over unsigned words (each the logit of a class minus one offset shared
    by all classes, which leaves the argmax as it is), to the class index pins. wiring[c] lists, least
    significant first, the Verilog expression of each bit of class c's word (see layer_slice_verilog)."""
    n_classes = len(wiring)
    width = max(1, *(len(word) for word in wiring))
    outputs = [output_pin(j) for j in range(index_bits(n_classes))]
    inputs = _ports(wiring)
    lines = _module(module, inputs or ["unused"], outputs, "quantlogic reference model, the argmax over the logits")
    for c, word in enumerate(wiring):
        word = list(word) + ["1'b0"] * (width - len(word))
        lines.append(f"  wire [{width - 1}:0] l{c} = {{{', '.join(reversed(word))}}};")
    _argmax(n_classes, f"[{width - 1}:0]", outputs, lines)
    lines.append("endmodule")
    return "\n".join(lines) + "\n"


def threshold_slice_verilog(wiring, thresholds, offsets, abits, layer, module="quantlogic"):
    """A hidden layer's thresholds alone: neuron j's code counts the thresholds t of thresholds[j] with
    S + offsets[j] >= t, where S is the unsigned word wired as wiring[j] (see argmax_slice_verilog), to the code
    ports of `layer`."""
    outputs = [code_pin(layer, j, b) for j in range(len(wiring)) for b in range(abits)]
    lines = _module(module, _ports(wiring) or ["unused"], outputs,
                    f"quantlogic reference model, the thresholds of layer {layer} over its sums")
    for j, (word, offset) in enumerate(zip(wiring, offsets)):
        word = list(word) or ["1'b0"]  # a sum word of no bits is 0
        width = len(word)
        lines.append(f"  wire [{width - 1}:0] s{j} = {{{', '.join(reversed(word))}}};")
        compares = []
        for t in thresholds[j]:
            least = int(t) - int(offset)  # S >= least
            compares.append("1'b1" if least <= 0 else "1'b0" if least >= 1 << width else
                            f"(s{j} >= {width}'d{least})")
        lines.append(f"  wire [{abits - 1}:0] h{j} = {' + '.join(compares) or '0'};")
        lines += [f"  assign {code_pin(layer, j, b)} = h{j}[{b}];" for b in range(abits)]
    lines.append("endmodule")
    return "\n".join(lines) + "\n"


def _ports(wiring):
    """The port names the bit expressions of wiring use (not constants, without ~)."""
    return sorted({re.sub(r"^~", "", bit) for word in wiring for bit in word if "'" not in bit})


def _module(name, inputs, outputs, title):
    return [f"// {title}", module_line(name, inputs + outputs), *declarations("input", inputs),
            *declarations("output", outputs)]


def to_reference_verilog(net, module="quantlogic"):
    """Verilog-2005 text of the IntNetwork net, with the pins of its circuit."""
    inputs = [input_pin(i, j) for i in range(net.n_features) for j in range(net.ibits)]
    outputs = [output_pin(j) for j in range(index_bits(net.n_classes))]
    lines = _module(module, inputs, outputs, f"quantlogic reference model: the integer network as arithmetic "
                    f"({net.wbits}-bit weights, {net.abits}-bit activations, {net.ibits}-bit inputs)")
    values, largest = _input_levels(net, lines)
    for k in range(len(net.hidden)):
        values = _signed(_hidden_layer(net, k, values, largest, lines))
        largest = 2 ** net.abits - 1
    _output_layer(net, values, largest, outputs, lines)
    lines.append("endmodule")
    return "\n".join(lines) + "\n"


def layer_slice_verilog(net, layer, previous, module="quantlogic"):
    """One layer of net alone, from the codes of the layer before to its own codes (code_pin ports; the
    class index pins for the output layer). Layer 0 starts from the input pins. previous[j] lists, least
    significant first, the Verilog expression of each bit of neuron j's code in the layer before: a port
    name, its complement (~name) or a constant; the module's inputs are the ports named there."""
    last = layer == len(net.hidden)
    outputs = ([output_pin(j) for j in range(index_bits(net.n_classes))] if last else
               [code_pin(layer, j, b) for j in range(net.layer_width(layer)) for b in range(net.abits)])
    title = f"quantlogic reference model, layer {layer} alone"
    if layer == 0:
        inputs = [input_pin(i, j) for i in range(net.n_features) for j in range(net.ibits)]
        lines = _module(module, inputs, outputs, title)
        values, largest = _input_levels(net, lines)
    else:
        lines = _module(module, _ports(previous) or ["unused"], outputs, title)
        values, largest = [], 2 ** net.abits - 1
        for j, word in enumerate(previous):
            lines.append(f"  wire [{net.abits - 1}:0] c{j} = {{{', '.join(reversed(word))}}};")
            values.append(f"$signed({{1'b0, c{j}}})")
    if last:
        _output_layer(net, values, largest, outputs, lines)
    else:
        codes = _hidden_layer(net, layer, values, largest, lines)
        lines += [f"  assign {code_pin(layer, j, b)} = {code}[{b}];"
                  for j, code in enumerate(codes) for b in range(net.abits)]
    lines.append("endmodule")
    return "\n".join(lines) + "\n"
