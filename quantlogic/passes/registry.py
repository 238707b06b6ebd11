"""Named passes, effort levels, and running a list of passes with the record of what each changed.

A pass is a function aig -> (aig, stats dict with "pass", "ands_before", "ands_after"). When it does not
improve the circuit it returns the very AIG it was given; otherwise a new AIG whose source_map gives, for
each node of the input, its literal in the result (or -1), which the equivalence check uses as hints. A
pass in LOCAL computes each node's new form from nearby nodes only, so runs of them are proved at once."""
import time

from ..errors import QuantlogicError
from .collapse import collapse
from .fraig import fraig
from .progress import reporting
from .resub import resub, resub_rounds
from .rewrite import RewriteParams, rewrite, rewrite_rounds
from .structural import balance, sweep

PASSES = {"sweep": sweep, "fraig": fraig, "balance": balance, "rewrite": rewrite,
          "rewrite-z": lambda aig: rewrite(aig, RewriteParams(zero_gain=True)),
          "rewrite-rounds": rewrite_rounds, "resub": resub,
          "rewrite-resub": resub_rounds, "collapse": collapse}
LOCAL = {"sweep", "balance", "rewrite", "rewrite-z", "rewrite-rounds", "resub", "rewrite-resub"}  # each node's new form is a function of nearby nodes
EFFORT = {"low": ["sweep", "fraig"],
          "default": ["sweep", "fraig", "rewrite-resub", "collapse"],
          "high": ["sweep", "fraig", "rewrite-resub", "fraig", "rewrite-resub", "collapse"]}


def parse_passes(text):
    names = [p.strip() for p in text.split(",") if p.strip()]
    unknown = [p for p in names if p not in PASSES]
    if unknown or not names:
        raise QuantlogicError(f"unknown pass {', '.join(unknown) or '(none)'}; choose from {', '.join(PASSES)}")
    return names


def run_passes(aig, names, abc_script=None, steps=None, progress=None):
    """(simplified AIG, list of per-pass stats). steps, when a list, receives (input, output, the pass's
    source map, whether the pass is LOCAL) of every pass that changed the circuit; progress(name) is called
    as each pass starts, and progress.within(done, total), when progress has it, as a pass gets on."""
    stats = []
    for name in names:
        if progress:
            progress(name)
        start = time.perf_counter()
        with reporting(getattr(progress, "within", None)):
            new, st = PASSES[name](aig)
        st["seconds"] = round(time.perf_counter() - start, 3)
        stats.append(st)
        if new is not aig and steps is not None:
            steps.append((aig, new, new.source_map, name in LOCAL))
        aig = new
    if abc_script:
        from .abc import run_abc

        if progress:
            progress(f"abc {abc_script}")
        start = time.perf_counter()
        before = aig
        aig, line = run_abc(aig, abc_script)
        if steps is not None:
            steps.append((before, aig, None, False))
        stats.append({"pass": f"abc {abc_script}", "ands_before": before.n_ands, "ands_after": aig.n_ands,
                      "abc": line, "seconds": round(time.perf_counter() - start, 3)})
    return aig, stats
