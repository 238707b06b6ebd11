"""Simplification in windows: a layered circuit cut at each layer's outputs, each layer's cone above the cut
simplified as a circuit of its own (independent work, run by a pool when one is given), then stitched back
layer after layer with structural hashing. The windows depend on the circuit only, so the result is the same
for any pool."""
import time
from dataclasses import dataclass

import numpy as np

from ..ir.aig import AIG
from ..kernels.strash import HashedCopy, cone_above, rebuild_arrays
from ..workers import Here
from .registry import run_passes
from .structural import compose, mapped_aig

MIN_ANDS = 250_000  # circuits with fewer gates are simplified whole


@dataclass
class Window:
    """A layer's cone above the layers before as an AIG of its own: input k stands for node leaves[k] of the
    circuit cut into windows, output k for the k-th literal of the layer's words."""

    aig: AIG
    leaves: np.ndarray
    nodes: np.ndarray  # the circuit's nodes copied into the window
    node_lits: np.ndarray  # their literals in the window


def layer_windows(aig, stages):
    """The Window of each stage (a list of words: literals of aig): its words' cone above the stages before."""
    fanin0, fanin1, _ = aig.arrays()
    stop = np.zeros(aig.n_nodes, dtype=bool)
    windows = []
    for words in stages:
        lits = np.asarray([lit for word in words for lit in word], dtype=np.int64)
        windows.append(_window(fanin0, fanin1, aig.n_inputs, lits, stop))
        stop[lits >> 1] = True
    return windows


def simplify_window(fanin0, fanin1, outputs, n_inputs, names):
    """(fan-ins, outputs, node map: the window's literal in the result per node or -1, per-pass stats) of
    the passes `names` run on one window given as arrays."""
    window = AIG.from_arrays([f"c{k}" for k in range(n_inputs)], fanin0, fanin1,
                             [f"o{k}" for k in range(len(outputs))], outputs)
    steps = []
    result, stats = run_passes(window, names, steps=steps)
    node_map = 2 * np.arange(window.n_nodes, dtype=np.int64)
    for _, _, hints, _ in steps:
        node_map = compose(node_map, hints)
    if result.n_ands > window.n_ands:  # never larger: the stitched circuit is sized by the windows' own gates
        result, node_map = window, 2 * np.arange(window.n_nodes, dtype=np.int64)
    new0, new1, outs = result.arrays()
    return new0, new1, outs, node_map, stats


@dataclass
class WindowRun:
    """The windows of a circuit handed to workers to be simplified by the passes `names`: results (fan-ins,
    outputs, node map, stats per window, see simplify_window) come from an iterator, in window order."""

    aig: AIG
    names: tuple
    windows: list
    results: object


def start_windows(aig, names, stages, workers=None):
    """A WindowRun of the circuit cut at stages (see simplify_in_windows); workers of a cluster start on
    the windows now, else each runs here when its result is read."""
    windows = layer_windows(aig, stages)
    tasks = [(*w.aig.arrays(), w.aig.n_inputs, list(names)) for w in windows]
    return WindowRun(aig, tuple(names), windows, (workers or Here()).map(simplify_window, tasks))


def simplify_in_windows(aig, names, stages, workers=None, progress=None):
    """(AIG simplified window by window with its source_map, stats) for a circuit whose stages (lists of
    words, the last one its outputs) cut it into layers; workers.map(fn, argument tuples) runs the windows,
    results in order (else they run here, one after the other); progress(done, total) as windows are
    stitched."""
    return stitch_windows(start_windows(aig, names, stages, workers), progress)


