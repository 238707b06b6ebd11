"""Proofs of a lowered network part by part: the input wiring and level tables, each hidden neuron (its sum
algebraically, its thresholds over the sum's range, or its truth table exhaustively), the logits and the
argmax tournament. Each check returns None when proved, else a Gap saying what did not go through."""
from dataclasses import dataclass

import numpy as np

from ..quant.codes import bits_to_ints, input_pin, output_pin
from ..ir.aig import AIG, FALSE, TRUE, neg
from ..lower.arith import entries_winner, tournament_pairs
from ..lower.network import logit_sum, neuron_sum, neuron_table_inputs
from ..prove.cnf import CNF
from . import algebra
from ..workers import Here
from .cones import evaluate_cone, word_values
from .limits import effort, proof_effort
from .reference import part_equals_reference, sum_equals_reference

EXHAUSTIVE_NEURON_BITS = 20  # input bits of a neuron checked exhaustively when algebra runs out of budget


@dataclass
class Gap:
    """A part that is not proved: undecided when a budget ran out, else its check found it different."""
    text: str
    undecided: bool = False
    codes: list = None  # input codes where the part (not necessarily the network) is wrong, when known
    part: tuple = None  # (layer, index) of the hidden neuron, or (number of hidden layers, class) of the logit


NEURONS_PER_TASK = 32  # parts checked by one task (a fixed number: the verdict does not depend on the workers)


def prove_by_parts(net, low, progress=None, reference=None, advance=None, workers=None):
    """None when every part of the lowering is proved; else the first Gap. reference: a callable giving a
    fresh lowering of net proved part by part (or None); a neuron or logit whose own proof does not go
    through is proved when it equals the reference's as a function of its layer's inputs. progress(label)
    is called as each layer starts, advance() as each neuron is proved and once per logit. workers (see
    quantlogic.workers) check the neurons and logits in blocks; the rest runs here."""
    aig = low.aig
    gap = _check_inputs(net, low)
    if gap:
        return gap
    blocks = _part_blocks(net, low)
    tasks = [(block,) for _, block, _ in blocks]
    results = iter((workers or Here()).map(check_parts, tasks, aig, effort()))
    n_hidden = len(net.hidden)
    for layer, block, place in blocks:
        if place.start == 0:
            gap = _layer_starts(net, low, layer, progress)
            if gap:
                return gap
        for check, gap in zip(block, next(results)):
            if gap and not _equals_reference(gap, low, reference, layer, *_reference_part(layer, check[-1],
                                                                                            n_hidden)):
                gap.part = (layer, check[-1])
                return gap
            if advance:
                advance()
        if layer < n_hidden and place.stop == len(low.neurons[layer]):
            gap = check_pools(aig, net.pools[layer], low.neurons[layer], low.pools[layer], layer_bits(low, layer))
            if gap:
                return gap
    return _check_output(net, low)


def _reference_part(layer, index, n_hidden):
    """(word_of, offset_of) of _equals_reference for hidden neuron or logit `index` of `layer`."""
    if layer < n_hidden:
        return (lambda r: r.neurons[layer][index].out_word), (lambda r: 0)
    return (lambda r: r.logits[index].sum_word), (lambda r: r.logit_offset)


def _layer_starts(net, low, layer, progress):
    """Gap when the layer (len(net.hidden): the output layer) is not wired to the codes before it."""
    hidden = layer < len(net.hidden)
    if progress:
        progress(f"layer {layer}" if hidden else "output")
    expected = low.level_words if layer == 0 else low.outputs(layer - 1)
    if low.layer_inputs[layer] != expected:
        return Gap(f"layer {layer} is not wired to the outputs of the layer before" if hidden else
                   "the output layer is not wired to the last hidden layer")
    return None


