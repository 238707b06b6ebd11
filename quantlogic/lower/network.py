"""Lower a whole IntNetwork into one AIG, recording each neuron's pieces for the proof.

Pins follow the I/O contract: x{i}_{j} is bit j of feature i's code, y_{j} bit j of the class index.
"""
import functools
from dataclasses import dataclass, field

from ..errors import QuantlogicError
from ..ir.aig import AIG, FALSE
from ..quant.codes import input_pin, output_pin
from .arith import (
    add_constant,
    argmax,
    at_least,
    compress,
    dot_diagram,
    level_word,
    max_word,
    thermometer_to_binary,
)
from .truth_table import (
    DEFAULT_TABLE_BITS,
    lower_neuron_table,
    table_bits,
    table_size,
    value_table,
)

MAX_DOTS = 5_000_000


@dataclass
class NeuronCircuit:
    """Literals of one neuron: the sum word S (with S + offset = accumulator) and its output word."""
    layer: int
    index: int
    sum_word: list
    offset: int
    out_word: list
    method: str = "arith"  # or "table": built from its truth table, no sum word


@dataclass
class PoolCircuit:
    """One max-pooled output: the largest of its window's neuron codes, as a tournament of steps."""
    layer: int
    index: int
    out_word: list
    steps: list  # (left word, right word, larger word), see arith.max_word


@dataclass
class Lowering:
    aig: AIG
    code_words: list  # per feature: literals of its code bits (primary inputs)
    level_words: list  # per feature: the word of levels[code] seen by the first layer
    layer_inputs: list = field(default_factory=list)  # per layer (hidden and output): input words
    neurons: list = field(default_factory=list)  # per hidden layer: list of NeuronCircuit
    pools: list = field(default_factory=list)  # per hidden layer: None or list of PoolCircuit
    logits: list = field(default_factory=list)  # NeuronCircuit per class; sum_word = L_c - logit_offset
    logit_offset: int = 0
    class_word: list = field(default_factory=list)
    matches: list = field(default_factory=list)  # the argmax tournament, see arith.argmax
    layer_ands: dict = field(default_factory=dict)  # AND nodes added by each stage

    def outputs(self, layer):
        """The words hidden layer `layer` gives the next one: its pooled outputs, else its neurons' codes."""
        pools = self.pools[layer]
        return [n.out_word for n in (self.neurons[layer] if pools is None else pools)]


def lower_network(net, progress=None, table_bits=DEFAULT_TABLE_BITS, table_always=False, advance=None,
                  layer_done=None):
    """Return a Lowering of IntNetwork net (progress(layer_name) is called as each layer starts, advance()
    as each neuron is built, then once for the output layer's n_classes logits, layer_done(lowering so far,
    layer) as each hidden layer is finished). A hidden neuron whose used inputs have at most table_bits bits
    is also built from its truth table, and the smaller of the two circuits is kept (table_always: the table
    circuit whenever it fits)."""
    _check_size(net)
    aig = AIG()
    code_words = [[aig.add_input(input_pin(i, j)) for j in range(net.ibits)] for i in range(net.n_features)]
    identity = list(range(2 ** net.ibits))
    level_words = [word if list(levels) == identity else level_word(aig, word, levels)
                   for word, levels in zip(code_words, net.levels.tolist())]
    low = Lowering(aig, code_words, level_words)
    low.layer_ands["inputs"] = aig.n_ands
    words = level_words
    for layer, (W, T) in enumerate(net.hidden):
        if progress:
            progress(f"layer {layer}")
        low.layer_inputs.append(words)
        table_words, values = neuron_table_inputs(net, low, layer)
        neurons = []
        for j in range(W.shape[0]):
            neurons.append(_lower_neuron(aig, layer, j, words, W[j], T[j], net.abits, table_words, values,
                                         table_bits, table_always))
            if advance:
                advance()
        low.neurons.append(neurons)
        low.pools.append(_lower_pools(aig, layer, net.pools[layer], neurons))
        low.layer_ands[f"layer {layer}"] = aig.n_ands - sum(low.layer_ands.values())
        words = low.outputs(layer)
        if layer_done:
            layer_done(low, layer)
    if progress:
        progress("output")
    low.layer_inputs.append(words)
    _lower_output(low, words, net)
    if advance:
        advance(net.n_classes)
    low.layer_ands["output"] = aig.n_ands - sum(low.layer_ands.values())
    for j, lit in enumerate(low.class_word):
        aig.add_output(output_pin(j), lit)
    return low


