"""A second opinion by tools we did not write: Yosys synthesizes the reference Verilog of the IntNetwork
(formats/reference.py), and ABC's cec compares the result with our circuit, matching pins by name. A lowered
circuit is compared layer by layer: cut at the previous layer's neuron codes against the reference of that
layer (the cut is structural, so the circuit is the composition of its slices, as the IntNetwork is of its
layers); a simplified one, or one whose layer is not proved so, is compared whole.

ABC's SAT-based engines rarely prove two adder trees of different structure equal. When they give up, ABC
builds the BDDs of both circuits under one fixed variable order (every pin's bit 0 first, then bit 1, ...:
the columns of a weighted sum, where a partial sum's BDD stays small) and writes them back as multiplexer
circuits; canonical BDDs make equal functions identical circuits, which ABC's cec then sees by structural
hashing."""
import pathlib
import re
import tempfile

import numpy as np

from .. import external
from ..formats.aiger import to_aig
from ..formats.reference import (argmax_slice_verilog, code_pin, layer_slice_verilog, logit_pin,
                                 threshold_slice_verilog, to_reference_verilog)
from ..quant.codes import input_pin
from ..ir.aig import AIG, copy_cone
from ..verdict import proved, undecided
from .network import confirmed_counterexample
from .polynomials import abc_polynomial, table_polynomial, weighted_sum_polynomial, word_polynomial

METHOD = "ABC cec against Yosys(reference)"
LAYERED = METHOD + ", layer by layer"
BRIDGED = METHOD + ", through the lowered circuit"
BDD_NODES = 20_000_000  # live BDD nodes ABC may build per circuit (under 1 GB)
BY_BDDS = " of both circuits' BDDs under one variable order (ABC collapse, written back as multiplexers)"
BY_SIMULATION = " by simulation of every input pattern (ABC &cec -t)"
SIMULATED_INPUTS = 24  # circuits of at most this many inputs are first compared on every pattern
IN_PARTS = (" in two parts: each sum word's polynomial (ABC &polyn) is the IntNetwork's weighted sum of the layer's "
            "inputs, and the thresholds (or the argmax) over the sum words equal Yosys' synthesis of their reference "
            "Verilog (ABC cec)")


def prove_with_abc(bundle, timeout=60, whole_timeout=None, progress=None):
    """Verdict of the bundle's circuit against its IntNetwork by Yosys and ABC: a lowered bundle layer by layer
    (each layer within timeout seconds); a simplified one through a fresh lowering of its IntNetwork, proved so
    and then compared with the circuit by ABC; else, or when that is not proved, the whole circuit within
    whole_timeout seconds (default: timeout). progress(stage) as each comparison starts."""
    from ..lower.network import lower_network

    tools = external.find("yosys"), external.find("abc")
    net, aig = bundle.net, bundle.aig
    with tempfile.TemporaryDirectory() as folder:
        folder = pathlib.Path(folder)
        low = bundle.lowering or lower_network(net)
        layered = _by_layers(net, low, folder, tools, timeout, progress)
        why = f"layer by layer: {layered.reason}"
        if layered.ok and bundle.lowering is not None:
            return layered
        if layered.ok:  # the fresh lowering equals the reference: compare the circuit with it
            if progress:
                progress("the circuit against the lowered one")
            result, detail = _cec_aigs(aig, low.aig, folder / "bridge", tools[1], timeout, bdds_first=False)
            if result == "equivalent":
                return proved(BRIDGED, f"ABC cec{detail or ''}: the circuit equals a fresh lowering of its IntNetwork, "
                                       f"and that lowering {layered.details[0].removeprefix('ABC cec, ')}")
            if result == "different":  # the lowering equals the reference, so this is the circuit's own difference
                return confirmed_counterexample(net, aig, _codes_of(detail, net), BRIDGED)
            why = f"against a fresh lowering (proved layer by layer): {detail}"
        if progress:
            progress("the whole circuit")
        result, detail = _cec(aig, to_reference_verilog(net), folder / "whole", tools, whole_timeout or timeout)
        if result == "equivalent":
            return proved(METHOD, f"ABC cec{detail or ''}: the circuit equals Yosys' synthesis of "
                                  "the reference Verilog")
        if result == "different":
            return confirmed_counterexample(net, aig, _codes_of(detail, net), METHOD)
        return undecided(METHOD, f"{detail}; {why}")