def stitch_windows(run, progress=None):
    """(AIG, stats) of simplify_in_windows from a WindowRun's results, stitched as they come: the seconds of
    each pass summed over the windows (wherever they ran), those of the stitch spent here."""
    aig, names, windows = run.aig, run.names, run.windows
    stitched = HashedCopy(aig.n_inputs, sum(w.aig.n_ands for w in windows))
    lit_of = np.full(aig.n_nodes, -1, dtype=np.int64)  # literal in the stitched circuit of each node
    lit_of[:1 + aig.n_inputs] = 2 * np.arange(1 + aig.n_inputs)
    totals = [[0, 0, 0.0] for _ in names]
    stitching = 0.0
    for done, (window, (new0, new1, outs, node_map, stats)) in enumerate(zip(windows, run.results), 1):
        start = time.perf_counter()
        _stitch(stitched, window, new0, new1, outs, node_map, lit_of)
        stitching += time.perf_counter() - start
        for sizes, st in zip(totals, stats):
            sizes[0] += st["ands_before"]
            sizes[1] += st["ands_after"]
            sizes[2] += st.get("seconds", 0.0)
        if progress:
            progress(done, len(windows))
    start = time.perf_counter()
    outs = np.asarray(aig.output_lits, dtype=np.int64)
    new0, new1, outs, rebuilt = rebuild_arrays(*stitched.arrays(), aig.n_inputs, compose(outs, lit_of))
    result = mapped_aig(aig, new0, new1, outs, compose(lit_of, rebuilt))
    stitching += time.perf_counter() - start
    stats = [{"pass": name, "windows": len(windows), "ands_before": before, "ands_after": after,
              "seconds": round(seconds, 3)} for name, (before, after, seconds) in zip(names, totals)]
    stats.append({"pass": "stitch", "windows": len(windows), "ands_before": totals[-1][1] if names else aig.n_ands,
                  "ands_after": result.n_ands, "seconds": round(stitching, 3)})
    return result, stats


def _window(fanin0, fanin1, n_inputs, lits, stop):
    """The Window of literals: their cone above the stop nodes, over its leaves (stop nodes and inputs)."""
    nodes = cone_above(fanin0, fanin1, n_inputs, lits, stop)
    inside = np.zeros(len(stop), dtype=bool)
    inside[nodes] = True
    base = 1 + n_inputs
    fanins = np.concatenate([fanin0[nodes - base], fanin1[nodes - base], lits]) >> 1
    leaves = np.unique(fanins[~inside[fanins] & (fanins > 0)])
    mapping = np.full(len(stop), -1, dtype=np.int64)
    mapping[0] = 0
    mapping[leaves] = 2 * np.arange(1, len(leaves) + 1)
    copy = HashedCopy(len(leaves), len(nodes))
    copy.copy_nodes(fanin0, fanin1, n_inputs, nodes, mapping)
    window = AIG.from_arrays([f"c{k}" for k in range(len(leaves))], *copy.arrays(),
                             [f"o{k}" for k in range(len(lits))], compose(lits, mapping))
    return Window(window, leaves, nodes, mapping[nodes])


def _stitch(stitched, window, new0, new1, outs, node_map, lit_of):
    """Copy a simplified window into the stitched circuit over its leaves' stitched literals; lit_of gets
    the stitched literal of every node copied into the window (hints for the equivalence check)."""
    result = AIG.from_arrays([f"c{k}" for k in range(window.aig.n_inputs)], new0, new1,
                             [f"o{k}" for k in range(len(outs))], outs)
    there = stitched.copy(result, lit_of[window.leaves])
    lit_of[window.nodes] = compose(window.node_lits, compose(node_map, there))


def by_layers(aig, low, names):
    """The stages (see simplify_in_windows) at which run_passes_by_layers cuts aig, or None when it
    simplifies aig whole: when low, the Lowering that made aig, is missing, aig has fewer than MIN_ANDS
    gates, or there are no passes."""
    if low is None or aig.n_ands < MIN_ANDS or not names:
        return None
    return [low.outputs(k) for k in range(len(low.neurons))] + [[list(aig.output_lits)]]


def start_ahead(low, names, workers):
    """The layer windows of run_passes_by_layers on a lowering's circuit, started now on the workers of a
    cluster (a WindowRun), or None when they would run here or the circuit is simplified whole."""
    stages = by_layers(low.aig, low, names)
    if workers is None or workers.count < 2 or stages is None:
        return None
    return start_windows(low.aig, names, stages, workers)


def run_passes_by_layers(aig, low, names, abc_script=None, steps=None, progress=None, workers=None, ahead=None):
    """run_passes, but layer by layer (the layers run by workers, see simplify_in_windows) when by_layers
    says so; ahead: a WindowRun of aig and names already started. The ABC script then runs on the whole."""
    stages = by_layers(aig, low, names)
    if stages is None:
        return run_passes(aig, names, abc_script, steps, progress)
    if progress:
        progress(f"{', '.join(names)} layer by layer")
    if ahead is None or ahead.aig is not aig or ahead.names != tuple(names):
        ahead = start_windows(aig, names, stages, workers)
    result, stats = stitch_windows(ahead, getattr(progress, "within", None))
    if steps is not None:
        steps.append((aig, result, result.source_map, False))
    result, more = run_passes(result, [], abc_script, steps, progress)
    return result, stats + more
