"""Simplification of a bundle: the passes, then the proof that the result equals the circuit it came from."""
import time

from ..errors import NotProvedError
from ..formats.bundle import Bundle
from ..passes.windows import run_passes_by_layers
from ..verify.cec import equivalent_through, window_equal
from ..verify.network import combine, verify_bundle


def simplify_bundle(bundle, names, abc_script=None, progress=None, workers=None):
    """A new Bundle with the simplified circuit, proved equivalent to the one it came from; raises
    QuantlogicError (nothing to write) when that proof fails. progress(stage) is called as the proof of the
    input (when it has no matching verdict), each pass and the equivalence check start; workers (see
    quantlogic.workers) prove the input and simplify the layers of a large circuit."""
    before = proved_verdict(bundle, lambda b: verify_bundle(b, progress=progress and (
        lambda layer: progress(f"prove the input, {layer}")), workers=workers))
    steps = []
    new_aig, stats = run_passes_by_layers(bundle.aig, bundle.lowering, names, abc_script, steps, progress,
                                          workers, bundle.windows_ahead, window_equal)
    if progress:
        progress("equivalence check")
    start = time.perf_counter()
    same = equivalent_through(bundle.aig, new_aig, steps)
    stats.append({"pass": "equivalence check", "seconds": round(time.perf_counter() - start, 3)})
    simplified = Bundle(bundle.net, new_aig, None, dict(bundle.meta))
    verdict = combine(bundle.net, new_aig, before, same) if same.ok else same
    if not verdict.ok:
        raise NotProvedError(f"the simplified circuit is {same.text}; nothing written", verdict)
    simplified.meta["simplify"] = [{k: v for k, v in st.items() if k != "seconds"} for st in stats]
    layers = simplified_layers(bundle, new_aig, steps)
    if layers:
        simplified.meta["simplified_layers"] = layers
    simplified.record_verdict(verdict)
    simplified.timings = [st["seconds"] for st in stats]
    return simplified


def simplify_steps(bundle, names, abc_script=None):
    """The progress steps of simplify_bundle: the passes (one step when run layer by layer), the ABC script,
    the equivalence check."""
    from ..passes.windows import by_layers

    passes = 1 if by_layers(bundle.aig, bundle.lowering, names) is not None else len(names)
    return passes + bool(abc_script) + 1


def simplified_layers(bundle, new_aig, steps):
    """{stage: {"ands", "levels", "unmapped"}} of a simplified circuit, per layer of the lowered bundle it came
    from: each layer's code bits followed along the passes' composed node maps; "ands" counts the gates in
    their cone that no earlier layer's codes need, "levels" the depth where the layer's codes are ready,
    "unmapped" the code bits no longer a node of their own. {} when the bundle has no layers or a pass
    (ABC) keeps no node map."""
    import numpy as np

    from ..formats.depth import levels_of
    from ..kernels.strash import cone_array
    from ..passes.structural import compose

    low = bundle.lowering
    if low is None:
        return {}
    node_map = np.arange(0, 2 * bundle.aig.n_nodes, 2, dtype=np.int64)
    for _, _, step_map, _ in steps:
        node_map = compose(node_map, step_map)
        if node_map is None:
            return {}
    fanin0, fanin1, _ = new_aig.arrays()
    levels = levels_of(new_aig)
    stages = [(f"layer {k}", [lit for word in low.outputs(k) for lit in word]) for k in range(len(low.neurons))]
    stages.append(("output", list(low.class_word)))
    done, result = np.zeros(new_aig.n_nodes, dtype=bool), {}
    for stage, lits in stages:
        mapped = [int(node_map[lit >> 1]) ^ (lit & 1) for lit in lits if node_map[lit >> 1] >= 0]
        if stage == "output":
            mapped = list(new_aig.output_lits)
        cone = cone_array(fanin0, fanin1, new_aig.n_inputs, mapped)
        result[stage] = {"ands": int(np.count_nonzero(~done[cone])),
                         "levels": int(max((levels[lit >> 1] for lit in mapped), default=0)),
                         "unmapped": len(lits) - len(mapped) if stage != "output" else 0}
        done[cone] = True
    return result


def proved_verdict(bundle, verify):
    """The bundle's verdict when it is proved and the file's digest matches; else proved now by verify."""
    verdict, matches = bundle.recorded_verdict()
    if verdict is not None and verdict.ok and matches:
        return verdict
    verdict = verify(bundle)
    if not verdict.ok:
        raise NotProvedError(f"the circuit to simplify is {verdict.text}; nothing written", verdict)
    return verdict