def _by_layers(net, low, folder, tools, timeout, progress=None):
    """Verdict of each layer of the lowered network low against its reference (proved, or undecided naming the
    layer)."""
    ways = {}  # how ABC decided: the layers decided so
    for layer in range(len(net.hidden) + 1):
        if progress:
            progress(f"layer {layer}")
        if _layer_in_parts(net, low, layer, folder, tools, timeout):
            ways.setdefault(IN_PARTS, []).append(str(layer))
            continue
        cut = _layer_slice(low, layer, len(net.hidden))
        if cut is None:
            return undecided(LAYERED, f"layer {layer} of the circuit reaches below the previous layer's codes")
        ours, previous = cut
        result, detail = _cec(ours, layer_slice_verilog(net, layer, previous), folder / f"layer{layer}", tools,
                              timeout)
        if result != "equivalent":
            return undecided(LAYERED, f"layer {layer}: {detail}" if result == "undecided" else
                             f"layer {layer} differs from the reference for free inputs at {detail}")
        if detail:
            ways.setdefault(detail, []).append(str(layer))
    how = "".join(f"; layer {', '.join(layers)}{way}" for way, layers in ways.items())  # in order of first layer
    return proved(LAYERED, f"ABC cec, each of the {len(net.hidden) + 1} layers equal to Yosys' synthesis of "
                           f"its reference Verilog{how}")


