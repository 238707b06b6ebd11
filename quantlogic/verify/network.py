"""Verification of a circuit against its IntNetwork: exhaustive when small, else part by part along the
lowering's records, else (or when a part does not go through) by equivalence with a fresh lowering that is
proved part by part. Every verdict is proved, disproved with a counterexample the simulator confirmed, or
undecided naming what ran out."""
import numpy as np

from ..formats import qnet
from ..kernels.simulate import Simulator, all_input_words
from ..quant.codes import bits_to_ints, circuit_classes, encode_column, pin_layout
from ..verdict import disproved, proved, undecided
from .limits import EXHAUSTIVE_LIMIT, RANDOM_VECTORS, effort, raise_hint
from .parts import prove_by_parts
from .search import Part, SearchLimits, search_counterexample

PER_NEURON = "per-neuron + composition"

__all__ = ["verify_lowering", "verify_bundle", "check_exhaustive", "sample_codes"]


def codes_of_patterns(patterns, n_features, ibits):
    shifts = np.arange(n_features, dtype=np.int64) * ibits
    return (patterns[:, None] >> shifts[None, :]) & ((1 << ibits) - 1)


def check_exhaustive(net, aig):
    """Simulate every input of the circuit (read by pin name) against the IntNetwork."""
    n = aig.n_inputs
    inputs, outputs = pin_layout(aig, net.n_features, net.ibits, net.n_classes)
    words = np.empty((n, max(1, (1 << n) // 64)), dtype=np.uint64)
    words[inputs] = all_input_words(n)
    out_words = Simulator(aig, [aig.output_lits[k] for k in outputs]).words(words)
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
            return confirmed_counterexample(net, aig, codes[bad[0]], "exhaustive", total)
    return proved("exhaustive", f"equal to the IntNetwork on all 2^{n} = {total} inputs", vectors=total)


def check_vectors(net, aig, codes):
    """The first input codes (a list) where circuit and IntNetwork differ, or None."""
    bad = np.flatnonzero(circuit_classes(aig, codes, net.ibits, net.n_classes) != net.predict_codes(codes))
    return codes[bad[0]].tolist() if len(bad) else None


def sample_codes(net, X=None, n_random=RANDOM_VECTORS, seed=0):
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 1 << net.ibits, size=(n_random, net.n_features))
    if X is not None:
        codes = np.concatenate([net.encode(X), codes])
    return codes


def feature_values(net, codes):
    """A float value per feature whose code is the given one (None where no float reaches that code)."""
    values = []
    for i, c in enumerate(codes):
        t = net.thresholds[i]
        x = float(t[0] - max(1.0, abs(t[0]))) if c == 0 else float(t[c - 1])
        values.append(x if int(encode_column(x, t)) == c else None)
    return values


def confirmed_counterexample(net, aig, codes, method, vectors=0):
    """disproved with these input codes when simulating the circuit confirms that it differs from the
    IntNetwork there; else undecided (a proof engine's witness that does not reproduce)."""
    codes = np.asarray(codes, dtype=np.int64).reshape(1, -1)
    got = int(circuit_classes(aig, codes, net.ibits, net.n_classes)[0])
    want = int(net.predict_codes(codes)[0])
    if got == want:
        return undecided(method, f"a witness at input codes {codes[0].tolist()} did not reproduce in simulation",
                         vectors)
    witness = {"codes": codes[0].tolist(), "features": feature_values(net, codes[0]), "circuit": got,
               "network": want}
    return disproved(method, f"the circuit gives class {got}, the IntNetwork {want}, at input codes "
                             f"{codes[0].tolist()}", codes[0].tolist(), vectors, witness)


def verify_lowering(net, low, X=None, progress=None, advance=None, workers=None):
    """Verdict for Lowering low of IntNetwork net (X: data rows to test as well; progress, advance and
    workers: see prove_by_parts)."""
    aig = low.aig
    pin_layout(aig, net.n_features, net.ibits, net.n_classes)
    if aig.n_inputs <= EXHAUSTIVE_LIMIT:
        return check_exhaustive(net, aig)
    codes = sample_codes(net, X)
    bad = check_vectors(net, aig, codes)
    if bad is not None:
        return confirmed_counterexample(net, aig, bad, PER_NEURON, len(codes))
    gap = prove_by_parts(net, low, progress, reference=lambda: _proved_lowering(net), advance=advance,
                         workers=workers)
    if gap is None:
        return _per_neuron_verdict(low, len(codes))
    return _against_reference(net, low, codes, gap, progress)


def _per_neuron_verdict(low, vectors):
    tables = sum(n.method == "table" for layer in low.neurons for n in layer)
    return proved(PER_NEURON, "each neuron's sum proved algebraically and its thresholds exhaustively over the "
                              "sum's range" + (f"; {tables} truth-table neurons exhaustively over their inputs"
                                               if tables else ""),
                  "each argmax step proved by SAT against a reference compare-and-select",
                  f"also tested on {vectors} vectors", vectors=vectors)


def _against_reference(net, low, codes, gap, progress=None):
    """A circuit whose records did not prove it: compare it with a fresh lowering proved part by part, and
    search for a difference around the part that did not prove: first when that part is known to be wrong
    somewhere (a class that differs is then likely near, and the comparison's SAT budget is not spent
    first), else when the comparison does not decide."""
    from .cec import equivalent

    aig = low.aig
    witness = np.asarray([gap.codes] if gap.codes is not None else [], dtype=np.int64).reshape(-1, codes.shape[1])
    starts, part = np.concatenate([witness, codes]), _part(net, low, gap.part)
    search_first = len(witness) > 0 and not gap.undecided
    if search_first:
        found = _searched(net, aig, starts, undecided(PER_NEURON, gap.text, len(codes)), part, len(witness))
        if found.status == "disproved":
            return found
    reference, ref_gap = proved_reference(net, progress)
    if _same_structure(reference.aig, aig):
        kind = "a budget ran out" if gap.undecided else "the proof method did not go through"
        verdict = undecided(PER_NEURON, f"{gap.text} ({kind}; no input among {len(codes)} test vectors differs)",
                            len(codes))
    elif ref_gap is not None:
        verdict = undecided(PER_NEURON, f"{gap.text}, and a fresh lowering did not prove either: {ref_gap.text}",
                            len(codes))
    else:
        verdict = combine(net, aig, _per_neuron_verdict(reference, len(codes)),
                          equivalent(reference.aig, aig, hints=_twin_hints(reference.aig, aig)),
                          f"the records did not prove it ({gap.text})")
    if search_first:
        return _not_found(verdict) if verdict.status == "undecided" else verdict
    return _searched(net, aig, starts, verdict, part, len(witness))


def _part(net, low, part):
    """The circuit's word for a part (layer, index) named by a Gap: a hidden neuron's code or a logit."""
    if part is None:
        return None
    layer, index = part
    if layer == len(net.hidden):
        return Part(layer, index, low.logits[index].sum_word, low.logit_offset)
    return Part(layer, index, low.neurons[layer][index].out_word)


def _searched(net, aig, codes, verdict, part=None, first=0):
    """An undecided verdict turned into a disproof when a guided search (from the first `first` rows of
    codes, then the others closest to a flip) finds an input where the circuit differs (confirmed by
    simulation); other verdicts as they are."""
    if verdict.status != "undecided":
        return verdict
    found = search_counterexample(net, aig, codes, part, SearchLimits().scaled(effort()), first=first)
    if found is None:
        return _not_found(verdict)
    return confirmed_counterexample(net, aig, found, "guided search", verdict.vectors)


def _not_found(verdict):
    """An undecided verdict that says the guided search found no difference either."""
    return undecided(verdict.method, f"{verdict.reason}; a guided search found no difference; {raise_hint()}",
                     verdict.vectors, verdict.details)


def _twin_hints(a, b):
    """Node i of a claimed equal to node i of b when both have the same nodes and pins (b is then most
    likely a with a few gates altered): the equivalence check proves each claim before it merges there."""
    if a.n_nodes != b.n_nodes or a.input_names != b.input_names:
        return None
    return 2 * np.arange(a.n_nodes, dtype=np.int64)


_REFERENCES = {}  # digest of an IntNetwork -> (its lowering, the Gap of its proof or None); the last few


def proved_reference(net, progress=None, workers=None, lowered=None):
    """(a fresh lowering of net, None when it is proved part by part (by workers, see prove_by_parts), else
    the Gap); lowered(lowering) is called before its proof starts. Lowering is deterministic, so the proof of
    the last few networks is kept for the circuits compared with them."""
    import hashlib

    from ..lower.network import lower_network

    key = hashlib.sha256(qnet.to_bytes(net)).hexdigest()
    if key not in _REFERENCES:
        reference = lower_network(net)
        if lowered:
            lowered(reference)
        _REFERENCES[key] = (reference, prove_by_parts(net, reference, progress, advance=advance_within(
            progress, reference), workers=workers))
        while len(_REFERENCES) > 4:
            _REFERENCES.pop(next(iter(_REFERENCES)))
    reference, gap = _REFERENCES[key]
    return reference, gap


def _proved_lowering(net):
    """A fresh lowering of net when it is proved part by part, else None."""
    reference, gap = proved_reference(net)
    return reference if gap is None else None


def _same_structure(a, b):
    return (a.fanin0 == b.fanin0 and a.fanin1 == b.fanin1 and a.output_lits == b.output_lits
            and a.output_names == b.output_names and a.input_names == b.input_names)


def combine(net, aig, base, same, note=""):
    """The verdict of a circuit proved equal (same) to a circuit with verdict base."""
    if same.status == "disproved":
        codes = _codes_of_bits(net, same.counterexample)
        return confirmed_counterexample(net, aig, codes, same.method) if codes is not None else \
            undecided(same.method, f"{same.reason} (no input codes to confirm it)")
    if same.status != "proved":
        return undecided(same.method, same.reason, base.vectors)
    method = base.method if base.method.endswith("equivalence") else f"{base.method} + equivalence"
    details = ([note] if note else []) + base.details + [f"equivalence: {d}" for d in same.details]
    return proved(method, *details, vectors=base.vectors)


def _codes_of_bits(net, bits):
    """Input codes from a counterexample given as input bits in pin order x0_0, x0_1, ... (None if absent)."""
    if bits is None:
        return None
    bits = np.asarray(bits, dtype=np.int64).reshape(net.n_features, net.ibits)
    return bits_to_ints(bits)


def verify_bundle(bundle, X=None, progress=None, workers=None):
    """Re-prove a bundle's circuit against its IntNetwork: exhaustively when small, by its lowering records,
    or (a simplified circuit) by proving a fresh lowering and then its equivalence to the stored circuit.
    progress(stage) is called as each layer's proof (and the equivalence check) starts; workers (see
    quantlogic.workers) prove the neurons and replay layer-by-layer simplification."""
    from ..lower.network import Lowering
    from ..passes.windows import start_ahead
    from .cec import equivalent, equivalent_through, window_equal

    net, aig = bundle.net, bundle.aig
    if X is not None:
        net.encode(X)  # the data must fit the network
    if aig.n_inputs <= EXHAUSTIVE_LIMIT:
        return verify_lowering(net, Lowering(aig, [], []), X)
    if bundle.lowering is not None:
        return verify_lowering(net, bundle.lowering, X, progress, advance_within(progress, bundle.lowering), workers)
    pin_layout(aig, net.n_features, net.ibits, net.n_classes)
    codes = sample_codes(net, X)
    bad = check_vectors(net, aig, codes)
    if bad is not None:
        return confirmed_counterexample(net, aig, bad, "equivalence", len(codes))
    ahead = []  # the replay's layer windows, started on the workers before the reference is proved
    names = _recorded_passes(bundle)
    reference, gap = proved_reference(net, progress, workers, names and (
        lambda low: ahead.append(start_ahead(low, names, workers, window_equal))))
    if gap is not None:
        return undecided(PER_NEURON, f"a fresh lowering of the network did not prove: {gap.text}; {raise_hint()}",
                         len(codes))
    base = _per_neuron_verdict(reference, len(codes))
    if progress:
        progress("equivalence with the stored circuit")
    steps = names and _replayed_steps(reference, bundle, names, workers, ahead[0] if ahead else None)
    same = equivalent(reference.aig, aig) if steps is None else equivalent_through(reference.aig, aig, steps)
    return _searched(net, aig, codes, combine(net, aig, base, same))


def advance_within(progress, low):
    """An advance() for prove_by_parts (one call per neuron, then per logit) that tells progress.within(done,
    total) how far the current layer's proof has got; None when progress has no within."""
    within = getattr(progress, "within", None)
    if within is None:
        return None
    sizes = [len(layer) for layer in low.neurons] + [len(low.logits)]
    bounds = np.cumsum(sizes)
    count = [0]

    def advance(units=1):
        count[0] += units
        k = min(int(np.searchsorted(bounds, count[0])), len(sizes) - 1)
        within(count[0] - (int(bounds[k - 1]) if k else 0), sizes[k])
    return advance


def _recorded_passes(bundle):
    """The names of the passes recorded in the bundle (each run layer by layer when so recorded), or None
    when there are none or one is not ours (ABC)."""
    from ..passes.registry import PASSES

    recorded = bundle.meta.get("simplify", [])
    names = [st.get("pass") for st in recorded if isinstance(st, dict) and st.get("pass") != "equivalence check"]
    if names and names[-1] == "stitch":  # simplified layer by layer
        names = names[:-1]
    return names if names and all(name in PASSES for name in names) else None


def _replayed_steps(reference, bundle, names, workers=None, ahead=None):
    """The passes recorded in the bundle (names, see _recorded_passes), replayed on the reference lowering's
    circuit (layer by layer by workers when so recorded; ahead: those windows already started): their steps
    [(input, output, source map)] when they end exactly at the bundle's circuit (passes are deterministic),
    else None."""
    from ..passes.windows import run_passes_by_layers
    from .cec import window_equal

    steps = []
    result, _ = run_passes_by_layers(reference.aig, reference, names, steps=steps, workers=workers, ahead=ahead,
                                     check=window_equal)
    return steps if _same_structure(result, bundle.aig) else None