def neuron_table_inputs(net, low, layer):
    """(words, value table) a truth table of a layer's neurons is taken over: the feature code bits
    (levels folded into the table) for the first layer, the previous layer's outputs after that."""
    if layer == 0:
        return low.code_words, value_table(net.levels.tolist(), net.ibits)
    words = low.outputs(layer - 1)
    return words, value_table([list(range(2 ** net.abits))] * len(words), net.abits)


def _lower_pools(aig, layer, pool, neurons):
    if pool is None:
        return None
    circuits = []
    for r, window in enumerate(pool.tolist()):
        word, steps = max_word(aig, [neurons[j].out_word for j in window])
        circuits.append(PoolCircuit(layer, r, word, steps))
    return circuits


def neuron_sum(aig, words, weights):
    """(sum word S, offset) with S + offset = sum_i w_i value(words_i), as a compressed dot diagram."""
    columns, offset = dot_diagram(words, weights)
    return compress(aig, columns), offset


def logit_sum(aig, words, weights, bias, logit_offset):
    """Sum word of a logit, L_c - logit_offset (the smallest offset of all logits, so all are unsigned)."""
    columns, offset = dot_diagram(words, weights, bias)
    add_constant(columns, offset - logit_offset)
    return compress(aig, columns)


def _lower_arith(aig, layer, j, words, weights, thresholds, abits):
    sum_word, offset = neuron_sum(aig, words, weights)
    ge = [at_least(aig, sum_word, int(t) - offset) for t in thresholds]
    return NeuronCircuit(layer, j, sum_word, offset, thermometer_to_binary(aig, ge, abits))


def _lower_neuron(aig, layer, j, words, weights, thresholds, abits, table_words, values, table_limit,
                  table_always=False):
    if table_limit and table_bits(table_words, weights) <= table_limit:
        if table_always:
            out = lower_neuron_table(aig, table_words, weights, values, thresholds, abits)
            return NeuronCircuit(layer, j, [], 0, out, "table")
        used = [i for i, w in enumerate(weights) if w]
        arith_size = _arith_size(tuple((int(weights[i]), len(words[i])) for i in used),
                                 tuple(int(t) for t in thresholds), abits)
        if table_size(table_words, weights, values, thresholds, abits) < arith_size:
            out = lower_neuron_table(aig, table_words, weights, values, thresholds, abits)
            return NeuronCircuit(layer, j, [], 0, out, "table")
    return _lower_arith(aig, layer, j, words, weights, thresholds, abits)


@functools.lru_cache(maxsize=4096)
def _arith_size(inputs, thresholds, abits):
    """AND gates of the arithmetic lowering of a neuron with used inputs ((weight, word width), ...), on
    fresh input bits (kept per function: a convolution's positions share it)."""
    scratch = AIG()
    fresh = [[scratch.add_input(f"i{i}_{k}") for k in range(width)] for i, (_, width) in enumerate(inputs)]
    weights = [w for w, _ in inputs]
    return len(scratch.cone(_lower_arith(scratch, 0, 0, fresh, weights, thresholds, abits).out_word))


def _lower_output(low, words, net):
    low.logit_offset = min(dot_diagram(words, net.out_W[c], net.out_B[c])[1] for c in range(net.n_classes))
    sums = [logit_sum(low.aig, words, net.out_W[c], net.out_B[c], low.logit_offset) for c in range(net.n_classes)]
    width = max(len(w) for w in sums)
    sums = [w + [FALSE] * (width - len(w)) for w in sums]
    low.logits = [NeuronCircuit(len(net.hidden), c, w, low.logit_offset, []) for c, w in enumerate(sums)]
    low.class_word, low.matches = argmax(low.aig, sums)


def _check_size(net):
    """Refuse networks whose dot diagrams alone would not fit in memory."""
    value_bits = max(1, int(net.levels.max()).bit_length())
    dots = 0
    for W, _ in net.hidden + [(net.out_W, None)]:  # (a max-pool's comparators are few beside its neurons)
        weight_bits = sum(bin(abs(int(w))).count("1") for w in W.ravel())
        dots += weight_bits * value_bits
        value_bits = net.abits
    if dots > MAX_DOTS:
        raise QuantlogicError(f"the network would need about {dots:,} partial-product bits "
                              f"(limit {MAX_DOTS:,}); use fewer bits or a smaller model")
