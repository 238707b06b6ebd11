"""Simplification of a bundle: the passes, then the proof that the result equals the circuit it came from."""
import time

from ..errors import NotProvedError
from ..formats.bundle import Bundle
from ..passes.registry import run_passes
from ..verify.cec import equivalent_through
from ..verify.network import combine, verify_bundle


def simplify_bundle(bundle, names, abc_script=None, progress=None):
    """A new Bundle with the simplified circuit, proved equivalent to the one it came from; raises
    QuantlogicError (nothing to write) when that proof fails. progress(stage) is called as the proof of the
    input (when it has no matching verdict), each pass and the equivalence check start."""
    before = proved_verdict(bundle, lambda b: verify_bundle(b, progress=progress and (
        lambda layer: progress(f"prove the input, {layer}"))))
    steps = []
    new_aig, stats = run_passes(bundle.aig, names, abc_script, steps, progress)
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
    simplified.record_verdict(verdict)
    simplified.timings = [st["seconds"] for st in stats]
    return simplified


def proved_verdict(bundle, verify):
    """The bundle's verdict when it is proved and the file's digest matches; else proved now by verify."""
    verdict, matches = bundle.recorded_verdict()
    if verdict is not None and verdict.ok and matches:
        return verdict
    verdict = verify(bundle)
    if not verdict.ok:
        raise NotProvedError(f"the circuit to simplify is {verdict.text}; nothing written", verdict)
    return verdict