def _layer_in_parts(net, low, layer, folder, tools, timeout):
    """True when ABC proves a layer of arithmetic neurons (or the output layer) in two parts: each sum word (the
    accumulator minus the lowering's offset), as a function of the layer's inputs, has the polynomial of the
    IntNetwork's weighted sum minus that offset; and the circuit's thresholds (or argmax) over those words equal
    Yosys' synthesis of the reference thresholds (argmax) over free words. The layer is the composition of the
    two slices (the cuts are structural), so both together prove it. False when a part is not proved or the
    layer does not split so (truth-table neurons, max-pools): its whole-layer cec follows."""
    last = layer == len(net.hidden)
    if last:
        sums = [(logit.sum_word, low.logit_offset, net.out_W[c], int(net.out_B[c]))
                for c, logit in enumerate(low.logits)]
        outputs = list(zip(low.aig.output_names, low.aig.output_lits))
    else:
        neurons = low.neurons[layer]
        if net.pools[layer] is not None or any(n.method != "arith" for n in neurons):
            return False
        sums = [(n.sum_word, n.offset, net.hidden[layer][0][j], 0) for j, n in enumerate(neurons)]
        outputs = [(code_pin(layer, j, b), lit) for j, n in enumerate(neurons) for b, lit in enumerate(n.out_word)]
    for k, (word, offset, weights, bias) in enumerate(sums):
        sliced = sum_slice(net, low, layer, word)
        if sliced is None:
            return False
        ours, inputs = sliced
        want = weighted_sum_polynomial(weights, bias - offset, inputs)
        got = abc_polynomial(ours, folder / f"sum{layer}_{k}.aig", tools[1], max(1, timeout // 4)) \
            if ours.output_lits else {}
        if got != want:
            return False
    sliced = AIG()
    cut, wiring = _cut([word for word, *_ in sums], logit_pin, sliced)
    if _with_outputs(low.aig, outputs, cut, sliced) is None:
        return False
    reference = (argmax_slice_verilog(wiring) if last else
                 threshold_slice_verilog(wiring, net.hidden[layer][1], [offset for _, offset, _, _ in sums], net.abits,
                                         layer))
    return _cec(sliced, reference, folder / f"top{layer}", tools, timeout, bdds_first=False)[0] == "equivalent"


def sum_slice(net, low, layer, word):
    """(our circuit of a sum word of `layer` as a function of the layer's inputs, its leading zero bits left out
    (ABC's &polyn takes no constant outputs); the polynomial of each input's value over the circuit's ports: the
    feature codes' levels for the first layer, the previous layer's codes after it), or None when the word has
    another constant bit or reaches below the layer's inputs."""
    word = list(word)
    while word and word[-1] == 0:
        word.pop()
    if any(lit >> 1 == 0 for lit in word):
        return None
    sliced = AIG()
    cut, wiring = _layer_inputs(low, layer, sliced)
    if layer:
        inputs = [word_polynomial(bits) for bits in wiring]
    else:
        pins = [[input_pin(i, b) for b in range(net.ibits)] for i in range(net.n_features)]
        inputs = [table_polynomial(levels, bits) for levels, bits in zip(net.levels.tolist(), pins)]
    if _with_outputs(low.aig, [(f"s_{b}", lit) for b, lit in enumerate(word)], cut, sliced) is None:
        return None
    return sliced, inputs


def _cec(ours, verilog, stem, tools, timeout, bdds_first=True):
    """("equivalent" | "different" | "undecided", detail): ABC's equivalence check (_cec_aigs) of AIG ours
    against Yosys' synthesis of verilog, pins matched by name."""
    from ..formats.aiger import from_aig

    yosys, abc = tools
    stem.with_suffix(".v").write_text(verilog)
    ref = stem.with_name(stem.name + "_ref.aig")
    script = f"read_verilog {stem.name}.v; synth -flatten -top quantlogic; aigmap; write_aiger -symbols {ref.name}"
    out, finished = external.run([yosys, "-q", "-p", script], stem.parent, timeout)
    if not finished or not ref.exists():
        return "undecided", f"Yosys did not synthesize the reference within {timeout} s" if not finished else \
            f"Yosys could not synthesize the reference ({_last_line(out)})"
    return _cec_aigs(ours, from_aig(ref.read_bytes()), stem, abc, timeout, bdds_first)


def _cec_aigs(ours, theirs, stem, abc, timeout, bdds_first=True):
    """("equivalent" | "different" | "undecided", detail) of ABC comparing AIGs ours and theirs (the same pin
    names); detail is the input pattern {pin: "0"/"1"} of a difference, how they were found equal when not by plain
    cec (BY_SIMULATION, BY_BDDS), or what ran out. Circuits of at most SIMULATED_INPUTS inputs are first simulated
    on every pattern; then the BDDs (_equal_bdds; last unless bdds_first: comparators, whose BDDs are large and SAT
    problems easy), ABC's cec (which reports a pattern) for a quarter of the time, its dcec (FRAIGs of both after
    AIG rewriting) and its newer &cec, on copies of both circuits with the same pin order."""
    if sorted(theirs.input_names) != sorted(ours.input_names) or sorted(theirs.output_names) != sorted(ours.output_names):
        return "undecided", "the circuits compared do not have the same pins"
    ref = stem.with_name(stem.name + "_ref.aig")
    ref.write_bytes(to_aig(theirs))
    stem.with_suffix(".aig").write_bytes(to_aig(_reordered(ours, theirs.input_names, theirs.output_names)))
    quick = max(1, timeout // 4)
    if ours.n_inputs <= SIMULATED_INPUTS and \
            _abc_cec(abc, f"&r {stem.name}.aig; &cec -t -T {timeout} {ref.name}", stem, timeout)[0] == "equivalent":
        return "equivalent", BY_SIMULATION  # a difference found so has no pattern: cec below finds one
    if bdds_first and _equal_bdds(ours, theirs, stem, abc, timeout):
        return "equivalent", BY_BDDS
    for command, limit in ((f"cec -T {quick} {stem.name}.aig {ref.name}", quick),
                           (f"dcec -T {timeout} {stem.name}.aig {ref.name}", timeout),
                           (f"&r {stem.name}.aig; &cec -T {timeout} {ref.name}", timeout)):
        result, detail = _abc_cec(abc, command, stem, limit)
        if result is not None:
            return result, detail
    if not bdds_first and _equal_bdds(ours, theirs, stem, abc, timeout):
        return "equivalent", BY_BDDS
    return "undecided", (f"ABC's cec, dcec and &cec did not decide within {quick} + {timeout} + {timeout} s (or "
                         f"gave no input pattern of a difference), nor did its BDDs within {timeout} s and "
                         f"{BDD_NODES:,} nodes a circuit")


def _abc_cec(abc, command, stem, limit):
    """("equivalent", None), ("different", input pattern) or (None, None) of one ABC equivalence command (a
    difference reported without an input pattern is (None, None): the next command may find one)."""
    out, finished = external.run([abc, "-c", command], stem.parent, limit + 5)
    if finished and "Networks are equivalent" in out:
        return "equivalent", None
    pattern = re.search(r"Input pattern:(.*)", out) if finished and "NOT EQUIVALENT" in out else None
    if pattern:
        return "different", dict(re.findall(r"(\w+)=([01])", pattern.group(1)))
    return None, None


def _equal_bdds(ours, theirs, stem, abc, timeout):
    """True when ABC, within timeout seconds per circuit, builds both circuits' BDDs under one variable
    order (column_order) and its cec finds the multiplexer circuits written from them identical; False when
    it runs out or they differ (a difference is not reported here: the cec that follows finds a witness)."""
    order = column_order(theirs.input_names)
    for name, aig in (("ours", ours), ("theirs", theirs)):
        (stem.parent / f"{stem.name}_{name}_ordered.aig").write_bytes(
            to_aig(_reordered(aig, order, theirs.output_names)))
        command = (f"read {stem.name}_{name}_ordered.aig; collapse -r -B {BDD_NODES}; muxes; strash; "
                   f"write_aiger {stem.name}_{name}_bdd.aig")
        out, finished = external.run([abc, "-c", command], stem.parent, timeout)
        if not finished or not (stem.parent / f"{stem.name}_{name}_bdd.aig").exists():
            return False
    return _abc_cec(abc, f"cec {stem.name}_ours_bdd.aig {stem.name}_theirs_bdd.aig", stem, timeout)[0] == "equivalent"


def column_order(names):
    """Pin names with every word's bit 0 first, then bit 1, and so on (a pin is WORD_BIT: x3_1, h0_12_2);
    pins of no such form last, in their order."""
    def key(item):
        position, name = item
        numbers = [int(n) for n in re.findall(r"\d+", name)]
        return (0, numbers[-1], numbers[:-1], position) if re.fullmatch(r"[a-z]+\d+(_\d+)+", name) else \
            (1, 0, [], position)
    return [name for _, name in sorted(enumerate(names), key=key)]


def _reordered(aig, input_names, output_names):
    """aig with its inputs and outputs in the given orders (the same names)."""
    new = AIG()
    position = {name: k for k, name in enumerate(aig.input_names)}
    cut = {0: 0}
    for name in input_names:
        cut[position[name] + 1] = new.add_input(name)
    outputs = dict(zip(aig.output_names, aig.output_lits))
    return _with_outputs(aig, [(name, outputs[name]) for name in output_names], cut, new)


def _codes_of(pattern, net):
    """Input codes of a {pin: "0"/"1"} pattern (pins it leaves out are 0)."""
    codes = np.zeros(net.n_features, dtype=np.int64)
    for pin, bit in pattern.items():
        match = re.fullmatch(r"x(\d+)_(\d+)", pin)
        if match and bit == "1" and int(match.group(1)) < net.n_features:
            codes[int(match.group(1))] |= 1 << int(match.group(2))
    return codes


def _layer_slice(low, layer, n_hidden):
    """(our circuit of one layer, the wiring of its inputs for layer_slice_verilog), or None when the
    layer's gates reach below the previous layer's codes. Bits of the previous codes that are one node
    (or a constant) are one port (or that constant) on both sides."""
    aig = low.aig
    outputs = (list(zip(aig.output_names, aig.output_lits)) if layer == n_hidden else
               [(code_pin(layer, j, b), lit) for j, word in enumerate(low.outputs(layer))
                for b, lit in enumerate(word)])
    sliced = AIG()
    cut, previous = _layer_inputs(low, layer, sliced)
    if _with_outputs(aig, outputs, cut, sliced) is None:
        return None
    return sliced, previous


def _layer_inputs(low, layer, sliced):
    """(cut, wiring) of `layer`'s inputs as ports of sliced: the circuit's input pins for the first layer (wiring
    None), else the previous layer's code bits (see _cut)."""
    if layer == 0:
        return {0: 0, **{k + 1: sliced.add_input(name) for k, name in enumerate(low.aig.input_names)}}, None
    return _cut(low.outputs(layer - 1), lambda j, b: code_pin(layer - 1, j, b), sliced)


def _with_outputs(aig, outputs, cut, sliced):
    """sliced with the cones of aig's (name, literal) outputs copied above cut, or None when a cone reaches
    below the cut."""
    mapped = copy_cone(aig, [lit for _, lit in outputs], cut, sliced)
    if mapped is None:
        return None
    for name, lit in outputs:
        sliced.add_output(name, mapped[lit >> 1] ^ (lit & 1))
    return sliced


def _cut(words, pin, sliced):
    """({node: literal in sliced} for the bits of words, their wiring as Verilog expressions): bit b of word j
    is port pin(j, b), the first port of its node when several bits share one, or a constant."""
    cut, ports, wiring = {0: 0}, {}, []
    for j, out_word in enumerate(words):
        word = []
        for b, lit in enumerate(out_word):
            node = lit >> 1
            if node == 0:
                word.append("1'b1" if lit & 1 else "1'b0")
                continue
            if node not in ports:
                ports[node] = (pin(j, b), lit & 1)
                cut[node] = sliced.add_input(pin(j, b)) ^ (lit & 1)
            name, phase = ports[node]
            word.append(("~" if phase ^ (lit & 1) else "") + name)
        wiring.append(word)
    if len(ports) == 0:
        sliced.add_input("unused")
    return cut, wiring


def _last_line(text):
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1][:160] if lines else "no output"