def _part_blocks(net, low):
    """[(layer, [check, ...], range)]: the checks of each hidden neuron and logit (see check_parts), layer
    by layer in blocks of NEURONS_PER_TASK, with the block's positions in its layer."""
    levels = None if _uniform(net) else net.levels.tolist()
    blocks = []
    for layer, ((W, T), neurons) in enumerate(zip(net.hidden, low.neurons)):
        words = low.layer_inputs[layer]
        sum_inputs = _sum_inputs(low, words, levels if layer == 0 else None)
        table_words, values = neuron_table_inputs(net, low, layer)
        checks = [("table", table_words, values, W[n.index], n, T[n.index], n.index) if n.method == "table" else
                  ("sum", words, sum_inputs, W[n.index], n, T[n.index], n.index) for n in neurons]
        blocks += _blocks(layer, checks)
    words = low.layer_inputs[-1]
    attempts = _sum_inputs(low, words, None if net.hidden or _uniform(net) else levels)
    checks = [("logit", words, attempts, net.out_W[c], int(net.out_B[c]), low.logit_offset, logit.sum_word, c)
              for c, logit in enumerate(low.logits)]
    return blocks + _blocks(len(net.hidden), checks)


def _blocks(layer, checks):
    places = [range(k, min(k + NEURONS_PER_TASK, len(checks))) for k in range(0, len(checks), NEURONS_PER_TASK)]
    return [(layer, checks[place.start:place.stop], place) for place in places]


def check_parts(aig, scale, checks):
    """[Gap or None] of each check, under proof effort scale (wherever it runs): ("table" | "sum", words,
    inputs, weights, neuron, thresholds, index) of a hidden neuron (see check_table_neuron, check_neuron)
    or ("logit", words, attempts, weights, bias, offset, sum_word, index) of a logit (see check_logit)."""
    check = {"table": check_table_neuron, "sum": check_neuron}
    with proof_effort(scale):
        return [check_logit(aig, *args) if kind == "logit" else check[kind](aig, *args[:-1])
                for kind, *args in checks]


def check_logit(aig, words, attempts, weights, bias, offset, sum_word, c):
    """None when logit c's sum word is proved to be its weighted sum plus bias, stored with offset added."""
    order = algebra.construction_order(aig, lambda g: logit_sum(g, words, weights, bias, offset))
    return _sum_gap(aig, sum_word, attempts, weights, offset - bias, f"logit {c}", order)


def _equals_reference(gap, low, reference, layer, word_of, offset_of=lambda r: 0):
    """Whether the part word_of(lowering) of low is proved equal to the reference's (see prove_by_parts); a
    word stands for its value plus offset_of(lowering), so the two offsets must agree. When a first-layer
    part differs, gap.codes gets the input codes where it does."""
    ref = reference() if reference is not None else None
    if ref is None or ref.aig.input_names != low.aig.input_names or offset_of(ref) != offset_of(low):
        return False
    inputs = (lambda r: r.code_words) if layer == 0 else (lambda r: r.layer_inputs[layer])
    verdict = part_equals_reference(low.aig, inputs(low), word_of(low), ref.aig, inputs(ref), word_of(ref))
    if verdict is None:
        return False
    if verdict.status == "disproved" and layer == 0 and gap.codes is None:
        gap.codes = bits_to_ints(np.asarray(verdict.counterexample).reshape(len(low.code_words), -1)).tolist()
    return verdict.ok


