"""Named passes, effort levels, and simplification of a bundle with re-verification."""
import time

from ..errors import NotProvedError, QuantlogicError
from .fraig import fraig
from .passes import balance, sweep
from .rewrite import rewrite, rewrite_rounds

PASSES = {"sweep": sweep, "fraig": fraig, "balance": balance, "rewrite": rewrite,
          "rewrite-z": lambda aig, params=None: rewrite(aig, {**(params or {}), "zero_gain": True}),
          "rewrite-rounds": rewrite_rounds}
LOCAL = {"sweep", "balance", "rewrite", "rewrite-z", "rewrite-rounds"}  # each node's new form is a function of nearby nodes
EFFORT = {"low": ["sweep", "fraig"],
          "default": ["sweep", "fraig", "rewrite-rounds"],
          "high": ["sweep", "fraig"] + ["rewrite", "rewrite-z"] * 4 + ["rewrite", "fraig", "rewrite"]}


def parse_passes(text):
    names = [p.strip() for p in text.split(",") if p.strip()]
    unknown = [p for p in names if p not in PASSES]
    if unknown or not names:
        raise QuantlogicError(f"unknown pass {', '.join(unknown) or '(none)'}; choose from {', '.join(PASSES)}")
    return names


def run_passes(aig, names, abc_script=None, steps=None):
    """(simplified AIG, list of per-pass stats). steps, when a list, receives (input, output, the pass's
    source map, whether the pass is LOCAL) of every pass that changed the circuit."""
    stats = []
    for name in names:
        start = time.perf_counter()
        new, st = PASSES[name](aig)
        st["seconds"] = round(time.perf_counter() - start, 3)
        stats.append(st)
        if new is not aig and steps is not None:
            steps.append((aig, new, new.source_map, name in LOCAL))
        aig = new
    if abc_script:
        from .abc import run_abc

        start = time.perf_counter()
        before = aig
        aig, line = run_abc(aig, abc_script)
        if steps is not None:
            steps.append((before, aig, None, False))
        stats.append({"pass": f"abc {abc_script}", "ands_before": before.n_ands, "ands_after": aig.n_ands,
                      "abc": line, "seconds": round(time.perf_counter() - start, 3)})
    return aig, stats


def simplify_bundle(bundle, names, abc_script=None):
    """A new Bundle with the simplified circuit, proved equivalent to the one it came from; raises
    QuantlogicError (nothing to write) when that proof fails."""
    from ..bundle import Bundle
    from ..verify.cec import equivalent_through

    from ..verify.network import combine, verify_bundle

    before = proved_verdict(bundle, verify_bundle)
    steps = []
    new_aig, stats = run_passes(bundle.aig, names, abc_script, steps)
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
