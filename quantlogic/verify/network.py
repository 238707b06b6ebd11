"""Verification of a lowered network against its IntNetwork, with the verdicts of DESIGN.md section 7."""
from dataclasses import dataclass, field

import numpy as np

from ..codes import bits_to_ints
from ..ir.aig import AIG, FALSE, TRUE, neg
from ..kernels.simulate import Simulator, all_input_words
from ..lower.arith import entries_winner, tournament_pairs
from ..lower.network import neuron_table_inputs
from . import algebra
from .cones import evaluate_cone, word_values
from .sat import CNF

EXHAUSTIVE_LIMIT = 22
RANDOM_VECTORS = 1 << 14


@dataclass
class Verdict:
    ok: bool
    text: str
    method: str = ""
    vectors: int = 0
    counterexample: list = field(default=None)  # input codes of a failing input, when one was found

    def as_dict(self):
        return {"ok": self.ok, "text": self.text, "method": self.method, "vectors": self.vectors,
                "counterexample": self.counterexample}


def codes_of_patterns(patterns, n_features, ibits):
    shifts = np.arange(n_features, dtype=np.int64) * ibits
    return (patterns[:, None] >> shifts[None, :]) & ((1 << ibits) - 1)


def check_exhaustive(net, aig):
    """Simulate every input of the circuit against the IntNetwork."""
    n = aig.n_inputs
    out_words = Simulator(aig).words(all_input_words(n))
    total = 1 << n
    chunk = 1 << 16
    for start in range(0, total, chunk):
        patterns = np.arange(start, min(total, start + chunk), dtype=np.int64)
        bits = np.stack([(out_words[o, patterns >> 6] >> (patterns & 63).astype(np.uint64)) & np.uint64(1)
                         for o in range(len(out_words))], axis=1).astype(np.int64)
        got = bits_to_ints(bits)
        codes = codes_of_patterns(patterns, net.n_features, net.ibits)
        want = net.predict_codes(codes)
        bad = np.flatnonzero(got != want)
        if len(bad):
            return Verdict(False, f"FAILED (exhaustive): class {int(got[bad[0]])} instead of {int(want[bad[0]])}",
                           "exhaustive", total, codes[bad[0]].tolist())
    return Verdict(True, f"proved (exhaustive): equal to the IntNetwork on all 2^{n} = {total} inputs",
                   "exhaustive", total)


def check_vectors(net, aig, codes):
    """Compare circuit and IntNetwork on the given input codes; (mismatching codes or None)."""
    from ..codes import codes_to_bits

    got = bits_to_ints(Simulator(aig).bits(codes_to_bits(codes, net.ibits)))
    bad = np.flatnonzero(got != net.predict_codes(codes))
    return codes[bad[0]].tolist() if len(bad) else None


def test_codes(net, X=None, n_random=RANDOM_VECTORS, seed=0):
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 1 << net.ibits, size=(n_random, net.n_features))
    if X is not None:
        codes = np.concatenate([net.encode(X), codes])
    return codes


def check_neuron(aig, words, weights, neuron, thresholds):
    """None when the neuron's sum is proved algebraically and its outputs exhaustively over the sum's
    range; else a message."""
    diff = algebra.difference(aig, neuron.sum_word, words, weights, neuron.offset)
    if diff or diff is None:
        witness = _input_witness(aig, diff)
        where = f" (it differs at input codes {witness})" if witness else ""
        return f"the sum of neuron {neuron.layer}.{neuron.index} is not its weighted input sum{where}"
    vmax = [sum(1 << j for j, lit in enumerate(w) if lit != FALSE) for w in words]
    acc_lo = sum(min(int(w) * v, 0) for w, v in zip(weights, vmax))
    acc_hi = sum(max(int(w) * v, 0) for w, v in zip(weights, vmax))
    sums = np.arange(acc_lo - neuron.offset, acc_hi - neuron.offset + 1)
    cut, ok = _cut_for_word(neuron.sum_word, sums)
    sums = sums[ok]
    if not len(sums):
        return None
    try:
        out = evaluate_cone(aig, neuron.out_word, cut)
    except ValueError as exc:
        return f"the outputs of neuron {neuron.layer}.{neuron.index} depend on more than its sum ({exc})"
    want = ((sums[:, None] + neuron.offset) >= np.asarray(thresholds)[None, :]).sum(axis=1)
    got = bits_to_ints(out.T)
    if not np.array_equal(got, want):
        return f"the thresholds of neuron {neuron.layer}.{neuron.index} are wrong"
    return None


def _input_witness(aig, diff):
    """Input codes (one list per feature) where a non-zero sum polynomial over primary inputs is non-zero."""
    if not diff:
        return None
    ones = algebra.witness(diff)
    if any(not 1 <= node <= aig.n_inputs for node in ones):
        return None
    codes = {}
    for node in ones:
        feature, bit = _pin_of(aig.input_names[node - 1])
        codes[feature] = codes.get(feature, 0) | (1 << bit)
    n_features = 1 + max(_pin_of(name)[0] for name in aig.input_names)
    return [codes.get(i, 0) for i in range(n_features)]