def check_pools(aig, pool, neurons, circuits, layer_inputs=()):
    """None when each pooled output is a tournament over exactly its window's neuron codes whose every step
    gives the larger of its two words: checked exhaustively over the two words' bits, or else (a step may be
    right only on the codes that occur) by SAT over the layer's input literals layer_inputs as free inputs, the
    neurons between; else a Gap."""
    if pool is None and circuits is None:
        return None
    if pool is None or circuits is None or len(circuits) != len(pool):
        return Gap("the max-pool outputs do not match the network's pooling")
    checked = set()
    for r, (window, circuit) in enumerate(zip(pool.tolist(), circuits)):
        words = [list(neurons[j].out_word) for j in window]
        replay = []
        recorded = iter(circuit.steps)
        for left, right in tournament_pairs(words, replay):
            step = next(recorded, None)
            if step is None or (list(step[0]), list(step[1])) != (left, right):
                return Gap(f"max-pool output {r} is not wired as the maximum of its window")
            replay.append((left, right, list(step[2])))
            key = (tuple(left), tuple(right), tuple(step[2]))
            if key not in checked:
                if not _is_larger_of(aig, left, right, list(step[2])) and (
                        not layer_inputs or len(left) != len(right) or
                        _differs(aig, left + right, list(step[2]), reference_match(len(left), 0), layer_inputs)):
                    return Gap(f"a step of max-pool output {r} does not give the larger code")
                checked.add(key)
        winner = replay[-1][2] if replay else words[0]
        if next(recorded, None) is not None or winner != list(circuit.out_word):
            return Gap(f"max-pool output {r} is not its window's maximum")
    return None


def _is_larger_of(aig, left, right, out):
    """Whether out = max(left, right) for every value the two words' literals can take together."""
    rows = np.arange(1 << (len(left) + len(right)), dtype=np.int64)
    a, b = rows & ((1 << len(left)) - 1), rows >> len(left)
    cut, keep = {}, np.ones(len(rows), dtype=bool)
    _assign_word(cut, keep, left, a)
    _assign_word(cut, keep, right, b)
    width = int(keep.sum())
    cut = {node: v[keep] for node, v in cut.items()} or {0: np.zeros(width, dtype=bool)}
    try:
        got = bits_to_ints(evaluate_cone(aig, out, cut).T) if out else np.zeros(width, dtype=np.int64)
    except ValueError:
        return False
    return bool(np.array_equal(got, np.maximum(a[keep], b[keep])))


def layer_bits(low, layer):
    """The literals a layer (len(low.neurons): the output layer) computes from: its input words, and the code
    bits too for the first layer (its truth-table neurons and level tables read them)."""
    words = low.layer_inputs[layer] + (low.code_words if layer == 0 else [])
    return [lit for word in words for lit in word]


def _sum_inputs(low, words, levels):
    """The ways a sum over these words may be proved: over the words themselves, and for the first layer
    with level tables also over the code bits (each level table a multilinear polynomial of its code)."""
    return [(words, None)] + ([(low.code_words, levels)] if levels else [])


def _uniform(net):
    return bool(np.array_equal(net.levels, np.tile(np.arange(net.levels.shape[1]), (net.n_features, 1))))


def _check_inputs(net, low):
    aig = low.aig
    pins = {name: 2 * (k + 1) for k, name in enumerate(aig.input_names)}
    if low.code_words != [[pins.get(input_pin(i, j)) for j in range(net.ibits)] for i in range(net.n_features)]:
        return Gap("the feature codes are not wired to their input pins")
    identity = list(range(1 << net.ibits))
    for i, (code_word, levels) in enumerate(zip(low.code_words, net.levels.tolist())):
        if levels == identity:
            if low.level_words[i] != code_word:
                return Gap(f"feature {i} is not wired to its input pins")
            continue
        try:
            values = evaluate_cone(aig, low.level_words[i], {lit >> 1: v for lit, v in
                                                              zip(code_word, word_values(net.ibits, identity))})
        except ValueError:
            return Gap(f"the level table of feature {i} depends on more than its code")
        if bits_to_ints(values.T).tolist() != levels:
            return Gap(f"the level table of feature {i} is wrong")
    return None


def _check_output(net, low):
    """None when the output pins are the argmax's index bits and its tournament is proved; else a Gap."""
    aig = low.aig
    named = dict(zip(aig.output_names, aig.output_lits))
    if [named.get(output_pin(j)) for j in range(len(low.class_word))] != list(low.class_word) \
            or len(named) != len(low.class_word):
        return Gap("the output pins are not the argmax's index bits")
    return check_argmax(aig, [n.sum_word for n in low.logits], low.class_word, low.matches,
                        layer_bits(low, len(net.hidden)))