def _pin_of(name):
    feature, bit = name[1:].split("_")
    return int(feature), int(bit)


def check_table_neuron(aig, words, values, weights, neuron, thresholds):
    """None when a truth-table neuron's outputs equal its threshold function on every code of its used
    inputs (rows that its input literals cannot produce are skipped); else a message."""
    used = [i for i, w in enumerate(weights) if int(w) != 0]
    n_codes = [1 << len(words[i]) for i in used]
    rows = np.array(np.meshgrid(*[np.arange(n) for n in n_codes], indexing="ij")).reshape(len(used), -1).T \
        if used else np.zeros((1, 0), dtype=np.int64)
    ok = np.ones(len(rows), dtype=bool)
    cut = {}
    for col, i in enumerate(used):
        _assign_word(cut, ok, words[i], rows[:, col])
    acc = sum(int(weights[i]) * values[i][rows[:, col]] for col, i in enumerate(used)) if used else np.zeros(1)
    want = (np.asarray(acc)[:, None] >= np.asarray(thresholds)[None, :]).sum(axis=1)
    try:
        out = evaluate_cone(aig, neuron.out_word, cut)
    except ValueError as exc:
        return f"the outputs of neuron {neuron.layer}.{neuron.index} depend on more than its inputs ({exc})"
    got = bits_to_ints(out.T)
    if len(got) == 1 and len(want) > 1:
        got = np.repeat(got, len(want))
    if not np.array_equal(got[ok], want[ok]):
        return f"the truth-table circuit of neuron {neuron.layer}.{neuron.index} is wrong"
    return None


def _neuron_counterexample(net, aig, layer, neuron, n_random=RANDOM_VECTORS):
    """Input codes where the neuron's sum or output word differs from the IntNetwork, by random simulation."""
    from ..codes import codes_to_bits

    codes = test_codes(net, n_random=n_random, seed=1)
    h = np.take_along_axis(net.levels.T, codes, axis=0)
    hidden, _ = net.forward_codes(codes)
    if layer:
        h = hidden[layer - 1]
    W, T = net.hidden[layer]
    acc = h @ W[neuron.index]
    want_sum = acc - neuron.offset
    want_out = (acc[:, None] >= T[neuron.index][None, :]).sum(axis=1)
    sim = Simulator(aig, neuron.sum_word + neuron.out_word).bits(codes_to_bits(codes, net.ibits))
    got_sum = bits_to_ints(sim[:, :len(neuron.sum_word)])
    got_out = bits_to_ints(sim[:, len(neuron.sum_word):])
    bad = np.flatnonzero((got_sum != want_sum) | (got_out != want_out))
    return codes[bad[0]].tolist() if len(bad) else None


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


def _cut_for_word(word, sums):
    """Node values for each sum value, and which sums are consistent with the word's constant/shared bits."""
    ok = np.ones(len(sums), dtype=bool)
    cut = {}
    _assign_word(cut, ok, word, sums)
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


def check_argmax(aig, logit_words, class_word, matches):
    """None when the tournament is wired as an argmax (ties to the smallest index) and every match is
    proved equal to the reference compare-and-select by SAT; else a message."""
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
            return "the argmax tournament is not wired as an argmax"
        replay.append(match)
        inputs = left[0] + left[1] + right[0] + right[1]
        outputs = match[2][0] + match[2][1]
        if _differs(aig, inputs, outputs, ref):
            return "a compare-and-select step of the argmax is wrong"
    if list(entries_winner(entries, replay)[1]) != list(class_word) or next(recorded, None) is not None:
        return "the class outputs are not the argmax winner's index"
    return None


def _differs(aig, inputs, outputs, ref):
    """Whether outputs (literals of aig over the input literals as free variables) can differ from ref."""
    cnf = CNF()
    cut = {}
    for lit in inputs:
        if lit >> 1 and lit >> 1 not in cut:
            cut[lit >> 1] = cnf.new_var()
    ours = cnf.encode(aig, outputs, lambda node: cut.get(node))

    def ref_leaf(node):
        if 1 <= node <= ref.n_inputs:
            lit = inputs[node - 1]
            v = 1 if lit >> 1 == 0 else cut[lit >> 1]
            return -v if lit & 1 else v
        return None

    theirs = cnf.encode(ref, ref.output_lits, ref_leaf)
    return cnf.differ(ours, theirs) is not None  # no decision limit: UNKNOWN cannot come back