def _sum_gap(aig, word, attempts, weights, offset, what, order=None):
    """None when value(word) = sum_i w_i value_i - offset is proved over one of the attempts [(input words,
    level tables or None)]; else the Gap of the last attempt. order: the gates' construction order."""
    for words, levels in attempts:
        gap = _sum_gap_over(aig, word, words, weights, offset, levels, what, order)
        if gap is None:
            return None
    return gap


def _sum_gap_over(aig, word, words, weights, offset, levels, what, order=None):
    """None when the sum is proved over these inputs: algebraically, or, when that outgrows its budget,
    exhaustively over the used inputs' codes if they are few, or by equivalence with a reference sum."""
    try:
        diff = algebra.difference(aig, word, words, weights, offset, levels, order)
    except algebra.TooLarge as exc:
        if _exhaustive_sum(aig, word, words, weights, offset, levels):
            return None
        if levels is None and sum_equals_reference(aig, word, words, weights, offset):
            return None
        return Gap(f"the algebraic proof of {what} ran out of its term budget ({exc}); its inputs have more "
                   f"than {EXHAUSTIVE_NEURON_BITS} bits for an exhaustive check and equivalence with a reference "
                   "sum did not prove it", undecided=True)
    if not diff:
        return None
    codes = _input_witness(aig, diff) if algebra.free_variables(diff, aig.n_inputs) else None
    return Gap(f"the sum word of {what} is not its weighted input sum", codes=codes)


def _exhaustive_sum(aig, word, words, weights, offset, levels):
    """Whether the word equals sum_i w_i value_i - offset on every code of the used input words (their
    nodes free, so this proves it whatever they compute); False also when the inputs are too many."""
    used = [i for i, w in enumerate(weights) if int(w)]
    if sum(len(words[i]) for i in used) > EXHAUSTIVE_NEURON_BITS:
        return False
    values = [levels[i] if levels is not None else list(range(1 << len(words[i]))) for i in range(len(words))]
    cut, ok, acc = enumerate_inputs(words, [np.asarray(v) for v in values], weights, used, aig)
    try:
        got = bits_to_ints(evaluate_cone(aig, word, cut).T)
    except ValueError:
        return False
    got = np.broadcast_to(got, acc.shape)
    return bool(np.array_equal(got[ok], (acc - offset)[ok]))


def enumerate_inputs(words, values, weights, used, aig=None):
    """Every combination of codes of the used words: (cut node values, rows the words' constant or shared
    literals can produce, accumulator sum_i w_i values[i][code_i] per row)."""
    n_codes = [1 << len(words[i]) for i in used]
    rows = np.array(np.meshgrid(*[np.arange(n) for n in n_codes], indexing="ij")).reshape(len(used), -1).T \
        if used else np.zeros((1, 0), dtype=np.int64)
    ok = np.ones(len(rows), dtype=bool)
    cut = {}
    acc = np.zeros(len(rows), dtype=np.int64)
    for col, i in enumerate(used):
        _assign_word(cut, ok, words[i], rows[:, col])
        acc += int(weights[i]) * np.asarray(values[i])[np.minimum(rows[:, col], len(values[i]) - 1)]
    _drop_impossible_rows(aig, cut, ok)
    return cut, ok, acc


def _drop_impossible_rows(aig, cut, ok):
    """Clear the rows where an input node that is a gate over the other input nodes is given a value its
    gate cannot produce from theirs (so a circuit built over the inputs may share that gate)."""
    if aig is None:
        return
    independent = algebra.independent_stops(aig, set(cut))
    for node in sorted(set(cut) - independent):
        others = {n: v for n, v in cut.items() if n != node}
        try:
            ok &= evaluate_cone(aig, [2 * node], others)[0] == cut[node]
        except ValueError:
            continue


def check_neuron(aig, words, sum_inputs, weights, neuron, thresholds):
    """None when the neuron's sum is proved (over one of sum_inputs, see _sum_gap) and its outputs
    exhaustively over the sum's range; else a Gap."""
    what = f"neuron {neuron.layer}.{neuron.index}"
    order = algebra.construction_order(aig, lambda g: neuron_sum(g, words, weights))
    gap = _sum_gap(aig, neuron.sum_word, sum_inputs, weights, neuron.offset, what, order)
    if gap:
        return gap
    vmax = [sum(1 << j for j, lit in enumerate(w) if lit != FALSE) for w in words]
    acc_lo = sum(min(int(w) * v, 0) for w, v in zip(weights, vmax))
    acc_hi = sum(max(int(w) * v, 0) for w, v in zip(weights, vmax))
    # the word's value is acc - offset (proved above), so only sums in both ranges can occur
    sums = np.arange(max(acc_lo - neuron.offset, 0), min(acc_hi - neuron.offset, (1 << len(neuron.sum_word)) - 1) + 1)
    cut, ok = _cut_for_word(neuron.sum_word, sums, aig)
    sums = sums[ok]
    if not len(sums):
        return None
    try:
        out = evaluate_cone(aig, neuron.out_word, cut)
    except ValueError as exc:
        return Gap(f"the outputs of {what} depend on more than its sum ({exc})")
    want = ((sums[:, None] + neuron.offset) >= np.asarray(thresholds)[None, :]).sum(axis=1)
    if not np.array_equal(bits_to_ints(out.T), want):
        return Gap(f"the thresholds of {what} are wrong")
    return None


def _input_witness(aig, diff):
    """Input codes (one per feature) where a non-zero polynomial over primary inputs is non-zero."""
    codes = {}
    for node in algebra.witness(diff):
        feature, bit = _pin_of(aig.input_names[node - 1])
        codes[feature] = codes.get(feature, 0) | (1 << bit)
    n_features = 1 + max(_pin_of(name)[0] for name in aig.input_names)
    return [codes.get(i, 0) for i in range(n_features)]


def _pin_of(name):
    feature, bit = name[1:].split("_")
    return int(feature), int(bit)


def check_table_neuron(aig, words, values, weights, neuron, thresholds):
    """None when a truth-table neuron's outputs equal its threshold function on every code of its used
    inputs (rows that its input literals cannot produce are skipped); else a Gap."""
    used = [i for i, w in enumerate(weights) if int(w) != 0]
    cut, ok, acc = enumerate_inputs(words, values, weights, used, aig)
    want = (acc[:, None] >= np.asarray(thresholds)[None, :]).sum(axis=1)
    what = f"neuron {neuron.layer}.{neuron.index}"
    try:
        out = evaluate_cone(aig, neuron.out_word, cut)
    except ValueError as exc:
        return Gap(f"the outputs of {what} depend on more than its inputs ({exc})")
    got = np.broadcast_to(bits_to_ints(out.T), want.shape)
    if not np.array_equal(got[ok], want[ok]):
        return Gap(f"the truth-table circuit of {what} is wrong")
    return None


def _assign_word(cut, ok, word, values):
    """Put the node values of a word taking the given integer values (one per row) into cut; rows the
    word's constant or repeated literals cannot produce are cleared in ok."""
    bits = word_values(len(word), values)
    for k, lit in enumerate(word):
        node_value = bits[k] ^ bool(lit & 1)
        if lit >> 1 == 0:
            ok &= ~node_value
        elif lit >> 1 in cut:
            ok &= cut[lit >> 1] == node_value
        else:
            cut[lit >> 1] = node_value