def verify_lowering(net, low, X=None, progress=None):
    """Verdict for Lowering low of IntNetwork net (X: data rows to test as well)."""
    aig = low.aig
    if aig.n_inputs <= EXHAUSTIVE_LIMIT:
        return check_exhaustive(net, aig)
    codes = test_codes(net, X)
    failure = _prove_by_parts(net, low, progress)
    failure, local = failure if isinstance(failure, tuple) else (failure, None)
    bad = check_vectors(net, aig, codes) or local
    if failure is None and bad is None:
        tables = sum(n.method == "table" for layer in low.neurons for n in layer)
        table_text = f", {tables} truth-table neurons exhaustively over their inputs" if tables else ""
        return Verdict(True, "proved (per-neuron + composition): each neuron's sum proved algebraically, its "
                             f"thresholds exhaustively over the sum's range{table_text}, each argmax step by SAT; "
                             f"also tested on {len(codes)} vectors", "per-neuron", len(codes))
    text = failure or "a test vector"
    return Verdict(False, f"FAILED: {text}" + (f"; counterexample input codes {bad}" if bad else
                                                 f"; no failing input among {len(codes)} test vectors"),
                   "per-neuron", len(codes), bad)


def _prove_by_parts(net, low, progress=None):
    """None when every part is proved; else what failed."""
    aig = low.aig
    pins = {name: 2 * (k + 1) for k, name in enumerate(aig.input_names)}
    if low.code_words != [[pins.get(f"x{i}_{j}") for j in range(net.ibits)] for i in range(net.n_features)]:
        return "the feature codes are not wired to their input pins"
    identity = list(range(1 << net.ibits))
    for i, (code_word, levels) in enumerate(zip(low.code_words, net.levels.tolist())):
        if levels == identity:
            if low.level_words[i] != code_word:
                return f"feature {i} is not wired to its input pins"
            continue
        values = evaluate_cone(aig, low.level_words[i], {lit >> 1: v for lit, v in
                                                          zip(code_word, word_values(net.ibits, identity))})
        if bits_to_ints(values.T).tolist() != levels:
            return f"the level table of feature {i} is wrong"
    for layer, ((W, T), neurons) in enumerate(zip(net.hidden, low.neurons)):
        if progress:
            progress(f"layer {layer}")
        words = low.layer_inputs[layer]
        expected = low.level_words if layer == 0 else [n.out_word for n in low.neurons[layer - 1]]
        if words != expected:
            return f"layer {layer} is not wired to the outputs of the layer before"
        table_words, values = neuron_table_inputs(net, low, layer)
        for neuron in neurons:
            if neuron.method == "table":
                problem = check_table_neuron(aig, table_words, values, W[neuron.index], neuron, T[neuron.index])
            else:
                problem = check_neuron(aig, words, W[neuron.index], neuron, T[neuron.index])
            if problem:
                return problem, _neuron_counterexample(net, aig, layer, neuron)
    words = low.layer_inputs[-1]
    expected = low.level_words if not net.hidden else [n.out_word for n in low.neurons[-1]]
    if words != expected:
        return "the output layer is not wired to the last hidden layer"
    if progress:
        progress("output")
    for c, logit in enumerate(low.logits):
        diff = algebra.difference(aig, logit.sum_word, words, net.out_W[c], low.logit_offset - int(net.out_B[c]))
        if diff or diff is None:
            return f"logit {c} is not its weighted input sum"
    if [lit for lit in aig.output_lits] != list(low.class_word):
        return "the outputs are not the argmax's index bits"
    return check_argmax(aig, [n.sum_word for n in low.logits], low.class_word, low.matches)


def verify_bundle(bundle, X=None):
    """Re-prove a bundle's circuit against its IntNetwork: exhaustively when small, by its lowering records,
    or (a simplified circuit) by proving a fresh lowering and then its equivalence to the stored circuit."""
    from ..lower.network import Lowering, lower_network
    from .cec import equivalent, equivalent_through

    if bundle.aig.n_inputs <= EXHAUSTIVE_LIMIT:
        return verify_lowering(bundle.net, Lowering(bundle.aig, [], []), X)
    if bundle.lowering is not None:
        return verify_lowering(bundle.net, bundle.lowering, X)
    reference = lower_network(bundle.net)
    base = verify_lowering(bundle.net, reference, X)
    if not base.ok:
        return base
    steps = _replayed_steps(reference.aig, bundle)
    same = equivalent(reference.aig, bundle.aig) if steps is None else equivalent_through(reference.aig, bundle.aig,
                                                                                          steps)
    if not same.ok:
        return same
    return Verdict(True, f"{same.text}; that circuit: {base.text}", "per-neuron + cec", base.vectors)


def _replayed_steps(reference, bundle):
    """The passes recorded in the bundle, replayed on the reference circuit: their steps [(input, output,
    source map)] when they end exactly at the bundle's circuit (passes are deterministic), else None."""
    from ..simplify.pipeline import PASSES, run_passes

    names = [st["pass"] for st in bundle.meta.get("simplify", []) if st["pass"] != "equivalence check"]
    if not names or any(name not in PASSES for name in names):
        return None
    steps = []
    result, _ = run_passes(reference, names, steps=steps)
    same = (result.fanin0 == bundle.aig.fanin0 and result.fanin1 == bundle.aig.fanin1
            and result.output_lits == bundle.aig.output_lits and result.input_names == bundle.aig.input_names
            and result.output_names == bundle.aig.output_names)
    return steps if same else None