def _cut_for_word(word, sums, aig=None):
    """Node values for each sum value, and which sums are consistent with the word's constant/shared bits
    (and, given the aig, with bits that are gates over the word's other bits)."""
    ok = np.ones(len(sums), dtype=bool)
    cut = {}
    _assign_word(cut, ok, word, sums)
    _drop_impossible_rows(aig, cut, ok)
    return {node: v[ok] for node, v in cut.items()}, ok


def reference_match(width, index_bits):
    """An independent compare-and-select: inputs left word, left index, right word, right index; outputs the
    winner's word and index (right only when strictly greater), with an MSB-first comparator."""
    ref = AIG()
    lw, li, rw, ri = ([ref.add_input(f"{name}{k}") for k in range(n)]
                      for name, n in (("lw", width), ("li", index_bits), ("rw", width), ("ri", index_bits)))
    greater, equal_above = FALSE, neg(FALSE)
    for x, y in zip(reversed(rw), reversed(lw)):
        greater = ref.or_(greater, ref.and_(equal_above, ref.and_(x, neg(y))))
        equal_above = ref.and_(equal_above, neg(ref.xor(x, y)))
    for r, l in zip(rw + ri, lw + li):
        ref.add_output("w", ref.or_(ref.and_(greater, r), ref.and_(neg(greater), l)))
    return ref


DEEP_DECISIONS = 100_000  # SAT decisions for a match or a max-pool step over the values its words can take


def check_argmax(aig, logit_words, class_word, matches, layer_inputs=()):
    """None when the tournament is wired as an argmax (ties to the smallest index) and every match is
    proved equal to the reference compare-and-select by SAT: over its logit words as free inputs, or else
    over the values the logit words take from the output layer's input literals layer_inputs as free inputs
    (a match may be correct only on the logit values that can occur); else a Gap."""
    width = len(logit_words[0])
    index_bits = max(1, (len(logit_words) - 1).bit_length())
    entries = [(list(w), [TRUE if (c >> j) & 1 else FALSE for j in range(index_bits)])
               for c, w in enumerate(logit_words)]
    recorded = iter(matches)
    replay = []
    ref = reference_match(width, index_bits)
    for left, right in tournament_pairs(entries, replay):
        match = next(recorded, None)
        if match is None or (match[0], match[1]) != (left, right):
            return Gap("the argmax tournament is not wired as an argmax")
        replay.append(match)
        inputs = left[0] + left[1] + right[0] + right[1]
        outputs = match[2][0] + match[2][1]
        if _differs(aig, inputs, outputs, ref) and (not layer_inputs or
                                                    _differs(aig, inputs, outputs, ref, layer_inputs)):
            return Gap("a compare-and-select step of the argmax is not the reference one over the values its "
                       "logits can take")
    if list(entries_winner(entries, replay)[1]) != list(class_word) or next(recorded, None) is not None:
        return Gap("the class outputs are not the argmax winner's index")
    return None


def _differs(aig, inputs, outputs, ref, leaves=None):
    """Whether outputs can differ from ref of the input literals, literals of aig over the leaves' nodes as
    free variables (by default the inputs' own)."""
    cnf = CNF()
    cut = {}
    for lit in inputs if leaves is None else leaves:
        if lit >> 1 and lit >> 1 not in cut:
            cut[lit >> 1] = cnf.new_var()
    try:
        encoded = cnf.encode(aig, list(outputs) + list(inputs), lambda node: cut.get(node))
    except ValueError:  # the match reaches below the leaves
        return True
    ours, ref_inputs = encoded[:len(outputs)], encoded[len(outputs):]
    theirs = cnf.encode(ref, ref.output_lits, lambda node: ref_inputs[node - 1] if 1 <= node <= ref.n_inputs
                        else None)
    if leaves is None:
        return cnf.differ(ours, theirs)[0] is True  # no decision limit: always decided
    return cnf.differ(ours, theirs, DEEP_DECISIONS * effort())[0] is not False  # undecided counts as differing
